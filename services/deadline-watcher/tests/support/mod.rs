//! The harness the deadline-watcher's integration tests share: one service on a fresh
//! database and namespace, events published as their producers would, and helpers that
//! read the service's tables and outbox.

// Each test binary uses part of the harness.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use hotline_contract::events::{
    DeadlineClock, DispatchBasis, OrderDispatched, OrderExtensionGranted, OrderResultSubmitted,
    OrderResumed, OrderSigned, OrderSuspended, ResultChecklist, SuspensionReason, TimeLimit,
};
use hotline_contract::rpc::{CalendarQuery, CalendarYear, RpcError, verbs};
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_contract::{Envelope, Event};
use hotline_deadline_watcher::config::WatcherSection;
use hotline_deadline_watcher::domain::reminder::reminder_points;
use hotline_deadline_watcher::overdue::OverdueScan;
use hotline_deadline_watcher::reminders::ReminderScan;
use hotline_deadline_watcher::{DeadlineWatcherConfig, SCHEMA, SERVICE};
use hotline_messaging::{CallError, Outbox};
use hotline_service_kit::running::Running;
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use hotline_test_support::wait_for;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const UNIT: &str = "unit-nanming-housing";

pub const CLOCKS: &str = "deadline-watcher-clocks";

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Wait (up to [`PATIENCE`]) until `condition` holds.
pub async fn wait_until<F, Fut>(what: &str, condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    wait_for(what, PATIENCE, || async { condition().await.then_some(()) }).await;
}

pub struct Watcher {
    pub env: TestEnv,
    pub pool: PgPool,
    shutdown: CancellationToken,
    running: Running,
}

/// One more instance of the service on an existing environment (a replica, or the same
/// service started again after a stop).
pub struct Replica {
    shutdown: CancellationToken,
    running: Running,
}

impl Replica {
    pub async fn start(env: &TestEnv, section: WatcherSection) -> Self {
        let config = DeadlineWatcherConfig {
            common: env.common_config(),
            deadline_watcher: section,
        };
        let shutdown = CancellationToken::new();
        let running = hotline_deadline_watcher::start(config, shutdown.clone())
            .await
            .unwrap();
        Self { shutdown, running }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.running.wait())
            .await
            .expect("the service stops within its patience");
    }
}

impl Watcher {
    pub async fn start(scan_interval_secs: u64) -> Self {
        Self::start_with(hotline_deadline_watcher::config::WatcherSection {
            scan_interval_secs,
            ..Default::default()
        })
        .await
    }

    /// Starts the service with `section` as its own settings.
    pub async fn start_with(section: hotline_deadline_watcher::config::WatcherSection) -> Self {
        let env = TestEnv::new().await;
        let config = DeadlineWatcherConfig {
            common: env.common_config(),
            deadline_watcher: section,
        };
        let shutdown = CancellationToken::new();
        let running = hotline_deadline_watcher::start(config, shutdown.clone())
            .await
            .unwrap();
        let pool = env.pool().await;
        Self {
            env,
            pool,
            shutdown,
            running,
        }
    }

    /// Started (no periodic scan during the test), with its request/reply endpoints
    /// answering: their subscriptions travel on the service's own connection, so wait until
    /// the server routes requests from ours to them.
    pub async fn start_answering() -> Self {
        let watcher = Self::start(3600).await;
        wait_for("the queries to answer", PATIENCE, || async {
            let answer: Result<CalendarYear, CallError> = watcher
                .call(
                    verbs::DEADLINE_WATCHER_CALENDAR,
                    &CalendarQuery { year: 2026 },
                )
                .await;
            (!matches!(answer, Err(CallError::Unavailable(_)))).then_some(())
        })
        .await;
        watcher
    }

    /// Send a request to the service over NATS.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        verb: (&str, &str),
        request: &Req,
    ) -> Result<Resp, CallError> {
        hotline_messaging::call(
            &self.env.client,
            &self.env.ns,
            verb,
            request,
            &TraceContext::new_root(),
            PATIENCE,
        )
        .await
    }

    /// As [`Watcher::call`]; anything but an answer or a typed error fails the test.
    pub async fn ask<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        verb: (&str, &str),
        request: &Req,
    ) -> Result<Resp, RpcError> {
        match self.call(verb, request).await {
            Ok(answer) => Ok(answer),
            Err(CallError::Rpc(error)) => Err(error),
            Err(other) => panic!("the service did not answer: {other}"),
        }
    }

    /// `rpc.deadline-watcher.due` with a raw JSON query (bad inputs included).
    pub async fn due(
        &self,
        query: serde_json::Value,
    ) -> Result<hotline_contract::rpc::DueAnswer, RpcError> {
        self.ask(verbs::DEADLINE_WATCHER_DUE, &query).await
    }

    /// The service's ops endpoint (`/healthz`, `/readyz`, `/metrics`).
    pub fn ops_addr(&self) -> std::net::SocketAddr {
        self.running.ops_addr()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.running.wait())
            .await
            .expect("the service stops within its patience");
        self.pool.close().await;
        self.env.db.drop_database().await;
    }

    /// A normal complaint dispatched to [`UNIT`] at `dispatched_at`.
    pub async fn dispatch(&self, order_id: Uuid, dispatched_at: DateTime<Utc>) {
        self.dispatch_as(
            order_id,
            dispatched_at,
            RequestKind::Complaint,
            Urgency::Normal,
        )
        .await;
    }

    pub async fn dispatch_as(
        &self,
        order_id: Uuid,
        dispatched_at: DateTime<Utc>,
        kind: RequestKind,
        urgency: Urgency,
    ) {
        self.env
            .publish(
                "router",
                OrderDispatched {
                    order_id,
                    number: "5201022611020001".to_owned(),
                    unit_id: UNIT.to_owned(),
                    basis: DispatchBasis::Rule,
                    rule_id: Some("rule-housing".to_owned()),
                    kind,
                    urgency,
                    dispatched_at,
                },
            )
            .await;
    }

    pub async fn sign(&self, order_id: Uuid, signed_at: DateTime<Utc>) {
        self.env
            .publish(
                "router",
                OrderSigned {
                    order_id,
                    unit_id: UNIT.to_owned(),
                    signed_by: "staff-17".to_owned(),
                    signed_at,
                },
            )
            .await;
    }

    pub async fn submit_result(&self, order_id: Uuid, submitted_at: DateTime<Utc>) {
        self.submit_result_as(order_id, Uuid::now_v7(), submitted_at)
            .await;
    }

    /// [`UNIT`] submits the result `result_id`.
    pub async fn submit_result_as(
        &self,
        order_id: Uuid,
        result_id: Uuid,
        submitted_at: DateTime<Utc>,
    ) {
        self.env
            .publish(
                "router",
                OrderResultSubmitted {
                    order_id,
                    unit_id: UNIT.to_owned(),
                    result_id,
                    submitted_by: "staff-17".to_owned(),
                    submitted_at,
                    checklist: ResultChecklist::complete(),
                },
            )
            .await;
    }

    /// The center approved `extension` more for the order's handling (A14).
    pub async fn grant_extension(
        &self,
        order_id: Uuid,
        extension_id: Uuid,
        extension: TimeLimit,
        granted_at: DateTime<Utc>,
    ) {
        self.env
            .publish(
                "router",
                OrderExtensionGranted {
                    order_id,
                    unit_id: UNIT.to_owned(),
                    extension_id,
                    extension,
                    reason_code: "needs_site_survey".to_owned(),
                    approved_by: "center-head-02".to_owned(),
                    granted_at,
                },
            )
            .await;
    }

    pub async fn suspend(&self, order_id: Uuid, suspended_at: DateTime<Utc>) {
        self.env
            .publish(
                "router",
                OrderSuspended {
                    order_id,
                    unit_id: UNIT.to_owned(),
                    reason: SuspensionReason::AwaitingAppraisal,
                    approved_by: "center-head-02".to_owned(),
                    suspended_at,
                },
            )
            .await;
    }

    pub async fn resume(&self, order_id: Uuid, resumed_at: DateTime<Utc>) {
        self.env
            .publish(
                "router",
                OrderResumed {
                    order_id,
                    unit_id: UNIT.to_owned(),
                    resumed_at,
                },
            )
            .await;
    }

    /// Publish `data` in an envelope with the id `envelope_id` (one published before) under a
    /// new `Nats-Msg-Id`, as a relay replaying its outbox would: JetStream takes it, and only
    /// the consumer's inbox can tell it was seen.
    pub async fn publish_again<E: Event>(&self, producer: &str, data: E, envelope_id: Uuid) {
        let subject = self.env.ns.subject(&data.subject());
        let mut envelope = Envelope::new(producer, data.aggregate_id(), data);
        envelope.id = envelope_id;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            hotline_contract::headers::NATS_MSG_ID,
            Uuid::now_v7().to_string().as_str(),
        );
        self.env
            .jetstream
            .publish_with_headers(subject, headers, envelope.to_bytes().unwrap().into())
            .await
            .unwrap()
            .await
            .unwrap();
    }

    /// Wait until the clocks consumer has taken `count` distinct events into its inbox.
    pub async fn wait_for_inbox(&self, count: i64) {
        wait_until(&format!("{count} events applied"), || async {
            self.env.inbox_count(&self.pool, SCHEMA, CLOCKS).await == count
        })
        .await;
    }

    /// (party, state, due) of every `clock` timer of the order, by start.
    pub async fn clocks_of(
        &self,
        order_id: Uuid,
        clock: &str,
    ) -> Vec<(String, String, DateTime<Utc>)> {
        sqlx::query_as(
            "SELECT party, state, due_at FROM deadline_watcher.timers \
             WHERE order_id = $1 AND clock = $2 ORDER BY started_at, party",
        )
        .bind(order_id)
        .bind(clock)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// The history of the order's `clock` timers: (party, change, previous due, due), oldest
    /// first.
    pub async fn changes_of(
        &self,
        order_id: Uuid,
        clock: &str,
    ) -> Vec<(String, String, DateTime<Utc>, DateTime<Utc>)> {
        sqlx::query_as(
            "SELECT party, change, previous_due_at, due_at FROM deadline_watcher.timer_changes \
             WHERE order_id = $1 AND clock = $2 ORDER BY change_id",
        )
        .bind(order_id)
        .bind(clock)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// The stored next reminder instant of the order's `clock` timer of `party`.
    pub async fn next_reminder_at(
        &self,
        order_id: Uuid,
        clock: &str,
        party: &str,
    ) -> Option<DateTime<Utc>> {
        sqlx::query_scalar(
            "SELECT next_reminder_at FROM deadline_watcher.timers \
             WHERE order_id = $1 AND clock = $2 AND party = $3",
        )
        .bind(order_id)
        .bind(clock)
        .bind(party)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// The order's `clock` due instant as stored.
    pub async fn due_at(&self, order_id: Uuid, clock: &str) -> DateTime<Utc> {
        sqlx::query_scalar(
            "SELECT due_at FROM deadline_watcher.timers WHERE order_id = $1 AND clock = $2",
        )
        .bind(order_id)
        .bind(clock)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// The history of the order's handling clock: (change, previous due, due), oldest first.
    pub async fn handling_changes(
        &self,
        order_id: Uuid,
    ) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
        sqlx::query_as(
            "SELECT change, previous_due_at, due_at FROM deadline_watcher.timer_changes \
             WHERE order_id = $1 AND clock = 'handling' ORDER BY change_id",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// The state of the order's timer on `clock`, if it has one.
    pub async fn clock_state(&self, order_id: Uuid, clock: &str) -> Option<String> {
        sqlx::query_scalar(
            "SELECT state FROM deadline_watcher.timers WHERE order_id = $1 AND clock = $2",
        )
        .bind(order_id)
        .bind(clock)
        .fetch_optional(&self.pool)
        .await
        .unwrap()
    }

    /// Assert the state of the order's timer on `clock` now.
    pub async fn assert_clock_state(&self, order_id: Uuid, clock: &str, state: &str) {
        assert_eq!(
            self.clock_state(order_id, clock).await.as_deref(),
            Some(state),
            "{clock} timer of {order_id}"
        );
    }

    pub async fn wait_for_clock_state(&self, order_id: Uuid, clock: &str, state: &str) {
        wait_for(&format!("{clock} timer {state}"), PATIENCE, || async {
            (self.clock_state(order_id, clock).await.as_deref() == Some(state)).then_some(())
        })
        .await;
    }

    /// How many `deadline.overdue` events about the order's `clock` were queued.
    pub async fn overdue_events_queued_for(&self, order_id: Uuid, clock: DeadlineClock) -> i64 {
        let clock = serde_json::to_value(clock).unwrap();
        sqlx::query_scalar(
            "SELECT count(*) FROM deadline_watcher.outbox WHERE subject = $1 \
             AND convert_from(payload, 'UTF8')::jsonb #>> '{data,order_id}' = $2 \
             AND convert_from(payload, 'UTF8')::jsonb #>> '{data,clock}' = $3",
        )
        .bind(self.env.ns.subject(event::DEADLINE_OVERDUE))
        .bind(order_id.to_string())
        .bind(clock.as_str().unwrap())
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// A reminder scan at the default points (half and four fifths of the time allowed),
    /// `batch_size` reminders per transaction, on the service's database.
    pub fn reminder_scan(&self, batch_size: i64) -> ReminderScan {
        ReminderScan::new(
            self.pool.clone(),
            Outbox::new(SERVICE, SCHEMA, self.env.ns.clone()),
            reminder_points(&[0.5, 0.8]).unwrap(),
            batch_size,
        )
    }

    /// Insert a running handling timer directly (as if started by a sign at `started_at`
    /// under the urgent policy), due at `due_at`.
    pub async fn insert_handling_timer(
        &self,
        order_id: Uuid,
        started_at: DateTime<Utc>,
        due_at: DateTime<Utc>,
        state: &str,
    ) {
        sqlx::query(
            "INSERT INTO deadline_watcher.timers \
             (order_id, clock, unit_id, started_at, due_at, policy, policy_id, policy_version, \
              kind, urgency, state) \
             VALUES ($1, 'handling', $2, $3, $4, 'handling-urgent@v1', 'handling-urgent', 1, \
                     'help', 'urgent', $5)",
        )
        .bind(order_id)
        .bind(UNIT)
        .bind(started_at)
        .bind(due_at)
        .bind(state)
        .execute(&self.pool)
        .await
        .unwrap();
    }

    /// The reminder points recorded as sent for the order's handling clock, in thousandths.
    pub async fn reminders_sent(&self, order_id: Uuid) -> Vec<i32> {
        sqlx::query_scalar(
            "SELECT fraction_permille FROM deadline_watcher.reminders_sent \
             WHERE order_id = $1 AND clock = 'handling' ORDER BY fraction_permille",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    pub async fn timer_state(&self, order_id: Uuid) -> Option<String> {
        sqlx::query_scalar(
            "SELECT state FROM deadline_watcher.timers WHERE order_id = $1 AND clock = 'sign'",
        )
        .bind(order_id)
        .fetch_optional(&self.pool)
        .await
        .unwrap()
    }

    pub async fn wait_for_state(&self, order_id: Uuid, state: &str) {
        wait_for(&format!("sign timer {state}"), PATIENCE, || async {
            (self.timer_state(order_id).await.as_deref() == Some(state)).then_some(())
        })
        .await;
    }

    /// A scan pass run by the test itself, at a moment it chooses.
    pub async fn scan_now(&self) -> usize {
        OverdueScan::new(
            self.pool.clone(),
            Outbox::new(SERVICE, SCHEMA, self.env.ns.clone()),
            500,
        )
        .scan()
        .await
        .unwrap()
    }

    pub async fn overdue_events_queued(&self, order_id: Uuid) -> i64 {
        self.env
            .outbox_count(&self.pool, SCHEMA, event::DEADLINE_OVERDUE, order_id)
            .await
    }
}
