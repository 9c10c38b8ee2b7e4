//! Supervision's SQL, all in the `supervision` schema. Every function takes the caller's
//! transaction: handlers run inside the consumer's, so a review and the events it causes
//! commit together.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hotline_contract::events::ResultChecklist;
use hotline_contract::supervision_desk::{
    ArchiveRecord, CallBack, CheckEntry, RecordedCheck, ReviewItem, ReviewQueueItem,
};
use hotline_contract::vocabulary::{RequestKind, SatisfactionVerdict};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::queue::QueueCursor;
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
    /// Which parts the result contains, as submitted.
    pub checklist: &'a ResultChecklist,
}

/// A stored decision code the rules do not know (impossible with the table's CHECK).
#[derive(Debug, thiserror::Error)]
#[error("review of order {order_id} has an unknown decision {decision:?}")]
struct UnknownDecision {
    order_id: Uuid,
    decision: String,
}

/// The recorded reviews of `order_ids` (those that have one), locked until the
/// transaction ends; locked in id order, so two batches never wait for each other's rows
/// in opposite orders. Planned per call (`persistent(false)`): a plan cached while the
/// table was small would stay a sequential scan as it grows.
pub async fn lock_reviews(
    tx: &mut PgConnection,
    order_ids: &[Uuid],
) -> Result<HashMap<Uuid, RecordedReview>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT order_id, result_id, decision FROM supervision.reviews \
         WHERE order_id = ANY($1) ORDER BY order_id FOR UPDATE",
    )
    .bind(order_ids)
    .persistent(false)
    .fetch_all(tx)
    .await?;
    rows.into_iter()
        .map(|(order_id, result_id, decision)| {
            ReviewDecision::from_code(&decision)
                .map(|decision| {
                    (
                        order_id,
                        RecordedReview {
                            result_id,
                            decision,
                        },
                    )
                })
                .ok_or_else(|| {
                    sqlx::Error::Decode(Box::new(UnknownDecision { order_id, decision }))
                })
        })
        .collect()
}

/// Record the reviews of results (of distinct orders), each replacing its order's
/// previous one (a newer result starts with no poor-handling judgement), with one
/// statement; returns the rows as written (in no particular order), locked by the write
/// until the transaction ends.
pub async fn record_reviews(
    tx: &mut PgConnection,
    reviews: &[NewReview<'_>],
) -> Result<Vec<ReviewRow>, sqlx::Error> {
    let (decided_by, decided_at): (Vec<_>, Vec<_>) =
        reviews.iter().map(|r| r.decided.unzip()).unzip();
    sqlx::query_as(
        "INSERT INTO supervision.reviews \
         (order_id, result_id, unit_id, decision, decided_by, decided_at, submitted_at, \
          result_checklist) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], \
           $6::timestamptz[], $7::timestamptz[], $8::jsonb[]) \
         ON CONFLICT (order_id) DO UPDATE SET result_id = EXCLUDED.result_id, \
         unit_id = EXCLUDED.unit_id, decision = EXCLUDED.decision, \
         decided_by = EXCLUDED.decided_by, decided_at = EXCLUDED.decided_at, \
         submitted_at = EXCLUDED.submitted_at, result_checklist = EXCLUDED.result_checklist, \
         poor_handling = FALSE \
         RETURNING order_id, result_id, unit_id, decision, submitted_at, result_checklist, \
         poor_handling",
    )
    .bind(reviews.iter().map(|r| r.order_id).collect::<Vec<_>>())
    .bind(reviews.iter().map(|r| r.result_id).collect::<Vec<_>>())
    .bind(reviews.iter().map(|r| r.unit_id).collect::<Vec<_>>())
    .bind(
        reviews
            .iter()
            .map(|r| r.decision.code())
            .collect::<Vec<_>>(),
    )
    .bind(decided_by)
    .bind(decided_at)
    .bind(reviews.iter().map(|r| r.submitted_at).collect::<Vec<_>>())
    .bind(
        reviews
            .iter()
            .map(|r| Json(r.checklist))
            .collect::<Vec<_>>(),
    )
    .fetch_all(tx)
    .await
}

/// An order's review row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    pub order_id: Uuid,
    pub result_id: Uuid,
    pub unit_id: String,
    pub decision: String,
    pub submitted_at: DateTime<Utc>,
    pub result_checklist: Option<Json<ResultChecklist>>,
    pub poor_handling: bool,
}

impl ReviewRow {
    /// Whether the result waits for a reviewer.
    pub fn pending(&self) -> bool {
        self.decision == ReviewDecision::PendingReview.code()
    }
}

/// The result under review for an order, locked.
pub async fn lock_review_row(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<ReviewRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, result_id, unit_id, decision, submitted_at, result_checklist, \
         poor_handling FROM supervision.reviews WHERE order_id = $1 FOR UPDATE",
    )
    .bind(order_id)
    .fetch_optional(tx)
    .await
}

/// Record the reviewer's judgement that the handling was (not) poor (A17).
pub async fn set_poor_handling(
    tx: &mut PgConnection,
    order_id: Uuid,
    poor: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE supervision.reviews SET poor_handling = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(poor)
        .execute(tx)
        .await
        .map(|_| ())
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

/// The send-back proposal of the result that waits for approval, if any (a proposal for
/// a result since replaced is stale and does not count).
pub async fn pending_proposal(
    tx: &mut PgConnection,
    result_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT proposal_id FROM supervision.send_backs WHERE result_id = $1 AND outcome IS NULL \
         ORDER BY proposed_at LIMIT 1",
    )
    .bind(result_id)
    .fetch_optional(tx)
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

/// A stored code the rules do not know (impossible with the tables' CHECKs).
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} code {code:?}")]
struct UnknownCode {
    what: &'static str,
    code: String,
}

fn decode_code<T>(
    what: &'static str,
    code: String,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    parse(&code).ok_or_else(|| sqlx::Error::Decode(Box::new(UnknownCode { what, code })))
}

/// Remember an order's number and kind (from `order.dispatched`; the first one stays).
pub async fn remember_order(
    tx: &mut PgConnection,
    order_id: Uuid,
    number: &str,
    kind: RequestKind,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO supervision.orders (order_id, number, kind) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(number)
    .bind(kind.code())
    .execute(tx)
    .await
    .map(|_| ())
}

/// An order's number and kind, if supervision has seen it dispatched.
pub async fn order_ref(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<(String, Option<RequestKind>)>, sqlx::Error> {
    Ok(order_refs(tx, &[order_id]).await?.remove(&order_id))
}

/// The numbers and kinds of those of `order_ids` supervision has seen dispatched.
pub async fn order_refs(
    tx: &mut PgConnection,
    order_ids: &[Uuid],
) -> Result<HashMap<Uuid, (String, Option<RequestKind>)>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT order_id, number, kind FROM supervision.orders WHERE order_id = ANY($1)",
    )
    .bind(order_ids)
    .persistent(false)
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(order_id, number, kind)| (order_id, (number, RequestKind::from_code(&kind))))
        .collect())
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    order_id: Uuid,
    number: Option<String>,
    unit_id: String,
    kind: Option<String>,
    result_id: Uuid,
    submitted_at: DateTime<Utc>,
    result_checklist: Option<Json<ResultChecklist>>,
    proposal_id: Option<Uuid>,
}

/// One page of results waiting for a reviewer, oldest first, after `cursor`.
pub async fn pending_reviews(
    pool: &PgPool,
    cursor: Option<QueueCursor>,
    limit: u32,
) -> Result<Vec<ReviewQueueItem>, sqlx::Error> {
    let rows: Vec<QueueRow> = sqlx::query_as(
        "SELECT r.order_id, o.number, r.unit_id, o.kind, r.result_id, r.submitted_at, \
         r.result_checklist, (SELECT s.proposal_id FROM supervision.send_backs s \
           WHERE s.result_id = r.result_id AND s.outcome IS NULL \
           ORDER BY s.proposed_at LIMIT 1) AS proposal_id \
         FROM supervision.reviews r LEFT JOIN supervision.orders o USING (order_id) \
         WHERE r.decision = 'pending_review' \
           AND ($1::timestamptz IS NULL OR (r.submitted_at, r.order_id) > ($1, $2)) \
         ORDER BY r.submitted_at, r.order_id LIMIT $3",
    )
    .bind(cursor.map(|c| c.submitted_at))
    .bind(cursor.map(|c| c.order_id))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReviewQueueItem {
            order_id: r.order_id,
            number: r.number,
            unit_id: r.unit_id,
            kind: r.kind.as_deref().and_then(RequestKind::from_code),
            result_id: r.result_id,
            submitted_at: r.submitted_at,
            checklist: r.result_checklist.map(|Json(c)| c),
            send_back_pending: r.proposal_id.is_some(),
            proposal_id: r.proposal_id,
        })
        .collect())
}

/// Record checklist items for a result, replacing the same items recorded before.
pub async fn record_checks(
    tx: &mut PgConnection,
    order_id: Uuid,
    result_id: Uuid,
    entries: &[CheckEntry],
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for entry in entries {
        sqlx::query(
            "INSERT INTO supervision.review_checks \
             (result_id, order_id, item, passed, note, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (result_id, item) DO UPDATE SET passed = EXCLUDED.passed, \
             note = EXCLUDED.note, recorded_by = EXCLUDED.recorded_by, \
             recorded_at = EXCLUDED.recorded_at",
        )
        .bind(result_id)
        .bind(order_id)
        .bind(entry.item.code())
        .bind(entry.passed)
        .bind(entry.note.as_deref())
        .bind(by)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The reviewer's checklist of a result, in checklist order.
pub async fn checks(
    tx: &mut PgConnection,
    result_id: Uuid,
) -> Result<Vec<RecordedCheck>, sqlx::Error> {
    Ok(checks_of(tx, &[result_id])
        .await?
        .remove(&result_id)
        .unwrap_or_default())
}

/// The reviewer's checklists of `result_ids` (those that have one), each in checklist
/// order.
pub async fn checks_of(
    tx: &mut PgConnection,
    result_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<RecordedCheck>>, sqlx::Error> {
    type Row = (Uuid, String, bool, Option<String>, String, DateTime<Utc>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT result_id, item, passed, note, recorded_by, recorded_at \
         FROM supervision.review_checks WHERE result_id = ANY($1)",
    )
    .bind(result_ids)
    .persistent(false)
    .fetch_all(tx)
    .await?;
    let mut checks: HashMap<Uuid, Vec<RecordedCheck>> = HashMap::new();
    for (result_id, item, passed, note, recorded_by, recorded_at) in rows {
        checks.entry(result_id).or_default().push(RecordedCheck {
            item: decode_code("review item", item, ReviewItem::from_code)?,
            passed,
            note,
            recorded_by,
            recorded_at,
        });
    }
    for list in checks.values_mut() {
        list.sort_by_key(|c| c.item);
    }
    Ok(checks)
}

/// Record a call-back.
pub async fn insert_call_back(
    tx: &mut PgConnection,
    order_id: Uuid,
    call_back: &CallBack,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO supervision.call_backs \
         (call_back_id, order_id, result_id, reached, verified, verdict, called_by, called_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(call_back.call_back_id)
    .bind(order_id)
    .bind(call_back.result_id)
    .bind(call_back.reached)
    .bind(&call_back.verified)
    .bind(call_back.verdict.map(SatisfactionVerdict::code))
    .bind(&call_back.called_by)
    .bind(call_back.called_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Every call-back about a result, oldest first.
pub async fn call_backs(
    tx: &mut PgConnection,
    result_id: Uuid,
) -> Result<Vec<CallBack>, sqlx::Error> {
    Ok(call_backs_of(tx, &[result_id])
        .await?
        .remove(&result_id)
        .unwrap_or_default())
}

/// Every call-back about each of `result_ids` (those that have one), oldest first.
pub async fn call_backs_of(
    tx: &mut PgConnection,
    result_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<CallBack>>, sqlx::Error> {
    type Row = (
        Uuid,
        Uuid,
        bool,
        String,
        Option<String>,
        String,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT result_id, call_back_id, reached, verified, verdict, called_by, called_at \
         FROM supervision.call_backs WHERE result_id = ANY($1) \
         ORDER BY called_at, call_back_id",
    )
    .bind(result_ids)
    .persistent(false)
    .fetch_all(tx)
    .await?;
    let mut call_backs: HashMap<Uuid, Vec<CallBack>> = HashMap::new();
    for (result_id, call_back_id, reached, verified, verdict, called_by, called_at) in rows {
        call_backs.entry(result_id).or_default().push(CallBack {
            call_back_id,
            result_id,
            reached,
            verified,
            verdict: verdict
                .map(|v| decode_code("verdict", v, SatisfactionVerdict::from_code))
                .transpose()?,
            called_by,
            called_at,
        });
    }
    Ok(call_backs)
}

/// Write the archive records of accepted results (never changed afterwards), each with
/// the hash of its acceptance's trail row, with one statement.
pub async fn insert_archives(
    tx: &mut PgConnection,
    records: &[(ArchiveRecord, Vec<u8>)],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO supervision.archive \
         (order_id, result_id, record, trail_strand, trail_seq, trail_hash, archived_at) \
         SELECT r.*, $7 FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[], $4::int2[], \
           $5::int8[], $6::bytea[]) AS r",
    )
    .bind(records.iter().map(|(r, _)| r.order_id).collect::<Vec<_>>())
    .bind(records.iter().map(|(r, _)| r.result_id).collect::<Vec<_>>())
    .bind(records.iter().map(|(r, _)| Json(r)).collect::<Vec<_>>())
    .bind(
        records
            .iter()
            .map(|(r, _)| r.trail_strand)
            .collect::<Vec<_>>(),
    )
    .bind(records.iter().map(|(r, _)| r.trail_seq).collect::<Vec<_>>())
    .bind(
        records
            .iter()
            .map(|(_, hash)| hash.as_slice())
            .collect::<Vec<_>>(),
    )
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// The archive record of an order, by its number or its id. A record written before the
/// order's number was known gets it from `orders`.
pub async fn archive_record(
    pool: &PgPool,
    number_or_id: &str,
) -> Result<Option<ArchiveRecord>, sqlx::Error> {
    let order_id = number_or_id.parse::<Uuid>().ok();
    let row: Option<(Json<ArchiveRecord>, Option<String>)> = sqlx::query_as(
        "SELECT a.record, o.number FROM supervision.archive a \
         LEFT JOIN supervision.orders o USING (order_id) \
         WHERE o.number = $1 OR a.order_id = $2",
    )
    .bind(number_or_id)
    .bind(order_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(Json(mut record), number)| {
        if record.number.is_none() {
            record.number = number;
        }
        record
    }))
}

/// A reminder to record.
#[derive(Debug, Clone)]
pub struct NewReminder<'a> {
    pub reminder_id: Uuid,
    pub dedup_key: &'a str,
    pub order_id: Uuid,
    pub unit_id: &'a str,
    pub clock: &'a str,
    pub case_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub reminded_at: DateTime<Utc>,
}

/// Record a reminder; `false` if one with the same key was recorded before.
pub async fn insert_reminder(
    tx: &mut PgConnection,
    r: &NewReminder<'_>,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "INSERT INTO supervision.unit_reminders \
         (reminder_id, dedup_key, order_id, unit_id, clock, case_id, due_at, reminded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(r.reminder_id)
    .bind(r.dedup_key)
    .bind(r.order_id)
    .bind(r.unit_id)
    .bind(r.clock)
    .bind(r.case_id)
    .bind(r.due_at)
    .bind(r.reminded_at)
    .execute(tx)
    .await
    .map(|res| res.rows_affected() == 1)
}
