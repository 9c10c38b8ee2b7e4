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

use std::sync::Arc;

use anyhow::Context;
use hotline_contract::subjects::{self, event};
use hotline_messaging::{
    ConsumerConfig, ConsumerSpec, Outbox, OutboxRelay, RelayConfig, run_consumer,
};
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
    let ns = ctx.namespace.clone();
    let stream = subjects::hotline_stream(&ns, config.common.stream_replicas);
    hotline_messaging::ensure_stream(&ctx.jetstream, &stream)
        .await
        .context("provision the HOTLINE stream")?;
    let mut running = Running::new(SERVICE, ops);

    let outbox = Outbox::new(SERVICE, SCHEMA, ns.clone());
    let relay = OutboxRelay::new(
        ctx.db.clone(),
        ctx.jetstream.clone(),
        SCHEMA,
        RelayConfig::default(),
    );
    running.spawn("outbox-relay", relay.run(shutdown.clone()));

    let review = ConsumerConfig::new(
        SERVICE,
        SCHEMA,
        ns.clone(),
        stream.name.clone(),
        ConsumerSpec::new(
            subjects::durable_name(SERVICE, "review"),
            vec![ns.subject(event::ORDER_RESULT_SUBMITTED)],
        ),
    );
    running.spawn(
        "review",
        run_consumer(
            ctx.jetstream.clone(),
            ctx.db.clone(),
            review,
            Arc::new(handlers::Reviews::new(outbox)),
            shutdown.clone(),
        ),
    );

    tracing::info!(ops = %running.ops_addr(), "supervision ready");
    Ok(running)
}
