//! The router's desks after the first dispatch (issue 5), served over request/reply:
//!
//! - **Units**: dispute an order (A13), report interim progress, ask for an extension or a
//!   suspension (A14), report a co-handling part to the lead unit (A14), see their orders.
//! - **The center**: decide a dispute or send it to the authority, assign co-handling
//!   units, decide requests, resume a suspended order, run the pre-dispatch consultation
//!   (会商, A12), read dispatch accuracy (A12).
//! - **The authority**: decide an escalated dispute, finally (A13).
//!
//! Each command is validated first (pure, every bad field at once), then applied in one
//! transaction: the order's assignment is locked (so steps on one order queue), the acting
//! unit is checked against it (A5/A14 scope: the lead unit, or a co-handling unit where
//! the step is a co-unit's), the state is checked by the rules in [`crate::domain`], the
//! step is stored and its event appended to the outbox. Errors follow
//! [`crate::api`]: `invalid_request`, `not_found`, `forbidden`, `conflict`, `unavailable`.
//!
//! Who may call which verb (the center's and the authority's staff) is checked by the
//! gateway once logins exist (issue 10); until then the acting staff id is a field.

use chrono::{DateTime, SubsecRound, Utc};
use hotline_contract::dispatch_desk::{
    AssignCoHandlingCommand, CoHandlingReceipt, CoUnitView, ConsultationInvitee, ConsultationQueue,
    ConsultationQueueQuery, ConsultationReceipt, ConsultationView, DecideConsultationCommand,
    DecideDisputeCommand, DecideRequestCommand, DispatchAccuracy, DispatchAccuracyQuery,
    DisputeCommand, DisputeDecision, DisputeReceipt, DisputeStep, DisputeView,
    EscalateDisputeCommand, EscalationReceipt, InviteUnitsCommand, RecordViewCommand,
    ReportCoHandlingCommand, ReportProgressCommand, ReportReceipt, RequestDecision,
    RequestExtensionCommand, RequestSuspensionCommand, ResumeCommand, ResumeReceipt, UnitOrderLine,
    UnitOrderQuery, UnitOrderView, UnitOrders, UnitOrdersQuery, UnitRequestReceipt,
};
use hotline_contract::events::{
    DispatchBasis, DisputeDecider, DisputeOutcome, DisputeReason, EscalationCause, LimitUnit,
    OrderCoHandlingAssigned, OrderCoHandlingReported, OrderDispatched, OrderDisputeEscalated,
    OrderDisputeMarkedImproper, OrderDisputeResolved, OrderDisputed, OrderExtensionGranted,
    OrderExtensionRefused, OrderExtensionRequested, OrderProgressReported, OrderRedispatched,
    OrderResumed, OrderSuspended, SuspensionReason, TimeLimit,
};
use hotline_contract::rpc::{RpcError, RpcErrorCode};
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_messaging::Outbox;
use hotline_telemetry::TraceContext;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::api::{StepError, lock_for_unit, order_trace, status_of};
use crate::domain::accuracy;
use crate::domain::desk::{Checks, DeskRefused, UnitRole, may_ask_for_time, may_dispute};
use crate::domain::dispute::{self, DisputeStatus};
use crate::store::{self, LockedAssignment, StaffText};

/// The most orders one unit list returns (newest first).
const UNIT_ORDERS_LIMIT: i64 = 500;

/// Everything the desks need.
#[derive(Debug, Clone)]
pub struct Desk {
    pub pool: PgPool,
    pub outbox: Outbox,
}

fn now() -> DateTime<Utc> {
    // Microseconds: what PostgreSQL keeps, so events and rows agree.
    Utc::now().trunc_subsecs(6)
}

fn not_found(message: &str) -> StepError {
    StepError::Refused(RpcError::not_found(message))
}

fn forbidden() -> StepError {
    StepError::Refused(RpcError::new(RpcErrorCode::Forbidden, "该工单未派给本单位"))
}

fn invalid(field: &str, code: &str, message: &str) -> StepError {
    let mut checks = Checks::default();
    checks.push(field, code, message);
    match checks.finish(()) {
        Err(fields) => StepError::Refused(RpcError::invalid(fields)),
        Ok(()) => StepError::Refused(RpcError::invalid(Vec::new())),
    }
}

/// A refused dispute: a second one while one is unsettled names that one, so a caller
/// whose first answer was lost can go on with it (its decision).
fn naming_the_pending_dispute(refused: DeskRefused, pending: Option<Uuid>) -> StepError {
    match (refused, pending) {
        (DeskRefused::DisputePending, Some(id)) => {
            StepError::Refused(RpcError::conflict_with(refused.to_string(), id))
        }
        _ => refused.into(),
    }
}

/// Parse the stored kind and urgency of an assignment (written by the dispatcher).
fn kind_and_urgency(a: &LockedAssignment) -> Result<(RequestKind, Urgency), StepError> {
    match (
        RequestKind::from_code(&a.kind),
        Urgency::from_code(&a.urgency),
    ) {
        (Some(kind), Some(urgency)) => Ok((kind, urgency)),
        _ => Err(StepError::UnknownStatus {
            order_id: a.order_id,
            status: format!("{}/{}", a.kind, a.urgency),
        }),
    }
}

/// Lock the order and check the acting unit's part in it (A5/A14 scope).
async fn lock_for_party(
    tx: &mut PgConnection,
    number: &str,
    unit_id: &str,
) -> Result<(LockedAssignment, UnitRole), StepError> {
    let Some(assignment) = store::lock_assignment(tx, number).await? else {
        return Err(not_found("未找到该工单"));
    };
    let co_units = store::co_unit_ids(tx, assignment.order_id).await?;
    let role = UnitRole::of(unit_id, &assignment.unit_id, &co_units).ok_or_else(forbidden)?;
    Ok((assignment, role))
}

/// Lock the order a dispute or request is about (`order_id`, `None` when the dispute or
/// request does not exist: `missing` is the message). The order is locked before the
/// dispute or request row, in the same order as a unit's step, so the two never deadlock.
async fn lock_order_of(
    tx: &mut PgConnection,
    order_id: Option<Uuid>,
    missing: &str,
) -> Result<LockedAssignment, StepError> {
    let order_id = order_id.ok_or_else(|| not_found(missing))?;
    store::lock_assignment_by_id(tx, order_id)
        .await?
        .ok_or_else(|| not_found("未找到该工单"))
}

/// Lock a dispute and its order, the order first.
async fn lock_dispute(
    tx: &mut PgConnection,
    dispute_id: Uuid,
) -> Result<(LockedAssignment, store::LockedDispute), StepError> {
    let order = store::dispute_order(tx, dispute_id).await?;
    let a = lock_order_of(tx, order, "未找到该异议").await?;
    let d = store::lock_dispute(tx, dispute_id)
        .await?
        .ok_or_else(|| not_found("未找到该异议"))?;
    Ok((a, d))
}

/// Lock the order by number for a center step.
async fn lock_order(tx: &mut PgConnection, number: &str) -> Result<LockedAssignment, StepError> {
    store::lock_assignment(tx, number)
        .await?
        .ok_or_else(|| not_found("未找到该工单"))
}

/// Check that every unit exists and is active; the first one that is not is reported.
async fn check_units(
    tx: &mut PgConnection,
    field: &str,
    units: &[String],
) -> Result<(), StepError> {
    for (i, unit) in units.iter().enumerate() {
        if !store::unit_is_active(tx, unit).await? {
            let field = if units.len() == 1 && !field.ends_with(']') {
                field.to_owned()
            } else {
                format!("{field}[{i}]")
            };
            return Err(invalid(&field, "unknown_unit", "单位不存在或已停用"));
        }
    }
    Ok(())
}

impl Desk {
    /// Run one step in a transaction; log and map its failure.
    async fn step<T>(
        &self,
        name: &'static str,
        result: impl Future<Output = Result<T, StepError>>,
    ) -> Result<T, RpcError> {
        match result.await {
            Ok(value) => {
                metrics::counter!("hotline_router_desk_steps_total", "step" => name).increment(1);
                Ok(value)
            }
            Err(error) => Err(error.into_reply(name)),
        }
    }

    /// `rpc.router.dispute` (A13): the unit says the order is not theirs, before signing.
    pub async fn dispute(
        &self,
        input: DisputeCommand,
        trace: &TraceContext,
    ) -> Result<DisputeReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let unit_id = c.id("unit_id", &input.unit_id, "承办单位");
        let explanation = c.text("explanation", &input.explanation, "异议理由");
        let proposed = c.optional_id(
            "proposed_unit_id",
            input.proposed_unit_id.as_deref(),
            "建议承办单位",
        );
        let disputed_by = c.id("disputed_by", &input.disputed_by, "提出人");
        if proposed.as_deref() == Some(unit_id.as_str()) {
            c.push("proposed_unit_id", "same_unit", "建议的单位不能是本单位");
        }
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("dispute", async {
            let mut tx = self.pool.begin().await?;
            let a = lock_for_unit(&mut tx, &number, &unit_id).await?;
            let pending = store::pending_dispute(&mut tx, a.order_id).await?;
            may_dispute(status_of(&a)?, pending.is_some())
                .map_err(|refused| naming_the_pending_dispute(refused, pending))?;
            if let Some(p) = &proposed {
                check_units(&mut tx, "proposed_unit_id", std::slice::from_ref(p)).await?;
            }
            let (dispute_id, at) = (Uuid::now_v7(), now());
            store::insert_dispute(
                &mut tx,
                &store::NewDispute {
                    dispute_id,
                    order_id: a.order_id,
                    unit_id: &unit_id,
                    reason: input.reason.code(),
                    explanation: &explanation,
                    proposed_unit_id: proposed.as_deref(),
                    disputed_by: &disputed_by,
                    disputed_at: at,
                },
            )
            .await?;
            let event = OrderDisputed {
                order_id: a.order_id,
                dispute_id,
                unit_id: unit_id.clone(),
                reason: input.reason,
                proposed_unit_id: proposed.clone(),
                disputed_by: disputed_by.clone(),
                disputed_at: at,
            };
            self.outbox
                .append(&mut tx, &order_trace(&a, trace), event)
                .await?;
            tx.commit().await?;
            tracing::info!(order_id = %a.order_id, %dispute_id, %unit_id, reason = input.reason.code(), "order disputed");
            Ok(DisputeReceipt {
                order_id: a.order_id,
                number: a.number,
                dispute_id,
                disputed_at: at,
            })
        })
        .await
    }

    /// `rpc.router.decide_dispute` (A13): the center decides an open dispute, the authority
    /// an escalated one (finally); a redispatch gives the order to another unit.
    pub async fn decide_dispute(
        &self,
        input: DecideDisputeCommand,
        trace: &TraceContext,
    ) -> Result<DisputeDecision, RpcError> {
        let mut c = Checks::default();
        let decided_by = c.id("decided_by", &input.decided_by, "决定人");
        let new_unit = c.optional_id("unit_id", input.unit_id.as_deref(), "改派单位");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("decide_dispute", async {
            let mut tx = self.pool.begin().await?;
            let (a, d) = lock_dispute(&mut tx, input.dispute_id).await?;
            let order_id = a.order_id;
            let status = DisputeStatus::from_code(&d.status).ok_or_else(|| {
                StepError::UnknownStatus {
                    order_id,
                    status: d.status.clone(),
                }
            })?;
            let ruling = dispute::decide(status, input.decider, input.outcome)?;
            let target = dispute::redispatch_target(input.outcome, new_unit.as_deref(), &d.unit_id)
                .map_err(|refused| match refused {
                    dispute::DisputeRefused::NoNewUnit => {
                        invalid("unit_id", "required", "改派须指定新的承办单位")
                    }
                    other => other.into(),
                })?
                .to_owned();
            if input.outcome == DisputeOutcome::Redispatched {
                check_units(&mut tx, "unit_id", std::slice::from_ref(&target)).await?;
            }
            let at = now();
            let trace = order_trace(&a, trace);
            let decider = match input.decider {
                DisputeDecider::Center => "center",
                DisputeDecider::Authority => "authority",
            };
            store::settle_dispute(
                &mut tx,
                &store::DisputeSettlement {
                    dispute_id: d.dispute_id,
                    status: ruling.status.code(),
                    decider,
                    decided_by: &decided_by,
                    decided_at: at,
                    decided_unit_id: &target,
                    improper: ruling.improper,
                },
            )
            .await?;
            if input.outcome == DisputeOutcome::Redispatched {
                self.redispatch(&mut tx, &trace, &a, &target, d.dispute_id, &decided_by, at)
                    .await?;
            }
            let resolved = OrderDisputeResolved {
                order_id,
                dispute_id: d.dispute_id,
                unit_id: d.unit_id.clone(),
                outcome: input.outcome,
                decider: input.decider,
                decided_unit_id: target.clone(),
                decided_by: decided_by.clone(),
                decided_at: at,
            };
            self.outbox.append(&mut tx, &trace, resolved).await?;
            if ruling.improper {
                let reason = DisputeReason::from_code(&d.reason).ok_or_else(|| {
                    StepError::UnknownStatus {
                        order_id,
                        status: d.reason.clone(),
                    }
                })?;
                let improper = OrderDisputeMarkedImproper {
                    order_id,
                    dispute_id: d.dispute_id,
                    unit_id: d.unit_id.clone(),
                    reason,
                    decided_by: decided_by.clone(),
                    marked_at: at,
                };
                self.outbox.append(&mut tx, &trace, improper).await?;
            }
            tx.commit().await?;
            tracing::info!(%order_id, dispute_id = %d.dispute_id, outcome = ?input.outcome, decider, unit_id = %target, improper = ruling.improper, "dispute decided");
            Ok(DisputeDecision {
                dispute_id: d.dispute_id,
                order_id,
                outcome: input.outcome,
                decider: input.decider,
                unit_id: target,
                improper: ruling.improper,
                decided_at: at,
            })
        })
        .await
    }

    /// A13: the order goes to `unit_id`; the watcher starts a new sign clock for it.
    #[allow(clippy::too_many_arguments)]
    async fn redispatch(
        &self,
        tx: &mut PgConnection,
        trace: &TraceContext,
        a: &LockedAssignment,
        unit_id: &str,
        dispute_id: Uuid,
        decided_by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StepError> {
        let (kind, urgency) = kind_and_urgency(a)?;
        let dispatch_id = Uuid::now_v7();
        store::redispatch(
            tx,
            a.order_id,
            unit_id,
            dispute_id,
            &store::LoggedDispatch {
                dispatch_id,
                order_id: a.order_id,
                unit_id,
                basis: DispatchBasis::Dispute,
                rule_id: None,
                rule_version: None,
                category: a.category.as_deref(),
                dispatcher: decided_by,
                dispatched_at: at,
            },
        )
        .await?;
        let event = OrderRedispatched {
            order_id: a.order_id,
            number: a.number.clone(),
            dispatch_id,
            from_unit_id: a.unit_id.clone(),
            unit_id: unit_id.to_owned(),
            dispute_id: Some(dispute_id),
            kind,
            urgency,
            decided_by: decided_by.to_owned(),
            redispatched_at: at,
        };
        self.outbox.append(tx, trace, event).await?;
        metrics::counter!("hotline_orders_redispatched_total").increment(1);
        Ok(())
    }

    /// `rpc.router.escalate_dispute` (A13): the center sends a dispute to the authority.
    pub async fn escalate_dispute(
        &self,
        input: EscalateDisputeCommand,
        trace: &TraceContext,
    ) -> Result<EscalationReceipt, RpcError> {
        let mut c = Checks::default();
        let by = c.id("escalated_by", &input.escalated_by, "提交人");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("escalate_dispute", async {
            let mut tx = self.pool.begin().await?;
            let (a, d) = lock_dispute(&mut tx, input.dispute_id).await?;
            let order_id = a.order_id;
            let at = now();
            escalate(
                &self.outbox,
                &mut tx,
                &order_trace(&a, trace),
                &d,
                EscalationCause::Center,
                &by,
                at,
            )
            .await?;
            tx.commit().await?;
            Ok(EscalationReceipt {
                dispute_id: d.dispute_id,
                order_id,
                escalated_at: at,
            })
        })
        .await
    }

    /// `rpc.router.assign_co_handling` (A14): the center gives co-handling units a part.
    pub async fn assign_co_handling(
        &self,
        input: AssignCoHandlingCommand,
        trace: &TraceContext,
    ) -> Result<CoHandlingReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let units = c.units("unit_ids", &input.unit_ids, false);
        let by = c.id("assigned_by", &input.assigned_by, "指派人");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("assign_co_handling", async {
            let mut tx = self.pool.begin().await?;
            let a = lock_order(&mut tx, &number).await?;
            if status_of(&a)? == crate::domain::handling::AssignmentStatus::ResultSubmitted {
                return Err(DeskRefused::ResultSubmitted.into());
            }
            let at = now();
            let trace = order_trace(&a, trace);
            self.add_co_units(&mut tx, &trace, &a, &units, &by, at)
                .await?;
            tx.commit().await?;
            Ok(CoHandlingReceipt {
                order_id: a.order_id,
                lead_unit_id: a.unit_id,
                unit_ids: units,
                assigned_at: at,
            })
        })
        .await
    }

    async fn add_co_units(
        &self,
        tx: &mut PgConnection,
        trace: &TraceContext,
        a: &LockedAssignment,
        units: &[String],
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StepError> {
        check_units(tx, "unit_ids", units).await?;
        let existing = store::co_unit_ids(tx, a.order_id).await?;
        for unit in units {
            if *unit == a.unit_id {
                return Err(DeskRefused::LeadAsCoUnit.into());
            }
            if existing.contains(unit) {
                return Err(DeskRefused::AlreadyCoUnit.into());
            }
            store::insert_co_unit(tx, a.order_id, unit, by, at).await?;
            let event = OrderCoHandlingAssigned {
                order_id: a.order_id,
                lead_unit_id: a.unit_id.clone(),
                unit_id: unit.clone(),
                assigned_at: at,
            };
            self.outbox.append(tx, trace, event).await?;
        }
        Ok(())
    }

    /// `rpc.router.report_co_handling` (A14): a co-unit reports its part to the lead unit.
    pub async fn report_co_handling(
        &self,
        input: ReportCoHandlingCommand,
        trace: &TraceContext,
    ) -> Result<ReportReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let unit_id = c.id("unit_id", &input.unit_id, "协办单位");
        let report = c.text("report", &input.report, "协办情况");
        let by = c.id("reported_by", &input.reported_by, "报送人");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("report_co_handling", async {
            let mut tx = self.pool.begin().await?;
            let (a, role) = lock_for_party(&mut tx, &number, &unit_id).await?;
            if role != UnitRole::CoHandling {
                return Err(StepError::Refused(RpcError::new(
                    RpcErrorCode::Forbidden,
                    "本单位不是该工单的协办单位",
                )));
            }
            let (report_id, at) = (Uuid::now_v7(), now());
            let text = StaffText {
                id: report_id,
                text: &report,
                by: &by,
                at,
            };
            if !store::record_co_report(&mut tx, a.order_id, &unit_id, &text).await? {
                return Err(DeskRefused::AlreadyReported.into());
            }
            let event = OrderCoHandlingReported {
                order_id: a.order_id,
                lead_unit_id: a.unit_id.clone(),
                unit_id: unit_id.clone(),
                reported_at: at,
            };
            self.outbox
                .append(&mut tx, &order_trace(&a, trace), event)
                .await?;
            tx.commit().await?;
            Ok(ReportReceipt {
                order_id: a.order_id,
                number: a.number,
                report_id,
                reported_at: at,
            })
        })
        .await
    }

    /// `rpc.router.report_progress` (A14): the lead unit cannot finish in time; it says why
    /// and reports its interim progress.
    pub async fn report_progress(
        &self,
        input: ReportProgressCommand,
        trace: &TraceContext,
    ) -> Result<ReportReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let unit_id = c.id("unit_id", &input.unit_id, "承办单位");
        let reason_code = c.id("reason_code", &input.reason_code, "原因");
        let progress = c.text("progress", &input.progress, "阶段性办理情况");
        let by = c.id("reported_by", &input.reported_by, "报送人");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("report_progress", async {
            let mut tx = self.pool.begin().await?;
            let a = lock_for_unit(&mut tx, &number, &unit_id).await?;
            may_ask_for_time(status_of(&a)?)?;
            let (report_id, at) = (Uuid::now_v7(), now());
            let text = StaffText {
                id: report_id,
                text: &progress,
                by: &by,
                at,
            };
            store::insert_progress(&mut tx, a.order_id, &unit_id, &reason_code, &text).await?;
            let event = OrderProgressReported {
                order_id: a.order_id,
                unit_id: unit_id.clone(),
                report_id,
                reason_code: reason_code.clone(),
                reported_by: by.clone(),
                reported_at: at,
            };
            self.outbox
                .append(&mut tx, &order_trace(&a, trace), event)
                .await?;
            tx.commit().await?;
            Ok(ReportReceipt {
                order_id: a.order_id,
                number: a.number,
                report_id,
                reported_at: at,
            })
        })
        .await
    }

    /// `rpc.router.request_extension` (A14): the lead unit asks the center for more time.
    pub async fn request_extension(
        &self,
        input: RequestExtensionCommand,
        trace: &TraceContext,
    ) -> Result<UnitRequestReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let unit_id = c.id("unit_id", &input.unit_id, "承办单位");
        c.extension(
            "extension.value",
            input.extension.unit,
            input.extension.value,
        );
        let reason_code = c.id("reason_code", &input.reason_code, "延期原因");
        let explanation = c.text("explanation", &input.explanation, "延期说明");
        let by = c.id("requested_by", &input.requested_by, "申请人");
        c.finish(()).map_err(RpcError::invalid)?;
        let limit_unit = limit_unit_code(input.extension.unit);
        #[allow(clippy::cast_possible_wrap)] // bounded by MAX_EXTENSION_* above
        let limit_value = input.extension.value as i32;
        let new = |order_id, request_id, at| store::NewUnitRequest {
            request_id,
            order_id,
            unit_id: &unit_id,
            kind: "extension",
            limit_unit: Some(limit_unit),
            limit_value: Some(limit_value),
            suspension_reason: None,
            reason_code: &reason_code,
            explanation: &explanation,
            requested_by: &by,
            requested_at: at,
        };
        self.step("request_extension", async {
            let mut tx = self.pool.begin().await?;
            let a = lock_for_unit(&mut tx, &number, &unit_id).await?;
            may_ask_for_time(status_of(&a)?)?;
            let (request_id, at) = (Uuid::now_v7(), now());
            if !store::insert_unit_request(&mut tx, &new(a.order_id, request_id, at)).await? {
                return Err(DeskRefused::RequestPending.into());
            }
            let event = OrderExtensionRequested {
                order_id: a.order_id,
                unit_id: unit_id.clone(),
                extension_id: request_id,
                extension: input.extension,
                reason_code: reason_code.clone(),
                requested_by: by.clone(),
                requested_at: at,
            };
            self.outbox
                .append(&mut tx, &order_trace(&a, trace), event)
                .await?;
            tx.commit().await?;
            Ok(UnitRequestReceipt {
                request_id,
                order_id: a.order_id,
                number: a.number,
                requested_at: at,
            })
        })
        .await
    }

    /// `rpc.router.request_suspension`: the lead unit asks the center to suspend (挂起).
    pub async fn request_suspension(
        &self,
        input: RequestSuspensionCommand,
        _trace: &TraceContext,
    ) -> Result<UnitRequestReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let unit_id = c.id("unit_id", &input.unit_id, "承办单位");
        let explanation = c.text("explanation", &input.explanation, "挂起说明");
        let by = c.id("requested_by", &input.requested_by, "申请人");
        c.finish(()).map_err(RpcError::invalid)?;
        let reason = suspension_code(input.reason);
        self.step("request_suspension", async {
            let mut tx = self.pool.begin().await?;
            let a = lock_for_unit(&mut tx, &number, &unit_id).await?;
            may_ask_for_time(status_of(&a)?)?;
            if a.suspended {
                return Err(DeskRefused::Suspended.into());
            }
            let (request_id, at) = (Uuid::now_v7(), now());
            let new = store::NewUnitRequest {
                request_id,
                order_id: a.order_id,
                unit_id: &unit_id,
                kind: "suspension",
                limit_unit: None,
                limit_value: None,
                suspension_reason: Some(reason),
                reason_code: reason,
                explanation: &explanation,
                requested_by: &by,
                requested_at: at,
            };
            if !store::insert_unit_request(&mut tx, &new).await? {
                return Err(DeskRefused::RequestPending.into());
            }
            tx.commit().await?;
            Ok(UnitRequestReceipt {
                request_id,
                order_id: a.order_id,
                number: a.number,
                requested_at: at,
            })
        })
        .await
    }

    /// `rpc.router.decide_request`: the center approves or refuses an extension
    /// (`order.extension_granted` / `order.extension_refused`) or a suspension
    /// (`order.suspended` when approved).
    pub async fn decide_request(
        &self,
        input: DecideRequestCommand,
        trace: &TraceContext,
    ) -> Result<RequestDecision, RpcError> {
        let mut c = Checks::default();
        let by = c.id("decided_by", &input.decided_by, "审批人");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("decide_request", async {
            let mut tx = self.pool.begin().await?;
            let order = store::request_order(&mut tx, input.request_id).await?;
            let a = lock_order_of(&mut tx, order, "未找到该申请").await?;
            let order_id = a.order_id;
            let r = store::lock_unit_request(&mut tx, input.request_id)
                .await?
                .ok_or_else(|| not_found("未找到该申请"))?;
            if r.status != "pending" {
                return Err(DeskRefused::RequestDecided.into());
            }
            if input.approve {
                // Approving needs the order still in the unit's hands.
                may_ask_for_time(status_of(&a)?)?;
            }
            let at = now();
            let trace = order_trace(&a, trace);
            store::decide_unit_request(&mut tx, r.request_id, input.approve, &by, at).await?;
            match (r.kind.as_str(), input.approve) {
                ("extension", true) => {
                    let extension = stored_extension(&r)?;
                    let event = OrderExtensionGranted {
                        order_id,
                        unit_id: r.unit_id.clone(),
                        extension_id: r.request_id,
                        extension,
                        reason_code: r.reason_code.clone(),
                        approved_by: by.clone(),
                        granted_at: at,
                    };
                    self.outbox.append(&mut tx, &trace, event).await?;
                }
                ("extension", false) => {
                    let event = OrderExtensionRefused {
                        order_id,
                        unit_id: r.unit_id.clone(),
                        extension_id: r.request_id,
                        refused_by: by.clone(),
                        refused_at: at,
                    };
                    self.outbox.append(&mut tx, &trace, event).await?;
                }
                ("suspension", true) => {
                    if a.suspended {
                        return Err(DeskRefused::Suspended.into());
                    }
                    let reason = r
                        .suspension_reason
                        .as_deref()
                        .and_then(suspension_from_code)
                        .ok_or_else(|| StepError::UnknownStatus {
                            order_id,
                            status: r.reason_code.clone(),
                        })?;
                    store::set_suspended(&mut tx, order_id, true).await?;
                    let event = OrderSuspended {
                        order_id,
                        unit_id: r.unit_id.clone(),
                        reason,
                        approved_by: by.clone(),
                        suspended_at: at,
                    };
                    self.outbox.append(&mut tx, &trace, event).await?;
                }
                // A refused suspension changes no clock: recorded only.
                _ => {}
            }
            tx.commit().await?;
            Ok(RequestDecision {
                request_id: r.request_id,
                order_id,
                kind: r.kind,
                approved: input.approve,
                decided_at: at,
            })
        })
        .await
    }

    /// `rpc.router.resume`: the center ends a suspension; paused clocks go on.
    pub async fn resume(
        &self,
        input: ResumeCommand,
        trace: &TraceContext,
    ) -> Result<ResumeReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        c.id("resumed_by", &input.resumed_by, "操作人");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("resume", async {
            let mut tx = self.pool.begin().await?;
            let a = lock_order(&mut tx, &number).await?;
            if !a.suspended {
                return Err(DeskRefused::NotSuspended.into());
            }
            let at = now();
            store::set_suspended(&mut tx, a.order_id, false).await?;
            let event = OrderResumed {
                order_id: a.order_id,
                unit_id: a.unit_id.clone(),
                resumed_at: at,
            };
            self.outbox
                .append(&mut tx, &order_trace(&a, trace), event)
                .await?;
            tx.commit().await?;
            Ok(ResumeReceipt {
                order_id: a.order_id,
                number: a.number,
                resumed_at: at,
            })
        })
        .await
    }

    /// `rpc.router.unit_order`: the order as its lead or co-handling unit sees it; any
    /// other unit is refused (A5/A14 scope).
    pub async fn unit_order(&self, input: UnitOrderQuery) -> Result<UnitOrderView, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let unit_id = c.id("unit_id", &input.unit_id, "单位");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("unit_order", async {
            let row = store::order_row(&self.pool, &number)
                .await?
                .ok_or_else(|| not_found("未找到该工单"))?;
            let co = store::co_units(&self.pool, row.order_id).await?;
            let co_ids: Vec<String> = co.iter().map(|c| c.0.clone()).collect();
            let role = UnitRole::of(&unit_id, &row.unit_id, &co_ids).ok_or_else(forbidden)?;
            // A co-unit sees its own report, the lead unit every report.
            let co_units = co
                .into_iter()
                .map(|(unit, assigned_at, reported_at, report)| {
                    let visible = role == UnitRole::Lead || unit == unit_id;
                    CoUnitView {
                        report: report.filter(|_| visible),
                        unit_id: unit,
                        assigned_at,
                        reported_at,
                    }
                })
                .collect();
            let steps = store::dispute_steps_of(&self.pool, row.order_id).await?;
            let disputes = store::disputes_of(&self.pool, row.order_id)
                .await?
                .into_iter()
                .filter_map(|d| {
                    let reason = DisputeReason::from_code(&d.reason)?;
                    Some(DisputeView {
                        steps: steps
                            .iter()
                            .filter(|s| s.0 == d.dispute_id)
                            .map(|s| DisputeStep {
                                step: s.1.clone(),
                                actor: s.2.clone(),
                                at: s.3,
                            })
                            .collect(),
                        dispute_id: d.dispute_id,
                        unit_id: d.unit_id,
                        reason,
                        proposed_unit_id: d.proposed_unit_id,
                        status: d.status,
                        improper: d.improper,
                        disputed_at: d.disputed_at,
                    })
                })
                .collect();
            Ok(UnitOrderView {
                order_id: row.order_id,
                number: row.number,
                lead_unit_id: row.unit_id,
                role: role.code().to_owned(),
                status: row.status,
                suspended: row.suspended,
                redo_count: row.redo_count,
                basis: row.basis,
                rule_id: row.rule_id,
                rule_version: row.rule_version,
                dispatched_at: row.dispatched_at,
                co_units,
                disputes,
            })
        })
        .await
    }

    /// `rpc.router.unit_orders`: the orders a unit leads or co-handles, newest first.
    pub async fn unit_orders(&self, input: UnitOrdersQuery) -> Result<UnitOrders, RpcError> {
        let mut c = Checks::default();
        let unit_id = c.id("unit_id", &input.unit_id, "单位");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("unit_orders", async {
            let orders = store::unit_orders(&self.pool, &unit_id, UNIT_ORDERS_LIMIT)
                .await?
                .into_iter()
                .map(|(number, role, status, dispatched_at)| UnitOrderLine {
                    number,
                    role,
                    status,
                    dispatched_at,
                })
                .collect();
            Ok(UnitOrders { unit_id, orders })
        })
        .await
    }

    /// `rpc.router.consultations`: the open consultations, oldest first (A12).
    pub async fn consultations(
        &self,
        _query: ConsultationQueueQuery,
    ) -> Result<ConsultationQueue, RpcError> {
        self.step("consultations", async {
            let open = store::open_consultations(&self.pool).await?;
            let ids: Vec<Uuid> = open.iter().map(|c| c.order_id).collect();
            let invitees = store::invitees(&self.pool, &ids).await?;
            let consultations = open
                .into_iter()
                .map(|c| ConsultationView {
                    invitees: invitees
                        .iter()
                        .filter(|i| i.0 == c.order_id)
                        .map(|i| ConsultationInvitee {
                            unit_id: i.1.clone(),
                            invited_at: i.2,
                            view: i.3.clone(),
                            within_duties: i.4,
                            responded_at: i.5,
                        })
                        .collect(),
                    order_id: c.order_id,
                    number: c.number,
                    category: c.category,
                    region_code: c.region_code,
                    opened_at: c.opened_at,
                })
                .collect();
            Ok(ConsultationQueue { consultations })
        })
        .await
    }

    /// `rpc.router.invite`: the center invites candidate units to a consultation.
    pub async fn invite(
        &self,
        input: InviteUnitsCommand,
        _trace: &TraceContext,
    ) -> Result<ConsultationReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let units = c.units("unit_ids", &input.unit_ids, false);
        let by = c.id("invited_by", &input.invited_by, "邀请人");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("invite", async {
            let mut tx = self.pool.begin().await?;
            let cons = open_consultation(&mut tx, &number).await?;
            check_units(&mut tx, "unit_ids", &units).await?;
            let at = now();
            for unit in &units {
                store::invite(&mut tx, cons.order_id, unit, &by, at).await?;
            }
            tx.commit().await?;
            Ok(consultation_receipt(&cons, "open", None, Vec::new(), at))
        })
        .await
    }

    /// `rpc.router.record_view`: an invited unit gives its view.
    pub async fn record_view(
        &self,
        input: RecordViewCommand,
        _trace: &TraceContext,
    ) -> Result<ConsultationReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let unit_id = c.id("unit_id", &input.unit_id, "单位");
        let view = c.text("view", &input.view, "会商意见");
        let by = c.id("responded_by", &input.responded_by, "答复人");
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("record_view", async {
            let mut tx = self.pool.begin().await?;
            let cons = open_consultation(&mut tx, &number).await?;
            let at = now();
            let text = StaffText {
                id: Uuid::nil(),
                text: &view,
                by: &by,
                at,
            };
            if !store::record_view(&mut tx, cons.order_id, &unit_id, &text, input.within_duties)
                .await?
            {
                return Err(StepError::Refused(RpcError::new(
                    RpcErrorCode::Forbidden,
                    DeskRefused::NotInvited.to_string(),
                )));
            }
            tx.commit().await?;
            Ok(consultation_receipt(&cons, "open", None, Vec::new(), at))
        })
        .await
    }

    /// `rpc.router.decide_consultation` (A12, A14): the center decides the lead unit (the
    /// order is dispatched to it, basis `consultation`) and the co-handling units.
    pub async fn decide_consultation(
        &self,
        input: DecideConsultationCommand,
        trace: &TraceContext,
    ) -> Result<ConsultationReceipt, RpcError> {
        let mut c = Checks::default();
        let number = c.id("number", &input.number, "工单编号");
        let lead = c.id("lead_unit_id", &input.lead_unit_id, "主办单位");
        let co_units = c.units("co_unit_ids", &input.co_unit_ids, true);
        let by = c.id("decided_by", &input.decided_by, "决定人");
        if co_units.contains(&lead) {
            c.push(
                "co_unit_ids",
                "lead_as_co_unit",
                "主办单位不能同时为协办单位",
            );
        }
        c.finish(()).map_err(RpcError::invalid)?;
        self.step("decide_consultation", async {
            let mut tx = self.pool.begin().await?;
            let cons = open_consultation(&mut tx, &number).await?;
            check_units(&mut tx, "lead_unit_id", std::slice::from_ref(&lead)).await?;
            let (kind, urgency) = match (
                RequestKind::from_code(&cons.kind),
                Urgency::from_code(&cons.urgency),
            ) {
                (Some(k), Some(u)) => (k, u),
                _ => {
                    return Err(StepError::UnknownStatus {
                        order_id: cons.order_id,
                        status: format!("{}/{}", cons.kind, cons.urgency),
                    });
                }
            };
            let at = now();
            let traceparent = cons
                .traceparent
                .clone()
                .unwrap_or_else(|| trace.to_string());
            let inserted = store::insert_assignment(
                &mut tx,
                &store::NewAssignment {
                    order_id: cons.order_id,
                    number: &cons.number,
                    unit_id: &lead,
                    basis: DispatchBasis::Consultation,
                    rule_id: None,
                    rule_version: None,
                    category: cons.category.as_deref(),
                    region_code: &cons.region_code,
                    kind: &cons.kind,
                    urgency: &cons.urgency,
                    dispatched_at: at,
                    traceparent,
                    dispatch_id: Uuid::now_v7(),
                    dispatcher: &by,
                },
            )
            .await?;
            if inserted != store::Inserted::Created {
                return Err(DeskRefused::NotInConsultation.into());
            }
            store::mark_consultation_decided(&mut tx, cons.order_id, &by, at).await?;
            let a = store::lock_assignment_by_id(&mut tx, cons.order_id)
                .await?
                .ok_or_else(|| not_found("未找到该工单"))?;
            let trace = order_trace(&a, trace);
            let dispatched = OrderDispatched {
                order_id: cons.order_id,
                number: cons.number.clone(),
                unit_id: lead.clone(),
                basis: DispatchBasis::Consultation,
                rule_id: None,
                kind,
                urgency,
                dispatched_at: at,
            };
            self.outbox.append(&mut tx, &trace, dispatched).await?;
            self.add_co_units(&mut tx, &trace, &a, &co_units, &by, at).await?;
            tx.commit().await?;
            tracing::info!(order_id = %cons.order_id, lead_unit_id = %lead, co_units = co_units.len(), "consultation decided");
            Ok(consultation_receipt(&cons, "decided", Some(lead), co_units, at))
        })
        .await
    }

    /// `rpc.router.dispatch_accuracy` (A12).
    pub async fn dispatch_accuracy(
        &self,
        _query: DispatchAccuracyQuery,
    ) -> Result<DispatchAccuracy, RpcError> {
        self.step("dispatch_accuracy", async {
            let records = store::dispatch_records(&self.pool).await?;
            Ok(accuracy::measure(&records))
        })
        .await
    }
}

/// A13: mark the dispute escalated and announce it (the center's step or the timeout's).
pub(crate) async fn escalate(
    outbox: &Outbox,
    tx: &mut PgConnection,
    trace: &TraceContext,
    d: &store::LockedDispute,
    cause: EscalationCause,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), StepError> {
    let status = DisputeStatus::from_code(&d.status).ok_or_else(|| StepError::UnknownStatus {
        order_id: d.order_id,
        status: d.status.clone(),
    })?;
    dispute::escalate(status)?;
    store::mark_escalated(tx, d.dispute_id, by, at).await?;
    let event = OrderDisputeEscalated {
        order_id: d.order_id,
        dispute_id: d.dispute_id,
        unit_id: d.unit_id.clone(),
        cause,
        escalated_by: by.to_owned(),
        escalated_at: at,
    };
    outbox.append(tx, trace, event).await?;
    metrics::counter!("hotline_disputes_escalated_total").increment(1);
    Ok(())
}

async fn open_consultation(
    tx: &mut PgConnection,
    number: &str,
) -> Result<store::Consultation, StepError> {
    let cons = store::lock_consultation(tx, number)
        .await?
        .ok_or_else(|| not_found("该工单不在会商中"))?;
    if cons.status != "open" {
        return Err(DeskRefused::NotInConsultation.into());
    }
    Ok(cons)
}

fn consultation_receipt(
    cons: &store::Consultation,
    status: &str,
    lead_unit_id: Option<String>,
    co_unit_ids: Vec<String>,
    at: DateTime<Utc>,
) -> ConsultationReceipt {
    ConsultationReceipt {
        order_id: cons.order_id,
        number: cons.number.clone(),
        status: status.to_owned(),
        lead_unit_id,
        co_unit_ids,
        at,
    }
}

fn limit_unit_code(unit: LimitUnit) -> &'static str {
    match unit {
        LimitUnit::WorkingDays => "working_days",
        LimitUnit::Hours => "hours",
    }
}

fn stored_extension(r: &store::UnitRequest) -> Result<TimeLimit, StepError> {
    let unit = match r.limit_unit.as_deref() {
        Some("working_days") => Some(LimitUnit::WorkingDays),
        Some("hours") => Some(LimitUnit::Hours),
        _ => None,
    };
    match (unit, r.limit_value.and_then(|v| u32::try_from(v).ok())) {
        (Some(unit), Some(value)) => Ok(TimeLimit { unit, value }),
        _ => Err(StepError::UnknownStatus {
            order_id: r.order_id,
            status: format!("extension {:?} {:?}", r.limit_unit, r.limit_value),
        }),
    }
}

const SUSPENSION_REASONS: [(SuspensionReason, &str); 3] = [
    (SuspensionReason::AwaitingRequester, "awaiting_requester"),
    (SuspensionReason::AwaitingAppraisal, "awaiting_appraisal"),
    (
        SuspensionReason::AwaitingOtherProcedure,
        "awaiting_other_procedure",
    ),
];

fn suspension_code(reason: SuspensionReason) -> &'static str {
    SUSPENSION_REASONS
        .iter()
        .find(|(r, _)| *r == reason)
        .map_or("awaiting_requester", |(_, code)| code)
}

fn suspension_from_code(code: &str) -> Option<SuspensionReason> {
    SUSPENSION_REASONS
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(r, _)| *r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspension_codes_match_the_wire_form() {
        for (reason, code) in SUSPENSION_REASONS {
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                serde_json::Value::from(code)
            );
            assert_eq!(suspension_from_code(code), Some(reason));
            assert_eq!(suspension_code(reason), code);
        }
    }
}
