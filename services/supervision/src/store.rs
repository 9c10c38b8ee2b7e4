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

/// The result under review for an order, locked: (result_id, unit_id, decision code).
pub async fn lock_review_row(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<(Uuid, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT result_id, unit_id, decision FROM supervision.reviews WHERE order_id = $1 FOR UPDATE",
    )
    .bind(order_id)
    .fetch_optional(tx)
    .await
}

/// Mark the order's review accepted by a reviewer.
pub async fn mark_accepted(
    tx: &mut PgConnection,
    order_id: Uuid,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE supervision.reviews SET decision = 'accepted', decided_by = $2, decided_at = $3 \
         WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(by)
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Mark the order's review sent back.
pub async fn mark_sent_back(
    tx: &mut PgConnection,
    order_id: Uuid,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE supervision.reviews SET decision = 'sent_back', decided_by = $2, decided_at = $3 \
         WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(by)
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A proposed send-back.
#[derive(Debug, Clone)]
pub struct NewProposal<'a> {
    pub proposal_id: Uuid,
    pub order_id: Uuid,
    pub result_id: Uuid,
    pub unit_id: &'a str,
    pub reason_code: &'a str,
    pub reasons: &'a str,
    pub proposed_by: &'a str,
    pub proposed_at: DateTime<Utc>,
}

/// Record a proposal; `false` if the result already has one pending.
pub async fn insert_proposal(
    tx: &mut PgConnection,
    p: &NewProposal<'_>,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "INSERT INTO supervision.send_backs \
         (proposal_id, order_id, result_id, unit_id, reason_code, reasons, proposed_by, proposed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(p.proposal_id)
    .bind(p.order_id)
    .bind(p.result_id)
    .bind(p.unit_id)
    .bind(p.reason_code)
    .bind(p.reasons)
    .bind(p.proposed_by)
    .bind(p.proposed_at)
    .execute(tx)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// A stored proposal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Proposal {
    pub proposal_id: Uuid,
    pub order_id: Uuid,
    pub result_id: Uuid,
    pub unit_id: String,
    pub reason_code: String,
    pub proposed_by: String,
    pub outcome: Option<String>,
}

/// The order a proposal is about.
pub async fn proposal_order(
    tx: &mut PgConnection,
    proposal_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT order_id FROM supervision.send_backs WHERE proposal_id = $1")
        .bind(proposal_id)
        .fetch_optional(tx)
        .await
}

/// A proposal, locked.
pub async fn lock_proposal(
    tx: &mut PgConnection,
    proposal_id: Uuid,
) -> Result<Option<Proposal>, sqlx::Error> {
    sqlx::query_as(
        "SELECT proposal_id, order_id, result_id, unit_id, reason_code, proposed_by, outcome \
         FROM supervision.send_backs WHERE proposal_id = $1 FOR UPDATE",
    )
    .bind(proposal_id)
    .fetch_optional(tx)
    .await
}

/// Whether the result has a send-back proposal waiting for approval (a proposal for a
/// result since replaced is stale and does not count).
pub async fn proposal_pending(tx: &mut PgConnection, result_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM supervision.send_backs WHERE result_id = $1 AND outcome IS NULL)",
    )
    .bind(result_id)
    .fetch_one(tx)
    .await
}

/// How often the order was sent back before (approved with outcome `sent_back`).
pub async fn count_send_backs(tx: &mut PgConnection, order_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM supervision.send_backs WHERE order_id = $1 AND outcome = 'sent_back'",
    )
    .bind(order_id)
    .fetch_one(tx)
    .await
}

/// Record the approval of a proposal.
pub async fn approve_proposal(
    tx: &mut PgConnection,
    proposal_id: Uuid,
    approved_by: &str,
    approved_at: DateTime<Utc>,
    outcome: &str,
    case_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE supervision.send_backs SET approved_by = $2, approved_at = $3, outcome = $4, \
         case_id = $5 WHERE proposal_id = $1",
    )
    .bind(proposal_id)
    .bind(approved_by)
    .bind(approved_at)
    .bind(outcome)
    .bind(case_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A case to open.
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub case_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: &'a str,
    pub reason_code: &'a str,
    pub level: &'a str,
    pub opened_by: &'a str,
    pub opened_at: DateTime<Utc>,
    /// Set for rule-opened cases: opened once per key.
    pub dedup_key: Option<String>,
}

/// Open a case; `false` if a case with the same dedup key exists.
pub async fn insert_case(tx: &mut PgConnection, c: &NewCase<'_>) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "INSERT INTO supervision.cases \
         (case_id, order_id, unit_id, reason_code, level, status, opened_by, opened_at, dedup_key) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8) ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(c.case_id)
    .bind(c.order_id)
    .bind(c.unit_id)
    .bind(c.reason_code)
    .bind(c.level)
    .bind(c.opened_by)
    .bind(c.opened_at)
    .bind(c.dedup_key.as_deref())
    .execute(tx)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// A stored case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Case {
    pub case_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: String,
    pub level: String,
    pub status: String,
}

/// A case, locked.
pub async fn lock_case(tx: &mut PgConnection, case_id: Uuid) -> Result<Option<Case>, sqlx::Error> {
    sqlx::query_as(
        "SELECT case_id, order_id, unit_id, level, status FROM supervision.cases \
         WHERE case_id = $1 FOR UPDATE",
    )
    .bind(case_id)
    .fetch_optional(tx)
    .await
}

/// Set a case's level and status.
pub async fn update_case(
    tx: &mut PgConnection,
    case_id: Uuid,
    level: &str,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE supervision.cases SET level = $2, status = $3 WHERE case_id = $1")
        .bind(case_id)
        .bind(level)
        .bind(status)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Record the next step of a case.
pub async fn insert_step(
    tx: &mut PgConnection,
    case_id: Uuid,
    kind: &str,
    level: &str,
    actor: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO supervision.case_steps (case_id, step_no, kind, level, actor, note, at) \
         SELECT $1, coalesce(max(step_no), 0) + 1, $2, $3, $4, $5, $6 \
         FROM supervision.case_steps WHERE case_id = $1",
    )
    .bind(case_id)
    .bind(kind)
    .bind(level)
    .bind(actor)
    .bind(note)
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}
