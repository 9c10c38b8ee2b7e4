//! The router's request/reply endpoints, used by handling units through the gateway:
//! `rpc.router.sign` (A15) and `rpc.router.submit_result` (A16).
//!
//! Each step is one transaction: the input is validated first (pure, before any lock is
//! taken), then the assignment is found by number and locked (`FOR UPDATE`), checked
//! (right unit, right state), updated, and its event appended to the outbox; the reply
//! is sent only after the commit, so an acknowledged step is never lost and every step
//! has its event. Two concurrent steps on one order queue on the row lock: the second
//! sees the first's outcome and gets a conflict.
//!
//! Errors are typed replies: `invalid_request` with every bad field, `not_found`,
//! `forbidden` (the order was dispatched to another unit), `conflict` (the order's state
//! does not allow the step) or `unavailable` (the database failed; details go to the log,
//! never to the caller).

use chrono::{SubsecRound, Utc};
use hotline_contract::events::{OrderResultSubmitted, OrderSigned};
use hotline_contract::rpc::{
    ResultReceipt, ResultReply, ResultReplyQuery, RpcError, RpcErrorCode, SignCommand, SignReceipt,
    SubmitResultCommand,
};
use hotline_messaging::{Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::desk::DeskRefused;
use crate::domain::dispute::DisputeRefused;
use crate::domain::handling::{
    AssignmentStatus, StepRefused, checklist, local_day, validate_result, validate_sign,
};
use crate::store::{self, LockedAssignment, NewResult};

/// Everything the unit-facing endpoints need.
#[derive(Debug, Clone)]
pub struct UnitDesk {
    pub pool: PgPool,
    pub outbox: Outbox,
}

/// Why a step was not applied.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Refused for a reason the caller is told.
    #[error("{0}")]
    Refused(RpcError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
    /// A stored status the code does not know: data repaired by hand, or a newer version.
    #[error("assignment of order {order_id} has unknown status {status:?}")]
    UnknownStatus { order_id: Uuid, status: String },
}

impl From<StepRefused> for StepError {
    fn from(refused: StepRefused) -> Self {
        Self::Refused(RpcError::conflict(refused.to_string()))
    }
}

impl From<DeskRefused> for StepError {
    fn from(refused: DeskRefused) -> Self {
        Self::Refused(RpcError::conflict(refused.to_string()))
    }
}

impl From<DisputeRefused> for StepError {
    fn from(refused: DisputeRefused) -> Self {
        Self::Refused(RpcError::conflict(refused.to_string()))
    }
}

impl StepError {
    /// What the caller is told: the reason for a refusal, nothing internal otherwise.
    pub(crate) fn into_reply(self, step: &'static str) -> RpcError {
        match self {
            Self::Refused(error) => error,
            Self::UnknownStatus { .. } => {
                tracing::error!(step, error = %self, "step refused on unexpected data");
                RpcError::internal()
            }
            other => {
                tracing::error!(step, error = %other, "step failed");
                RpcError::new(RpcErrorCode::Unavailable, "暂时无法处理，请稍后重试")
            }
        }
    }
}

impl UnitDesk {
    /// `rpc.router.sign`: the unit signs for an order it was dispatched (A15).
    pub async fn sign(
        &self,
        input: SignCommand,
        trace: &TraceContext,
    ) -> Result<SignReceipt, RpcError> {
        let valid = validate_sign(input).map_err(RpcError::invalid)?;
        let signed_at = Utc::now().trunc_subsecs(6);
        let result: Result<(SignReceipt, TraceContext), StepError> = async {
            let mut tx = self.pool.begin().await?;
            let assignment = lock_for_unit(&mut tx, &valid.number, &valid.unit_id).await?;
            status_of(&assignment)?.sign()?;
            if store::pending_dispute(&mut tx, assignment.order_id)
                .await?
                .is_some()
            {
                return Err(DeskRefused::SignDuringDispute.into());
            }
            let trace = &order_trace(&assignment, trace);
            store::mark_signed(&mut tx, assignment.order_id, &valid.signed_by, signed_at).await?;
            self.outbox
                .append(
                    &mut tx,
                    trace,
                    OrderSigned {
                        order_id: assignment.order_id,
                        unit_id: assignment.unit_id.clone(),
                        signed_by: valid.signed_by.clone(),
                        signed_at,
                    },
                )
                .await?;
            tx.commit().await?;
            let receipt = SignReceipt {
                order_id: assignment.order_id,
                number: assignment.number,
                signed_at,
            };
            Ok((receipt, *trace))
        }
        .await;
        match result {
            Ok((receipt, order_trace)) => {
                metrics::counter!("hotline_orders_signed_total").increment(1);
                let order_id = receipt.order_id.to_string();
                hotline_telemetry::event_span("router", "sign", &order_trace, Some(&order_id)).in_scope(|| {
                    tracing::info!(%order_id, unit_id = %valid.unit_id, request_trace_id = %trace.trace_id_hex(), "order signed for");
                });
                Ok(receipt)
            }
            Err(error) => Err(error.into_reply("sign")),
        }
    }

    /// `rpc.router.submit_result`: the unit submits its result (A16). The texts are
    /// stored here; the event says only which parts were given.
    pub async fn submit_result(
        &self,
        input: SubmitResultCommand,
        trace: &TraceContext,
    ) -> Result<ResultReceipt, RpcError> {
        let submitted_at = Utc::now().trunc_subsecs(6);
        let valid = validate_result(input, local_day(submitted_at)).map_err(RpcError::invalid)?;
        let result_id = Uuid::now_v7();
        let result: Result<(ResultReceipt, TraceContext), StepError> = async {
            let mut tx = self.pool.begin().await?;
            let assignment = lock_for_unit(&mut tx, &valid.number, &valid.unit_id).await?;
            status_of(&assignment)?.submit_result()?;
            let trace = &order_trace(&assignment, trace);
            store::insert_result(
                &mut tx,
                &NewResult {
                    result_id,
                    order_id: assignment.order_id,
                    unit_id: &assignment.unit_id,
                    submitted_by: &valid.submitted_by,
                    basis: &valid.basis,
                    findings: &valid.findings,
                    reply: &valid.reply,
                    promised_by: valid.promised_by,
                    submitted_at,
                },
            )
            .await?;
            self.outbox
                .append(
                    &mut tx,
                    trace,
                    OrderResultSubmitted {
                        order_id: assignment.order_id,
                        unit_id: assignment.unit_id.clone(),
                        result_id,
                        submitted_by: valid.submitted_by.clone(),
                        submitted_at,
                        checklist: checklist(&valid),
                    },
                )
                .await?;
            tx.commit().await?;
            let receipt = ResultReceipt {
                order_id: assignment.order_id,
                number: assignment.number,
                result_id,
                submitted_at,
            };
            Ok((receipt, *trace))
        }
        .await;
        match result {
            Ok((receipt, order_trace)) => {
                metrics::counter!("hotline_results_submitted_total").increment(1);
                let order_id = receipt.order_id.to_string();
                hotline_telemetry::event_span("router", "submit_result", &order_trace, Some(&order_id)).in_scope(|| {
                    tracing::info!(%order_id, unit_id = %valid.unit_id, %result_id, request_trace_id = %trace.trace_id_hex(), "result submitted");
                });
                Ok(receipt)
            }
            Err(error) => Err(error.into_reply("submit_result")),
        }
    }
}

/// The trace a step on an existing order continues: the order's own (from its
/// registration), so one order is one trace across services and days; the caller's
/// request trace is logged beside it as `request_trace_id`. Orders stored before traces
/// were kept fall back to the request's trace.
pub(crate) fn order_trace(assignment: &LockedAssignment, request: &TraceContext) -> TraceContext {
    assignment
        .traceparent
        .as_deref()
        .and_then(|tp| TraceContext::parse(tp).ok())
        .map(|t| t.child())
        .unwrap_or(*request)
}

/// Lock the order's assignment and check that it is the caller's.
pub(crate) async fn lock_for_unit(
    tx: &mut PgConnection,
    number: &str,
    unit_id: &str,
) -> Result<LockedAssignment, StepError> {
    let Some(assignment) = store::lock_assignment(tx, number).await? else {
        return Err(StepError::Refused(RpcError::not_found("未找到该工单")));
    };
    if assignment.unit_id != unit_id {
        return Err(StepError::Refused(RpcError::new(
            RpcErrorCode::Forbidden,
            "该工单未派给本单位",
        )));
    }
    Ok(assignment)
}

pub(crate) fn status_of(assignment: &LockedAssignment) -> Result<AssignmentStatus, StepError> {
    AssignmentStatus::from_code(&assignment.status).ok_or_else(|| StepError::UnknownStatus {
        order_id: assignment.order_id,
        status: assignment.status.clone(),
    })
}

/// `rpc.router.result_reply`: the reply of the order's latest result (A16), which intake
/// shows the requester once the order is closed (A11).
pub async fn result_reply(pool: &PgPool, query: ResultReplyQuery) -> Result<ResultReply, RpcError> {
    match store::latest_reply(pool, query.order_id).await {
        Ok(Some((result_id, reply, submitted_at, unit_id, unit_name))) => Ok(ResultReply {
            result_id,
            reply,
            submitted_at,
            unit_id: Some(unit_id),
            unit_name: Some(unit_name),
        }),
        Ok(None) => Err(RpcError::not_found("该工单尚无办理结果")),
        Err(error) => {
            tracing::error!(%error, "result reply lookup failed");
            Err(RpcError::new(
                RpcErrorCode::Unavailable,
                "暂时无法处理，请稍后重试",
            ))
        }
    }
}
