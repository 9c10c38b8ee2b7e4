//! Emergency bridge: transfers emergencies and utility matters to 110/119/120/122 and the
//! utility hotlines (A10), and passes orders both ways with sub-center hotlines (A8).
//!
//! For now the service starts, migrates its schema (the `partners` registry, seeded with
//! 110, 119, 120 and 122) and reports ready; transfers out, partner acknowledgements,
//! timeouts and the fallback to an agent come next.

pub mod config;

use anyhow::Context;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::EmergencyBridgeConfig;

/// The service's name (NATS client, event source).
pub const SERVICE: &str = "emergency-bridge";
/// The service's Postgres schema.
pub const SCHEMA: &str = "emergency_bridge";
/// The service's own migrations (the messaging tables come from `hotline-messaging`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start the emergency bridge; it runs until `shutdown` is cancelled.
pub async fn start(
    config: EmergencyBridgeConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    let (ctx, ops) = bootstrap::start(
        SERVICE,
        SCHEMA,
        &config.common,
        &[&MIGRATOR],
        shutdown.clone(),
    )
    .await
    .context("bootstrap")?;
    ctx.provision_hotline_stream()
        .await
        .context("provision the HOTLINE stream")?;
    let running = Running::for_context(&ctx, ops);
    tracing::info!(ops = %running.ops_addr(), "emergency-bridge ready");
    Ok(running)
}
