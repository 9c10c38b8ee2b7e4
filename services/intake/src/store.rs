//! Intake's SQL, all in the `intake` schema.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::rpc::{ProgressStep, ProgressView};
use hotline_contract::vocabulary::{Channel, OrderStatus, RequestKind};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::registration::ValidRegistration;

/// The order row as registered.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub order_id: Uuid,
    pub number: &'a str,
    pub check_code: &'a str,
    pub registered_at: DateTime<Utc>,
    pub registration: &'a ValidRegistration,
    pub phone_hash: &'a str,
}

/// Next number of the day for a region; the upsert's row lock serialises concurrent
/// registrations of the same region and day.
pub async fn next_sequence(
    tx: &mut PgConnection,
    region_code: &str,
    day: NaiveDate,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO intake.daily_sequence (region_code, day, last_value) VALUES ($1, $2, 1) \
         ON CONFLICT (region_code, day) DO UPDATE SET last_value = intake.daily_sequence.last_value + 1 \
         RETURNING last_value",
    )
    .bind(region_code)
    .bind(day)
    .fetch_one(tx)
    .await
}

pub async fn insert_order(tx: &mut PgConnection, o: &NewOrder<'_>) -> Result<(), sqlx::Error> {
    let r = o.registration;
    sqlx::query(
        "INSERT INTO intake.orders (order_id, number, check_code, channel, kind, category, \
         region_code, urgency, confidential, matter, requested_at, registered_at, registered_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(o.order_id)
    .bind(o.number)
    .bind(o.check_code)
    .bind(r.channel.code())
    .bind(r.kind.code())
    .bind(&r.category)
    .bind(&r.region_code)
    .bind(r.urgency.code())
    .bind(r.confidential)
    .bind(&r.matter)
    .bind(r.requested_at)
    .bind(o.registered_at)
    .bind(&r.agent_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO intake.requesters (order_id, requester_type, name, phone, phone_hash, address) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(o.order_id)
    .bind(r.requester_type.code())
    .bind(&r.name)
    .bind(r.phone.as_str())
    .bind(o.phone_hash)
    .bind(&r.address)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO intake.order_status (order_id, status, status_rank, updated_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(o.order_id)
    .bind(OrderStatus::Registered.code())
    .bind(i16::from(OrderStatus::Registered.rank()))
    .bind(o.registered_at)
    .execute(&mut *tx)
    .await?;
    record_history(tx, o.order_id, OrderStatus::Registered, o.registered_at).await
}

async fn record_history(
    tx: &mut PgConnection,
    order_id: Uuid,
    status: OrderStatus,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO intake.order_history (order_id, status, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(order_id)
    .bind(status.code())
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Whether intake knows the order (events about unknown orders are not ours to project).
pub async fn order_exists(tx: &mut PgConnection, order_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM intake.orders WHERE order_id = $1)")
        .bind(order_id)
        .fetch_one(tx)
        .await
}

/// Move the public status forward (never backwards: a late or repeated event leaves a
/// later status in place) and add the step to the history.
pub async fn advance_status(
    tx: &mut PgConnection,
    order_id: Uuid,
    status: OrderStatus,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE intake.order_status SET status = $2, status_rank = $3, updated_at = $4 \
         WHERE order_id = $1 AND status_rank < $3",
    )
    .bind(order_id)
    .bind(status.code())
    .bind(i16::from(status.rank()))
    .bind(at)
    .execute(&mut *tx)
    .await?;
    record_history(tx, order_id, status, at).await
}

pub async fn set_sign_due(
    tx: &mut PgConnection,
    order_id: Uuid,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE intake.order_status SET sign_due_at = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(due_at)
        .execute(tx)
        .await
        .map(|_| ())
}

#[derive(sqlx::FromRow)]
struct ProgressRow {
    order_id: Uuid,
    number: String,
    check_code: String,
    channel: String,
    kind: String,
    registered_at: DateTime<Utc>,
    status: String,
    updated_at: DateTime<Utc>,
    sign_due_at: Option<DateTime<Utc>>,
}

/// Outcome of a progress lookup.
#[derive(Debug)]
pub enum Lookup {
    Found(Box<ProgressView>),
    /// No such number, or the check code does not match: the caller cannot tell which,
    /// so numbers cannot be probed.
    NotFound,
}

pub async fn progress(
    pool: &PgPool,
    number: &str,
    check_code: &str,
) -> Result<Lookup, sqlx::Error> {
    let row: Option<ProgressRow> = sqlx::query_as(
        "SELECT o.order_id, o.number, o.check_code, o.channel, o.kind, o.registered_at, \
         s.status, s.updated_at, s.sign_due_at \
         FROM intake.orders o JOIN intake.order_status s USING (order_id) WHERE o.number = $1",
    )
    .bind(number)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(Lookup::NotFound);
    };
    if !constant_time_eq(row.check_code.as_bytes(), check_code.as_bytes()) {
        return Ok(Lookup::NotFound);
    }
    let history: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT status, at FROM intake.order_history WHERE order_id = $1 ORDER BY at, status",
    )
    .bind(row.order_id)
    .fetch_all(pool)
    .await?;
    let status = OrderStatus::from_code(&row.status).unwrap_or(OrderStatus::Registered);
    let view = ProgressView {
        number: row.number,
        status,
        status_label: status.label_zh().to_owned(),
        kind: RequestKind::from_code(&row.kind).unwrap_or(RequestKind::Consultation),
        channel: Channel::from_code(&row.channel).unwrap_or(Channel::WebMessage),
        registered_at: row.registered_at,
        updated_at: row.updated_at,
        sign_due_at: row.sign_due_at,
        history: history
            .into_iter()
            .filter_map(|(s, at)| {
                OrderStatus::from_code(&s).map(|status| ProgressStep { status, at })
            })
            .collect(),
    };
    Ok(Lookup::Found(Box::new(view)))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
