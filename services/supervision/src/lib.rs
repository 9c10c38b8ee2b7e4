//! Supervision: reviews the results units submit and closes orders (A16); later also
//! supervises late, poor or refusing units and escalates (A17).
//!
//! Flow now: the [`handlers::Reviews`] consumer (`supervision-review`) follows
//! `order.result_submitted`. The completeness check in [`domain::review`] accepts a
//! complete result and queues `order.closed` in the same transaction as the review; an
//! incomplete result waits for a reviewer (the reviewers' console and send-back come with
//! issue 7). The outbox relay publishes what the handlers queue.

pub mod config;
pub mod domain;
pub mod handlers;
pub mod store;

use anyhow::Context;
use hotline_contract::subjects::event;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::SupervisionConfig;

/// The service's name (NATS client, durable consumer prefix, event source).
pub const SERVICE: &str = "supervision";
/// The service's Postgres schema.
pub const SCHEMA: &str = "supervision";
/// The service's own migrations (the messaging tables come from `hotline-messaging`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start supervision; it runs until `shutdown` is cancelled.
pub async fn start(
    config: SupervisionConfig,
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
    let mut running = Running::for_context(&ctx, ops);

    let outbox = ctx.outbox();
    running.spawn_outbox_relay(&ctx);

    running.spawn_consumer(
        &ctx,
        ctx.consumer("review", &[event::ORDER_RESULT_SUBMITTED]),
        handlers::Reviews::new(outbox),
    );

    tracing::info!(ops = %running.ops_addr(), "supervision ready");
    Ok(running)
}
