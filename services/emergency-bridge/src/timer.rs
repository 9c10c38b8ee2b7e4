//! The answer clock (A10.1): a transfer the partner has not answered by `answer_by` is
//! sent again, up to the partner's `retry_count`, then handed to the agent on duty with
//! the fallback phone (`order.transfer_timed_out`). A scan every `interval`, rows locked
//! with `SKIP LOCKED` so several replicas never act twice on one transfer.

use std::time::Duration;

use chrono::Utc;
use hotline_contract::transfer::OrderTransferTimedOut;
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::disclosure;
use crate::domain::{self, Overdue};
use crate::handlers::Outboxes;
use crate::store;

/// Run until shutdown.
pub async fn run(
    pool: PgPool,
    outboxes: Outboxes,
    interval: Duration,
    shutdown: CancellationToken,
) {
    loop {
        match scan(&pool, &outboxes).await {
            Ok(n) if n > 0 => tracing::debug!(transfers = n, "overdue transfers handled"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "transfer timer scan failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TimerError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] hotline_messaging::OutboxError),
}

/// One pass: act on every overdue transfer. Returns how many.
pub async fn scan(pool: &PgPool, outboxes: &Outboxes) -> Result<usize, TimerError> {
    let mut tx = pool.begin().await?;
    let overdue = store::lock_overdue(&mut tx, 100).await?;
    let now = Utc::now();
    for transfer in &overdue {
        let Some(partner) = store::partner(&mut tx, &transfer.partner_code).await? else {
            continue;
        };
        let outbox = outboxes.for_transfer(transfer.emergency);
        let trace = TraceContext::new_root();
        let attempts = u32::try_from(transfer.attempts).unwrap_or(u32::MAX);
        match domain::on_overdue(attempts, u32::try_from(partner.retry_count).unwrap_or(0)) {
            Overdue::Retry(attempt) => {
                let answer_by = now + chrono::Duration::seconds(partner.ack_timeout_secs.into());
                let attempt_i32 = i32::try_from(attempt).unwrap_or(i32::MAX);
                store::set_retry(&mut tx, transfer.transfer_id, attempt_i32, answer_by).await?;
                if transfer.emergency {
                    let fields = disclosure::fields(transfer.request.0.caller.as_ref());
                    store::record_disclosure(
                        &mut tx,
                        transfer,
                        attempt_i32,
                        &fields,
                        "A10.1 紧急转警（重发）",
                    )
                    .await?;
                }
                let mut request = transfer.request.0.clone();
                request.attempt = attempt;
                request.answer_by = answer_by;
                outbox.append(&mut tx, &trace, request).await?;
                metrics::counter!("hotline_transfer_retries_total").increment(1);
                tracing::warn!(transfer_id = %transfer.transfer_id, partner = %partner.code, attempt, "partner did not answer; transfer sent again");
            }
            Overdue::TimedOut => {
                store::decide(&mut tx, transfer.transfer_id, "timed_out", None, None, now).await?;
                outbox
                    .append(
                        &mut tx,
                        &trace,
                        OrderTransferTimedOut {
                            order_id: transfer.order_id,
                            order_number: transfer.order_number.clone(),
                            transfer_id: transfer.transfer_id,
                            partner_code: partner.code.clone(),
                            emergency: transfer.emergency,
                            attempts,
                            fallback_phone: partner.fallback_phone.clone(),
                            instructions: domain::fallback_instructions(
                                &partner,
                                &transfer.order_number,
                                transfer.emergency,
                            ),
                            timed_out_at: now,
                        },
                    )
                    .await?;
                metrics::counter!("hotline_transfer_timeouts_total").increment(1);
                tracing::error!(transfer_id = %transfer.transfer_id, partner = %partner.code, "partner never answered; agent on duty alerted");
            }
        }
    }
    tx.commit().await?;
    Ok(overdue.len())
}
