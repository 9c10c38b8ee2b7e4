//! The reminder scan (A17: remind the handling unit before a time limit runs out).
//!
//! Every `scan_interval_secs` the scan looks for running timers that have passed one of the
//! configured reminder points (`reminder_fractions`, by default half and four fifths of the
//! time allowed) but are not due yet, and sends one `deadline.reminder` per timer and point
//! through the outbox. Each running timer stores the instant of its next reminder point not
//! sent yet (`next_reminder_at`, set by a trigger whenever the timer is written, so a clock
//! started, moved, paused or ended keeps it right); the scan reads the partial index on it,
//! so a pass costs the reminders that are due rather than a walk over every running timer.
//!
//! In one transaction per batch it claims the timers `FOR UPDATE SKIP LOCKED` (a handler
//! settling a timer holds its row, so a timer being met or cancelled is not reminded),
//! records each reminder in `deadline_watcher.reminders_sent`, appends the event only when
//! that insert took, and moves each claimed timer's `next_reminder_at` to its next point
//! not sent (or NULL). The table's key (order, clock, point) makes each reminder fire
//! exactly once even when two scans (two replicas) pick the same timer from snapshots taken
//! before the other committed; the moved `next_reminder_at` keeps the other scan's claim
//! from returning the timer once the first has committed.
//!
//! A timer whose points all passed while the service was down gets each reminder once, in
//! order, as long as it is not due yet; past the due instant the overdue scan takes over.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline_contract::events::DeadlineReminder;
use hotline_messaging::Outbox;
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain::reminder::{ReminderPoint, reminder_due};
use crate::domain::timer::{TimerState, clock_code};
use crate::overdue::ScanError;
use crate::store;

/// Sends the reminders that are due.
#[derive(Debug, Clone)]
pub struct ReminderScan {
    pool: PgPool,
    outbox: Outbox,
    points: Vec<ReminderPoint>,
    batch_size: i64,
}

/// What one reminder batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Timers the claim returned.
    pub claimed: usize,
    /// Reminders recorded and queued.
    pub sent: usize,
    /// Pairs another scan had recorded since this one's claim saw them.
    pub raced: usize,
}

impl ReminderScan {
    /// Reminders at `points`, claimed `batch_size` at most per transaction (at least 1).
    pub fn new(pool: PgPool, outbox: Outbox, points: Vec<ReminderPoint>, batch_size: i64) -> Self {
        Self {
            pool,
            outbox,
            points,
            batch_size: batch_size.max(1),
        }
    }

    /// One transaction: claim up to a batch of reminders due at `now`, record them and
    /// queue their `deadline.reminder` events.
    pub async fn scan_batch(&self, now: DateTime<Utc>) -> Result<BatchOutcome, ScanError> {
        let mut tx = self.pool.begin().await?;
        let claimed =
            store::claim_pending_reminders(&mut tx, now, &self.points, self.batch_size).await?;
        let mut sent = Vec::new();
        let mut raced = 0;
        let mut pending = Vec::new();
        for claim in &claimed {
            pending.extend(claim.points.iter().map(|&point| (&claim.timer, point)));
        }
        for (timer, point) in pending {
            if timer.state != TimerState::Running
                || !reminder_due(point, timer.started_at, timer.due_at, now)
            {
                continue;
            }
            if !store::record_reminder(&mut tx, timer, point, now).await? {
                // Another scan sent it first (its snapshot and ours overlapped).
                raced += 1;
                continue;
            }
            // Continue the order's trace from the event that started the clock.
            let trace = TraceContext::parse_or_new(timer.traceparent.as_deref());
            self.outbox
                .append(
                    &mut tx,
                    &trace,
                    DeadlineReminder {
                        order_id: timer.order_id,
                        clock: timer.clock,
                        unit_id: timer.unit_id.clone(),
                        case_id: timer.case_id(),
                        due_at: timer.due_at,
                        reminded_at: now,
                    },
                )
                .await?;
            sent.push((timer, point));
        }
        let timers: Vec<&store::Timer> = claimed.iter().map(|c| &c.timer).collect();
        store::refresh_next_reminders(&mut tx, &timers).await?;
        tx.commit().await?;
        for (timer, point) in &sent {
            tracing::info!(order_id = %timer.order_id, clock = clock_code(timer.clock), unit_id = %timer.unit_id, due_at = %timer.due_at, permille = point.permille(), "deadline reminder sent (A17)");
            metrics::counter!("hotline_deadline_reminders_total", "clock" => clock_code(timer.clock))
                .increment(1);
        }
        Ok(BatchOutcome {
            claimed: claimed.len(),
            sent: sent.len(),
            raced,
        })
    }

    /// Scan until no batch comes back full. Returns how many reminders were sent.
    pub async fn scan(&self) -> Result<usize, ScanError> {
        let mut total = 0;
        loop {
            let batch = self.scan_batch(Utc::now()).await?;
            total += batch.sent;
            // A short batch: the backlog is drained (or held by another scan, which sends
            // it). A full batch with nothing sent and no race lost: what is left is not due
            // by the exact check, so looping would find it again. A batch lost to another
            // scan's overlapping snapshot is claimed again with a fresh one.
            let drained = (batch.claimed as i64) < self.batch_size;
            if drained || (batch.sent == 0 && batch.raced == 0) {
                return Ok(total);
            }
        }
    }

    /// Scan every `interval` (the first pass one interval after start) until `shutdown`.
    pub async fn run(self, interval: Duration, shutdown: CancellationToken) {
        if self.points.is_empty() {
            tracing::info!("no reminder points configured; reminder scan not running");
            return;
        }
        crate::periodic::every("reminders", interval, shutdown, || self.scan()).await;
    }
}
