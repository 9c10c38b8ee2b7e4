//! The bridge's SQL, all in the `emergency_bridge` schema (the emergency lane's outbox
//! lives in `emergency_bridge_lane`, written through `hotline_messaging::Outbox`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use hotline_contract::joint::{JointLogStep, JointSide};
use hotline_contract::transfer::{PartnerLink, TransferToPartnerRequested};
use hotline_contract::vocabulary::{OrderStatus, RequestKind, Urgency};

use crate::domain::Partner;

pub async fn partner(tx: &mut PgConnection, code: &str) -> Result<Option<Partner>, sqlx::Error> {
    sqlx::query_as(
        "SELECT code, kind, name, ack_timeout_secs, retry_count, fallback_phone, public_key \
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
    let withheld = transfer
        .request
        .0
        .caller
        .as_ref()
        .and_then(|c| c.withheld)
        .map(|w| w.code());
    sqlx::query(
        "INSERT INTO emergency_bridge.disclosures \
         (transfer_id, order_id, partner_code, attempt, fields, purpose, withheld) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(transfer.transfer_id)
    .bind(transfer.order_id)
    .bind(&transfer.partner_code)
    .bind(attempt)
    .bind(fields)
    .bind(purpose)
    .bind(withheld)
    .execute(tx)
    .await?;
    Ok(())
}

/// Register (or replace) partner `code`'s public key; false when no such partner.
pub async fn set_partner_key(
    pool: &sqlx::PgPool,
    code: &str,
    public_key: &str,
) -> Result<bool, sqlx::Error> {
    let updated =
        sqlx::query("UPDATE emergency_bridge.partners SET public_key = $2 WHERE code = $1")
            .bind(code)
            .bind(public_key)
            .execute(pool)
            .await?;
    Ok(updated.rows_affected() == 1)
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

/// Where an order stands, as the bridge's projection holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderStage {
    pub order_id: Uuid,
    pub order_number: String,
    pub kind: String,
    pub region_code: String,
    pub urgency: String,
    pub status: String,
    pub status_at: DateTime<Utc>,
    pub unit_id: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A new order the bridge learnt of (registered, transferred out, handed in); a known one
/// is left as it is.
#[derive(Debug)]
pub struct NewStage<'a> {
    pub order_id: Uuid,
    pub order_number: &'a str,
    pub kind: RequestKind,
    pub region_code: &'a str,
    pub urgency: Urgency,
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
}

pub async fn insert_stage(tx: &mut PgConnection, s: &NewStage<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO emergency_bridge.order_stages \
         (order_id, order_number, kind, region_code, urgency, status, status_rank, status_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(s.order_id)
    .bind(s.order_number)
    .bind(s.kind.code())
    .bind(s.region_code)
    .bind(s.urgency.code())
    .bind(s.status.code())
    .bind(i16::from(s.status.rank()))
    .bind(s.at)
    .execute(tx)
    .await?;
    Ok(())
}

/// What a lifecycle event changes about an order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageChange {
    /// The status it reaches (never moves an order backwards).
    pub status: Option<OrderStatus>,
    pub unit_id: Option<String>,
    pub result_submitted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Apply a lifecycle event, and say whether partners handle the order with us.
pub async fn advance_stage(
    tx: &mut PgConnection,
    order_id: Uuid,
    change: &StageChange,
    at: DateTime<Utc>,
) -> Result<Stage, sqlx::Error> {
    let rank = change.status.map(|s| i16::from(s.rank())).unwrap_or(-1);
    // Whether the order is handled jointly comes back with the update, so an order without
    // partners (nearly all) costs one round trip per lifecycle event.
    let joint: Option<bool> = sqlx::query_scalar(
        "UPDATE emergency_bridge.order_stages SET \
           status = CASE WHEN $3 >= status_rank AND $2::text IS NOT NULL THEN $2 ELSE status END, \
           status_at = CASE WHEN $3 >= status_rank AND $2::text IS NOT NULL THEN $4 ELSE status_at END, \
           status_rank = GREATEST(status_rank, $3), \
           unit_id = COALESCE($5, unit_id), \
           result_submitted_at = COALESCE($6, result_submitted_at), \
           closed_at = COALESCE($7, closed_at), \
           updated_at = now() \
         WHERE order_id = $1 \
         RETURNING EXISTS (SELECT 1 FROM emergency_bridge.joint_handlings j WHERE j.order_id = $1)",
    )
    .bind(order_id)
    .bind(change.status.map(OrderStatus::code))
    .bind(rank)
    .bind(at)
    .bind(change.unit_id.as_deref())
    .bind(change.result_submitted_at)
    .bind(change.closed_at)
    .fetch_optional(tx)
    .await?;
    Ok(match joint {
        None => Stage::Unknown,
        Some(false) => Stage::Advanced,
        Some(true) => Stage::AdvancedJointly,
    })
}

/// [`insert_stage`] for several new orders in one statement.
pub async fn insert_stages(
    tx: &mut PgConnection,
    stages: &[NewStage<'_>],
) -> Result<(), sqlx::Error> {
    let ids: Vec<Uuid> = stages.iter().map(|s| s.order_id).collect();
    let numbers: Vec<&str> = stages.iter().map(|s| s.order_number).collect();
    let kinds: Vec<&str> = stages.iter().map(|s| s.kind.code()).collect();
    let regions: Vec<&str> = stages.iter().map(|s| s.region_code).collect();
    let urgencies: Vec<&str> = stages.iter().map(|s| s.urgency.code()).collect();
    let statuses: Vec<&str> = stages.iter().map(|s| s.status.code()).collect();
    let ranks: Vec<i16> = stages.iter().map(|s| i16::from(s.status.rank())).collect();
    let ats: Vec<DateTime<Utc>> = stages.iter().map(|s| s.at).collect();
    sqlx::query(
        "INSERT INTO emergency_bridge.order_stages \
         (order_id, order_number, kind, region_code, urgency, status, status_rank, status_at) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
                              $6::text[], $7::int2[], $8::timestamptz[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&ids)
    .bind(&numbers)
    .bind(&kinds)
    .bind(&regions)
    .bind(&urgencies)
    .bind(&statuses)
    .bind(&ranks)
    .bind(&ats)
    .execute(tx)
    .await?;
    Ok(())
}

/// One order's lifecycle event for [`advance_stages`]: the change and its instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageAdvance {
    pub order_id: Uuid,
    pub change: StageChange,
    pub at: DateTime<Utc>,
}

impl StageAdvance {
    /// This event followed by `later` (of the same order), as one change with the same
    /// effect as [`advance_stage`] applied to both in turn: the status of the higher rank
    /// (the later one of equal rank) with its instant, and each other field as the later
    /// event gives it, else as this one does.
    pub fn then(self, later: StageAdvance) -> StageAdvance {
        let rank = |c: &StageChange| c.status.map(|s| i16::from(s.rank())).unwrap_or(-1);
        let later_status_wins =
            later.change.status.is_some() && rank(&later.change) >= rank(&self.change);
        let (status, at) = if later_status_wins {
            (later.change.status, later.at)
        } else {
            (self.change.status, self.at)
        };
        StageAdvance {
            order_id: self.order_id,
            change: StageChange {
                status,
                unit_id: later.change.unit_id.or(self.change.unit_id),
                result_submitted_at: later
                    .change
                    .result_submitted_at
                    .or(self.change.result_submitted_at),
                closed_at: later.change.closed_at.or(self.change.closed_at),
            },
            at,
        }
    }
}

/// [`advance_stage`] for several orders' events in one statement: each order's events
/// are combined in order ([`StageAdvance::then`]) and its row updated once. Returns, for
/// each order the bridge knows, whether partners handle it with us; the others are left
/// out (nothing was written for them).
pub async fn advance_stages(
    tx: &mut PgConnection,
    advances: &[StageAdvance],
) -> Result<Vec<(Uuid, bool)>, sqlx::Error> {
    let mut per_order: Vec<StageAdvance> = Vec::with_capacity(advances.len());
    for advance in advances {
        match per_order
            .iter_mut()
            .find(|a| a.order_id == advance.order_id)
        {
            Some(earlier) => *earlier = std::mem::take(earlier).then(advance.clone()),
            None => per_order.push(advance.clone()),
        }
    }
    let ids: Vec<Uuid> = per_order.iter().map(|a| a.order_id).collect();
    let statuses: Vec<Option<&str>> = per_order
        .iter()
        .map(|a| a.change.status.map(OrderStatus::code))
        .collect();
    let ranks: Vec<i16> = per_order
        .iter()
        .map(|a| a.change.status.map(|s| i16::from(s.rank())).unwrap_or(-1))
        .collect();
    let ats: Vec<DateTime<Utc>> = per_order.iter().map(|a| a.at).collect();
    let units: Vec<Option<&str>> = per_order
        .iter()
        .map(|a| a.change.unit_id.as_deref())
        .collect();
    let submitted: Vec<Option<DateTime<Utc>>> = per_order
        .iter()
        .map(|a| a.change.result_submitted_at)
        .collect();
    let closed: Vec<Option<DateTime<Utc>>> = per_order.iter().map(|a| a.change.closed_at).collect();
    // The same update as `advance_stage`, one row per order.
    sqlx::query_as(
        "UPDATE emergency_bridge.order_stages s SET \
           status = CASE WHEN i.rank >= s.status_rank AND i.status IS NOT NULL THEN i.status ELSE s.status END, \
           status_at = CASE WHEN i.rank >= s.status_rank AND i.status IS NOT NULL THEN i.at ELSE s.status_at END, \
           status_rank = GREATEST(s.status_rank, i.rank), \
           unit_id = COALESCE(i.unit_id, s.unit_id), \
           result_submitted_at = COALESCE(i.result_submitted_at, s.result_submitted_at), \
           closed_at = COALESCE(i.closed_at, s.closed_at), \
           updated_at = now() \
         FROM unnest($1::uuid[], $2::text[], $3::int2[], $4::timestamptz[], $5::text[], \
                     $6::timestamptz[], $7::timestamptz[]) \
              AS i (order_id, status, rank, at, unit_id, result_submitted_at, closed_at) \
         WHERE s.order_id = ANY($1) AND s.order_id = i.order_id \
         RETURNING s.order_id, \
           EXISTS (SELECT 1 FROM emergency_bridge.joint_handlings j WHERE j.order_id = s.order_id)",
    )
    // Planned for each call (an unnamed statement), with the batch's ids: a cached generic
    // plan made while the table was small (a new database, no ANALYZE since) scans the whole
    // table for ever; under load that took 1 ms a call and growing. Planning costs about
    // 0.2 ms, once per batch.
    .persistent(false)
    .bind(&ids)
    .bind(&statuses)
    .bind(&ranks)
    .bind(&ats)
    .bind(&units)
    .bind(&submitted)
    .bind(&closed)
    .fetch_all(tx)
    .await
}

/// What [`advance_stage`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The bridge does not know the order: nothing was written.
    Unknown,
    /// Advanced; no partner handles the order with us.
    Advanced,
    /// Advanced; partners handle the order with us (A8), who are told our step.
    AdvancedJointly,
}

const STAGE_COLUMNS: &str =
    "order_id, order_number, kind, region_code, urgency, status, status_at, unit_id, closed_at";

pub async fn stage(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<OrderStage>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {STAGE_COLUMNS} FROM emergency_bridge.order_stages WHERE order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(tx)
    .await
}

pub async fn stage_by_number(
    tx: &mut PgConnection,
    number: &str,
) -> Result<Option<OrderStage>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {STAGE_COLUMNS} FROM emergency_bridge.order_stages WHERE order_number = $1"
    ))
    .bind(number)
    .fetch_optional(tx)
    .await
}

/// The order partner `code`'s transfer became: its id.
pub async fn inbound_order(
    tx: &mut PgConnection,
    partner_code: &str,
    partner_transfer_id: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT order_id FROM emergency_bridge.inbound_transfers \
         WHERE partner_code = $1 AND partner_transfer_id = $2",
    )
    .bind(partner_code)
    .bind(partner_transfer_id)
    .fetch_optional(tx)
    .await
}

/// How partner `code` is linked to the order, if it is: handed in by it (with its
/// transfer id), transferred to it, or handled jointly with it.
pub async fn link(
    tx: &mut PgConnection,
    partner_code: &str,
    order_id: Uuid,
) -> Result<Option<(PartnerLink, Option<String>)>, sqlx::Error> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT 'from_partner', partner_transfer_id FROM emergency_bridge.inbound_transfers \
           WHERE partner_code = $1 AND order_id = $2 \
         UNION ALL SELECT 'to_partner', NULL FROM emergency_bridge.outbound_transfers \
           WHERE partner_code = $1 AND order_id = $2 \
         UNION ALL SELECT 'joint_handling', NULL FROM emergency_bridge.joint_handlings \
           WHERE partner_code = $1 AND order_id = $2 \
         LIMIT 1",
    )
    .bind(partner_code)
    .bind(order_id)
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|(kind, id)| {
        let link = match kind.as_str() {
            "from_partner" => PartnerLink::FromPartner,
            "to_partner" => PartnerLink::ToPartner,
            _ => PartnerLink::JointHandling,
        };
        (link, id)
    }))
}

/// A joint handling of an order with a partner (A8).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Joint {
    pub joint_id: Uuid,
    pub order_id: Uuid,
    pub order_number: String,
    pub partner_code: String,
    pub partner_name: String,
    pub started_by: String,
    pub reason: String,
    pub started_at: DateTime<Utc>,
}

const JOINT_SELECT: &str = "SELECT j.joint_id, j.order_id, j.order_number, j.partner_code, \
     p.name AS partner_name, j.started_by, j.reason, j.started_at \
     FROM emergency_bridge.joint_handlings j JOIN emergency_bridge.partners p ON p.code = j.partner_code";

/// Mark the order for joint handling with the partner; false if it already is.
pub async fn insert_joint(
    tx: &mut PgConnection,
    joint_id: Uuid,
    order: &OrderStage,
    partner_code: &str,
    started_by: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO emergency_bridge.joint_handlings \
         (joint_id, order_id, order_number, partner_code, started_by, reason, started_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id, partner_code) DO NOTHING",
    )
    .bind(joint_id)
    .bind(order.order_id)
    .bind(&order.order_number)
    .bind(partner_code)
    .bind(started_by)
    .bind(reason)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every joint handling of an order, oldest first.
pub async fn joints_of(tx: &mut PgConnection, order_id: Uuid) -> Result<Vec<Joint>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{JOINT_SELECT} WHERE j.order_id = $1 ORDER BY j.started_at, j.partner_code"
    ))
    .bind(order_id)
    .fetch_all(tx)
    .await
}

/// The joint handling of order `number` with partner `code`.
pub async fn joint_for(
    tx: &mut PgConnection,
    partner_code: &str,
    number: &str,
) -> Result<Option<Joint>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{JOINT_SELECT} WHERE j.partner_code = $1 AND j.order_number = $2"
    ))
    .bind(partner_code)
    .bind(number)
    .fetch_optional(tx)
    .await
}

/// One step of a joint handling, as recorded.
#[derive(Debug)]
pub struct NewStep<'a> {
    pub joint_id: Uuid,
    pub side: JointSide,
    /// What makes it one step: the partner's step id or our event's id.
    pub source_key: &'a str,
    pub step: &'a str,
    pub text: &'a str,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

/// Record a step; false when it was recorded before (a redelivery or a resend).
pub async fn insert_step(tx: &mut PgConnection, s: &NewStep<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO emergency_bridge.joint_steps \
         (joint_id, side, source_key, step, text, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (joint_id, side, source_key) DO NOTHING",
    )
    .bind(s.joint_id)
    .bind(side_code(s.side))
    .bind(s.source_key)
    .bind(s.step)
    .bind(s.text)
    .bind(s.actor)
    .bind(s.at)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn side_code(side: JointSide) -> &'static str {
    match side {
        JointSide::Ours => "ours",
        JointSide::Partner => "partner",
    }
}

/// Every step of an order's joint handlings, both sides, in time order.
pub async fn joint_log(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<JointLogStep>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT j.partner_code, s.side, s.step, s.text, s.actor, s.at \
         FROM emergency_bridge.joint_steps s JOIN emergency_bridge.joint_handlings j USING (joint_id) \
         WHERE j.order_id = $1 ORDER BY s.at, s.id",
    )
    .bind(order_id)
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(partner_code, side, step, text, actor, at)| JointLogStep {
            partner_code,
            side: if side == "partner" {
                JointSide::Partner
            } else {
                JointSide::Ours
            },
            step,
            text,
            actor,
            at,
        })
        .collect())
}
