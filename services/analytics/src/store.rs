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

/// `registered` creates each order's row or fills in its descriptive columns. One
/// statement for all of `events`, which must be of distinct orders (an upsert touches a
/// row once per statement).
pub async fn record_registrations(
    tx: &mut PgConnection,
    events: &[&OrderRegistered],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO analytics.order_facts \
         (order_id, number, kind, channel, region_code, category, registered_at, follow_up_of, \
          registered_by, requested_at, updated_at) \
         SELECT *, now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
                                     $6::text[], $7::timestamptz[], $8::uuid[], $9::text[], \
                                     $10::timestamptz[]) \
         ON CONFLICT (order_id) DO UPDATE SET number = EXCLUDED.number, kind = EXCLUDED.kind, \
         registered_by = COALESCE(EXCLUDED.registered_by, analytics.order_facts.registered_by), \
         requested_at = COALESCE(EXCLUDED.requested_at, analytics.order_facts.requested_at), \
         channel = EXCLUDED.channel, region_code = EXCLUDED.region_code, \
         category = COALESCE(EXCLUDED.category, analytics.order_facts.category), \
         registered_at = LEAST(analytics.order_facts.registered_at, EXCLUDED.registered_at), \
         follow_up_of = COALESCE(EXCLUDED.follow_up_of, analytics.order_facts.follow_up_of), \
         updated_at = now()",
    )
    .bind(events.iter().map(|e| e.order_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.number.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.kind.code()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.channel.code()).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.region_code.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.category.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|e| e.registered_at).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.follow_up_of).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.registered_by.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|e| e.requested_at).collect::<Vec<_>>())
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
    record_registrations(tx, &[registration]).await?;
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

/// `dispatched` sets each order's dispatch time (the earliest) and its unit; it fills in
/// the number and kind only while `registered` has not. Returns each order's
/// [`HandlingTimes`] after the write. `events` must be of distinct orders.
pub async fn record_dispatches(
    tx: &mut PgConnection,
    events: &[&OrderDispatched],
) -> Result<Vec<(Uuid, HandlingTimes)>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    // In SET, `analytics.order_facts.*` are the values before this update.
    let rows: Vec<HandlingRow> = sqlx::query_as(&format!(
        "INSERT INTO analytics.order_facts \
         (order_id, number, kind, unit_id, dispatched_at, updated_at) \
         SELECT *, now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], \
                                     $5::timestamptz[]) \
         ON CONFLICT (order_id) DO UPDATE SET \
         number = COALESCE(analytics.order_facts.number, EXCLUDED.number), \
         kind = COALESCE(analytics.order_facts.kind, EXCLUDED.kind), \
         unit_id = CASE WHEN analytics.order_facts.dispatched_at IS NULL \
                          OR EXCLUDED.dispatched_at < analytics.order_facts.dispatched_at \
                        THEN EXCLUDED.unit_id ELSE analytics.order_facts.unit_id END, \
         dispatched_at = LEAST(analytics.order_facts.dispatched_at, EXCLUDED.dispatched_at), \
         updated_at = now() {RETURNING_HANDLING_TIMES}",
    ))
    .bind(events.iter().map(|e| e.order_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.number.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.kind.code()).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.unit_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|e| e.dispatched_at).collect::<Vec<_>>())
    .fetch_all(tx)
    .await?;
    Ok(rows.into_iter().map(HandlingRow::split).collect())
}

/// `signed` sets each order's sign time; it fills in the unit only while no dispatch is
/// known. `events` must be of distinct orders.
pub async fn record_signings(
    tx: &mut PgConnection,
    events: &[&OrderSigned],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO analytics.order_facts (order_id, unit_id, signed_at, updated_at) \
         SELECT *, now() FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) \
         ON CONFLICT (order_id) DO UPDATE SET \
         unit_id = COALESCE(analytics.order_facts.unit_id, EXCLUDED.unit_id), \
         signed_at = LEAST(analytics.order_facts.signed_at, EXCLUDED.signed_at), \
         updated_at = now()",
    )
    .bind(events.iter().map(|e| e.order_id).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.unit_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|e| e.signed_at).collect::<Vec<_>>())
    .execute(tx)
    .await
    .map(|_| ())
}

/// `result_submitted` sets each order's time of the first result. Returns each order's
/// [`HandlingTimes`] after the write. `events` must be of distinct orders.
pub async fn record_first_results(
    tx: &mut PgConnection,
    events: &[&OrderResultSubmitted],
) -> Result<Vec<(Uuid, HandlingTimes)>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let column = "result_submitted_at";
    let rows: Vec<HandlingRow> = sqlx::query_as(&format!(
        "INSERT INTO analytics.order_facts (order_id, {column}, updated_at) \
         SELECT *, now() FROM unnest($1::uuid[], $2::timestamptz[]) \
         ON CONFLICT (order_id) DO UPDATE SET \
         {column} = LEAST(analytics.order_facts.{column}, EXCLUDED.{column}), updated_at = now() \
         {RETURNING_HANDLING_TIMES}"
    ))
    .bind(events.iter().map(|e| e.order_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.submitted_at).collect::<Vec<_>>())
    .fetch_all(tx)
    .await?;
    Ok(rows.into_iter().map(HandlingRow::split).collect())
}

/// Record each order's close (`(order_id, closed_at)`, distinct orders); returns the
/// orders closed here for the first time (what the closed-orders counter counts). The
/// rows already there are locked first, so two transactions closing one order count it
/// once.
pub async fn record_closes(
    tx: &mut PgConnection,
    closes: &[(Uuid, DateTime<Utc>)],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if closes.is_empty() {
        return Ok(Vec::new());
    }
    let order_ids: Vec<Uuid> = closes.iter().map(|c| c.0).collect();
    let closed_at: Vec<DateTime<Utc>> = closes.iter().map(|c| c.1).collect();
    // `before` locks the rows there already (a concurrent close of the same order waits,
    // and is then read as it committed); the upsert's effects are not visible to it.
    sqlx::query_scalar(
        "WITH before AS (SELECT order_id, closed_at FROM analytics.order_facts \
                         WHERE order_id = ANY($1) FOR UPDATE), \
         upsert AS (INSERT INTO analytics.order_facts (order_id, closed_at, updated_at) \
                    SELECT *, now() FROM unnest($1::uuid[], $2::timestamptz[]) \
                    ON CONFLICT (order_id) DO UPDATE SET \
                    closed_at = LEAST(analytics.order_facts.closed_at, EXCLUDED.closed_at), \
                    updated_at = now()) \
         SELECT id FROM unnest($1::uuid[]) AS i(id) \
         WHERE id NOT IN (SELECT order_id FROM before WHERE closed_at IS NOT NULL)",
    )
    // Planned for each call, with the batch's ids (see intake's `advance_statuses`: a
    // generic plan made on a small table scans it whole).
    .persistent(false)
    .bind(&order_ids)
    .bind(&closed_at)
    .fetch_all(tx)
    .await
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

/// What the fact upserts of a dispatch and a result return: the order, its (earliest)
/// dispatch and first result, and the handling time stored so far.
const RETURNING_HANDLING_TIMES: &str =
    "RETURNING order_id, dispatched_at, result_submitted_at, handling_working_days";

/// An order's dispatch and first-result instants, and its stored handling time.
pub type HandlingTimes = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<i32>);

#[derive(sqlx::FromRow)]
struct HandlingRow {
    order_id: Uuid,
    dispatched_at: Option<DateTime<Utc>>,
    result_submitted_at: Option<DateTime<Utc>>,
    handling_working_days: Option<i32>,
}

impl HandlingRow {
    fn split(self) -> (Uuid, HandlingTimes) {
        let times = (
            self.dispatched_at,
            self.result_submitted_at,
            self.handling_working_days,
        );
        (self.order_id, times)
    }
}

/// Bring each order's handling time in working days up to date with its (earliest)
/// dispatch and first result, once both are known (docs/kpis.md), from what the upserts
/// returned (`times` in the order written: an order's last entry is its state now);
/// written only where it changes, so most batches cost no statement.
pub async fn refresh_handling_times(
    tx: &mut PgConnection,
    calendar: &Calendar,
    times: &[(Uuid, HandlingTimes)],
) -> Result<(), sqlx::Error> {
    let mut latest: Vec<(Uuid, HandlingTimes)> = Vec::with_capacity(times.len());
    for &(order_id, t) in times.iter().rev() {
        if !latest.iter().any(|(id, _)| *id == order_id) {
            latest.push((order_id, t));
        }
    }
    let (mut order_ids, mut days) = (Vec::new(), Vec::new());
    for (order_id, (dispatched, result, stored)) in latest {
        let now = match (dispatched, result) {
            (Some(dispatched), Some(result)) => handling_working_days(calendar, dispatched, result),
            _ => None,
        };
        if now != stored {
            order_ids.push(order_id);
            days.push(now);
        }
    }
    if order_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE analytics.order_facts f SET handling_working_days = c.days \
         FROM unnest($1::uuid[], $2::int4[]) AS c(order_id, days) \
         WHERE f.order_id = ANY($1) AND f.order_id = c.order_id",
    )
    // Planned for each call, with the batch's ids (see `record_closes`).
    .persistent(false)
    .bind(&order_ids)
    .bind(&days)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A staff member's act (A19): `act` is one of the handlers' constants, never input.
#[derive(Debug, Clone)]
pub struct StaffAct<'a> {
    pub act: &'static str,
    pub subject_id: Uuid,
    pub at: DateTime<Utc>,
    pub staff_id: &'a str,
    pub order_id: Uuid,
}

/// Staff members' acts (A19), once per act and subject (see the `staff_acts` migration).
pub async fn record_staff_acts(
    tx: &mut PgConnection,
    acts: &[StaffAct<'_>],
) -> Result<(), sqlx::Error> {
    if acts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO analytics.staff_acts (act, subject_id, at, staff_id, order_id) \
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::text[], $5::uuid[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(acts.iter().map(|a| a.act).collect::<Vec<_>>())
    .bind(acts.iter().map(|a| a.subject_id).collect::<Vec<_>>())
    .bind(acts.iter().map(|a| a.at).collect::<Vec<_>>())
    .bind(acts.iter().map(|a| a.staff_id).collect::<Vec<_>>())
    .bind(acts.iter().map(|a| a.order_id).collect::<Vec<_>>())
    .execute(tx)
    .await
    .map(|_| ())
}

/// One staff act (see [`record_staff_acts`]).
pub async fn record_staff_act(
    tx: &mut PgConnection,
    act: &'static str,
    subject_id: Uuid,
    at: DateTime<Utc>,
    staff_id: &str,
    order_id: Uuid,
) -> Result<(), sqlx::Error> {
    let act = StaffAct {
        act,
        subject_id,
        at,
        staff_id,
        order_id,
    };
    record_staff_acts(tx, &[act]).await
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
