//! `hotlinectl`: operator-side tools that drive the whole system (issue 12).
//!
//! ```sh
//! cargo run --release -p hotline-e2e --bin hotlinectl -- load --rate 150 --duration 60
//! cargo run --release -p hotline-e2e --bin hotlinectl -- load --rate 0 --concurrency 128 --duration 30
//! cargo run --release -p hotline-e2e --bin hotlinectl -- load --rate 50 --duration 60 \
//!     --disputes 0.05 --send-backs 0.1 --transfers 0.02
//! ```
//!
//! `load` starts every service in this process on a real nats-server and PostgreSQL (as the
//! end-to-end harness does, per-client rate limits off), runs [`hotline_e2e::load::run`] on
//! a runtime of its own (`HOTLINE_LOAD_CLIENT_THREADS` worker threads, 1 by default; 0 runs
//! it on the services' runtime) and prints the report; it exits non-zero if an invariant broke (an accepted order lost or
//! doubled). Options: `--rate N` (per second; 0 = as fast as `--concurrency` allows),
//! `--duration SECS`, `--concurrency N`, `--lifecycle SHARE` (0..1 of dispatched orders the
//! units sign and answer; default 1), `--drain SECS`, `--raw-limits SECS` (0 skips the raw
//! measurements). The mix (default 0 each, the benchmark's plain pipeline): `--disputes
//! SHARE` of the dispatched orders disputed by their unit and redispatched by the
//! dispatcher, `--send-backs SHARE` of the worked orders whose first result the reviewer
//! sends back (results then wait for a reviewer: the tool reviews them all), `--transfers
//! SHARE` of the requests emergencies handed to a simulated partner hotline.
//!
//! `serve <service>` runs one service from its `HOTLINE_*` environment, as its own binary
//! would: the fault harness (tests/e2e/faults.rs) starts each service this way as a child
//! process it can kill -9. `replay-outbox <service> [--since T]` is that service's own
//! `replay-outbox` (docs/operations.md), for the fault harness's lost JetStream store.

#![allow(clippy::expect_used)]

/// The services' allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: hotline_service_kit::Allocator = hotline_service_kit::Allocator;

use std::time::Duration;

use hotline_e2e::Stack;
use hotline_e2e::load::{LoadConfig, run};

const USAGE: &str = "usage: hotlinectl load [--rate N] [--duration SECS] [--concurrency N] \
                     [--lifecycle SHARE] [--disputes SHARE] [--send-backs SHARE] \
                     [--transfers SHARE] [--drain SECS] [--raw-limits SECS]\n       hotlinectl serve <service>\n       hotlinectl replay-outbox <service> [--since RFC3339]";

fn parse(args: &[String]) -> Result<LoadConfig, String> {
    let mut config = LoadConfig::default();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |what: &str| -> Result<f64, String> {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("{flag}: {what} expected, got {value:?}"))
        };
        let share = || -> Result<f64, String> {
            Some(number("a share between 0 and 1")?)
                .filter(|share| *share <= 1.0)
                .ok_or_else(|| format!("{flag}: a share between 0 and 1, got {value}"))
        };
        match flag.as_str() {
            "--rate" => config.rate = number("a whole number")? as u32,
            "--duration" => config.duration = Duration::from_secs_f64(number("seconds")?),
            "--concurrency" => config.concurrency = (number("a whole number")? as usize).max(1),
            "--lifecycle" => config.lifecycle = share()?,
            "--disputes" => config.disputes = share()?,
            "--send-backs" => config.send_backs = share()?,
            "--transfers" => config.transfers = share()?,
            "--drain" => config.drain = Duration::from_secs_f64(number("seconds")?),
            "--raw-limits" => config.raw_limits = Duration::from_secs_f64(number("seconds")?),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(config)
}

/// Runs one service until SIGTERM/SIGINT, configured from the environment; or, when
/// `args` is `replay-outbox [--since T]`, replays its outboxes as its own binary does
/// (the runbook's answer to a lost JetStream store, docs/operations.md) and exits.
async fn service(service: &str, args: &[String]) -> anyhow::Result<()> {
    macro_rules! run {
        ($krate:ident, $config:ty, $schemas:expr) => {{
            let config: $config = hotline_service_kit::config::load()?;
            let telemetry = hotline_telemetry::init($krate::SERVICE, &config.common.telemetry)?;
            if let Some(replayed) =
                hotline_service_kit::replay::command(args, $schemas, &config.common).await
            {
                telemetry.shutdown();
                return Ok(replayed?);
            }
            let running =
                $krate::start(config, hotline_service_kit::shutdown::on_signals()).await?;
            running.wait().await;
            telemetry.shutdown();
            Ok(())
        }};
    }
    use hotline_emergency_bridge as bridge;
    match service {
        "intake" => run!(
            hotline_intake,
            hotline_intake::IntakeConfig,
            &[hotline_intake::SCHEMA]
        ),
        "router" => run!(
            hotline_router,
            hotline_router::RouterConfig,
            &[hotline_router::SCHEMA]
        ),
        "deadline-watcher" => run!(
            hotline_deadline_watcher,
            hotline_deadline_watcher::DeadlineWatcherConfig,
            &[hotline_deadline_watcher::SCHEMA]
        ),
        "supervision" => run!(
            hotline_supervision,
            hotline_supervision::SupervisionConfig,
            &[hotline_supervision::SCHEMA]
        ),
        "analytics" => run!(
            hotline_analytics,
            hotline_analytics::AnalyticsConfig,
            &[hotline_analytics::SCHEMA]
        ),
        "knowledge" => run!(
            hotline_knowledge,
            hotline_knowledge::KnowledgeConfig,
            &[hotline_knowledge::SCHEMA]
        ),
        "emergency-bridge" => run!(
            hotline_emergency_bridge,
            bridge::EmergencyBridgeConfig,
            &[bridge::SCHEMA, bridge::LANE_SCHEMA]
        ),
        "gateway" => run!(
            hotline_gateway,
            hotline_gateway::GatewayConfig,
            &[hotline_gateway::SCHEMA]
        ),
        other => anyhow::bail!("unknown service {other:?}"),
    }
}

fn main() -> std::process::ExitCode {
    let services = tokio::runtime::Runtime::new().expect("the services' runtime");
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [command, name, rest @ ..] = args.as_slice()
        && (command == "serve" && rest.is_empty() || command == "replay-outbox")
    {
        let args: Vec<String> = match command.as_str() {
            "serve" => Vec::new(),
            _ => std::iter::once(command.clone())
                .chain(rest.iter().cloned())
                .collect(),
        };
        return match services.block_on(service(name, &args)) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{name}: {error:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let config = match args.split_first() {
        Some((command, rest)) if command == "load" => match parse(rest) {
            Ok(config) => config,
            Err(message) => {
                eprintln!("{message}");
                return std::process::ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    let stack = services.block_on(Stack::start_for_load(&config));
    // The load client drives the services from its own scheduler, as a client on another
    // machine would: its tasks (sending, timing, the simulated units) do not queue in the
    // services' run queue, so a stage's latency is not the client's own wait to be polled.
    let drive = async {
        let target = stack.target().await;
        run(&target, &config).await
    };
    let report = match client_threads() {
        0 => services.block_on(drive),
        threads => {
            let client = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("load-client")
                .enable_all()
                .build()
                .expect("the load client's runtime");
            let report = client.block_on(drive);
            client.shutdown_background();
            report
        }
    };
    print!("{}", report.render(&config));
    services.block_on(stack.stop());
    if report.violations.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

/// The load client's worker threads: `HOTLINE_LOAD_CLIENT_THREADS`, 1 by default; 0 runs
/// the client on the services' runtime (as before, for A/B runs).
fn client_threads() -> usize {
    std::env::var("HOTLINE_LOAD_CLIENT_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &str) -> Vec<String> {
        a.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_mix_is_off_by_default_and_each_share_is_between_0_and_1() {
        let plain = parse(&[]).expect("defaults");
        assert_eq!(
            (plain.disputes, plain.send_backs, plain.transfers),
            (0.0, 0.0, 0.0)
        );
        let mix = parse(&args("--disputes 0.05 --send-backs 0.1 --transfers 0.02")).expect("mix");
        assert_eq!(
            (mix.disputes, mix.send_backs, mix.transfers),
            (0.05, 0.1, 0.02)
        );
        assert!(mix.people_review());
        for bad in [
            "--disputes 1.5",
            "--send-backs -0.1",
            "--transfers x",
            "--disputes",
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad}");
        }
    }
}
