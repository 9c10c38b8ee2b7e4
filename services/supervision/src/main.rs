//! The supervision binary: load config, start telemetry, run until SIGTERM/SIGINT.
//!
//! `hotline-supervision verify-trail` instead recomputes the trail's hash chain and exits,
//! non-zero naming the first broken row if it was tampered with (A23; see
//! [`hotline_supervision::verify_trail`]).
//!
//! `replay-outbox [--since RFC3339]` marks the outbox's published events for publishing
//! again (after a lost JetStream store; docs/operations.md) and exits.

/// The services' allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: hotline_service_kit::Allocator = hotline_service_kit::Allocator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_supervision::SupervisionConfig = hotline_service_kit::config::load()?;
    let telemetry =
        hotline_telemetry::init(hotline_supervision::SERVICE, &config.common.telemetry)?;
    // The runbook's `replay-outbox [--since T]` (docs/operations.md): mark published events
    // for publishing again after a lost JetStream store, and exit.
    let all_args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(replayed) = hotline_service_kit::replay::command(
        &all_args,
        &[hotline_supervision::SCHEMA],
        &config.common,
    )
    .await
    {
        telemetry.shutdown();
        return Ok(replayed?);
    }
    match std::env::args().nth(1).as_deref() {
        None => {
            let shutdown = hotline_service_kit::shutdown::on_signals();
            let running = hotline_supervision::start(config, shutdown).await?;
            running.wait().await;
        }
        Some("verify-trail") => {
            let rows = hotline_supervision::verify_trail(&config).await?;
            tracing::info!(rows, "supervision trail verified");
        }
        Some(other) => {
            anyhow::bail!("unknown command {other:?}; usage: hotline-supervision [verify-trail]")
        }
    }
    telemetry.shutdown();
    Ok(())
}
