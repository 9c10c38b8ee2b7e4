//! Supervision's SQL, all in the `supervision` schema. Every function takes the caller's
//! transaction: handlers run inside the consumer's, so a review and the events it causes
//! commit together.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::review::{RecordedReview, ReviewDecision};

/// A review to record.
#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    pub order_id: Uuid,
    pub result_id: Uuid,
    pub unit_id: &'a str,
    pub decision: ReviewDecision,
    /// Who decided, when decided (both `None` while pending).
    pub decided: Option<(&'a str, DateTime<Utc>)>,
    pub submitted_at: DateTime<Utc>,
}

/// A stored decision code the rules do not know (impossible with the table's CHECK).
#[derive(Debug, thiserror::Error)]
#[error("review of order {order_id} has an unknown decision {decision:?}")]
struct UnknownDecision {
    order_id: Uuid,
    decision: String,
}

/// The order's review, locked until the transaction ends.
pub async fn lock_review(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<RecordedReview>, sqlx::Error> {
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT result_id, decision FROM supervision.reviews WHERE order_id = $1 FOR UPDATE",
    )
    .bind(order_id)
    .fetch_optional(tx)
    .await?;
    row.map(|(result_id, decision)| {
        ReviewDecision::from_code(&decision)
            .map(|decision| RecordedReview {
                result_id,
                decision,
            })
            .ok_or_else(|| sqlx::Error::Decode(Box::new(UnknownDecision { order_id, decision })))
    })
    .transpose()
}

/// Record the review of a result, replacing the order's previous one.
pub async fn record_review(
    tx: &mut PgConnection,
    review: &NewReview<'_>,
) -> Result<(), sqlx::Error> {
    let (decided_by, decided_at) = review.decided.unzip();
    sqlx::query(
        "INSERT INTO supervision.reviews \
         (order_id, result_id, unit_id, decision, decided_by, decided_at, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (order_id) DO UPDATE SET result_id = EXCLUDED.result_id, \
         unit_id = EXCLUDED.unit_id, decision = EXCLUDED.decision, \
         decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at, \
         submitted_at = EXCLUDED.submitted_at",
    )
    .bind(review.order_id)
    .bind(review.result_id)
    .bind(review.unit_id)
    .bind(review.decision.code())
    .bind(decided_by)
    .bind(decided_at)
    .bind(review.submitted_at)
    .execute(tx)
    .await
    .map(|_| ())
}
