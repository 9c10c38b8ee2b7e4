//! Emergency bridge: transfers emergencies and utility matters to 110/119/120/122 and the
//! utility hotlines (A10.1), and passes orders both ways with sub-center hotlines (A8).
//!
//! - The partner registry (`emergency_bridge.partners`): code, kind, name, answer time
//!   limit, retries, fallback phone, subjects.
//! - Out: intake's `order.transfer_requested` → [`handlers::TransferRequests`] →
//!   `hotline.transfer.<code>.requested`; the partner answers on
//!   `partner.<code>.transfer.accepted|rejected` ([`handlers::PartnerAnswers`]); silence
//!   past the limit → [`timer`] re-sends, then alerts the agent on duty
//!   (`order.transfer_timed_out`, with the fallback phone).
//! - In: `partner.<code>.transfer.requested` → [`handlers::InboundTransfers`] → validated,
//!   deduplicated by the partner's id, registered through `rpc.intake.register_transfer`,
//!   answered on `hotline.transfer.<code>.accepted|rejected`.
//! - Status (A8): `partner.<code>.transfer.status_requested` → [`status::StatusRequests`]
//!   → the order's status (and, once closed, the unit's reply) on
//!   `hotline.transfer.<code>.status`, from the bridge's projection of the order lifecycle
//!   ([`status::OrderStages`]; why a projection: see [`status`]).
//! - Joint handling (A8): `rpc.emergency-bridge.start_joint_handling` and
//!   `rpc.emergency-bridge.joint_handling` ([`joint::JointDesk`]); the partner's steps on
//!   `partner.<code>.joint.step` ([`joint::PartnerSteps`]), ours forwarded from the
//!   lifecycle events.
//! - The emergency lane: emergencies have their own durable consumer and their own
//!   outbox (schema `emergency_bridge_lane`) with its own relay, so neither ordinary
//!   transfers nor anything else the bridge publishes can queue in front of them
//!   (docs/partners.md, "Emergency lane").
//! - Disclosure (A10.1, A21): an emergency carries the caller's contact sealed to the
//!   partner's key, revealed by intake's audited `rpc.intake.reveal_for_transfer`, or a
//!   `withheld` reason ([`disclosure`]); every attempt is in `emergency_bridge.disclosures`.
//!
//! [`simulator`] is a partner for tests and demos.

pub mod config;
pub mod disclosure;
pub mod domain;
pub mod handlers;
pub mod joint;
pub mod simulator;
pub mod status;
pub mod store;
pub mod timer;

use std::time::Duration;

use anyhow::Context;
use hotline_contract::rpc::verbs;
use hotline_contract::subjects::{durable_name, event};
use hotline_contract::transfer::{self, PARTNER_STREAM};
use hotline_messaging::{
    ConsumerConfig, ConsumerSpec, Outbox, OutboxRelay, RelayConfig, RpcServer,
};
use hotline_service_kit::bootstrap::{self, ServiceContext};
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::EmergencyBridgeConfig;

use crate::handlers::{InboundTransfers, Lane, Outboxes, PartnerAnswers, TransferRequests};
use crate::joint::{JointDesk, PartnerSteps};
use crate::status::{OrderStages, StatusRequests};

/// Concurrent requests per RPC verb.
const RPC_CONCURRENCY: usize = 16;

/// The service's name (NATS client, event source).
pub const SERVICE: &str = "emergency-bridge";
/// The service's Postgres schema.
pub const SCHEMA: &str = "emergency_bridge";
/// The emergency lane's outbox schema (only the messaging tables).
pub const LANE_SCHEMA: &str = "emergency_bridge_lane";
/// The service's own migrations (the messaging tables come from `hotline-messaging`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Create or update the `PARTNER` stream. Partners' inbound messages carry a caller's
/// phone (A21), so the stream keeps messages one day only: long enough to survive a
/// bridge outage, the durable record is the bridge's tables and intake's vault.
async fn provision_partner_stream(ctx: &ServiceContext) -> anyhow::Result<()> {
    let spec = transfer::partner_stream(&ctx.namespace, ctx.stream_replicas);
    ctx.jetstream
        .create_or_update_stream(async_nats::jetstream::stream::Config {
            name: spec.name.clone(),
            subjects: spec.subjects,
            description: Some(spec.description),
            storage: async_nats::jetstream::stream::StorageType::File,
            duplicate_window: spec.duplicate_window,
            num_replicas: spec.replicas,
            max_age: Duration::from_secs(24 * 3600),
            ..Default::default()
        })
        .await
        .with_context(|| format!("provision stream {}", spec.name))?;
    Ok(())
}

fn partner_consumer(ctx: &ServiceContext, purpose: &str, subjects: &[String]) -> ConsumerConfig {
    ConsumerConfig::new(
        SERVICE,
        SCHEMA,
        ctx.namespace.clone(),
        ctx.namespace.stream(PARTNER_STREAM),
        ConsumerSpec::new(
            durable_name(SERVICE, purpose),
            subjects.iter().map(|s| ctx.namespace.subject(s)).collect(),
        ),
    )
}

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
    provision_partner_stream(&ctx).await?;

    // The emergency lane's outbox: its own schema, migrated with the messaging tables
    // only, published by its own relay.
    let lane_pool = hotline_service_kit::db::connect(&config.common.database, LANE_SCHEMA)
        .await
        .context("connect the emergency lane")?;
    hotline_service_kit::db::migrate(&lane_pool, LANE_SCHEMA, &[&hotline_messaging::MIGRATOR])
        .await
        .context("migrate the emergency lane")?;

    let mut running = Running::for_context(&ctx, ops);
    running.spawn_outbox_relay(&ctx);
    let lane_relay = OutboxRelay::new(
        lane_pool,
        ctx.jetstream.clone(),
        LANE_SCHEMA,
        RelayConfig {
            batch_size: 64,
            poll_interval: Duration::from_millis(config.bridge.emergency_poll_ms.max(10)),
            max_backoff: Duration::from_secs(1),
        },
    );
    running.spawn("emergency-relay", lane_relay.run(shutdown.clone()));

    let outboxes = Outboxes {
        main: ctx.outbox(),
        emergency: Outbox::new(SERVICE, LANE_SCHEMA, ctx.namespace.clone()),
    };
    let revealer = disclosure::Revealer {
        nats: ctx.nats.clone(),
        namespace: ctx.namespace.clone(),
        timeout: Duration::from_millis(config.bridge.reveal_timeout_ms.max(1)),
    };
    // Each lane reads its own subject: the emergency consumer never sees (nor skips) an
    // ordinary transfer, so a backlog of them cannot delay an emergency (A10.1).
    for (purpose, lane, subject) in [
        (
            "emergency",
            Lane::Emergency,
            event::ORDER_TRANSFER_REQUESTED_EMERGENCY,
        ),
        ("transfers", Lane::Ordinary, event::ORDER_TRANSFER_REQUESTED),
    ] {
        running.spawn_consumer(
            &ctx,
            ctx.prompt_consumer(purpose, &[subject]),
            TransferRequests {
                lane,
                outboxes: outboxes.clone(),
                revealer: revealer.clone(),
            },
        );
    }
    // Answers and inbound requests have separate consumers: registering an inbound order
    // (a call to intake) never delays the answer to an emergency.
    running.spawn_consumer(
        &ctx,
        partner_consumer(
            &ctx,
            "answers",
            &[
                transfer::subject::from_partner_accepted("*"),
                transfer::subject::from_partner_rejected("*"),
            ],
        ),
        PartnerAnswers {
            outboxes: outboxes.clone(),
        },
    );
    running.spawn_consumer(
        &ctx,
        partner_consumer(
            &ctx,
            "inbound",
            &[transfer::subject::from_partner_requested("*")],
        ),
        InboundTransfers {
            outbox: ctx.outbox(),
            nats: ctx.nats.clone(),
            namespace: ctx.namespace.clone(),
            intake_timeout: Duration::from_millis(config.bridge.intake_timeout_ms),
        },
    );
    // A8: partners asking where an order stands, and joint-handling steps, each on its
    // own consumer (a slow router answer never holds up an inbound transfer).
    running.spawn_consumer(
        &ctx,
        partner_consumer(
            &ctx,
            "status",
            &[transfer::subject::from_partner_status_requested("*")],
        ),
        StatusRequests {
            outbox: ctx.outbox(),
            nats: ctx.nats.clone(),
            namespace: ctx.namespace.clone(),
            router_timeout: Duration::from_millis(config.bridge.intake_timeout_ms),
        },
    );
    running.spawn_consumer(
        &ctx,
        partner_consumer(
            &ctx,
            "joint-steps",
            &[transfer::subject::from_partner_joint_step("*")],
        ),
        PartnerSteps {
            outbox: ctx.outbox(),
        },
    );
    // The order-lifecycle projection: two lanes at most, so it never takes more than two of
    // the pool's connections from the emergency lane during a burst of order events.
    let mut stages = ctx.consumer("stages", status::LIFECYCLE);
    stages.lanes = stages.lanes.min(2);
    running.spawn_consumer(
        &ctx,
        stages,
        OrderStages {
            outbox: ctx.outbox(),
        },
    );
    let desk = JointDesk {
        pool: ctx.db.clone(),
        outbox: ctx.outbox(),
    };
    let mut rpc = RpcServer::start(&ctx.nats, SERVICE, &ctx.namespace, shutdown.clone())
        .await
        .context("start the RPC server")?;
    let start_desk = desk.clone();
    rpc.endpoint(
        verbs::EMERGENCY_BRIDGE_START_JOINT_HANDLING.1,
        RPC_CONCURRENCY,
        move |command, trace| {
            let desk = start_desk.clone();
            async move { desk.start(command, &trace).await }
        },
    )
    .await
    .context("serve start_joint_handling")?;
    rpc.endpoint(
        verbs::EMERGENCY_BRIDGE_JOINT_HANDLING.1,
        RPC_CONCURRENCY,
        move |query, _trace| {
            let desk = desk.clone();
            async move { desk.log(query).await }
        },
    )
    .await
    .context("serve joint_handling")?;
    running.spawn("rpc", rpc.wait());
    running.spawn(
        "answer-clock",
        timer::run(
            ctx.db.clone(),
            outboxes,
            Duration::from_millis(config.bridge.timer_interval_ms.max(10)),
            shutdown.clone(),
        ),
    );
    tracing::info!(ops = %running.ops_addr(), "emergency-bridge ready");
    Ok(running)
}
