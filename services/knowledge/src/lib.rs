//! Knowledge: the knowledge base (A22) that agents answer consultations from at once (A9)
//! and the public searches.
//!
//! For now the service starts, migrates its schema (`articles`, versioned) and reports
//! ready; authoring, review, publication (`kb.article_published`) and search come next.

pub mod config;

use anyhow::Context;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::KnowledgeConfig;

/// The service's name (NATS client, event source).
pub const SERVICE: &str = "knowledge";
/// The service's Postgres schema.
pub const SCHEMA: &str = "knowledge";
/// The service's own migrations (the messaging tables come from `hotline-messaging`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start knowledge; it runs until `shutdown` is cancelled.
pub async fn start(
    config: KnowledgeConfig,
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
    tracing::info!(ops = %running.ops_addr(), "knowledge ready");
    Ok(running)
}
