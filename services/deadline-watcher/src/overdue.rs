//! The overdue scan (A17: overdue orders are flagged for supervision).
//!
//! The scan claims running timers whose due instant has passed, in batches of
//! `scan_batch_size`: in one transaction it selects them `FOR UPDATE SKIP LOCKED`, marks them
//! overdue and appends one `deadline.overdue` per timer to the outbox (one multi-row insert
//! per batch), then commits. So a timer is announced exactly once even with several replicas
//! scanning (each claims different rows), and a handler settling a timer at the same moment
//! (it holds the row lock) wins: the scan skips the row and sees it settled next time. A
//! pass claims batch after batch until one comes back short, so a backlog (100,000 sign
//! clocks running out at the same midnight) is drained at once, not a batch per interval.
//!
//! When to scan: after a pass the scan looks up the next instant a running timer falls due
//! and sleeps until just after it, but never longer than `scan_interval_secs` (which also
//! catches timers started meanwhile with an earlier due instant, and rows a handler held)
//! nor shorter than [`MIN_PAUSE`]. So a timer is flagged within a fraction of a second of
//! its due instant, not up to a whole interval later, and an idle watcher still does one
//! cheap pass per interval (`docs/performance.md`, "Deadline-watcher timers").
//!
//! The first pass runs one interval after start (timers that fell due while the service was
//! down are announced then), so a just-started service first catches up on the events
//! waiting in its consumer: a sign that arrived in time while it was down is applied before
//! the scan could mistake its timer for overdue. A failed pass is logged and retried at the
//! next tick; nothing is lost, since the timers stay `running` until a pass commits.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use hotline_contract::events::DeadlineOverdue;
use hotline_messaging::{Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use crate::domain::timer::{TimerEvent, TimerState, clock_code, next_state};
use crate::store::{self, Timer};

/// The shortest sleep between two passes: timers falling due within this long of each
/// other are flagged by one pass (at most this much later), rather than by a pass each.
pub const MIN_PAUSE: Duration = Duration::from_millis(100);

/// How long after a timer's due instant the scan wakes for it: the scan flags timers due
/// strictly before its `now` (the due instant itself still counts as in time).
const PAST_DUE: Duration = Duration::from_millis(1);

/// A scan pass failed; the timers it looked at stay running and are seen again next pass.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

/// Finds running timers past their due instant and announces them.
#[derive(Debug, Clone)]
pub struct OverdueScan {
    pool: PgPool,
    outbox: Outbox,
    batch_size: i64,
}

impl OverdueScan {
    /// `batch_size` timers at most per transaction (at least 1).
    pub fn new(pool: PgPool, outbox: Outbox, batch_size: i64) -> Self {
        Self {
            pool,
            outbox,
            batch_size: batch_size.max(1),
        }
    }

    /// One transaction: claim up to a batch of timers due before `now`, mark them overdue
    /// and queue their `deadline.overdue` events. Returns how many were marked.
    pub async fn scan_batch(&self, now: DateTime<Utc>) -> Result<usize, ScanError> {
        let mut tx = self.pool.begin().await?;
        let claimed = store::claim_past_due(&mut tx, now, self.batch_size).await?;
        let overdue: Vec<&Timer> = claimed
            .iter()
            .filter(|t| {
                next_state(t.view(), TimerEvent::Checked { now }) == Some(TimerState::Overdue)
            })
            .collect();
        store::mark_overdue(&mut tx, &overdue).await?;
        self.append_overdue(&mut tx, &overdue, now).await?;
        tx.commit().await?;
        for timer in &overdue {
            tracing::warn!(order_id = %timer.order_id, clock = clock_code(timer.clock), unit_id = %timer.unit_id, due_at = %timer.due_at, "deadline passed unmet; flagged for supervision");
            metrics::counter!("hotline_deadlines_overdue_total", "clock" => clock_code(timer.clock))
                .increment(1);
        }
        Ok(overdue.len())
    }

    /// Queue one `deadline.overdue` per timer in `tx`, in the order given, in one outbox
    /// insert ([`Outbox::append_all`]) rather than two round trips per event.
    async fn append_overdue(
        &self,
        tx: &mut PgConnection,
        timers: &[&Timer],
        now: DateTime<Utc>,
    ) -> Result<(), ScanError> {
        let events = timers.iter().map(|timer| {
            // Continue the order's trace from the event that started the clock.
            let trace = TraceContext::parse_or_new(timer.traceparent.as_deref());
            let event = DeadlineOverdue {
                order_id: timer.order_id,
                clock: timer.clock,
                unit_id: timer.unit_id.clone(),
                case_id: timer.case_id(),
                due_at: timer.due_at,
                detected_at: now,
            };
            (trace, event)
        });
        self.outbox.append_all(tx, events).await?;
        Ok(())
    }

    /// Scan until no batch comes back full. Returns how many timers were marked.
    pub async fn scan(&self) -> Result<usize, ScanError> {
        self.drain().await.map(|(marked, _)| marked)
    }

    /// As [`OverdueScan::scan`], also returning the `now` of its last batch: every running
    /// timer due before it that no other transaction held has been flagged.
    async fn drain(&self) -> Result<(usize, DateTime<Utc>), ScanError> {
        let mut total = 0;
        loop {
            let now = Utc::now();
            let marked = self.scan_batch(now).await?;
            total += marked;
            if (marked as i64) < self.batch_size {
                return Ok((total, now));
            }
        }
    }

    /// The earliest due instant of a running timer at or after `after` (the ones before it
    /// were just flagged or are held by a handler settling them), if any.
    pub async fn next_due(&self, after: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ScanError> {
        Ok(sqlx::query_scalar(
            "SELECT min(due_at) FROM deadline_watcher.timers \
             WHERE state = 'running' AND due_at >= $1",
        )
        .bind(after)
        .fetch_one(&self.pool)
        .await?)
    }

    /// One pass of the loop: scan until drained, then say how soon the next pass is needed
    /// (just after the next due instant, at least [`MIN_PAUSE`] from now; the loop caps it
    /// at the interval).
    async fn pass(&self) -> Result<(usize, Option<Duration>), ScanError> {
        let (marked, now) = self.drain().await?;
        let next = self.next_due(now).await?;
        Ok((marked, wait_for(next, Utc::now())))
    }

    /// Scan until `shutdown`: the first pass one `interval` after start, then each pass just
    /// after the next running timer falls due, at most `interval` after the previous one.
    pub async fn run(self, interval: Duration, shutdown: CancellationToken) {
        crate::periodic::every_or_sooner("overdue", interval, shutdown, || self.pass()).await;
    }
}

/// How long to sleep at `now` before the pass that flags a timer due at `due` (`None`: no
/// running timer is due later; the loop falls back to its interval): until just after the
/// due instant, and at least [`MIN_PAUSE`].
fn wait_for(due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<Duration> {
    due.map(|due| {
        let until_due = (due - now).max(TimeDelta::zero());
        (until_due.to_std().unwrap_or_default() + PAST_DUE).max(MIN_PAUSE)
    })
}

#[cfg(test)]
mod tests {
    use chrono::SubsecRound;
    use hotline_contract::subjects::event;
    use hotline_contract::{Namespace, RawEnvelope};
    use hotline_service_test::migrated_pool;
    use hotline_test_support::{TestDatabase, unique_namespace};
    use uuid::Uuid;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_scan_sleeps_until_just_after_the_next_due_instant_but_never_in_a_busy_loop() {
        let now = at("2026-11-30T15:59:58Z");
        assert_eq!(
            wait_for(Some(at("2026-11-30T16:00:00Z")), now),
            Some(Duration::from_millis(2001)),
            "the instant itself is still in time: wake a millisecond after it"
        );
        assert_eq!(
            wait_for(Some(at("2026-11-30T15:59:58.050Z")), now),
            Some(MIN_PAUSE)
        );
        // Due already (a row a handler held during the pass): no immediate re-scan.
        assert_eq!(
            wait_for(Some(at("2026-11-30T15:00:00Z")), now),
            Some(MIN_PAUSE)
        );
        assert_eq!(wait_for(None, now), None, "nothing running: the interval");
    }

    async fn insert_timer(pool: &PgPool, due_at: DateTime<Utc>, traceparent: Option<&str>) -> Uuid {
        let order_id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO deadline_watcher.timers \
             (order_id, clock, unit_id, started_at, due_at, policy, policy_id, policy_version, \
              state, traceparent) \
             VALUES ($1, 'sign', 'unit-1', $2 - interval '1 day', $2, 'sign@v1', 'sign', 1, \
                     'running', $3)",
        )
        .bind(order_id)
        .bind(due_at)
        .bind(traceparent)
        .execute(pool)
        .await
        .unwrap();
        order_id
    }

    #[tokio::test]
    async fn batches_queue_the_rows_outbox_append_would_oldest_due_first_and_wake_for_the_next() {
        let db = TestDatabase::create().await;
        let pool = migrated_pool(&db, crate::SCHEMA, &crate::MIGRATOR, 3).await;
        let ns = Namespace::new(unique_namespace()).unwrap();
        let now = Utc::now().trunc_subsecs(6);
        let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let third = insert_timer(&pool, now - TimeDelta::seconds(1), None).await;
        let first = insert_timer(&pool, now - TimeDelta::seconds(3), Some(trace)).await;
        let second = insert_timer(&pool, now - TimeDelta::seconds(2), None).await;
        let later = now + TimeDelta::hours(1);
        insert_timer(&pool, later, None).await;

        // Two per batch: a full batch, then a short one ends the pass.
        let scan = OverdueScan::new(
            pool.clone(),
            Outbox::new(crate::SERVICE, crate::SCHEMA, ns.clone()),
            2,
        );
        assert_eq!(scan.scan().await.unwrap(), 3);
        assert_eq!(scan.scan().await.unwrap(), 0, "each timer flagged once");
        assert_eq!(scan.next_due(Utc::now()).await.unwrap(), Some(later));

        let rows: Vec<(Uuid, String, Vec<u8>, Option<String>)> = sqlx::query_as(
            "SELECT id, subject, payload, traceparent FROM deadline_watcher.outbox ORDER BY seq",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut orders = Vec::new();
        for (id, subject, payload, traceparent) in rows {
            assert_eq!(subject, ns.subject(event::DEADLINE_OVERDUE));
            let envelope = RawEnvelope::parse(&payload)
                .unwrap()
                .decode::<DeadlineOverdue>()
                .unwrap();
            assert_eq!(
                envelope.id, id,
                "the row id is the envelope id (Nats-Msg-Id)"
            );
            assert_eq!(envelope.source, "/hotline/deadline-watcher");
            assert_eq!(envelope.subject, envelope.data.order_id.to_string());
            assert!(envelope.data.detected_at > envelope.data.due_at);
            let traceparent = TraceContext::parse_or_new(traceparent.as_deref());
            if envelope.data.order_id == first {
                assert_eq!(
                    traceparent.trace_id_hex(),
                    "4bf92f3577b34da6a3ce929d0e0e4736",
                    "the order's trace continues"
                );
            }
            orders.push(envelope.data.order_id);
        }
        assert_eq!(
            orders,
            [first, second, third],
            "oldest due first, in seq order"
        );
        let overdue: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deadline_watcher.timers WHERE state = 'overdue'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(overdue, 3);

        pool.close().await;
        db.drop_database().await;
    }
}
