//! The router's SQL, all in the `router` schema (queries are schema-qualified; no other
//! service's tables are ever read).

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::events::DispatchBasis;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::dispatch::DispatchRule;

/// A unit of the directory (A5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlingUnit {
    pub unit_id: String,
    pub name: String,
    /// `department`, `township_government`, `street_office`, `authorised_org`,
    /// `public_enterprise`, `sub_center` or `government`.
    pub unit_type: &'static str,
    pub region_code: String,
    pub parent_unit_id: Option<String>,
}

/// How a seeded row meets an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// Reference data derived from a source of truth (the divisions file): refresh the
    /// descriptive columns, keep what an operator decided (`active`).
    Refresh,
    /// Demo data: create it when missing, never touch it afterwards.
    KeepExisting,
}

pub async fn upsert_unit(
    tx: &mut PgConnection,
    unit: &HandlingUnit,
    mode: Upsert,
) -> Result<(), sqlx::Error> {
    let sql = match mode {
        Upsert::Refresh => {
            "INSERT INTO router.units (unit_id, name, unit_type, region_code, parent_unit_id) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (unit_id) DO UPDATE SET name = EXCLUDED.name, \
             unit_type = EXCLUDED.unit_type, region_code = EXCLUDED.region_code, \
             parent_unit_id = EXCLUDED.parent_unit_id"
        }
        Upsert::KeepExisting => {
            "INSERT INTO router.units (unit_id, name, unit_type, region_code, parent_unit_id) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id) DO NOTHING"
        }
    };
    sqlx::query(sql)
        .bind(&unit.unit_id)
        .bind(&unit.name)
        .bind(unit.unit_type)
        .bind(&unit.region_code)
        .bind(&unit.parent_unit_id)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Create a rule when missing; an existing rule belongs to the operators.
pub async fn insert_rule_if_missing(
    tx: &mut PgConnection,
    rule: &DispatchRule,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO router.dispatch_rules (rule_id, category, region_code, unit_id, priority) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (rule_id) DO NOTHING",
    )
    .bind(&rule.rule_id)
    .bind(&rule.category)
    .bind(&rule.region_code)
    .bind(&rule.unit_id)
    .bind(rule.priority)
    .execute(tx)
    .await
    .map(|_| ())
}

/// The active rules for a category whose unit is active too.
pub async fn active_rules(
    tx: &mut PgConnection,
    category: &str,
) -> Result<Vec<DispatchRule>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, i32)> = sqlx::query_as(
        "SELECT r.rule_id, r.category, r.region_code, r.unit_id, r.priority \
         FROM router.dispatch_rules r JOIN router.units u ON u.unit_id = r.unit_id \
         WHERE r.active AND u.active AND r.category = $1",
    )
    .bind(category)
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(rule_id, category, region_code, unit_id, priority)| DispatchRule {
                rule_id,
                category,
                region_code,
                unit_id,
                priority,
            },
        )
        .collect())
}

/// Ids of the units that may receive orders.
pub async fn active_unit_ids(tx: &mut PgConnection) -> Result<HashSet<String>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT unit_id FROM router.units WHERE active")
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
    pub kind: &'a str,
    pub urgency: &'a str,
    pub dispatched_at: DateTime<Utc>,
    /// The order's trace, continued by later steps.
    pub traceparent: String,
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
         urgency, status, dispatched_at, traceparent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'dispatched', $8, $9) \
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
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
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
}

/// Find the assignment of an order number and lock it until the transaction ends, so
/// two steps on one order (a double click, two staff members) are applied one after the
/// other and the second sees the first's outcome.
pub async fn lock_assignment(
    tx: &mut PgConnection,
    number: &str,
) -> Result<Option<LockedAssignment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, number, unit_id, status, traceparent FROM router.assignments \
         WHERE number = $1 FOR UPDATE",
    )
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
pub async fn latest_reply(
    pool: &sqlx::PgPool,
    order_id: Uuid,
) -> Result<Option<(Uuid, String, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT result_id, reply, submitted_at FROM router.results WHERE order_id = $1 \
         ORDER BY submitted_at DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(pool)
    .await
}
