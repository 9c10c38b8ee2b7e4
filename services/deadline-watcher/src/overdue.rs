//! The overdue scan (A17: overdue orders are flagged for supervision).
//!
//! Every `scan_interval_secs` the scan claims running timers whose due instant has passed,
//! in batches of `scan_batch_size`: in one transaction it selects them `FOR UPDATE SKIP
//! LOCKED`, marks them overdue and appends one `deadline.overdue` per timer to the outbox,
//! then commits. So a timer is announced exactly once even with several replicas scanning
//! (each claims different rows), and a handler settling a timer at the same moment (it
//! holds the row lock) wins: the scan skips the row and sees it settled next time.
//!
//! The first pass runs one interval after start (timers that fell due while the service was
//! down are announced then), so a just-started service first catches up on the events
//! waiting in its consumer: a sign that arrived in time while it was down is applied before
//! the scan could mistake its timer for overdue. A failed pass is logged and retried at the next tick; nothing is
//! lost, since the timers stay `running` until a pass commits.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline_contract::events::DeadlineOverdue;
use hotline_messaging::{Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain::timer::{TimerEvent, TimerState, clock_code, next_state};
use crate::store::{self, Timer};

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
        for timer in &overdue {
            // Continue the order's trace from the event that started the clock.
            let trace = TraceContext::parse_or_new(timer.traceparent.as_deref());
            self.outbox
                .append(
                    &mut tx,
                    &trace,
                    DeadlineOverdue {
                        order_id: timer.order_id,
                        clock: timer.clock,
                        unit_id: timer.unit_id.clone(),
                        case_id: timer.case_id(),
                        due_at: timer.due_at,
                        detected_at: now,
                    },
                )
                .await?;
        }
        tx.commit().await?;
        for timer in &overdue {
            tracing::warn!(order_id = %timer.order_id, clock = clock_code(timer.clock), unit_id = %timer.unit_id, due_at = %timer.due_at, "deadline passed unmet; flagged for supervision");
            metrics::counter!("hotline_deadlines_overdue_total", "clock" => clock_code(timer.clock))
                .increment(1);
        }
        Ok(overdue.len())
    }

    /// Scan until no batch comes back full. Returns how many timers were marked.
    pub async fn scan(&self) -> Result<usize, ScanError> {
        let mut total = 0;
        loop {
            let marked = self.scan_batch(Utc::now()).await?;
            total += marked;
            if (marked as i64) < self.batch_size {
                return Ok(total);
            }
        }
    }

    /// Scan every `interval` (the first pass one interval after start) until `shutdown`.
    pub async fn run(self, interval: Duration, shutdown: CancellationToken) {
        crate::periodic::every("overdue", interval, shutdown, || self.scan()).await;
    }
}
