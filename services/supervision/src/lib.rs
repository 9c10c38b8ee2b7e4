//! Supervision: reviews the results units submit and closes orders (A16); later also
//! supervises late, poor or refusing units and escalates (A17).
//!
//! Flow: the [`handlers::Reviews`] consumer (`supervision-review`) follows
//! `order.result_submitted`. The completeness check in [`domain::review`] accepts a
//! complete result and queues `order.closed` in the same transaction as the review; an
//! incomplete result waits for a reviewer. Reviewers work from the queue, record their
//! checklist and the call-back to the requester ([`review_desk`]), then accept (every item
//! passed; the order is closed and [`archive`]d) or propose a send-back citing the failed
//! items, which the center's head approves ([`desk`], A16). [`handlers::Cases`]
//! (`supervision-cases`) opens cases on overdue clocks and improper disputes and escalates
//! them along the ladder when the rectification is late ([`cases`], A17); an unsatisfied
//! requester with poor handling opens one too. [`handlers::Reminders`]
//! (`supervision-reminders`) notifies units of time limits about to pass through a
//! [`notify::NotificationChannel`] (A17). [`hotspots::Hotspots`] (`supervision-hotspots`)
//! reports the hot spots intake detects to the government of the same level (A17.4).
//! Every decision goes on the hash-chained [`trail`]
//! (A23). The outbox relay publishes what the handlers queue. See `docs/supervision.md`.

pub mod archive;
pub mod case_list;
pub mod cases;
pub mod config;
pub mod desk;
pub mod domain;
pub mod handlers;
pub mod hotspots;
pub mod notify;
pub mod review_batch;
pub mod review_desk;
pub mod store;
pub mod trail;

use anyhow::Context;
use hotline_contract::rpc::verbs;
use hotline_contract::subjects::event;
use hotline_messaging::RpcServer;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::SupervisionConfig;

/// The service's name (NATS client, durable consumer prefix, event source).
pub const SERVICE: &str = "supervision";
/// The service's Postgres schema.
pub const SCHEMA: &str = "supervision";
/// Requests served at once per endpoint.
const RPC_CONCURRENCY: usize = 16;
/// The service's own migrations (the messaging tables come from `hotline-messaging`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The ops command `hotline-supervision verify-trail` (A23, `docs/supervision.md`):
/// recompute the trail's hash chain; the number of rows verified, or an error naming the
/// first broken row.
pub async fn verify_trail(config: &SupervisionConfig) -> anyhow::Result<i64> {
    let pool = hotline_service_kit::db::connect(&config.common.database, SCHEMA)
        .await
        .context("connect to the database")?;
    let verified = trail::verify(&pool).await;
    pool.close().await;
    verified.context("the supervision trail does not verify")
}

/// A consumer of supervision's: one lane per trail strand, whatever `consumer_lanes` says.
/// A lane's batch then appends to one strand and locks one head; with fewer lanes a batch
/// would lock several heads in the order of its events, and two consumers' batches could
/// lock the same two in opposite orders (a deadlock, which PostgreSQL breaks only after a
/// second). See [`trail`].
fn trail_consumer(
    ctx: &hotline_service_kit::bootstrap::ServiceContext,
    purpose: &str,
    subjects: &[&str],
) -> hotline_messaging::ConsumerConfig {
    let mut config = ctx.consumer(purpose, subjects);
    config.lanes = trail::STRANDS;
    config
}

/// Start supervision; it runs until `shutdown` is cancelled. Units are notified through
/// the log ([`notify::LoggingChannel`]) until an SMS or webhook channel exists.
pub async fn start(
    config: SupervisionConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    start_with_channel(config, shutdown, notify::LoggingChannel).await
}

/// Start supervision notifying units through `channel`.
pub async fn start_with_channel<C: notify::NotificationChannel + Clone>(
    config: SupervisionConfig,
    shutdown: CancellationToken,
    channel: C,
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
        trail_consumer(&ctx, "review", &[event::ORDER_RESULT_SUBMITTED]),
        handlers::Reviews::new(outbox.clone(), config.supervision.auto_accept_complete),
    );
    running.spawn_consumer(
        &ctx,
        trail_consumer(
            &ctx,
            "cases",
            &[
                event::DEADLINE_OVERDUE,
                event::ORDER_DISPUTE_MARKED_IMPROPER,
            ],
        ),
        handlers::Cases::new(outbox.clone(), config.supervision.ladder.clone()),
    );
    running.spawn_consumer(
        &ctx,
        trail_consumer(
            &ctx,
            "orders",
            &[
                event::ORDER_DISPATCHED,
                event::ORDER_DISPUTED,
                event::ORDER_REDISPATCHED,
                event::ORDER_CONSULTATION_OPENED,
            ],
        ),
        handlers::Orders::new(outbox.clone()),
    );
    running.spawn_consumer(
        &ctx,
        trail_consumer(&ctx, "hotspots", &[event::HOTSPOT_DETECTED]),
        hotspots::Hotspots::new(outbox.clone()),
    );
    running.spawn_consumer(
        &ctx,
        trail_consumer(&ctx, "reminders", &[event::DEADLINE_REMINDER]),
        handlers::Reminders::new(outbox.clone(), channel),
    );

    let desk = desk::Desk {
        pool: ctx.db.clone(),
        outbox,
    };
    let mut rpc = RpcServer::start(&ctx.nats, SERVICE, &ctx.namespace, shutdown.clone()).await?;
    macro_rules! serve {
        ($verb:expr, $method:ident) => {{
            let desk = desk.clone();
            rpc.endpoint($verb.1, RPC_CONCURRENCY, move |command, trace| {
                let desk = desk.clone();
                async move { desk.$method(command, &trace).await }
            })
            .await?;
        }};
    }
    serve!(verbs::SUPERVISION_ACCEPT_RESULT, accept_result);
    serve!(verbs::SUPERVISION_PROPOSE_SEND_BACK, propose_send_back);
    serve!(verbs::SUPERVISION_APPROVE_SEND_BACK, approve_send_back);
    serve!(verbs::SUPERVISION_OPEN_CASE, open_case);
    serve!(
        verbs::SUPERVISION_REPORT_RECTIFICATION,
        report_rectification
    );
    serve!(verbs::SUPERVISION_CLOSE_CASE, close_case);
    serve!(verbs::SUPERVISION_REVIEW_QUEUE, review_queue);
    serve!(verbs::SUPERVISION_RECORD_CHECKLIST, record_checklist);
    serve!(verbs::SUPERVISION_RECORD_CALL_BACK, record_call_back);
    serve!(verbs::SUPERVISION_ARCHIVE, archive);
    serve!(verbs::SUPERVISION_HOTSPOTS, hotspots);
    serve!(verbs::SUPERVISION_HOTSPOT, hotspot);
    serve!(verbs::SUPERVISION_CASES, cases);
    running.spawn("rpc", rpc.wait());

    tracing::info!(ops = %running.ops_addr(), "supervision ready");
    Ok(running)
}
