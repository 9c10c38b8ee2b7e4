//! The gateway binary: load config, start telemetry, serve until SIGTERM/SIGINT.
//!
//! `replay-outbox [--since RFC3339]` marks the outbox's published events for publishing
//! again (after a lost JetStream store; docs/operations.md) and exits.

/// The services' allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: hotline_service_kit::Allocator = hotline_service_kit::Allocator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_gateway::GatewayConfig = hotline_service_kit::config::load()?;
    let telemetry = hotline_telemetry::init(hotline_gateway::SERVICE, &config.common.telemetry)?;
    // The runbook's `replay-outbox [--since T]` (docs/operations.md): mark published events
    // for publishing again after a lost JetStream store, and exit.
    let all_args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(replayed) =
        hotline_service_kit::replay::command(&all_args, &[hotline_gateway::SCHEMA], &config.common)
            .await
    {
        telemetry.shutdown();
        return Ok(replayed?);
    }
    let shutdown = hotline_service_kit::shutdown::on_signals();
    let running = hotline_gateway::start(config, shutdown).await?;
    running.wait().await;
    telemetry.shutdown();
    Ok(())
}
