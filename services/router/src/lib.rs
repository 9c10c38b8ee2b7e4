//! Router: sends every registered order to the unit whose duty it is (A9, A12), keeps the
//! directory of handling units (A5), and records what the unit does with it: signing for
//! it (A15) and submitting its result (A16).
//!
//! Flow: `order.registered` → [`handlers::Dispatcher`] (durable consumer
//! `router-dispatch`) decides the unit with [`domain::dispatch::decide`] from the rules
//! and units in the database, stores the assignment and queues `order.dispatched` in the
//! same transaction → the outbox relay publishes it (under load a batch of registrations
//! is dispatched with a few set-based statements, `dispatch_batch`). Units (through the gateway) call
//! `rpc.router.sign` and `rpc.router.submit_result` ([`api::UnitDesk`]), which lock the
//! assignment, check unit and state, store the step and queue `order.signed` /
//! `order.result_submitted`, again in one transaction.
//!
//! After the first dispatch, [`desk::Desk`] serves the units' and the center's steps
//! (issue 5, `docs/router.md`): disputes and redispatch (A13, escalated to the authority by
//! [`escalation`] when left open too long), co-handling units, interim progress,
//! extension and suspension requests (A14), the pre-dispatch consultation queue (A12),
//! the unit's own view of its orders, dispatch accuracy (A12). [`handlers::Returns`]
//! (`router-returns`) gives a sent-back order to the same unit again (A16).
//!
//! Rules and units are rows (A12: dispatch standards are data); [`seed`] writes the
//! governments of every division, the dispatch catalogue and the standard directory of
//! line departments with the rules the catalogue implies at start; [`directory::Directory`]
//! serves the directory import/export, the catalogue and run-time rule edits.

pub mod api;
pub mod config;
pub mod desk;
pub mod directory;
mod dispatch_batch;
pub mod domain;
pub mod escalation;
pub mod handlers;
pub mod seed;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hotline_contract::rpc::verbs;
use hotline_contract::subjects::event;
use hotline_messaging::RpcServer;
use hotline_reference::Regions;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::RouterConfig;

use crate::api::UnitDesk;
use crate::desk::Desk;
use crate::directory::Directory;
use crate::escalation::EscalationScan;
use crate::handlers::{Dispatcher, Returns};

/// The service name: NATS client name, service API name, outbox `source`.
pub const SERVICE: &str = "router";
/// The router's Postgres schema.
pub const SCHEMA: &str = "router";
/// The router's own migrations (the messaging tables are applied by the bootstrap).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Requests served at once per endpoint.
const RPC_CONCURRENCY: usize = 64;
/// Disputes escalated per transaction by the timeout scan.
const ESCALATION_BATCH: i64 = 200;

/// Start the router; it runs until `shutdown` is cancelled.
pub async fn start(config: RouterConfig, shutdown: CancellationToken) -> anyhow::Result<Running> {
    let regions = Arc::new(Regions::bundled().context("divisions data")?);

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

    // The directory must be in place before the first order is dispatched.
    let seeded = seed::run(&ctx.db, &regions, config.router.seed_directory)
        .await
        .context("seed the unit directory")?;
    tracing::info!(
        governments = seeded.governments,
        categories = seeded.categories,
        units_created = seeded.units_created,
        rules_created = seeded.rules_created,
        "unit directory seeded"
    );

    let mut running = Running::for_context(&ctx, ops);
    let outbox = ctx.outbox();
    running.spawn_outbox_relay(&ctx);

    running.spawn_consumer(
        &ctx,
        ctx.prompt_consumer("dispatch", &[event::ORDER_REGISTERED]),
        Dispatcher {
            outbox: outbox.clone(),
            regions: regions.clone(),
        },
    );
    running.spawn_consumer(
        &ctx,
        ctx.consumer("returns", &[event::ORDER_SENT_BACK]),
        Returns,
    );

    let desk = UnitDesk {
        pool: ctx.db.clone(),
        outbox,
    };
    let mut rpc = RpcServer::start(&ctx.nats, SERVICE, &ctx.namespace, shutdown.clone()).await?;
    let sign_desk = desk.clone();
    rpc.endpoint(
        verbs::ROUTER_SIGN.1,
        RPC_CONCURRENCY,
        move |command, trace| {
            let desk = sign_desk.clone();
            async move { desk.sign(command, &trace).await }
        },
    )
    .await?;
    let pool = ctx.db.clone();
    rpc.endpoint(
        verbs::ROUTER_RESULT_REPLY.1,
        RPC_CONCURRENCY,
        move |query, _trace| {
            let pool = pool.clone();
            async move { api::result_reply(&pool, query).await }
        },
    )
    .await?;
    rpc.endpoint(
        verbs::ROUTER_SUBMIT_RESULT.1,
        RPC_CONCURRENCY,
        move |command, trace| {
            let desk = desk.clone();
            async move { desk.submit_result(command, &trace).await }
        },
    )
    .await?;
    let desk = Desk {
        pool: ctx.db.clone(),
        outbox: ctx.outbox(),
    };
    // A desk command: `desk.method(command, &trace)`; a query: `desk.method(query)`.
    macro_rules! serve {
        ($verb:expr, $method:ident) => {{
            let desk = desk.clone();
            rpc.endpoint($verb.1, RPC_CONCURRENCY, move |command, trace| {
                let desk = desk.clone();
                async move { desk.$method(command, &trace).await }
            })
            .await?;
        }};
        ($verb:expr, $method:ident, query) => {{
            let desk = desk.clone();
            rpc.endpoint($verb.1, RPC_CONCURRENCY, move |query, _trace| {
                let desk = desk.clone();
                async move { desk.$method(query).await }
            })
            .await?;
        }};
    }
    serve!(verbs::ROUTER_DISPUTE, dispute);
    serve!(verbs::ROUTER_DECIDE_DISPUTE, decide_dispute);
    serve!(verbs::ROUTER_ESCALATE_DISPUTE, escalate_dispute);
    serve!(verbs::ROUTER_ASSIGN_CO_HANDLING, assign_co_handling);
    serve!(verbs::ROUTER_REPORT_CO_HANDLING, report_co_handling);
    serve!(verbs::ROUTER_REPORT_PROGRESS, report_progress);
    serve!(verbs::ROUTER_REQUEST_EXTENSION, request_extension);
    serve!(verbs::ROUTER_REQUEST_SUSPENSION, request_suspension);
    serve!(verbs::ROUTER_DECIDE_REQUEST, decide_request);
    serve!(verbs::ROUTER_RESUME, resume);
    serve!(verbs::ROUTER_INVITE, invite);
    serve!(verbs::ROUTER_RECORD_VIEW, record_view);
    serve!(verbs::ROUTER_DECIDE_CONSULTATION, decide_consultation);
    serve!(verbs::ROUTER_UNIT_ORDER, unit_order, query);
    serve!(verbs::ROUTER_UNIT_ORDERS, unit_orders, query);
    serve!(verbs::ROUTER_CONSULTATIONS, consultations, query);
    serve!(verbs::ROUTER_DISPATCH_ACCURACY, dispatch_accuracy, query);
    let directory = Directory {
        pool: ctx.db.clone(),
        regions,
    };
    macro_rules! serve_directory {
        ($verb:expr, $method:ident) => {{
            let directory = directory.clone();
            rpc.endpoint($verb.1, RPC_CONCURRENCY, move |body, _trace| {
                let directory = directory.clone();
                async move { directory.$method(body).await }
            })
            .await?;
        }};
    }
    serve_directory!(verbs::ROUTER_EXPORT_UNITS, export_units);
    serve_directory!(verbs::ROUTER_IMPORT_UNITS, import_units);
    serve_directory!(verbs::ROUTER_CATALOGUE, catalogue);
    serve_directory!(verbs::ROUTER_RULES, rules);
    serve_directory!(verbs::ROUTER_SAVE_RULE, save_rule);
    serve_directory!(verbs::ROUTER_RULE_HISTORY, rule_history);
    running.spawn("rpc", rpc.wait());

    let escalation = EscalationScan::new(
        ctx.db.clone(),
        ctx.outbox(),
        Duration::from_secs(config.router.dispute_escalation_after_secs),
        ESCALATION_BATCH,
    );
    running.spawn(
        "dispute-escalation",
        escalation.run(
            Duration::from_secs(config.router.dispute_scan_interval_secs.max(1)),
            shutdown.clone(),
        ),
    );

    tracing::info!("router ready");
    Ok(running)
}
