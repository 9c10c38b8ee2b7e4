//! The emergency-bridge binary: load config, start telemetry, run until SIGTERM/SIGINT.
//!
//! `hotline-emergency-bridge simulate-partner --code 110 --mode accept|reject|delay:<secs>|silent`
//! instead runs a simulated partner hotline against the configured NATS (and namespace)
//! until interrupted (docs/partners.md).
//!
//! `hotline-emergency-bridge partner-ask-status --code 12315 (--transfer-id <id> | --order-number <n>)`
//! asks where an order stands as that partner and prints the answer;
//! `hotline-emergency-bridge partner-joint-step --code 110 --order-number <n> --text <t> [--actor <a>]`
//! reports a joint-handling step as that partner (A8).
//!
//! `replay-outbox [--since RFC3339]` marks the outbox's published events for publishing
//! again (after a lost JetStream store; docs/operations.md) and exits.

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: hotline_emergency_bridge::EmergencyBridgeConfig =
        hotline_service_kit::config::load()?;
    let telemetry =
        hotline_telemetry::init(hotline_emergency_bridge::SERVICE, &config.common.telemetry)?;
    // The runbook's `replay-outbox [--since T]` (docs/operations.md): mark published events
    // for publishing again after a lost JetStream store, and exit.
    let all_args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(replayed) = hotline_service_kit::replay::command(
        &all_args,
        &[
            hotline_emergency_bridge::SCHEMA,
            hotline_emergency_bridge::LANE_SCHEMA,
        ],
        &config.common,
    )
    .await
    {
        telemetry.shutdown();
        return Ok(replayed?);
    }
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
        Some(command @ ("partner-ask-status" | "partner-joint-step")) => {
            let flag = |name: &str| args.windows(2).find(|w| w[0] == name).map(|w| w[1].clone());
            let code = flag("--code").context("--code <partner code> is required")?;
            let ns = hotline_contract::Namespace::new(config.common.namespace.clone())?;
            let client = async_nats::connect(&config.common.nats.url)
                .await
                .context("connect to NATS")?;
            let id = uuid::Uuid::now_v7().to_string();
            let now = chrono::Utc::now();
            if command == "partner-ask-status" {
                let request = hotline_contract::transfer::PartnerStatusRequested {
                    request_id: id,
                    partner_code: code,
                    partner_transfer_id: flag("--transfer-id"),
                    order_number: flag("--order-number"),
                    requested_at: now,
                };
                let wait = std::time::Duration::from_secs(10);
                match hotline_emergency_bridge::simulator::ask_status(&client, &ns, request, wait)
                    .await
                    .map_err(|e| anyhow::anyhow!("ask: {e}"))?
                {
                    Some((ty, data)) => println!("{ty}\n{}", serde_json::to_string_pretty(&data)?),
                    None => anyhow::bail!("no answer within {wait:?}"),
                }
            } else {
                let step = hotline_contract::joint::PartnerJointStep {
                    step_id: id,
                    partner_code: code.clone(),
                    order_number: flag("--order-number").context("--order-number is required")?,
                    text: flag("--text").context("--text is required")?,
                    actor: flag("--actor").unwrap_or_else(|| format!("{code} 值班员")),
                    at: now,
                };
                hotline_emergency_bridge::simulator::send_joint_step(&client, &ns, step)
                    .await
                    .map_err(|e| anyhow::anyhow!("publish: {e}"))?;
                println!("step sent");
            }
        }
        Some(other) => anyhow::bail!(
            "unknown command {other:?}; usage: hotline-emergency-bridge [simulate-partner --code <code> --mode accept|reject|delay:<secs>|silent | partner-ask-status --code <code> (--transfer-id <id> | --order-number <n>) | partner-joint-step --code <code> --order-number <n> --text <text> [--actor <name>]]"
        ),
    }
    telemetry.shutdown();
    Ok(())
}
