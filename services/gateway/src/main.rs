//! The gateway binary: load config, start telemetry, serve until SIGTERM/SIGINT.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_gateway::GatewayConfig = hotline_service_kit::config::load()?;
    let telemetry = hotline_telemetry::init(hotline_gateway::SERVICE, &config.common.telemetry)?;
    let shutdown = hotline_service_kit::shutdown::on_signals();
    let running = hotline_gateway::start(config, shutdown).await?;
    running.wait().await;
    telemetry.shutdown();
    Ok(())
}
