//! Analytics' SQL, all in the `analytics` schema.
//!
//! Each upsert writes only the columns of its own event, so the order in which events
//! arrive does not change the result: `registered` owns the descriptive columns, every
//! step owns its timestamp and keeps the earliest one seen (`LEAST` ignores NULL), and the
//! unit is the one of the earliest dispatch (a sign only fills it in while no dispatch is
//! known).

use chrono::{DateTime, Utc};
use hotline_contract::events::{
    OrderDispatched, OrderRegistered, OrderResultSubmitted, OrderSatisfactionRecorded, OrderSigned,
};
use hotline_contract::rpc::OrderSummary;
use hotline_workday::Calendar;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::kpi::handling_working_days;

/// `registered` creates the row or fills in the descriptive columns.
pub async fn record_registered(
    tx: &mut PgConnection,
    e: &OrderRegistered,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO analytics.order_facts \
         (order_id, number, kind, channel, region_code, category, registered_at, follow_up_of, \
          registered_by, requested_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now()) \
         ON CONFLICT (order_id) DO UPDATE SET number = EXCLUDED.number, kind = EXCLUDED.kind, \
         registered_by = COALESCE(EXCLUDED.registered_by, analytics.order_facts.registered_by), \
         requested_at = COALESCE(EXCLUDED.requested_at, analytics.order_facts.requested_at), \
         channel = EXCLUDED.channel, region_code = EXCLUDED.region_code, \
         category = COALESCE(EXCLUDED.category, analytics.order_facts.category), \
         registered_at = LEAST(analytics.order_facts.registered_at, EXCLUDED.registered_at), \
         follow_up_of = COALESCE(EXCLUDED.follow_up_of, analytics.order_facts.follow_up_of), \
         updated_at = now()",
    )
    .bind(e.order_id)
    .bind(&e.number)
    .bind(e.kind.code())
    .bind(e.channel.code())
    .bind(&e.region_code)
    .bind(&e.category)
    .bind(e.registered_at)
    .bind(e.follow_up_of)
    .bind(&e.registered_by)
    .bind(e.requested_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// An intake disposition (A9, A10): the registration facts, the disposition and its
/// reason. Orders closed at intake also get their close time.
pub async fn record_disposition(
    tx: &mut PgConnection,
    registration: &OrderRegistered,
    disposition: &'static str,
    reason: Option<&str>,
    at: DateTime<Utc>,
    closes: bool,
) -> Result<(), sqlx::Error> {
    record_registered(tx, registration).await?;
    sqlx::query(
        "UPDATE analytics.order_facts SET disposition = $2, disposition_reason = $3, updated_at = now() \
         WHERE order_id = $1",
    )
    .bind(registration.order_id)
    .bind(disposition)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    let column = if closes {
        "closed_at"
    } else {
        "transfer_requested_at"
    };
    record_step(tx, column, registration.order_id, at).await
}

/// `dispatched` sets the dispatch time (the earliest) and its unit; it fills in the number
/// and kind only while `registered` has not.
pub async fn record_dispatched(
    tx: &mut PgConnection,
    e: &OrderDispatched,
) -> Result<HandlingTimes, sqlx::Error> {
    // In SET, `analytics.order_facts.*` are the values before this update.
    sqlx::query_as(&format!(
        "INSERT INTO analytics.order_facts \
         (order_id, number, kind, unit_id, dispatched_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, now()) \
         ON CONFLICT (order_id) DO UPDATE SET \
         number = COALESCE(analytics.order_facts.number, EXCLUDED.number), \
         kind = COALESCE(analytics.order_facts.kind, EXCLUDED.kind), \
         unit_id = CASE WHEN analytics.order_facts.dispatched_at IS NULL \
                          OR EXCLUDED.dispatched_at < analytics.order_facts.dispatched_at \
                        THEN EXCLUDED.unit_id ELSE analytics.order_facts.unit_id END, \
         dispatched_at = LEAST(analytics.order_facts.dispatched_at, EXCLUDED.dispatched_at), \
         updated_at = now() {RETURNING_HANDLING_TIMES}",
    ))
    .bind(e.order_id)
    .bind(&e.number)
    .bind(e.kind.code())
    .bind(&e.unit_id)
    .bind(e.dispatched_at)
    .fetch_one(tx)
    .await
}

/// `signed` sets the sign time; it fills in the unit only while no dispatch is known.
pub async fn record_signed(tx: &mut PgConnection, e: &OrderSigned) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO analytics.order_facts (order_id, unit_id, signed_at, updated_at) \
         VALUES ($1, $2, $3, now()) \
         ON CONFLICT (order_id) DO UPDATE SET \
         unit_id = COALESCE(analytics.order_facts.unit_id, EXCLUDED.unit_id), \
         signed_at = LEAST(analytics.order_facts.signed_at, EXCLUDED.signed_at), \
         updated_at = now()",
    )
    .bind(e.order_id)
    .bind(&e.unit_id)
    .bind(e.signed_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// `result_submitted` sets the time of the first result.
pub async fn record_result_submitted(
    tx: &mut PgConnection,
    e: &OrderResultSubmitted,
) -> Result<HandlingTimes, sqlx::Error> {
    let column = "result_submitted_at";
    sqlx::query_as(&format!(
        "INSERT INTO analytics.order_facts (order_id, {column}, updated_at) VALUES ($1, $2, now()) \
         ON CONFLICT (order_id) DO UPDATE SET \
         {column} = LEAST(analytics.order_facts.{column}, EXCLUDED.{column}), updated_at = now() \
         {RETURNING_HANDLING_TIMES}"
    ))
    .bind(e.order_id)
    .bind(e.submitted_at)
    .fetch_one(tx)
    .await
}

/// Record the close; returns whether this is the first close seen for the order (what the
/// closed-orders counter counts).
pub async fn record_closed(
    tx: &mut PgConnection,
    order_id: Uuid,
    closed_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let before: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
        "SELECT closed_at FROM analytics.order_facts WHERE order_id = $1 FOR UPDATE",
    )
    .bind(order_id)
    .fetch_optional(&mut *tx)
    .await?;
    record_step(tx, "closed_at", order_id, closed_at).await?;
    Ok(before.flatten().is_none())
}

/// Upsert one step timestamp, keeping the earliest. `column` is one of this module's
/// constants, never input.
async fn record_step(
    tx: &mut PgConnection,
    column: &'static str,
    order_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO analytics.order_facts (order_id, {column}, updated_at) VALUES ($1, $2, now()) \
         ON CONFLICT (order_id) DO UPDATE SET \
         {column} = LEAST(analytics.order_facts.{column}, EXCLUDED.{column}), updated_at = now()"
    ))
    .bind(order_id)
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Count the orders that reached each step.
pub async fn summary(pool: &PgPool) -> Result<OrderSummary, sqlx::Error> {
    let (registered, dispatched, signed, result_submitted, closed) = sqlx::query_as(
        "SELECT count(registered_at) AS registered, count(dispatched_at) AS dispatched, \
         count(signed_at) AS signed, count(result_submitted_at) AS result_submitted, \
         count(closed_at) AS closed FROM analytics.order_facts",
    )
    .fetch_one(pool)
    .await?;
    Ok(OrderSummary {
        registered,
        dispatched,
        signed,
        result_submitted,
        closed,
    })
}

/// The satisfaction visit: the first verdict recorded stands (a repeated event changes
/// nothing).
pub async fn record_satisfaction(
    tx: &mut PgConnection,
    e: &OrderSatisfactionRecorded,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO analytics.order_facts (order_id, satisfaction, resolved, satisfaction_at, updated_at) \
         VALUES ($1, $2, $3, $4, now()) \
         ON CONFLICT (order_id) DO UPDATE SET \
         satisfaction = COALESCE(analytics.order_facts.satisfaction, EXCLUDED.satisfaction), \
         resolved = COALESCE(analytics.order_facts.resolved, EXCLUDED.resolved), \
         satisfaction_at = COALESCE(analytics.order_facts.satisfaction_at, EXCLUDED.satisfaction_at), \
         updated_at = now()",
    )
    .bind(e.order_id)
    .bind(e.verdict.code())
    .bind(e.resolved)
    .bind(e.recorded_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A flag of the KPI columns (`disputed`, `redispatched`, `sign_overdue`,
/// `handling_overdue`) turns on; it never turns off, so the order of events does not matter.
/// `column` is one of this module's callers' constants, never input.
pub async fn raise_flag(
    tx: &mut PgConnection,
    column: &'static str,
    order_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO analytics.order_facts (order_id, {column}, updated_at) VALUES ($1, TRUE, now()) \
         ON CONFLICT (order_id) DO UPDATE SET {column} = TRUE, updated_at = now()"
    ))
    .bind(order_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A send-back (redo, A16), once per result sent back; the fact row's `send_backs` is
/// recounted from the rows (see [`lock_fact_row`]).
pub async fn record_send_back(
    tx: &mut PgConnection,
    result_id: Uuid,
    order_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    lock_fact_row(tx, order_id).await?;
    sqlx::query(
        "INSERT INTO analytics.order_send_backs (result_id, order_id, sent_back_at) \
         VALUES ($1, $2, $3) ON CONFLICT (result_id) DO NOTHING",
    )
    .bind(result_id)
    .bind(order_id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE analytics.order_facts SET send_backs = \
         (SELECT count(*) FROM analytics.order_send_backs WHERE order_id = $1), updated_at = now() \
         WHERE order_id = $1",
    )
    .bind(order_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Create the order's fact row if missing and lock it until the transaction ends. Two
/// transactions adding a send-back (or a case) to the same order then run one after the
/// other, and the second one's recount (a new snapshot per statement) sees the first one's
/// row: the count on the fact row always equals the rows in the side table.
async fn lock_fact_row(tx: &mut PgConnection, order_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO analytics.order_facts (order_id, updated_at) VALUES ($1, now()) \
         ON CONFLICT (order_id) DO UPDATE SET updated_at = now()",
    )
    .bind(order_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A supervision case opened or closed (either may arrive first); the fact row's `cases`
/// and `cases_closed` are recounted from the rows (see [`lock_fact_row`]).
pub async fn record_case(
    tx: &mut PgConnection,
    case_id: Uuid,
    order_id: Uuid,
    opened_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    lock_fact_row(tx, order_id).await?;
    sqlx::query(
        "INSERT INTO analytics.order_cases (case_id, order_id, opened_at, closed_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE SET \
         opened_at = COALESCE(analytics.order_cases.opened_at, EXCLUDED.opened_at), \
         closed_at = COALESCE(analytics.order_cases.closed_at, EXCLUDED.closed_at)",
    )
    .bind(case_id)
    .bind(order_id)
    .bind(opened_at)
    .bind(closed_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE analytics.order_facts f SET cases = c.n, cases_closed = c.closed, updated_at = now() \
         FROM (SELECT count(*) AS n, count(closed_at) AS closed \
               FROM analytics.order_cases WHERE order_id = $1) c \
         WHERE f.order_id = $1",
    )
    .bind(order_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// What the fact upserts of a dispatch and a result return: the order's (earliest)
/// dispatch and first result, and the handling time stored so far.
const RETURNING_HANDLING_TIMES: &str =
    "RETURNING dispatched_at, result_submitted_at, handling_working_days";

/// An order's dispatch and first-result instants, and its stored handling time.
pub type HandlingTimes = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<i32>);

/// Bring the order's handling time in working days up to date with its (earliest)
/// dispatch and first result, once both are known (docs/kpis.md), from what the upsert
/// just returned; written only when it changes, so most events cost no second statement.
pub async fn refresh_handling_time(
    tx: &mut PgConnection,
    calendar: &Calendar,
    order_id: Uuid,
    (dispatched, result, stored): HandlingTimes,
) -> Result<(), sqlx::Error> {
    let days = match (dispatched, result) {
        (Some(dispatched), Some(result)) => handling_working_days(calendar, dispatched, result),
        _ => None,
    };
    if days == stored {
        return Ok(());
    }
    sqlx::query("UPDATE analytics.order_facts SET handling_working_days = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(days)
        .execute(tx)
        .await
        .map(|_| ())
}

/// A staff member's act (A19), once per act and subject (see the `staff_acts` migration);
/// `act` is one of the handlers' constants, never input.
pub async fn record_staff_act(
    tx: &mut PgConnection,
    act: &'static str,
    subject_id: Uuid,
    at: DateTime<Utc>,
    staff_id: &str,
    order_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO analytics.staff_acts (act, subject_id, at, staff_id, order_id) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(act)
    .bind(subject_id)
    .bind(at)
    .bind(staff_id)
    .bind(order_id)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A repeat linked to an earlier order (A10.3): the earlier order, for direct-answer
/// accuracy (A19).
pub async fn record_repeat_of(
    tx: &mut PgConnection,
    order_id: Uuid,
    earlier_order_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE analytics.order_facts SET repeat_of = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(earlier_order_id)
        .execute(tx)
        .await
        .map(|_| ())
}
