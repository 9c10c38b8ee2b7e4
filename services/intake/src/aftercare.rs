//! After the order: the satisfaction visit (回访) and harassment flags (A24).
//!
//! - **Satisfaction**: once an order is closed (by review, or answered directly), the
//!   requester's verdict is recorded once: by an agent on a callback, or by the requester
//!   online with the number and check code. `order.satisfaction_recorded` carries the
//!   verdict (A18 counts satisfaction); the comment stays here.
//! - **Harassment** (A24): an agent flags abusive contact on an order; the flag is kept
//!   with the requester's keyed phone hash (never the number). With
//!   [`MARK_AFTER_FLAGS`] flags within [`FLAG_WINDOW_DAYS`] days the requester is marked.
//!   Both numbers are the documented defaults the regulation leaves open.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use hotline_contract::events::{OrderSatisfactionRecorded, VisitChannel};
use hotline_contract::rpc::{
    FieldError, FlagHarassment, HarassmentReceipt, RecordSatisfaction, RpcError, RpcErrorCode,
    SatisfactionReceipt,
};
use hotline_contract::vocabulary::OrderStatus;
use hotline_messaging::Outbox;
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use uuid::Uuid;

/// Flags within the window that mark a requester (A24; a documented default).
pub const MARK_AFTER_FLAGS: i64 = 3;
/// The window for counting flags, in days.
pub const FLAG_WINDOW_DAYS: i64 = 90;
/// Longest comment or note, in characters.
pub const MAX_TEXT: usize = 1000;

/// The order facts both steps need.
#[derive(sqlx::FromRow)]
struct OrderRow {
    order_id: Uuid,
    check_code: String,
    status: String,
    phone_hash: Option<String>,
}

async fn find(pool: &PgPool, number: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.order_id, o.check_code, s.status, r.phone_hash FROM intake.orders o \
         JOIN intake.order_status s USING (order_id) \
         LEFT JOIN intake.requesters r USING (order_id) WHERE o.number = $1",
    )
    .bind(number.trim())
    .fetch_optional(pool)
    .await
}

fn unavailable(error: impl std::fmt::Display) -> RpcError {
    tracing::error!(%error, "aftercare step failed");
    RpcError::new(RpcErrorCode::Unavailable, "暂时无法处理，请稍后重试")
}

fn field(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// A short free text: optional, trimmed, bounded, no control characters but line breaks.
fn check_text(
    name: &str,
    value: Option<&str>,
    required: bool,
) -> Result<Option<String>, FieldError> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match value {
        None if required => Err(field(name, "required", "此项必须填写")),
        None => Ok(None),
        Some(v) if v.chars().count() > MAX_TEXT => {
            Err(field(name, "too_long", "内容过长（不超过1000字）"))
        }
        Some(v)
            if v.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) =>
        {
            Err(field(name, "control_character", "不能包含控制字符"))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `rpc.intake.record_satisfaction`.
pub async fn record_satisfaction(
    pool: &PgPool,
    outbox: &Outbox,
    trace: &TraceContext,
    input: RecordSatisfaction,
) -> Result<SatisfactionReceipt, RpcError> {
    let comment = check_text("comment", input.comment.as_deref(), false)
        .map_err(|e| RpcError::invalid(vec![e]))?;
    let agent = check_text("agent_id", input.agent_id.as_deref(), false)
        .map_err(|e| RpcError::invalid(vec![e]))?;
    let not_found = || RpcError::not_found("未找到该工单，请核对工单编号和查询码");
    let order = find(pool, &input.number)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    let (via, recorded_by) = match agent {
        Some(agent) => (VisitChannel::AgentCallback, agent),
        None => {
            // Online: only the requester holds the check code; a wrong one looks like an
            // unknown number.
            let code = input.check_code.as_deref().map(str::trim).unwrap_or("");
            if code.is_empty() {
                return Err(RpcError::invalid(vec![field(
                    "check_code",
                    "required",
                    "网上评价需要提供查询码",
                )]));
            }
            if !same(code, &order.check_code) {
                return Err(not_found());
            }
            (VisitChannel::Online, "requester".to_owned())
        }
    };
    let closed = [
        OrderStatus::Closed.code(),
        OrderStatus::AnsweredDirectly.code(),
    ];
    if !closed.contains(&order.status.as_str()) {
        return Err(RpcError::conflict("工单办结后才能进行满意度回访"));
    }
    let now = Utc::now().trunc_subsecs(6);
    let result: Result<bool, Box<dyn std::error::Error + Send + Sync>> = async {
        let mut tx = pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO intake.satisfaction_visits (order_id, verdict, resolved, comment, via, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING",
        )
        .bind(order.order_id)
        .bind(input.verdict.code())
        .bind(input.resolved)
        .bind(&comment)
        .bind(match via {
            VisitChannel::AgentCallback => "agent_callback",
            VisitChannel::Online => "online",
        })
        .bind(&recorded_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        outbox
            .append(
                &mut tx,
                trace,
                OrderSatisfactionRecorded {
                    order_id: order.order_id,
                    verdict: input.verdict,
                    resolved: input.resolved,
                    via,
                    recorded_by,
                    recorded_at: now,
                },
            )
            .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    match result {
        Ok(true) => Ok(SatisfactionReceipt {
            number: input.number.trim().to_owned(),
            recorded_at: now,
        }),
        Ok(false) => Err(RpcError::conflict("该工单已完成满意度回访")),
        Err(error) => Err(unavailable(error)),
    }
}

/// `rpc.intake.flag_harassment` (A24).
pub async fn flag_harassment(
    pool: &PgPool,
    input: FlagHarassment,
) -> Result<HarassmentReceipt, RpcError> {
    let mut errors = Vec::new();
    let agent = check_text("agent_id", Some(&input.agent_id), true)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let note = check_text("note", Some(&input.note), true)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let (Some(agent), Some(note)) = (agent, note) else {
        return Err(RpcError::invalid(errors));
    };
    let order = find(pool, &input.number)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| RpcError::not_found("未找到该工单"))?;
    let Some(phone_hash) = order.phone_hash else {
        return Err(RpcError::conflict("该工单没有可识别的诉求人"));
    };
    let now: DateTime<Utc> = Utc::now().trunc_subsecs(6);
    let result: Result<(i64, bool), sqlx::Error> = async {
        let mut tx = pool.begin().await?;
        // One requester's flags are counted one transaction at a time.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 24))")
            .bind(&phone_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO intake.harassment_flags (order_id, phone_hash, agent_id, note, flagged_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(order.order_id)
        .bind(&phone_hash)
        .bind(&agent)
        .bind(&note)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let flags: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM intake.harassment_flags WHERE phone_hash = $1 AND flagged_at > $2",
        )
        .bind(&phone_hash)
        .bind(now - Duration::days(FLAG_WINDOW_DAYS))
        .fetch_one(&mut *tx)
        .await?;
        if flags >= MARK_AFTER_FLAGS {
            sqlx::query(
                "INSERT INTO intake.marked_requesters (phone_hash, marked_at, flags_at_marking) \
                 VALUES ($1, $2, $3) ON CONFLICT (phone_hash) DO NOTHING",
            )
            .bind(&phone_hash)
            .bind(now)
            .bind(i32::try_from(flags).unwrap_or(i32::MAX))
            .execute(&mut *tx)
            .await?;
        }
        let marked: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM intake.marked_requesters WHERE phone_hash = $1)",
        )
        .bind(&phone_hash)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((flags, marked))
    }
    .await;
    let (flags_in_window, requester_marked) = result.map_err(unavailable)?;
    tracing::warn!(order_id = %order.order_id, %agent, flags_in_window, requester_marked, "harassment flagged");
    Ok(HarassmentReceipt {
        number: input.number.trim().to_owned(),
        flags_in_window,
        requester_marked,
    })
}
