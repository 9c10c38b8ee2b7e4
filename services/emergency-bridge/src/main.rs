//! The emergency-bridge binary: load config, start telemetry, run until SIGTERM/SIGINT.
//!
//! `hotline-emergency-bridge simulate-partner --code 110 --mode accept|reject|delay:<secs>|silent`
//! instead runs a simulated partner hotline against the configured NATS (and namespace)
//! until interrupted (docs/partners.md).

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_emergency_bridge::EmergencyBridgeConfig =
        hotline_service_kit::config::load()?;
    let telemetry =
        hotline_telemetry::init(hotline_emergency_bridge::SERVICE, &config.common.telemetry)?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shutdown = hotline_service_kit::shutdown::on_signals();
    match args.first().map(String::as_str) {
        None => {
            let running = hotline_emergency_bridge::start(config, shutdown).await?;
            running.wait().await;
        }
        Some("simulate-partner") => {
            let flag = |name: &str| args.windows(2).find(|w| w[0] == name).map(|w| w[1].clone());
            let code = flag("--code").context("--code <partner code> is required")?;
            let mode: hotline_emergency_bridge::simulator::Mode = flag("--mode")
                .unwrap_or_else(|| "accept".to_owned())
                .parse()?;
            let ns = hotline_contract::Namespace::new(config.common.namespace.clone())?;
            let client = async_nats::connect(&config.common.nats.url)
                .await
                .context("connect to NATS")?;
            let task = hotline_emergency_bridge::simulator::start(
                client,
                ns,
                code.clone(),
                mode,
                None,
                shutdown.clone(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("subscribe: {e}"))?;
            tracing::info!(%code, ?mode, "partner simulator running");
            let _ = task.await;
        }
        Some(other) => anyhow::bail!(
            "unknown command {other:?}; usage: hotline-emergency-bridge [simulate-partner --code <code> --mode accept|reject|delay:<secs>|silent]"
        ),
    }
    telemetry.shutdown();
    Ok(())
}
