//! The analytics binary: load config, start telemetry, run until SIGTERM/SIGINT.
//!
//! `replay-outbox [--since RFC3339]` marks the outbox's published events for publishing
//! again (after a lost JetStream store; docs/operations.md) and exits.
//!
//! `rebuild` empties the projection and deletes its consumers, so the next start projects
//! the whole stream again (run with the service scaled to zero; see
//! [`hotline_analytics::rebuild`]).
//!
//! `export --format csv|parquet [--from DATE] [--to DATE] --out FILE` writes the PII-free facts for
//! analysts (A20; [`hotline_analytics::export`]) and exits.

/// The services' allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: hotline_service_kit::Allocator = hotline_service_kit::Allocator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_analytics::AnalyticsConfig = hotline_service_kit::config::load()?;
    let telemetry = hotline_telemetry::init(hotline_analytics::SERVICE, &config.common.telemetry)?;
    // The runbook's `replay-outbox [--since T]` (docs/operations.md): mark published events
    // for publishing again after a lost JetStream store, and exit.
    let all_args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(replayed) = hotline_service_kit::replay::command(
        &all_args,
        &[hotline_analytics::SCHEMA],
        &config.common,
    )
    .await
    {
        telemetry.shutdown();
        return Ok(replayed?);
    }
    if all_args.first().map(String::as_str) == Some("rebuild") {
        let report = hotline_analytics::rebuild::rebuild(&config).await?;
        println!(
            "analytics projection emptied: {} events to apply again, {} consumers deleted; start the service to rebuild",
            report.inbox_rows, report.consumers_deleted
        );
        telemetry.shutdown();
        return Ok(());
    }
    if all_args.first().map(String::as_str) == Some("export") {
        let args = hotline_analytics::export::parse(&all_args[1..])
            .map_err(|e| anyhow::anyhow!("export: {e}"))?;
        let pool =
            hotline_service_kit::db::connect(&config.common.database, hotline_analytics::SCHEMA)
                .await?;
        let rows = hotline_analytics::export::export(&pool, &args).await?;
        println!("{rows} orders written to {}", args.out.display());
        pool.close().await;
        telemetry.shutdown();
        return Ok(());
    }
    let shutdown = hotline_service_kit::shutdown::on_signals();
    let running = hotline_analytics::start(config, shutdown).await?;
    running.wait().await;
    telemetry.shutdown();
    Ok(())
}
