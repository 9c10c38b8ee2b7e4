//! Joint handling of an order with a partner hotline (A8: 联动; e.g. 12345 and 110 on a
//! neighbourhood dispute that needs the police on site).
//!
//! - [`JointDesk::start`] (`rpc.emergency-bridge.start_joint_handling`): marks the order,
//!   records the first step and tells the partner on `hotline.transfer.<code>.joint_requested`,
//!   in one transaction (outbox).
//! - [`PartnerSteps`]: `partner.<code>.joint.step` → the partner's step in the log, once per
//!   `step_id` (a resend or a redelivery is recorded once); a step for an order not handled
//!   jointly with that partner, or a malformed one, is refused on
//!   `hotline.transfer.<code>.message_rejected`.
//! - Our steps come from the order's lifecycle events ([`crate::status::OrderStages`]).
//! - [`JointDesk::log`] (`rpc.emergency-bridge.joint_handling`): both sides, in time order.

use chrono::Utc;
use hotline_contract::joint::{
    JointHandlingLog, JointHandlingQuery, JointHandlingRequested, JointHandlingStarted,
    JointPartner, JointSide, StartJointHandling,
};
use hotline_contract::rpc::{FieldError, RpcError, RpcErrorCode};
use hotline_contract::transfer::subject;
use hotline_contract::vocabulary::{OrderStatus, RequestKind, Urgency};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_telemetry::TraceContext;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{self, Refusal};
use crate::status::refuse;
use crate::store::{self, NewStep};

/// The longest reason a staff member may give (it is sent to the partner).
pub const MAX_REASON: usize = 500;

/// The joint-handling requests of the bridge.
#[derive(Debug, Clone)]
pub struct JointDesk {
    pub pool: PgPool,
    pub outbox: Outbox,
}

fn invalid(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

fn unavailable(error: impl std::fmt::Display) -> RpcError {
    tracing::error!(%error, "joint handling: database or outbox failed");
    RpcError::new(RpcErrorCode::Unavailable, "暂时无法处理，请稍后重试")
}

/// Check a start command's fields (all named at once).
pub fn check_start(command: &StartJointHandling) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if command.number.trim().is_empty() {
        errors.push(invalid("number", "required", "工单编号不能为空"));
    }
    if command.partner_code.trim().is_empty() {
        errors.push(invalid("partner_code", "required", "合作热线代码不能为空"));
    }
    if command.started_by.trim().is_empty() {
        errors.push(invalid("started_by", "required", "发起人不能为空"));
    }
    if command.reason.trim().is_empty() {
        errors.push(invalid("reason", "required", "联动事由不能为空"));
    } else if command.reason.chars().count() > MAX_REASON {
        errors.push(invalid(
            "reason",
            "too_long",
            &format!("联动事由不能超过{MAX_REASON}个字符"),
        ));
    }
    errors
}

impl JointDesk {
    /// `rpc.emergency-bridge.start_joint_handling`.
    pub async fn start(
        &self,
        command: StartJointHandling,
        trace: &TraceContext,
    ) -> Result<JointHandlingStarted, RpcError> {
        let errors = check_start(&command);
        if !errors.is_empty() {
            return Err(RpcError::invalid(errors));
        }
        let number = command.number.trim();
        let code = command.partner_code.trim();
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        if store::partner(&mut tx, code)
            .await
            .map_err(unavailable)?
            .is_none()
        {
            return Err(RpcError::invalid(vec![invalid(
                "partner_code",
                "unknown",
                &format!("未登记的合作热线：{code}"),
            )]));
        }
        let Some(order) = store::stage_by_number(&mut tx, number)
            .await
            .map_err(unavailable)?
        else {
            return Err(RpcError::not_found(format!("未找到工单 {number}")));
        };
        let status = OrderStatus::from_code(&order.status).unwrap_or(OrderStatus::Registered);
        if order.closed_at.is_some() {
            return Err(RpcError::conflict("工单已办结，不能再发起联动"));
        }
        let joint_id = Uuid::now_v7();
        let now = Utc::now();
        let reason = command.reason.trim();
        let started_by = command.started_by.trim();
        if !store::insert_joint(&mut tx, joint_id, &order, code, started_by, reason, now)
            .await
            .map_err(unavailable)?
        {
            return Err(RpcError::conflict(format!("该工单已与{code}联动处置")));
        }
        store::insert_step(
            &mut tx,
            &NewStep {
                joint_id,
                side: JointSide::Ours,
                source_key: "joint_requested",
                step: "joint_requested",
                text: reason,
                actor: started_by,
                at: now,
            },
        )
        .await
        .map_err(unavailable)?;
        let request = JointHandlingRequested {
            joint_id,
            partner_code: code.to_owned(),
            order_number: order.order_number.clone(),
            kind: RequestKind::from_code(&order.kind).unwrap_or(RequestKind::Help),
            region_code: order.region_code.clone(),
            urgency: Urgency::from_code(&order.urgency).unwrap_or_default(),
            status,
            reason: reason.to_owned(),
            requested_by: started_by.to_owned(),
            requested_at: now,
        };
        self.outbox
            .append(&mut tx, trace, request)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        tracing::info!(order_id = %order.order_id, partner = %code, %joint_id, "joint handling started");
        Ok(JointHandlingStarted {
            joint_id,
            number: order.order_number,
            partner_code: code.to_owned(),
            started_at: now,
        })
    }

    /// `rpc.emergency-bridge.joint_handling`: the log of an order (empty when it has no
    /// joint handling).
    pub async fn log(&self, query: JointHandlingQuery) -> Result<JointHandlingLog, RpcError> {
        let number = query.number.trim();
        if number.is_empty() {
            return Err(RpcError::invalid(vec![invalid(
                "number",
                "required",
                "工单编号不能为空",
            )]));
        }
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        let Some(order) = store::stage_by_number(&mut conn, number)
            .await
            .map_err(unavailable)?
        else {
            return Err(RpcError::not_found(format!("未找到工单 {number}")));
        };
        let partners = store::joints_of(&mut conn, order.order_id)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|j| JointPartner {
                joint_id: j.joint_id,
                partner_code: j.partner_code,
                partner_name: j.partner_name,
                started_by: j.started_by,
                reason: j.reason,
                started_at: j.started_at,
            })
            .collect();
        let steps = store::joint_log(&mut conn, order.order_id)
            .await
            .map_err(unavailable)?;
        Ok(JointHandlingLog {
            number: order.order_number,
            partners,
            steps,
        })
    }
}

/// `partner.<code>.joint.step` → the partner's step in the joint-handling log (A8).
#[derive(Debug, Clone)]
pub struct PartnerSteps {
    pub outbox: Outbox,
}

impl EventHandler for PartnerSteps {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let Some(code) = subject::partner_of(&event.subject) else {
            return Err(HandlerError::permanent(format!(
                "not a partner subject: {}",
                event.subject
            )));
        };
        let trace = &event.trace;
        let message_type = event.envelope.event_type.as_str();
        if store::partner(tx, code).await?.is_none() {
            let refusal = Refusal {
                partner_transfer_id: None,
                reason_code: "unknown_partner",
                reason: format!("partner {code} is not registered"),
                fields: Vec::new(),
            };
            return refuse(&self.outbox, tx, trace, code, message_type, refusal).await;
        }
        let step = match domain::validate_joint_step(code, &event.envelope) {
            Ok(s) => s,
            Err(r) => return refuse(&self.outbox, tx, trace, code, message_type, r).await,
        };
        let number = step.order_number.trim();
        let Some(joint) = store::joint_for(tx, code, number).await? else {
            let refusal = Refusal {
                partner_transfer_id: Some(step.step_id.clone()),
                reason_code: "not_joint",
                reason: format!("order {number:?} is not handled jointly with partner {code}"),
                fields: Vec::new(),
            };
            return refuse(&self.outbox, tx, trace, code, message_type, refusal).await;
        };
        let recorded = store::insert_step(
            tx,
            &NewStep {
                joint_id: joint.joint_id,
                side: JointSide::Partner,
                source_key: step.step_id.trim(),
                step: "partner_step",
                text: step.text.trim(),
                actor: step.actor.trim(),
                at: step.at,
            },
        )
        .await?;
        if recorded {
            tracing::info!(partner = %code, joint_id = %joint.joint_id, "partner's joint-handling step recorded");
        } else {
            tracing::info!(partner = %code, joint_id = %joint.joint_id, "partner's step sent again; recorded once");
        }
        Ok(())
    }
}
