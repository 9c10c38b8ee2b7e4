//! `hotlinectl`: operator-side tools that drive the whole system (issue 12).
//!
//! ```sh
//! cargo run --release -p hotline-e2e --bin hotlinectl -- load --rate 150 --duration 60
//! cargo run --release -p hotline-e2e --bin hotlinectl -- load --rate 0 --concurrency 128 --duration 30
//! ```
//!
//! `load` starts every service in this process on a real nats-server and PostgreSQL (as the
//! end-to-end harness does, per-client rate limits off), runs [`hotline_e2e::load::run`] and
//! prints the report; it exits non-zero if an invariant broke (an accepted order lost or
//! doubled). Options: `--rate N` (per second; 0 = as fast as `--concurrency` allows),
//! `--duration SECS`, `--concurrency N`, `--lifecycle SHARE` (0..1 of dispatched orders the
//! units sign and answer), `--drain SECS`, `--raw-limits SECS` (0 skips the raw measurements).
//!
//! `serve <service>` runs one service from its `HOTLINE_*` environment, as its own binary
//! would: the fault harness (tests/e2e/faults.rs) starts each service this way as a child
//! process it can kill -9.

#![allow(clippy::expect_used)]

use std::time::Duration;

use hotline_e2e::Stack;
use hotline_e2e::load::{LoadConfig, run};

const USAGE: &str = "usage: hotlinectl load [--rate N] [--duration SECS] [--concurrency N] \
                     [--lifecycle SHARE] [--drain SECS] [--raw-limits SECS]\n       hotlinectl serve <service>";

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
        match flag.as_str() {
            "--rate" => config.rate = number("a whole number")? as u32,
            "--duration" => config.duration = Duration::from_secs_f64(number("seconds")?),
            "--concurrency" => config.concurrency = (number("a whole number")? as usize).max(1),
            "--lifecycle" => {
                let share = number("a share between 0 and 1")?;
                if share > 1.0 {
                    return Err(format!("--lifecycle: a share between 0 and 1, got {value}"));
                }
                config.lifecycle = share;
            }
            "--drain" => config.drain = Duration::from_secs_f64(number("seconds")?),
            "--raw-limits" => config.raw_limits = Duration::from_secs_f64(number("seconds")?),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(config)
}

/// Runs one service until SIGTERM/SIGINT, configured from the environment.
async fn serve(service: &str) -> anyhow::Result<()> {
    macro_rules! run {
        ($krate:ident, $config:ty) => {{
            let config: $config = hotline_service_kit::config::load()?;
            let telemetry = hotline_telemetry::init($krate::SERVICE, &config.common.telemetry)?;
            let running =
                $krate::start(config, hotline_service_kit::shutdown::on_signals()).await?;
            running.wait().await;
            telemetry.shutdown();
            Ok(())
        }};
    }
    match service {
        "intake" => run!(hotline_intake, hotline_intake::IntakeConfig),
        "router" => run!(hotline_router, hotline_router::RouterConfig),
        "deadline-watcher" => run!(
            hotline_deadline_watcher,
            hotline_deadline_watcher::DeadlineWatcherConfig
        ),
        "supervision" => run!(hotline_supervision, hotline_supervision::SupervisionConfig),
        "analytics" => run!(hotline_analytics, hotline_analytics::AnalyticsConfig),
        "knowledge" => run!(hotline_knowledge, hotline_knowledge::KnowledgeConfig),
        "emergency-bridge" => run!(
            hotline_emergency_bridge,
            hotline_emergency_bridge::EmergencyBridgeConfig
        ),
        "gateway" => run!(hotline_gateway, hotline_gateway::GatewayConfig),
        other => anyhow::bail!("unknown service {other:?}"),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [command, service] = args.as_slice()
        && command == "serve"
    {
        return match serve(service).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{service}: {error:#}");
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
    let stack = Stack::start_with(|gateway| {
        gateway.gateway.submit_per_minute = 0;
        gateway.gateway.query_per_minute = 0;
    })
    .await;
    stack.wait_ready().await;
    let report = run(&stack.target().await, &config).await;
    print!("{}", report.render(&config));
    stack.stop().await;
    if report.violations.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
