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
//! `hotline-emergency-bridge partner-keygen` prints a new key pair for a partner (the
//! secret goes to the partner only); `partner-set-key <code> <public-key-base64>` stores a
//! partner's public key in the registry, to which emergencies' caller contacts are sealed
//! (A21). `simulate-partner --key-file <path>` (or `HOTLINE_PARTNER_SECRET_KEY`) opens them.
//!
//! `replay-outbox [--since RFC3339]` marks the outbox's published events for publishing
//! again (after a lost JetStream store; docs/operations.md) and exits.

/// The services' allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: hotline_service_kit::Allocator = hotline_service_kit::Allocator;

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
        Some("partner-keygen") => {
            let (secret, public) = hotline_emergency_bridge::disclosure::keygen();
            println!("public_key={public}\nsecret_key={secret}");
            eprintln!(
                "Register the public key with `partner-set-key <code> <public_key>`; give the secret key to the partner only."
            );
        }
        Some("partner-set-key") => {
            let (Some(code), Some(key)) = (args.get(1), args.get(2)) else {
                anyhow::bail!("usage: partner-set-key <code> <public-key-base64>");
            };
            hotline_emergency_bridge::disclosure::parse_public_key(key)?;
            let pool = hotline_service_kit::db::connect(
                &config.common.database,
                hotline_emergency_bridge::SCHEMA,
            )
            .await
            .context("connect to the database")?;
            if !hotline_emergency_bridge::store::set_partner_key(&pool, code, key.trim()).await? {
                anyhow::bail!("no partner {code:?} in the registry");
            }
            println!("public key of partner {code} set");
        }
        Some("simulate-partner") => {
            let flag = |name: &str| args.windows(2).find(|w| w[0] == name).map(|w| w[1].clone());
            let code = flag("--code").context("--code <partner code> is required")?;
            let mode: hotline_emergency_bridge::simulator::Mode = flag("--mode")
                .unwrap_or_else(|| "accept".to_owned())
                .parse()?;
            let secret_key = match flag("--key-file") {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("read the key file {path}"))?,
                ),
                None => std::env::var("HOTLINE_PARTNER_SECRET_KEY").ok(),
            }
            .map(|k| hotline_emergency_bridge::disclosure::parse_secret_key(&k))
            .transpose()?;
            let ns = hotline_contract::Namespace::new(config.common.namespace.clone())?;
            let client = async_nats::connect(&config.common.nats.url)
                .await
                .context("connect to NATS")?;
            let joint_ack = match flag("--joint").as_deref() {
                None | Some("ignore") => false,
                Some("ack") => true,
                Some(other) => anyhow::bail!("--joint must be ack or ignore (got {other:?})"),
            };
            let send_every = flag("--send-every")
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite() && *n > 0.0)
                        .map(std::time::Duration::from_secs_f64)
                        .with_context(|| format!("--send-every must be seconds > 0 (got {v:?})"))
                })
                .transpose()?;
            let options = hotline_emergency_bridge::simulator::Options {
                mode,
                secret_key,
                joint_ack,
                send_every,
                ..Default::default()
            };
            let task = hotline_emergency_bridge::simulator::start_with(
                client,
                ns,
                code.clone(),
                options,
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
            "unknown command {other:?}; usage: hotline-emergency-bridge [simulate-partner --code <code> --mode accept|reject|delay:<secs>|silent [--key-file <path>] [--joint ack|ignore] [--send-every <secs>] | partner-keygen | partner-set-key <code> <public-key-base64> | partner-ask-status --code <code> (--transfer-id <id> | --order-number <n>) | partner-joint-step --code <code> --order-number <n> --text <text> [--actor <name>]]"
        ),
    }
    telemetry.shutdown();
    Ok(())
}
