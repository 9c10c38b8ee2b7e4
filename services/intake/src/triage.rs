//! Turning a triage decision into what it means on the bus and to the requester: the one
//! event that announces the order (dispatch → `order.registered`; closed or transferred at
//! intake → its own event carrying the registration facts), the public status it starts
//! in, and what the requester is told at once.

use chrono::{DateTime, Utc};
use hotline_contract::events::{
    OrderAnswered, OrderRedirected, OrderRegistered, OrderRepeatLinked, OrderTransferRequested,
};
use hotline_contract::rpc::Disposition;
use hotline_contract::vocabulary::OrderStatus;
use hotline_messaging::{Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::PgConnection;

use crate::domain::triage::{Decision, Triage};

/// What the receipt reports.
pub fn disposition(decision: &Decision) -> Disposition {
    match decision {
        Decision::Dispatch { .. } => Disposition::Dispatched,
        Decision::Answer { .. } => Disposition::AnsweredDirectly,
        Decision::Transfer { .. } => Disposition::TransferRequested,
        Decision::Redirect { .. } => Disposition::Redirected,
        Decision::RepeatLink { .. } => Disposition::RepeatLinked,
    }
}

/// The public status right after registration (`None`: stays `registered` until the
/// router dispatches it).
pub fn initial_status(decision: &Decision) -> Option<OrderStatus> {
    match decision {
        Decision::Dispatch { .. } => None,
        Decision::Answer { .. } => Some(OrderStatus::AnsweredDirectly),
        Decision::Transfer { .. } => Some(OrderStatus::TransferRequested),
        Decision::Redirect { .. } => Some(OrderStatus::Redirected),
        Decision::RepeatLink { .. } => Some(OrderStatus::RepeatLinked),
    }
}

/// What the requester is told at once, in Chinese.
pub fn notice(decision: &Decision) -> Option<String> {
    match decision {
        Decision::Dispatch { .. } => None,
        Decision::Answer { .. } => Some("您的咨询已根据政务服务知识库直接答复。".to_owned()),
        Decision::Transfer {
            notice: Some(notice),
            ..
        } => Some(notice.clone()),
        Decision::Transfer { partner_code, .. } => {
            Some(format!("您的诉求已转交{partner_code}热线处理。"))
        }
        // A10.2, A10.4, A10.5: the route, the explanation or the persuasion.
        Decision::Redirect { reason } => Some(reason.label_zh().to_owned()),
        // A10.3: told the progress of the earlier order.
        Decision::RepeatLink { earlier } => Some(format!(
            "该诉求与工单{}相同且无新的事实和理由，已关联原工单，请凭原工单编号查询办理进度和结果。",
            earlier.number
        )),
    }
}

/// Queue the one event that announces the order.
pub async fn announce(
    outbox: &Outbox,
    tx: &mut PgConnection,
    trace: &TraceContext,
    mut registration: OrderRegistered,
    triage: &Triage,
    at: DateTime<Utc>,
) -> Result<(), OutboxError> {
    let by = triage.decided_by.clone();
    match &triage.decision {
        Decision::Dispatch { follow_up_of } => {
            registration.follow_up_of = follow_up_of.as_ref().map(|e| e.order_id);
            outbox.append(tx, trace, registration).await?;
        }
        Decision::Answer {
            article_id,
            article_version,
        } => {
            let event = OrderAnswered {
                registration,
                article_id: article_id.clone(),
                article_version: *article_version,
                answered_by: by,
                answered_at: at,
            };
            outbox.append(tx, trace, event).await?;
        }
        Decision::Transfer {
            partner_code,
            emergency,
            ..
        } => {
            let event = OrderTransferRequested {
                registration,
                partner_code: partner_code.clone(),
                emergency: *emergency,
                requested_by: by,
                requested_at: at,
            };
            outbox.append(tx, trace, event).await?;
        }
        Decision::Redirect { reason } => {
            let event = OrderRedirected {
                registration,
                reason: *reason,
                decided_by: by,
                redirected_at: at,
            };
            outbox.append(tx, trace, event).await?;
        }
        Decision::RepeatLink { earlier } => {
            let event = OrderRepeatLinked {
                registration,
                earlier_order_id: earlier.order_id,
                earlier_number: earlier.number.clone(),
                decided_by: by,
                linked_at: at,
            };
            outbox.append(tx, trace, event).await?;
        }
    }
    Ok(())
}
