//! Analytics: a fact row per work order, built from the order events, for monitoring every
//! stage of handling (A20) and, later, the assessments and bulletins (A18).
//!
//! Flow: the [`handlers::Facts`] consumer (`analytics-facts`) follows `hotline.order.>`
//! and upserts [`store`]'s `order_facts` so that late or out-of-order events give the same
//! row; [`handlers::Signals`] (`analytics-signals`) adds the overdue verdicts and
//! supervision cases; [`api::summary`] serves `rpc.analytics.summary` and [`kpis::report`]
//! `rpc.analytics.kpis` (the KPIs of `docs/kpis.md`, pure arithmetic in [`domain::kpi`]).
//! Dynamic monitoring (A20): [`monitor::Monitor`] serves `rpc.analytics.monitor` (orders
//! at each stage now, stuck orders, today vs the same weekday last week; rules in
//! [`domain::monitor`]) and [`snapshot::KpiSnapshots`] publishes the KPIs of the day and
//! month every minute on `hotline.analytics.kpi.<slice>` through the outbox. Bulletins
//! (A18): [`bulletins::Bulletins`] makes the weekly to yearly bulletins on schedule and on
//! demand (`rpc.analytics.generate_bulletin`), renders them ([`render`]: HTML with inline
//! SVG charts, CSV), stores them immutable, serves `rpc.analytics.bulletins` and
//! `rpc.analytics.bulletin`, and publishes `hotline.analytics.bulletin.published`;
//! [`bulletins::Hotspots`] (`analytics-hotspots`) keeps supervision's hot-spot reports for
//! them. Staff assessment (A19): [`staff::assessment`] serves
//! `rpc.analytics.staff_assessment` per agent and reviewer id ([`domain::staff`]). Events
//! carry no personal data, so neither does anything here.

pub mod api;
pub mod bulletins;
pub mod config;
pub mod domain;
pub mod export;
pub mod fact_steps;
pub mod handlers;
pub mod kpis;
pub mod monitor;
pub mod rebuild;
pub mod render;
pub mod snapshot;
pub mod staff;
pub mod store;

use anyhow::Context;
use hotline_contract::rpc::verbs;
use hotline_contract::subjects::event;
use hotline_messaging::RpcServer;
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
    ctx.provision_hotline_stream()
        .await
        .context("provision the HOTLINE stream")?;
    let mut running = Running::for_context(&ctx, ops);

    running.spawn_outbox_relay(&ctx);

    running.spawn_consumer(
        &ctx,
        ctx.consumer("facts", &[event::ALL_ORDER]),
        handlers::Facts {
            calendar: hotline_workday::Calendar::official(),
        },
    );
    running.spawn_consumer(
        &ctx,
        ctx.consumer(
            "signals",
            &[
                event::DEADLINE_OVERDUE,
                event::SUPERVISION_CASE_OPENED,
                event::SUPERVISION_CASE_CLOSED,
            ],
        ),
        handlers::Signals,
    );
    running.spawn_consumer(
        &ctx,
        ctx.consumer("hotspots", &[event::SUPERVISION_HOTSPOT_REPORTED]),
        bulletins::Hotspots,
    );

    let mut rpc = RpcServer::start(&ctx.nats, SERVICE, &ctx.namespace, shutdown.clone()).await?;
    let pool = ctx.db.clone();
    rpc.endpoint(
        hotline_contract::rpc::verbs::ANALYTICS_SUMMARY.1,
        16,
        move |query, _trace| {
            let pool = pool.clone();
            async move { api::summary(&pool, query).await }
        },
    )
    .await?;
    let pool = ctx.db.clone();
    rpc.endpoint(
        hotline_contract::rpc::verbs::ANALYTICS_KPIS.1,
        16,
        move |query, _trace| {
            let pool = pool.clone();
            async move { kpis::report(&pool, query).await }
        },
    )
    .await?;
    let pool = ctx.db.clone();
    rpc.endpoint(
        verbs::ANALYTICS_STAFF_ASSESSMENT.1,
        8,
        move |query, _trace| {
            let pool = pool.clone();
            async move { staff::assessment(&pool, query).await }
        },
    )
    .await?;
    let monitor = monitor::Monitor {
        pool: ctx.db.clone(),
        calendar: hotline_workday::Calendar::official(),
        thresholds: config.monitor.thresholds(),
    };
    rpc.endpoint(
        hotline_contract::rpc::verbs::ANALYTICS_MONITOR.1,
        16,
        move |query, _trace| {
            let monitor = monitor.clone();
            async move { monitor.report(query, chrono::Utc::now()).await }
        },
    )
    .await?;
    let bulletins = bulletins::Bulletins {
        pool: ctx.db.clone(),
        outbox: ctx.outbox(),
        nats: ctx.nats.clone(),
        namespace: ctx.namespace.clone(),
        directory_timeout: std::time::Duration::from_secs(
            config.bulletins.directory_timeout_secs.max(1),
        ),
    };
    let b = bulletins.clone();
    rpc.endpoint(verbs::ANALYTICS_BULLETINS.1, 16, move |query, _trace| {
        let b = b.clone();
        async move { b.list(query).await }
    })
    .await?;
    let b = bulletins.clone();
    rpc.endpoint(verbs::ANALYTICS_BULLETIN.1, 16, move |query, _trace| {
        let b = b.clone();
        async move { b.document(query).await }
    })
    .await?;
    let b = bulletins.clone();
    rpc.endpoint(
        verbs::ANALYTICS_GENERATE_BULLETIN.1,
        4,
        move |request, _trace| {
            let b = b.clone();
            async move { b.on_demand(request, chrono::Utc::now()).await }
        },
    )
    .await?;
    running.spawn("rpc", rpc.wait());
    running.spawn(
        "bulletins",
        bulletins.run(config.bulletins.schedule(), shutdown.clone()),
    );

    running.spawn(
        "kpi-snapshots",
        snapshot::KpiSnapshots {
            pool: ctx.db.clone(),
            outbox: ctx.outbox(),
            slices: config.monitor.kpi_snapshot_slices.clone(),
            interval: std::time::Duration::from_secs(config.monitor.kpi_snapshot_interval_secs),
        }
        .run(shutdown.clone()),
    );

    tracing::info!(ops = %running.ops_addr(), "analytics ready");
    Ok(running)
}
