//! Analytics: a fact row per work order, built from the order events, for monitoring every
//! stage of handling (A20) and, later, the assessments and bulletins (A18).
//!
//! Flow: the [`handlers::Facts`] consumer (`analytics-facts`) follows `hotline.order.>`
//! and upserts [`store`]'s `order_facts` so that late or out-of-order events give the same
//! row; [`api::summary`] serves `rpc.analytics.summary`. Events carry no personal data, so
//! neither does anything here. Analytics publishes no facts of its own yet; its outbox
//! carries the dead-letter notices of its consumer, so the relay runs all the same.

pub mod api;
pub mod config;
pub mod handlers;
pub mod store;

use std::sync::Arc;

use anyhow::Context;
use hotline_contract::subjects::{self, event};
use hotline_messaging::{
    ConsumerConfig, ConsumerSpec, OutboxRelay, RelayConfig, RpcServer, run_consumer,
};
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::AnalyticsConfig;

/// The service's name (NATS client, durable consumer prefix, rpc service).
pub const SERVICE: &str = "analytics";
/// The service's Postgres schema.
pub const SCHEMA: &str = "analytics";
/// The service's own migrations (the messaging tables come from `hotline-messaging`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start analytics; it runs until `shutdown` is cancelled.
pub async fn start(
    config: AnalyticsConfig,
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

    let relay = OutboxRelay::new(
        ctx.db.clone(),
        ctx.jetstream.clone(),
        SCHEMA,
        RelayConfig::default(),
    );
    running.spawn("outbox-relay", relay.run(shutdown.clone()));

    let facts = ConsumerConfig::new(
        SERVICE,
        SCHEMA,
        ns.clone(),
        stream.name.clone(),
        ConsumerSpec::new(
            subjects::durable_name(SERVICE, "facts"),
            vec![ns.subject(event::ALL_ORDER)],
        ),
    );
    running.spawn(
        "facts",
        run_consumer(
            ctx.jetstream.clone(),
            ctx.db.clone(),
            facts,
            Arc::new(handlers::Facts),
            shutdown.clone(),
        ),
    );

    let mut rpc = RpcServer::start(&ctx.nats, SERVICE, &ns, shutdown.clone()).await?;
    let pool = ctx.db.clone();
    rpc.endpoint(api::SUMMARY.1, 16, move |query, _trace| {
        let pool = pool.clone();
        async move { api::summary(&pool, query).await }
    })
    .await?;
    running.spawn("rpc", rpc.wait());

    tracing::info!(ops = %running.ops_addr(), "analytics ready");
    Ok(running)
}
