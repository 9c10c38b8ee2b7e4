//! The intake service binary: load config, start telemetry, run until SIGTERM/SIGINT.
//!
//! `hotline-intake rotate-keys [BATCH]` instead re-encrypts the personal data under the
//! active vault key and exits (A21; see [`hotline_intake::rotate_keys`]).
//!
//! `replay-outbox [--since RFC3339]` marks the outbox's published events for publishing
//! again (after a lost JetStream store; docs/operations.md) and exits.

/// The services' allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: hotline_service_kit::Allocator = hotline_service_kit::Allocator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_intake::IntakeConfig = hotline_service_kit::config::load()?;
    let telemetry = hotline_telemetry::init(hotline_intake::SERVICE, &config.common.telemetry)?;
    // The runbook's `replay-outbox [--since T]` (docs/operations.md): mark published events
    // for publishing again after a lost JetStream store, and exit.
    let all_args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(replayed) =
        hotline_service_kit::replay::command(&all_args, &[hotline_intake::SCHEMA], &config.common)
            .await
    {
        telemetry.shutdown();
        return Ok(replayed?);
    }
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        None => {
            let shutdown = hotline_service_kit::shutdown::on_signals();
            let running = hotline_intake::start(config, shutdown).await?;
            running.wait().await;
        }
        Some("rotate-keys") => {
            let batch = match args.next() {
                None => 500,
                Some(n) => n
                    .parse()
                    .map_err(|_| anyhow::anyhow!("BATCH must be a whole number, got {n:?}"))?,
            };
            let report = hotline_intake::rotate_keys(&config, batch).await?;
            tracing::info!(
                rows = report.rows,
                batches = report.batches,
                "vault keys rotated"
            );
        }
        Some(other) => {
            anyhow::bail!("unknown command {other:?}; usage: hotline-intake [rotate-keys [BATCH]]")
        }
    }
    telemetry.shutdown();
    Ok(())
}
