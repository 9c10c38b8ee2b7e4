//! The router's SQL, all in the `router` schema (queries are schema-qualified; no other
//! service's tables are ever read).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::events::DispatchBasis;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::dispatch::DispatchRule;

/// A `dispatch_rules` row as the dispatcher reads it.
type ActiveRuleRow = (String, String, String, Option<String>, String, i32, i32);

/// The active rules for a category over the given territories (the order's region chain).
pub async fn active_rules(
    tx: &mut PgConnection,
    category: &str,
    territories: &[String],
) -> Result<Vec<DispatchRule>, sqlx::Error> {
    active_rules_among(tx, &[category], territories).await
}

/// Which of `candidates` are active units.
pub async fn active_among(
    tx: &mut PgConnection,
    candidates: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT unit_id FROM router.units WHERE active AND unit_id = ANY($1)")
            .bind(candidates)
            .fetch_all(tx)
            .await?;
    Ok(ids.into_iter().collect())
}

/// A new assignment, as decided.
#[derive(Debug, Clone)]
pub struct NewAssignment<'a> {
    pub order_id: Uuid,
    pub number: &'a str,
    pub unit_id: &'a str,
    pub basis: DispatchBasis,
    pub rule_id: Option<&'a str>,
    pub rule_version: Option<i32>,
    pub category: Option<&'a str>,
    pub region_code: &'a str,
    pub kind: &'a str,
    pub urgency: &'a str,
    pub dispatched_at: DateTime<Utc>,
    /// The order's trace, continued by later steps.
    pub traceparent: String,
    /// This dispatch in `dispatch_log`, and who decided it (`rule:<id>`, `territorial`,
    /// or the center's staff id).
    pub dispatch_id: Uuid,
    pub dispatcher: &'a str,
}

/// What happened to an insert of an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// A new row.
    Created,
    /// The order already has an assignment: nothing was written.
    OrderAlreadyAssigned,
    /// Another order already holds this number: the event contradicts what is stored.
    NumberTaken,
}

pub async fn insert_assignment(
    tx: &mut PgConnection,
    a: &NewAssignment<'_>,
) -> Result<Inserted, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO router.assignments (order_id, number, unit_id, basis, rule_id, kind, \
         urgency, status, dispatched_at, traceparent, rule_version, category, region_code, \
         dispatch_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'dispatched', $8, $9, $10, $11, $12, $13) \
         ON CONFLICT DO NOTHING",
    )
    .bind(a.order_id)
    .bind(a.number)
    .bind(a.unit_id)
    .bind(a.basis.code())
    .bind(a.rule_id)
    .bind(a.kind)
    .bind(a.urgency)
    .bind(a.dispatched_at)
    .bind(&a.traceparent)
    .bind(a.rule_version)
    .bind(a.category)
    .bind(a.region_code)
    .bind(a.dispatch_id)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        log_dispatch(
            tx,
            &LoggedDispatch {
                dispatch_id: a.dispatch_id,
                order_id: a.order_id,
                unit_id: a.unit_id,
                basis: a.basis,
                rule_id: a.rule_id,
                rule_version: a.rule_version,
                category: a.category,
                dispatcher: a.dispatcher,
                dispatched_at: a.dispatched_at,
            },
        )
        .await?;
        return Ok(Inserted::Created);
    }
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM router.assignments WHERE order_id = $1)")
            .bind(a.order_id)
            .fetch_one(tx)
            .await?;
    Ok(if exists {
        Inserted::OrderAlreadyAssigned
    } else {
        Inserted::NumberTaken
    })
}

/// An assignment locked for a step by its unit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LockedAssignment {
    pub order_id: Uuid,
    pub number: String,
    pub unit_id: String,
    pub status: String,
    pub traceparent: Option<String>,
    pub kind: String,
    pub urgency: String,
    pub category: Option<String>,
    pub suspended: bool,
    pub dispatch_id: Option<Uuid>,
}

/// The columns of [`LockedAssignment`].
const ASSIGNMENT_COLUMNS: &str = "order_id, number, unit_id, status, traceparent, kind, urgency, \
     category, suspended, dispatch_id";

/// Find the assignment of an order number and lock it until the transaction ends, so
/// two steps on one order (a double click, two staff members) are applied one after the
/// other and the second sees the first's outcome.
pub async fn lock_assignment(
    tx: &mut PgConnection,
    number: &str,
) -> Result<Option<LockedAssignment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM router.assignments WHERE number = $1 FOR UPDATE"
    ))
    .bind(number)
    .fetch_optional(tx)
    .await
}

/// A15: record the sign-for.
pub async fn mark_signed(
    tx: &mut PgConnection,
    order_id: Uuid,
    signed_by: &str,
    signed_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE router.assignments SET status = 'signed', signed_at = $2, signed_by = $3 \
         WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(signed_at)
    .bind(signed_by)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A16: a result as submitted.
#[derive(Debug, Clone)]
pub struct NewResult<'a> {
    pub result_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: &'a str,
    pub submitted_by: &'a str,
    pub basis: &'a str,
    pub findings: &'a str,
    pub reply: &'a str,
    pub promised_by: Option<NaiveDate>,
    pub submitted_at: DateTime<Utc>,
}

/// A16: store the result and move the assignment on.
pub async fn insert_result(tx: &mut PgConnection, r: &NewResult<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO router.results (result_id, order_id, unit_id, submitted_by, basis, \
         findings, reply, promised_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.result_id)
    .bind(r.order_id)
    .bind(r.unit_id)
    .bind(r.submitted_by)
    .bind(r.basis)
    .bind(r.findings)
    .bind(r.reply)
    .bind(r.promised_by)
    .bind(r.submitted_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE router.assignments SET status = 'result_submitted', result_submitted_at = $2 \
         WHERE order_id = $1",
    )
    .bind(r.order_id)
    .bind(r.submitted_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// The latest result of an order: (result id, reply, submitted at).
/// The latest result of an order: id, reply, time, the unit and its name.
pub type LatestReply = (Uuid, String, DateTime<Utc>, String, String);

pub async fn latest_reply(
    pool: &sqlx::PgPool,
    order_id: Uuid,
) -> Result<Option<LatestReply>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.result_id, r.reply, r.submitted_at, r.unit_id, u.name \
         FROM router.results r JOIN router.units u ON u.unit_id = r.unit_id \
         WHERE r.order_id = $1 ORDER BY r.submitted_at DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(pool)
    .await
}

/// Lock an order's assignment by its id (see [`lock_assignment`]).
pub async fn lock_assignment_by_id(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<LockedAssignment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM router.assignments WHERE order_id = $1 FOR UPDATE"
    ))
    .bind(order_id)
    .fetch_optional(tx)
    .await
}

/// One row of the dispatch history.
#[derive(Debug, Clone)]
pub struct LoggedDispatch<'a> {
    pub dispatch_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: &'a str,
    pub basis: DispatchBasis,
    pub rule_id: Option<&'a str>,
    pub rule_version: Option<i32>,
    pub category: Option<&'a str>,
    pub dispatcher: &'a str,
    pub dispatched_at: DateTime<Utc>,
}

pub async fn log_dispatch(
    tx: &mut PgConnection,
    d: &LoggedDispatch<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO router.dispatch_log (dispatch_id, order_id, unit_id, basis, rule_id, \
         rule_version, category, dispatcher, dispatched_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(d.dispatch_id)
    .bind(d.order_id)
    .bind(d.unit_id)
    .bind(d.basis.code())
    .bind(d.rule_id)
    .bind(d.rule_version)
    .bind(d.category)
    .bind(d.dispatcher)
    .bind(d.dispatched_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Whether a unit exists and may receive orders.
pub async fn unit_is_active(tx: &mut PgConnection, unit_id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM router.units WHERE unit_id = $1 AND active)")
        .bind(unit_id)
        .fetch_one(tx)
        .await
}

/// A13: the order goes to `unit_id` (a redispatch after a dispute): a new dispatch, a new
/// sign-for; the dispatch it replaces is marked as changed by the dispute.
pub async fn redispatch(
    tx: &mut PgConnection,
    order_id: Uuid,
    unit_id: &str,
    dispute_id: Uuid,
    dispatch: &LoggedDispatch<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE router.dispatch_log SET changed_by_dispute = $2 \
         WHERE dispatch_id = (SELECT dispatch_id FROM router.assignments WHERE order_id = $1)",
    )
    .bind(order_id)
    .bind(dispute_id)
    .execute(&mut *tx)
    .await?;
    log_dispatch(tx, dispatch).await?;
    sqlx::query(
        "UPDATE router.assignments SET unit_id = $2, basis = 'dispute', rule_id = NULL, \
         rule_version = NULL, status = 'dispatched', dispatched_at = $3, dispatch_id = $4, \
         signed_at = NULL, signed_by = NULL WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(unit_id)
    .bind(dispatch.dispatched_at)
    .bind(dispatch.dispatch_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// The order's dispute not settled yet, if any (one at a time, A13).
pub async fn pending_dispute(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT dispute_id FROM router.disputes WHERE order_id = $1 \
         AND status IN ('open', 'escalated') ORDER BY disputed_at LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(tx)
    .await
}

/// A13: a dispute as raised.
#[derive(Debug, Clone)]
pub struct NewDispute<'a> {
    pub dispute_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: &'a str,
    pub reason: &'a str,
    pub explanation: &'a str,
    pub proposed_unit_id: Option<&'a str>,
    pub disputed_by: &'a str,
    pub disputed_at: DateTime<Utc>,
}

pub async fn insert_dispute(tx: &mut PgConnection, d: &NewDispute<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO router.disputes (dispute_id, order_id, unit_id, reason, explanation, \
         proposed_unit_id, disputed_by, disputed_at, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')",
    )
    .bind(d.dispute_id)
    .bind(d.order_id)
    .bind(d.unit_id)
    .bind(d.reason)
    .bind(d.explanation)
    .bind(d.proposed_unit_id)
    .bind(d.disputed_by)
    .bind(d.disputed_at)
    .execute(&mut *tx)
    .await?;
    add_dispute_step(tx, d.dispute_id, "disputed", d.disputed_by, d.disputed_at).await
}

/// A13: every step of a dispute is recorded.
pub async fn add_dispute_step(
    tx: &mut PgConnection,
    dispute_id: Uuid,
    step: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO router.dispute_steps (dispute_id, step, actor, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(dispute_id)
    .bind(step)
    .bind(actor)
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A dispute locked for a decision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LockedDispute {
    pub dispute_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: String,
    pub reason: String,
    pub status: String,
    pub traceparent: Option<String>,
}

/// The order a dispute is about (no lock: the caller locks the assignment first, then
/// the dispute, in the same order as a unit raising one).
pub async fn dispute_order(
    tx: &mut PgConnection,
    dispute_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT order_id FROM router.disputes WHERE dispute_id = $1")
        .bind(dispute_id)
        .fetch_optional(tx)
        .await
}

pub async fn lock_dispute(
    tx: &mut PgConnection,
    dispute_id: Uuid,
) -> Result<Option<LockedDispute>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.dispute_id, d.order_id, d.unit_id, d.reason, d.status, a.traceparent \
         FROM router.disputes d JOIN router.assignments a USING (order_id) \
         WHERE d.dispute_id = $1 FOR UPDATE OF d",
    )
    .bind(dispute_id)
    .fetch_optional(tx)
    .await
}

/// Claim open disputes raised before `before`, oldest first; rows a decision holds are
/// skipped (decided now, or seen by the next pass).
pub async fn claim_disputes_to_escalate(
    tx: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<LockedDispute>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.dispute_id, d.order_id, d.unit_id, d.reason, d.status, a.traceparent \
         FROM router.disputes d JOIN router.assignments a USING (order_id) \
         WHERE d.status = 'open' AND d.disputed_at <= $1 \
         ORDER BY d.disputed_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(tx)
    .await
}

pub async fn mark_escalated(
    tx: &mut PgConnection,
    dispute_id: Uuid,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE router.disputes SET status = 'escalated', escalated_at = $2 WHERE dispute_id = $1",
    )
    .bind(dispute_id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    add_dispute_step(tx, dispute_id, "escalated", by, at).await
}

/// A13: the decision on a dispute.
#[derive(Debug, Clone)]
pub struct DisputeSettlement<'a> {
    pub dispute_id: Uuid,
    pub status: &'a str,
    pub decider: &'a str,
    pub decided_by: &'a str,
    pub decided_at: DateTime<Utc>,
    pub decided_unit_id: &'a str,
    pub improper: bool,
}

pub async fn settle_dispute(
    tx: &mut PgConnection,
    s: &DisputeSettlement<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE router.disputes SET status = $2, decider = $3, decided_by = $4, \
         decided_at = $5, decided_unit_id = $6, improper = $7 WHERE dispute_id = $1",
    )
    .bind(s.dispute_id)
    .bind(s.status)
    .bind(s.decider)
    .bind(s.decided_by)
    .bind(s.decided_at)
    .bind(s.decided_unit_id)
    .bind(s.improper)
    .execute(&mut *tx)
    .await?;
    add_dispute_step(tx, s.dispute_id, s.status, s.decided_by, s.decided_at).await?;
    if s.improper {
        add_dispute_step(
            tx,
            s.dispute_id,
            "marked_improper",
            s.decided_by,
            s.decided_at,
        )
        .await?;
    }
    Ok(())
}

/// The co-handling units of an order, in the order they were assigned.
pub async fn co_unit_ids(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT unit_id FROM router.co_units WHERE order_id = $1 ORDER BY assigned_at, unit_id",
    )
    .bind(order_id)
    .fetch_all(tx)
    .await
}

pub async fn insert_co_unit(
    tx: &mut PgConnection,
    order_id: Uuid,
    unit_id: &str,
    assigned_by: &str,
    assigned_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO router.co_units (order_id, unit_id, assigned_by, assigned_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(order_id)
    .bind(unit_id)
    .bind(assigned_by)
    .bind(assigned_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A co-unit's report to the lead unit; false when it had reported already.
pub async fn record_co_report(
    tx: &mut PgConnection,
    order_id: Uuid,
    unit_id: &str,
    report: &StaffText<'_>,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE router.co_units SET report_id = $3, report = $4, reported_by = $5, \
         reported_at = $6 WHERE order_id = $1 AND unit_id = $2 AND reported_at IS NULL",
    )
    .bind(order_id)
    .bind(unit_id)
    .bind(report.id)
    .bind(report.text)
    .bind(report.by)
    .bind(report.at)
    .execute(tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// A text a staff member wrote, with its id and time.
#[derive(Debug, Clone, Copy)]
pub struct StaffText<'a> {
    pub id: Uuid,
    pub text: &'a str,
    pub by: &'a str,
    pub at: DateTime<Utc>,
}

/// A14: an interim progress report.
pub async fn insert_progress(
    tx: &mut PgConnection,
    order_id: Uuid,
    unit_id: &str,
    reason_code: &str,
    report: &StaffText<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO router.progress_reports (report_id, order_id, unit_id, reason_code, \
         progress, reported_by, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(report.id)
    .bind(order_id)
    .bind(unit_id)
    .bind(reason_code)
    .bind(report.text)
    .bind(report.by)
    .bind(report.at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A14: an extension or suspension request.
#[derive(Debug, Clone)]
pub struct NewUnitRequest<'a> {
    pub request_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: &'a str,
    /// `extension` or `suspension`.
    pub kind: &'a str,
    pub limit_unit: Option<&'a str>,
    pub limit_value: Option<i32>,
    pub suspension_reason: Option<&'a str>,
    pub reason_code: &'a str,
    pub explanation: &'a str,
    pub requested_by: &'a str,
    pub requested_at: DateTime<Utc>,
}

/// Store a request; false when one of the same kind is pending for the order.
pub async fn insert_unit_request(
    tx: &mut PgConnection,
    r: &NewUnitRequest<'_>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO router.unit_requests (request_id, order_id, unit_id, kind, limit_unit, \
         limit_value, suspension_reason, reason_code, explanation, requested_by, requested_at, \
         status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending') \
         ON CONFLICT (order_id, kind) WHERE status = 'pending' DO NOTHING",
    )
    .bind(r.request_id)
    .bind(r.order_id)
    .bind(r.unit_id)
    .bind(r.kind)
    .bind(r.limit_unit)
    .bind(r.limit_value)
    .bind(r.suspension_reason)
    .bind(r.reason_code)
    .bind(r.explanation)
    .bind(r.requested_by)
    .bind(r.requested_at)
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A stored request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitRequest {
    pub request_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: String,
    pub kind: String,
    pub limit_unit: Option<String>,
    pub limit_value: Option<i32>,
    pub suspension_reason: Option<String>,
    pub reason_code: String,
    pub status: String,
}

/// The order a request is about (the caller locks the assignment, then the request).
pub async fn request_order(
    tx: &mut PgConnection,
    request_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT order_id FROM router.unit_requests WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(tx)
        .await
}

pub async fn lock_unit_request(
    tx: &mut PgConnection,
    request_id: Uuid,
) -> Result<Option<UnitRequest>, sqlx::Error> {
    sqlx::query_as(
        "SELECT request_id, order_id, unit_id, kind, limit_unit, limit_value, \
         suspension_reason, reason_code, status FROM router.unit_requests \
         WHERE request_id = $1 FOR UPDATE",
    )
    .bind(request_id)
    .fetch_optional(tx)
    .await
}

pub async fn decide_unit_request(
    tx: &mut PgConnection,
    request_id: Uuid,
    approved: bool,
    decided_by: &str,
    decided_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE router.unit_requests SET status = $2, decided_by = $3, decided_at = $4 \
         WHERE request_id = $1",
    )
    .bind(request_id)
    .bind(if approved { "approved" } else { "refused" })
    .bind(decided_by)
    .bind(decided_at)
    .execute(tx)
    .await
    .map(|_| ())
}

pub async fn set_suspended(
    tx: &mut PgConnection,
    order_id: Uuid,
    suspended: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE router.assignments SET suspended = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(suspended)
        .execute(tx)
        .await
        .map(|_| ())
}

/// A16: a result sent back. Returns false when this result was sent back already (a
/// redelivered event).
pub async fn insert_send_back(
    tx: &mut PgConnection,
    sent_back: &hotline_contract::events::OrderSentBack,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO router.send_backs (order_id, result_id, unit_id, reason_code, \
         sent_back_by, sent_back_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(sent_back.order_id)
    .bind(sent_back.result_id)
    .bind(&sent_back.unit_id)
    .bind(&sent_back.reason_code)
    .bind(&sent_back.sent_back_by)
    .bind(sent_back.sent_back_at)
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A16: the order is back in the unit's hands (signed, handling again), one more redo.
pub async fn return_to_unit(tx: &mut PgConnection, order_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE router.assignments SET status = 'signed', result_submitted_at = NULL, \
         redo_count = redo_count + 1 WHERE order_id = $1",
    )
    .bind(order_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// The newest result of an order: (result id, unit id).
pub async fn latest_result(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT result_id, unit_id FROM router.results WHERE order_id = $1 \
         ORDER BY submitted_at DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(tx)
    .await
}

/// A12: an order waiting for consultation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consultation {
    pub order_id: Uuid,
    pub number: String,
    pub kind: String,
    pub urgency: String,
    pub category: Option<String>,
    pub region_code: String,
    pub traceparent: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub status: String,
}

/// Queue an order for consultation; false when it is queued (or decided) already.
pub async fn insert_consultation(
    tx: &mut PgConnection,
    c: &Consultation,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO router.consultations (order_id, number, kind, urgency, category, \
         region_code, traceparent, opened_at, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open') ON CONFLICT DO NOTHING",
    )
    .bind(c.order_id)
    .bind(&c.number)
    .bind(&c.kind)
    .bind(&c.urgency)
    .bind(&c.category)
    .bind(&c.region_code)
    .bind(&c.traceparent)
    .bind(c.opened_at)
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Whether an order is queued or decided in consultation (so it is not dispatched twice).
pub async fn in_consultation(tx: &mut PgConnection, order_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM router.consultations WHERE order_id = $1)")
        .bind(order_id)
        .fetch_one(tx)
        .await
}

pub async fn lock_consultation(
    tx: &mut PgConnection,
    number: &str,
) -> Result<Option<Consultation>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, number, kind, urgency, category, region_code, traceparent, \
         opened_at, status FROM router.consultations WHERE number = $1 FOR UPDATE",
    )
    .bind(number)
    .fetch_optional(tx)
    .await
}

/// Invite a unit; inviting it again changes nothing.
pub async fn invite(
    tx: &mut PgConnection,
    order_id: Uuid,
    unit_id: &str,
    invited_by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO router.consultation_invitees (order_id, unit_id, invited_by, invited_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(unit_id)
    .bind(invited_by)
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// An invited unit's view (a later view replaces an earlier one); false: not invited.
pub async fn record_view(
    tx: &mut PgConnection,
    order_id: Uuid,
    unit_id: &str,
    view: &StaffText<'_>,
    within_duties: bool,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE router.consultation_invitees SET view = $3, within_duties = $4, \
         responded_by = $5, responded_at = $6 WHERE order_id = $1 AND unit_id = $2",
    )
    .bind(order_id)
    .bind(unit_id)
    .bind(view.text)
    .bind(within_duties)
    .bind(view.by)
    .bind(view.at)
    .execute(tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub async fn mark_consultation_decided(
    tx: &mut PgConnection,
    order_id: Uuid,
    decided_by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE router.consultations SET status = 'decided', decided_by = $2, decided_at = $3 \
         WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(decided_by)
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Open consultations, oldest first.
pub async fn open_consultations(pool: &PgPool) -> Result<Vec<Consultation>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, number, kind, urgency, category, region_code, traceparent, \
         opened_at, status FROM router.consultations WHERE status = 'open' ORDER BY opened_at",
    )
    .fetch_all(pool)
    .await
}

/// The invitees of consultations: (order id, unit, invited at, view, within duties,
/// responded at).
pub type InviteeRow = (
    Uuid,
    String,
    DateTime<Utc>,
    Option<String>,
    Option<bool>,
    Option<DateTime<Utc>>,
);

pub async fn invitees(pool: &PgPool, order_ids: &[Uuid]) -> Result<Vec<InviteeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, unit_id, invited_at, view, within_duties, responded_at \
         FROM router.consultation_invitees WHERE order_id = ANY($1) ORDER BY invited_at, unit_id",
    )
    // Planned for each call with its ids: a generic plan made while the table was small
    // may scan it whole for ever (docs/performance.md, fifth round).
    .persistent(false)
    .bind(order_ids)
    .fetch_all(pool)
    .await
}

/// An order as stored, for the unit's view.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub order_id: Uuid,
    pub number: String,
    pub unit_id: String,
    pub status: String,
    pub suspended: bool,
    pub redo_count: i32,
    pub basis: String,
    pub rule_id: Option<String>,
    pub rule_version: Option<i32>,
    pub dispatched_at: DateTime<Utc>,
}

pub async fn order_row(pool: &PgPool, number: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, number, unit_id, status, suspended, redo_count, basis, rule_id, \
         rule_version, dispatched_at FROM router.assignments WHERE number = $1",
    )
    .bind(number)
    .fetch_optional(pool)
    .await
}

/// (unit, assigned at, reported at, report) of each co-unit.
pub async fn co_units(
    pool: &PgPool,
    order_id: Uuid,
) -> Result<Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT unit_id, assigned_at, reported_at, report FROM router.co_units \
         WHERE order_id = $1 ORDER BY assigned_at, unit_id",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await
}

/// A dispute as shown.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisputeRow {
    pub dispute_id: Uuid,
    pub unit_id: String,
    pub reason: String,
    pub proposed_unit_id: Option<String>,
    pub status: String,
    pub improper: bool,
    pub disputed_at: DateTime<Utc>,
}

pub async fn disputes_of(pool: &PgPool, order_id: Uuid) -> Result<Vec<DisputeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT dispute_id, unit_id, reason, proposed_unit_id, status, improper, disputed_at \
         FROM router.disputes WHERE order_id = $1 ORDER BY disputed_at",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await
}

/// (dispute, step, actor, at) of every step of the order's disputes, oldest first.
pub async fn dispute_steps_of(
    pool: &PgPool,
    order_id: Uuid,
) -> Result<Vec<(Uuid, String, String, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.dispute_id, s.step, s.actor, s.at FROM router.dispute_steps s \
         JOIN router.disputes d USING (dispute_id) WHERE d.order_id = $1 ORDER BY s.step_id",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await
}

/// The orders a unit leads or co-handles: (number, role, status, dispatched at), newest
/// first, at most `limit`.
pub async fn unit_orders(
    pool: &PgPool,
    unit_id: &str,
    limit: i64,
) -> Result<Vec<(String, String, String, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT number, 'lead', status, dispatched_at FROM router.assignments WHERE unit_id = $1 \
         UNION ALL \
         SELECT a.number, 'co_handling', a.status, a.dispatched_at FROM router.co_units c \
         JOIN router.assignments a USING (order_id) WHERE c.unit_id = $1 \
         ORDER BY 4 DESC LIMIT $2",
    )
    .bind(unit_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Every dispatch, for the accuracy measure.
pub async fn dispatch_records(
    pool: &PgPool,
) -> Result<Vec<crate::domain::accuracy::DispatchRecord>, sqlx::Error> {
    let rows: Vec<(Option<String>, String, bool)> = sqlx::query_as(
        "SELECT category, dispatcher, changed_by_dispute IS NOT NULL FROM router.dispatch_log",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(category, dispatcher, changed)| crate::domain::accuracy::DispatchRecord {
                category,
                dispatcher,
                changed_after_dispute: changed,
            },
        )
        .collect())
}

/// The active rules for any of `categories` over any of `territories`: a superset of what
/// [`active_rules`] returns for each order of a batch, which the caller narrows per order.
pub async fn active_rules_among(
    tx: &mut PgConnection,
    categories: &[&str],
    territories: &[String],
) -> Result<Vec<DispatchRule>, sqlx::Error> {
    let rows: Vec<ActiveRuleRow> = sqlx::query_as(
        "SELECT rule_id, category, region_code, kind, unit_id, priority, version \
         FROM router.dispatch_rules \
         WHERE active AND category = ANY($1) AND region_code = ANY($2)",
    )
    .bind(categories)
    .bind(territories)
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(rule_id, category, region_code, kind, unit_id, priority, version)| DispatchRule {
                rule_id,
                category,
                region_code,
                kind,
                unit_id,
                priority,
                version,
            },
        )
        .collect())
}

/// Which of `order_ids` are queued or decided in consultation ([`in_consultation`] for a
/// batch).
pub async fn in_consultation_among(
    tx: &mut PgConnection,
    order_ids: &[Uuid],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT order_id FROM router.consultations WHERE order_id = ANY($1)")
            // Planned for each call with the batch's ids (a generic plan cached while the
            // table was small would scan it whole).
            .persistent(false)
            .bind(order_ids)
            .fetch_all(tx)
            .await?;
    Ok(ids.into_iter().collect())
}

/// Which of `order_ids` have an assignment.
pub async fn assigned_among(
    tx: &mut PgConnection,
    order_ids: &[Uuid],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT order_id FROM router.assignments WHERE order_id = ANY($1)")
            // Planned for each call with the batch's ids (a generic plan cached while the
            // table was small would scan it whole).
            .persistent(false)
            .bind(order_ids)
            .fetch_all(tx)
            .await?;
    Ok(ids.into_iter().collect())
}

/// [`insert_assignment`] for a batch, in one statement: the assignments in the order
/// given, and a `dispatch_log` row for each one created. Returns the orders whose
/// assignment was created; an order left out already had one, or its number belongs to
/// another order (the caller tells which with [`assigned_among`]).
pub async fn insert_assignments(
    tx: &mut PgConnection,
    batch: &[NewAssignment<'_>],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let column = |f: fn(&NewAssignment<'_>) -> Option<String>| -> Vec<Option<String>> {
        batch.iter().map(f).collect()
    };
    let created: Vec<Uuid> = sqlx::query_scalar(
        "WITH input AS ( \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::int4[], \
                 $11::text[], $12::text[], $13::uuid[], $14::text[]) WITH ORDINALITY \
             AS i (order_id, number, unit_id, basis, rule_id, kind, urgency, dispatched_at, \
                 traceparent, rule_version, category, region_code, dispatch_id, dispatcher, n)), \
         created AS ( \
             INSERT INTO router.assignments (order_id, number, unit_id, basis, rule_id, kind, \
                 urgency, status, dispatched_at, traceparent, rule_version, category, \
                 region_code, dispatch_id) \
             SELECT order_id, number, unit_id, basis, rule_id, kind, urgency, 'dispatched', \
                 dispatched_at, traceparent, rule_version, category, region_code, dispatch_id \
             FROM input ORDER BY n \
             ON CONFLICT DO NOTHING \
             RETURNING order_id, dispatch_id), \
         logged AS ( \
             INSERT INTO router.dispatch_log (dispatch_id, order_id, unit_id, basis, rule_id, \
                 rule_version, category, dispatcher, dispatched_at) \
             SELECT i.dispatch_id, i.order_id, i.unit_id, i.basis, i.rule_id, i.rule_version, \
                 i.category, i.dispatcher, i.dispatched_at \
             FROM input i JOIN created c ON c.dispatch_id = i.dispatch_id ORDER BY i.n) \
         SELECT order_id FROM created",
    )
    .bind(batch.iter().map(|a| a.order_id).collect::<Vec<_>>())
    .bind(column(|a| Some(a.number.to_owned())))
    .bind(column(|a| Some(a.unit_id.to_owned())))
    .bind(column(|a| Some(a.basis.code().to_owned())))
    .bind(column(|a| a.rule_id.map(str::to_owned)))
    .bind(column(|a| Some(a.kind.to_owned())))
    .bind(column(|a| Some(a.urgency.to_owned())))
    .bind(batch.iter().map(|a| a.dispatched_at).collect::<Vec<_>>())
    .bind(column(|a| Some(a.traceparent.clone())))
    .bind(batch.iter().map(|a| a.rule_version).collect::<Vec<_>>())
    .bind(column(|a| a.category.map(str::to_owned)))
    .bind(column(|a| Some(a.region_code.to_owned())))
    .bind(batch.iter().map(|a| a.dispatch_id).collect::<Vec<_>>())
    .bind(column(|a| Some(a.dispatcher.to_owned())))
    .fetch_all(tx)
    .await?;
    Ok(created.into_iter().collect())
}
