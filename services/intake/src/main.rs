//! The intake service binary: load config, start telemetry, run until SIGTERM/SIGINT.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_intake::IntakeConfig = hotline_service_kit::config::load()?;
    let telemetry = hotline_telemetry::init(hotline_intake::SERVICE, &config.common.telemetry)?;
    let shutdown = hotline_service_kit::shutdown::on_signals();
    let running = hotline_intake::start(config, shutdown).await?;
    running.wait().await;
    telemetry.shutdown();
    Ok(())
}
