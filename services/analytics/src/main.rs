//! The analytics binary: load config, start telemetry, run until SIGTERM/SIGINT.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_analytics::AnalyticsConfig = hotline_service_kit::config::load()?;
    let telemetry = hotline_telemetry::init(hotline_analytics::SERVICE, &config.common.telemetry)?;
    let shutdown = hotline_service_kit::shutdown::on_signals();
    let running = hotline_analytics::start(config, shutdown).await?;
    running.wait().await;
    telemetry.shutdown();
    Ok(())
}
