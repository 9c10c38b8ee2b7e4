//! The bridge's SQL, all in the `emergency_bridge` schema (the emergency lane's outbox
//! lives in `emergency_bridge_lane`, written through `hotline_messaging::Outbox`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use hotline_contract::transfer::TransferToPartnerRequested;

use crate::domain::Partner;

pub async fn partner(tx: &mut PgConnection, code: &str) -> Result<Option<Partner>, sqlx::Error> {
    sqlx::query_as(
        "SELECT code, kind, name, ack_timeout_secs, retry_count, fallback_phone \
         FROM emergency_bridge.partners WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(tx)
    .await
}

/// A transfer out, as the handlers and the timer see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboundTransfer {
    pub transfer_id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    pub partner_code: String,
    pub emergency: bool,
    pub status: String,
    pub attempts: i32,
    pub requested_at: DateTime<Utc>,
    pub request: sqlx::types::Json<TransferToPartnerRequested>,
}

#[derive(Debug)]
pub struct NewTransfer<'a> {
    pub transfer_id: Uuid,
    pub order_id: Uuid,
    pub order_number: &'a str,
    pub partner_code: &'a str,
    pub emergency: bool,
    pub answer_by: DateTime<Utc>,
    pub requested_at: DateTime<Utc>,
    pub request: &'a TransferToPartnerRequested,
}

/// Returns false when the order already has a transfer to this partner.
pub async fn insert_transfer(
    tx: &mut PgConnection,
    t: &NewTransfer<'_>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO emergency_bridge.outbound_transfers \
         (transfer_id, order_id, order_number, partner_code, emergency, answer_by, requested_at, request) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id, partner_code) DO NOTHING",
    )
    .bind(t.transfer_id)
    .bind(t.order_id)
    .bind(t.order_number)
    .bind(t.partner_code)
    .bind(t.emergency)
    .bind(t.answer_by)
    .bind(t.requested_at)
    .bind(sqlx::types::Json(t.request))
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

const TRANSFER_COLUMNS: &str = "transfer_id, order_id, order_number, partner_code, emergency, status, attempts, requested_at, request";

pub async fn lock_transfer(
    tx: &mut PgConnection,
    transfer_id: Uuid,
) -> Result<Option<OutboundTransfer>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM emergency_bridge.outbound_transfers \
         WHERE transfer_id = $1 FOR UPDATE"
    ))
    .bind(transfer_id)
    .fetch_optional(tx)
    .await
}

/// Open transfers whose answer time has passed, emergencies first; locked, skipping rows
/// another replica's timer holds.
pub async fn lock_overdue(
    tx: &mut PgConnection,
    limit: i64,
) -> Result<Vec<OutboundTransfer>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM emergency_bridge.outbound_transfers \
         WHERE status = 'awaiting' AND answer_by <= now() \
         ORDER BY emergency DESC, answer_by LIMIT $1 FOR UPDATE SKIP LOCKED"
    ))
    .bind(limit)
    .fetch_all(tx)
    .await
}

pub async fn set_retry(
    tx: &mut PgConnection,
    transfer_id: Uuid,
    attempt: i32,
    answer_by: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE emergency_bridge.outbound_transfers SET attempts = $2, answer_by = $3 \
         WHERE transfer_id = $1",
    )
    .bind(transfer_id)
    .bind(attempt)
    .bind(answer_by)
    .execute(tx)
    .await?;
    Ok(())
}

/// Record the outcome of an open transfer (`accepted`, `rejected`, `timed_out`).
pub async fn decide(
    tx: &mut PgConnection,
    transfer_id: Uuid,
    status: &str,
    partner_reference: Option<&str>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE emergency_bridge.outbound_transfers \
         SET status = $2, partner_reference = $3, reason = $4, decided_at = $5 \
         WHERE transfer_id = $1 AND status = 'awaiting'",
    )
    .bind(transfer_id)
    .bind(status)
    .bind(partner_reference)
    .bind(reason)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// A21: record that `fields` of the caller went to the partner.
pub async fn record_disclosure(
    tx: &mut PgConnection,
    transfer: &OutboundTransfer,
    attempt: i32,
    fields: &[&str],
    purpose: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO emergency_bridge.disclosures \
         (transfer_id, order_id, partner_code, attempt, fields, purpose) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(transfer.transfer_id)
    .bind(transfer.order_id)
    .bind(&transfer.partner_code)
    .bind(attempt)
    .bind(fields)
    .bind(purpose)
    .execute(tx)
    .await?;
    Ok(())
}

/// The order a partner's transfer already became, if any.
pub async fn inbound(
    tx: &mut PgConnection,
    partner_code: &str,
    partner_transfer_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT order_number FROM emergency_bridge.inbound_transfers \
         WHERE partner_code = $1 AND partner_transfer_id = $2",
    )
    .bind(partner_code)
    .bind(partner_transfer_id)
    .fetch_optional(tx)
    .await
}

pub async fn insert_inbound(
    tx: &mut PgConnection,
    partner_code: &str,
    partner_transfer_id: &str,
    order_id: Uuid,
    order_number: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO emergency_bridge.inbound_transfers \
         (partner_code, partner_transfer_id, order_id, order_number) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(partner_code)
    .bind(partner_transfer_id)
    .bind(order_id)
    .bind(order_number)
    .execute(tx)
    .await?;
    Ok(())
}
