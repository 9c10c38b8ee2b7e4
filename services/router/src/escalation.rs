//! A13: a dispute the center has not settled within `dispute_escalation_after_secs` goes to
//! the authority on its own. Every `dispute_scan_interval_secs` one pass claims the open
//! disputes raised before the limit (`FOR UPDATE SKIP LOCKED`: a decision in progress holds
//! its row and is skipped, and two replicas never escalate one dispute twice), marks them
//! escalated and queues `order.dispute_escalated`, in one transaction.

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use hotline_contract::events::EscalationCause;
use hotline_messaging::Outbox;
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::api::StepError;
use crate::desk::escalate;
use crate::store;

/// Who escalates a dispute left open too long, in the dispute's steps and events.
pub const TIMEOUT_ACTOR: &str = "rule:dispute-timeout";

/// The periodic escalation of disputes left open too long.
#[derive(Debug, Clone)]
pub struct EscalationScan {
    pool: PgPool,
    outbox: Outbox,
    after: chrono::Duration,
    batch_size: i64,
}

impl EscalationScan {
    pub fn new(pool: PgPool, outbox: Outbox, after: Duration, batch_size: i64) -> Self {
        Self {
            pool,
            outbox,
            after: chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX),
            batch_size,
        }
    }

    /// One pass; returns how many disputes went to the authority.
    pub async fn scan(&self) -> Result<usize, StepError> {
        let now = Utc::now().trunc_subsecs(6);
        let Some(before) = now.checked_sub_signed(self.after) else {
            return Ok(0);
        };
        let mut tx = self.pool.begin().await?;
        let due = store::claim_disputes_to_escalate(&mut tx, before, self.batch_size).await?;
        for d in &due {
            let trace = d
                .traceparent
                .as_deref()
                .and_then(|tp| TraceContext::parse(tp).ok())
                .map_or_else(TraceContext::new_root, |t| t.child());
            escalate(
                &self.outbox,
                &mut tx,
                &trace,
                d,
                EscalationCause::Timeout,
                TIMEOUT_ACTOR,
                now,
            )
            .await?;
            tracing::info!(order_id = %d.order_id, dispute_id = %d.dispute_id, "dispute escalated to the authority after the time limit");
        }
        tx.commit().await?;
        Ok(due.len())
    }

    /// Scan every `interval` until `shutdown`.
    pub async fn run(self, interval: Duration, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            match self.scan().await {
                // A full batch: more may be waiting; go again at once.
                Ok(n) if i64::try_from(n).unwrap_or(i64::MAX) >= self.batch_size => {
                    ticks.reset_immediately();
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "dispute escalation scan failed; retried next pass")
                }
            }
        }
    }
}
