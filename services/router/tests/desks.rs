//! The router's desks (issue 5) against a real nats-server and Postgres: disputes upheld,
//! redispatched and escalated to the authority (A13), co-handling units reporting to the
//! lead unit, progress, extension and suspension (A14), a sent-back order returning to
//! its unit (A16), the consultation queue (A12), a unit's scope, dispatch accuracy (A12).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hotline_contract::dispatch_desk::*;
use hotline_contract::events::{
    DisputeDecider, DisputeOutcome, DisputeReason, EscalationCause, LimitUnit,
    OrderCoHandlingAssigned, OrderCoHandlingReported, OrderConsultationOpened,
    OrderDisputeEscalated, OrderDisputeMarkedImproper, OrderDisputeResolved, OrderDisputed,
    OrderExtensionGranted, OrderExtensionRequested, OrderProgressReported, OrderRedispatched,
    OrderResumed, OrderSentBack, OrderSuspended, SuspensionReason, TimeLimit,
};
use support::*;

const ENV: &str = "520102-env";
const HOUSING: &str = "520102-housing";
const MARKET: &str = "520102-market";

impl Harness {
    /// A noise complaint in Nanming, dispatched by rule to the district's environment branch.
    async fn noise_order(&self, number: &str) -> Uuid {
        let order = self
            .register(registered(number, Some("environment.noise"), "520102"))
            .await
            .data;
        let dispatched: OrderDispatched = self
            .wait_for_event(event::ORDER_DISPATCHED, order.order_id)
            .await;
        assert_eq!(dispatched.unit_id, ENV);
        order.order_id
    }

    async fn dispute(&self, number: &str, unit: &str) -> Result<DisputeReceipt, CallError> {
        let command = DisputeCommand {
            number: number.to_owned(),
            unit_id: unit.to_owned(),
            reason: DisputeReason::NotOurDuty,
            explanation: "该噪声来自商户经营活动，属市场监管职责。".to_owned(),
            proposed_unit_id: Some(MARKET.to_owned()),
            disputed_by: "env-staff-1".to_owned(),
        };
        self.call(verbs::ROUTER_DISPUTE, &command).await
    }

    async fn decide(
        &self,
        dispute_id: Uuid,
        decider: DisputeDecider,
        outcome: DisputeOutcome,
        unit: Option<&str>,
    ) -> Result<DisputeDecision, CallError> {
        let command = DecideDisputeCommand {
            dispute_id,
            decider,
            outcome,
            unit_id: unit.map(str::to_owned),
            decided_by: "center-07".to_owned(),
        };
        self.call(verbs::ROUTER_DECIDE_DISPUTE, &command).await
    }

    /// The code and fields of a refused decision.
    async fn refusal(
        &self,
        dispute_id: Uuid,
        decider: DisputeDecider,
        outcome: DisputeOutcome,
        unit: Option<&str>,
    ) -> (RpcErrorCode, Vec<String>) {
        error_code(self.decide(dispute_id, decider, outcome, unit).await)
    }

    async fn view(&self, number: &str, unit: &str) -> Result<UnitOrderView, CallError> {
        let query = UnitOrderQuery {
            number: number.to_owned(),
            unit_id: unit.to_owned(),
        };
        self.call(verbs::ROUTER_UNIT_ORDER, &query).await
    }
}

#[tokio::test]
async fn a_dispute_upheld_by_the_center_leaves_the_order_with_its_unit() {
    let h = Harness::start().await;
    let number = "5201022611300001";
    let order_id = h.noise_order(number).await;

    // Scope: only the order's unit may dispute it.
    let (code, _) = error_code(h.dispute(number, HOUSING).await);
    assert_eq!(code, RpcErrorCode::Forbidden);
    let receipt = h.dispute(number, ENV).await.unwrap();
    let disputed: OrderDisputed = h.wait_for_event(event::ORDER_DISPUTED, order_id).await;
    assert_eq!(disputed.dispute_id, receipt.dispute_id);
    assert_eq!(disputed.reason, DisputeReason::NotOurDuty);
    assert_eq!(disputed.proposed_unit_id.as_deref(), Some(MARKET));

    // While the dispute is open: no second dispute, no sign-for, no authority decision.
    // A second dispute names the open one (a unit whose first answer was lost goes on).
    match h.dispute(number, ENV).await {
        Err(CallError::Rpc(e)) => {
            assert_eq!(e.code, RpcErrorCode::Conflict, "a second dispute");
            let named = receipt.dispute_id.to_string();
            assert_eq!(e.conflicting_id.as_deref(), Some(named.as_str()));
        }
        other => panic!("a second dispute: {other:?}"),
    }
    let (code, _) = error_code(h.sign(&sign_as(number, ENV, "张伟")).await);
    assert_eq!(code, RpcErrorCode::Conflict, "signing during a dispute");
    let (code, _) = h
        .refusal(
            receipt.dispute_id,
            DisputeDecider::Authority,
            DisputeOutcome::Upheld,
            None,
        )
        .await;
    assert_eq!(
        code,
        RpcErrorCode::Conflict,
        "the authority before escalation"
    );
    let (code, fields) = h
        .refusal(
            receipt.dispute_id,
            DisputeDecider::Center,
            DisputeOutcome::Redispatched,
            None,
        )
        .await;
    assert_eq!(code, RpcErrorCode::InvalidRequest);
    assert_eq!(fields, ["unit_id"], "a redispatch names the new unit");

    let decision = h
        .decide(
            receipt.dispute_id,
            DisputeDecider::Center,
            DisputeOutcome::Upheld,
            None,
        )
        .await
        .unwrap();
    assert_eq!(decision.unit_id, ENV);
    assert!(!decision.improper);
    let resolved: OrderDisputeResolved = h
        .wait_for_event(event::ORDER_DISPUTE_RESOLVED, order_id)
        .await;
    assert_eq!(resolved.outcome, DisputeOutcome::Upheld);
    assert_eq!(resolved.decider, DisputeDecider::Center);
    let (code, _) = h
        .refusal(
            receipt.dispute_id,
            DisputeDecider::Center,
            DisputeOutcome::Upheld,
            None,
        )
        .await;
    assert_eq!(code, RpcErrorCode::Conflict, "a settled dispute is final");

    // The unit keeps the order and signs for it; every step is on record.
    h.sign(&sign_as(number, ENV, "张伟")).await.unwrap();
    let view = h.view(number, ENV).await.unwrap();
    assert_eq!(view.status, "signed");
    let steps: Vec<&str> = view.disputes[0]
        .steps
        .iter()
        .map(|s| s.step.as_str())
        .collect();
    assert_eq!(steps, ["disputed", "upheld"]);
    assert!(
        h.events_about::<OrderRedispatched>(event::ORDER_REDISPATCHED, order_id)
            .await
            .is_empty()
    );
    h.stop().await;
}

#[tokio::test]
async fn a_redispatched_dispute_moves_the_order_and_counts_against_dispatch_accuracy() {
    let h = Harness::start().await;
    let number = "5201022611300002";
    let order_id = h.noise_order(number).await;
    let other = h.noise_order("5201022611300003").await;
    let receipt = h.dispute(number, ENV).await.unwrap();
    let (code, fields) = error_code(
        h.decide(
            receipt.dispute_id,
            DisputeDecider::Center,
            DisputeOutcome::Redispatched,
            Some("no-such-unit"),
        )
        .await,
    );
    assert_eq!(
        (code, fields),
        (RpcErrorCode::InvalidRequest, vec!["unit_id".to_owned()])
    );
    h.decide(
        receipt.dispute_id,
        DisputeDecider::Center,
        DisputeOutcome::Redispatched,
        Some(MARKET),
    )
    .await
    .unwrap();
    let moved: OrderRedispatched = h.wait_for_event(event::ORDER_REDISPATCHED, order_id).await;
    assert_eq!(
        (moved.from_unit_id.as_str(), moved.unit_id.as_str()),
        (ENV, MARKET)
    );
    assert_eq!(moved.dispute_id, Some(receipt.dispute_id));
    assert_eq!(moved.kind, RequestKind::Complaint);

    // The old unit no longer sees or acts on it; the new one signs.
    let (code, _) = error_code(h.sign(&sign_as(number, ENV, "张伟")).await);
    assert_eq!(code, RpcErrorCode::Forbidden);
    let (code, _) = error_code(h.view(number, ENV).await);
    assert_eq!(code, RpcErrorCode::Forbidden);
    h.sign(&sign_as(number, MARKET, "刘洋")).await.unwrap();
    let view = h.view(number, MARKET).await.unwrap();
    assert_eq!(
        (view.basis.as_str(), view.role.as_str()),
        ("dispute", "lead")
    );

    // A12: 3 dispatches (2 by the noise rule, 1 by the center), one changed by a dispute.
    let accuracy: DispatchAccuracy = h
        .call(verbs::ROUTER_DISPATCH_ACCURACY, &DispatchAccuracyQuery {})
        .await
        .unwrap();
    assert_eq!(accuracy.overall.dispatches, 3);
    assert_eq!(accuracy.overall.changed_after_dispute, 1);
    let rule = accuracy
        .by_dispatcher
        .iter()
        .find(|l| l.key == "rule:520102:environment.noise")
        .unwrap();
    assert_eq!((rule.dispatches, rule.changed_after_dispute), (2, 1));
    let noise = accuracy
        .by_category
        .iter()
        .find(|l| l.key == "environment.noise")
        .unwrap();
    assert!((noise.accuracy - 2.0 / 3.0).abs() < 1e-9);
    let _ = other;
    h.stop().await;
}

#[tokio::test]
async fn a_dispute_left_open_goes_to_the_authority_whose_rejection_is_marked_improper() {
    let h = Harness::start_with(|c| {
        c.router.dispute_escalation_after_secs = 1;
        c.router.dispute_scan_interval_secs = 1;
    })
    .await;
    let number = "5201022611300004";
    let order_id = h.noise_order(number).await;
    let receipt = h.dispute(number, ENV).await.unwrap();
    let escalated: OrderDisputeEscalated = h
        .wait_for_event(event::ORDER_DISPUTE_ESCALATED, order_id)
        .await;
    assert_eq!(escalated.cause, EscalationCause::Timeout);
    assert_eq!(escalated.escalated_by, "rule:dispute-timeout");

    let (code, _) = h
        .refusal(
            receipt.dispute_id,
            DisputeDecider::Center,
            DisputeOutcome::Upheld,
            None,
        )
        .await;
    assert_eq!(code, RpcErrorCode::Conflict, "the authority decides now");
    let decision = h
        .decide(
            receipt.dispute_id,
            DisputeDecider::Authority,
            DisputeOutcome::Upheld,
            None,
        )
        .await
        .unwrap();
    assert!(decision.improper);
    let improper: OrderDisputeMarkedImproper = h
        .wait_for_event(event::ORDER_DISPUTE_MARKED_IMPROPER, order_id)
        .await;
    assert_eq!(improper.unit_id, ENV);
    assert_eq!(improper.dispute_id, receipt.dispute_id);
    let view = h.view(number, ENV).await.unwrap();
    assert!(view.disputes[0].improper);
    let steps: Vec<(&str, &str)> = view.disputes[0]
        .steps
        .iter()
        .map(|s| (s.step.as_str(), s.actor.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("disputed", "env-staff-1"),
            ("escalated", "rule:dispute-timeout"),
            ("upheld", "center-07"),
            ("marked_improper", "center-07")
        ]
    );
    h.stop().await;
}

#[tokio::test]
async fn co_units_report_to_the_lead_and_the_lead_asks_for_time() {
    let h = Harness::start().await;
    let number = "5201022611300005";
    let order_id = h.noise_order(number).await;
    h.sign(&sign_as(number, ENV, "张伟")).await.unwrap();

    // A14: the center assigns two co-handling units; the lead cannot be one of them.
    let assign = |units: &[&str]| AssignCoHandlingCommand {
        number: number.to_owned(),
        unit_ids: units.iter().map(|u| (*u).to_owned()).collect(),
        assigned_by: "center-07".to_owned(),
    };
    let (code, _) = error_code(
        h.call::<_, CoHandlingReceipt>(verbs::ROUTER_ASSIGN_CO_HANDLING, &assign(&[ENV]))
            .await,
    );
    assert_eq!(code, RpcErrorCode::Conflict);
    let receipt: CoHandlingReceipt = h
        .call(
            verbs::ROUTER_ASSIGN_CO_HANDLING,
            &assign(&[HOUSING, MARKET]),
        )
        .await
        .unwrap();
    assert_eq!(receipt.lead_unit_id, ENV);
    wait_for("two co-handling assignments", WAIT, || async {
        let n = h
            .events_about::<OrderCoHandlingAssigned>(event::ORDER_CO_HANDLING_ASSIGNED, order_id)
            .await;
        (n.len() == 2).then_some(n)
    })
    .await;

    let report = |unit: &str| ReportCoHandlingCommand {
        number: number.to_owned(),
        unit_id: unit.to_owned(),
        report: "已核查该商户证照，责令其整改经营噪声。".to_owned(),
        reported_by: format!("{unit}-staff"),
    };
    let (code, _) = error_code(
        h.call::<_, ReportReceipt>(verbs::ROUTER_REPORT_CO_HANDLING, &report(ENV))
            .await,
    );
    assert_eq!(code, RpcErrorCode::Forbidden, "the lead is not a co-unit");
    let _: ReportReceipt = h
        .call(verbs::ROUTER_REPORT_CO_HANDLING, &report(MARKET))
        .await
        .unwrap();
    let reported: OrderCoHandlingReported = h
        .wait_for_event(event::ORDER_CO_HANDLING_REPORTED, order_id)
        .await;
    assert_eq!(
        (reported.unit_id.as_str(), reported.lead_unit_id.as_str()),
        (MARKET, ENV)
    );
    let (code, _) = error_code(
        h.call::<_, ReportReceipt>(verbs::ROUTER_REPORT_CO_HANDLING, &report(MARKET))
            .await,
    );
    assert_eq!(code, RpcErrorCode::Conflict, "reporting twice");

    // Scope: the lead sees every report, a co-unit its own, others nothing.
    let lead = h.view(number, ENV).await.unwrap();
    assert!(
        lead.co_units
            .iter()
            .any(|c| c.unit_id == MARKET && c.report.is_some())
    );
    let housing = h.view(number, HOUSING).await.unwrap();
    assert_eq!(housing.role, "co_handling");
    assert!(housing.co_units.iter().all(|c| c.report.is_none()));
    let (code, _) = error_code(h.view(number, "520102-hrss").await);
    assert_eq!(code, RpcErrorCode::Forbidden);
    let lines: UnitOrders = h
        .call(
            verbs::ROUTER_UNIT_ORDERS,
            &UnitOrdersQuery {
                unit_id: HOUSING.to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(lines.orders.len(), 1);
    assert_eq!(lines.orders[0].role, "co_handling");

    // A14: interim progress, then more time, approved by the center.
    let _: ReportReceipt = h
        .call(
            verbs::ROUTER_REPORT_PROGRESS,
            &ReportProgressCommand {
                number: number.to_owned(),
                unit_id: ENV.to_owned(),
                reason_code: "needs_noise_measurement".to_owned(),
                progress: "已约定噪声检测时间，待检测报告。".to_owned(),
                reported_by: "张伟".to_owned(),
            },
        )
        .await
        .unwrap();
    let progress: OrderProgressReported = h
        .wait_for_event(event::ORDER_PROGRESS_REPORTED, order_id)
        .await;
    assert_eq!(progress.reason_code, "needs_noise_measurement");
    let ask = RequestExtensionCommand {
        number: number.to_owned(),
        unit_id: ENV.to_owned(),
        extension: TimeLimit {
            unit: LimitUnit::WorkingDays,
            value: 5,
        },
        reason_code: "needs_noise_measurement".to_owned(),
        explanation: "检测机构排期需一周。".to_owned(),
        requested_by: "张伟".to_owned(),
    };
    let request: UnitRequestReceipt = h.call(verbs::ROUTER_REQUEST_EXTENSION, &ask).await.unwrap();
    let (code, _) = error_code(
        h.call::<_, UnitRequestReceipt>(verbs::ROUTER_REQUEST_EXTENSION, &ask)
            .await,
    );
    assert_eq!(
        code,
        RpcErrorCode::Conflict,
        "one pending request of a kind"
    );
    let requested: OrderExtensionRequested = h
        .wait_for_event(event::ORDER_EXTENSION_REQUESTED, order_id)
        .await;
    assert_eq!(requested.extension_id, request.request_id);
    let decide = |request_id| DecideRequestCommand {
        request_id,
        approve: true,
        decided_by: "center-head-02".to_owned(),
    };
    let _: RequestDecision = h
        .call(verbs::ROUTER_DECIDE_REQUEST, &decide(request.request_id))
        .await
        .unwrap();
    let granted: OrderExtensionGranted = h
        .wait_for_event(event::ORDER_EXTENSION_GRANTED, order_id)
        .await;
    assert_eq!(granted.extension_id, request.request_id);
    assert_eq!(granted.extension.value, 5);

    // Suspension: requested, approved (order.suspended), resumed by the center.
    let suspension: UnitRequestReceipt = h
        .call(
            verbs::ROUTER_REQUEST_SUSPENSION,
            &RequestSuspensionCommand {
                number: number.to_owned(),
                unit_id: ENV.to_owned(),
                reason: SuspensionReason::AwaitingAppraisal,
                explanation: "等待噪声检测报告。".to_owned(),
                requested_by: "张伟".to_owned(),
            },
        )
        .await
        .unwrap();
    let _: RequestDecision = h
        .call(verbs::ROUTER_DECIDE_REQUEST, &decide(suspension.request_id))
        .await
        .unwrap();
    let suspended: OrderSuspended = h.wait_for_event(event::ORDER_SUSPENDED, order_id).await;
    assert_eq!(suspended.reason, SuspensionReason::AwaitingAppraisal);
    let resume = ResumeCommand {
        number: number.to_owned(),
        resumed_by: "center-head-02".to_owned(),
    };
    let _: ResumeReceipt = h.call(verbs::ROUTER_RESUME, &resume).await.unwrap();
    let _: OrderResumed = h.wait_for_event(event::ORDER_RESUMED, order_id).await;
    let (code, _) = error_code(
        h.call::<_, ResumeReceipt>(verbs::ROUTER_RESUME, &resume)
            .await,
    );
    assert_eq!(
        code,
        RpcErrorCode::Conflict,
        "resuming an order not suspended"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_sent_back_order_returns_to_the_same_unit_as_a_redo() {
    let h = Harness::start().await;
    let number = "5201022611300006";
    let order_id = h.noise_order(number).await;
    h.sign(&sign_as(number, ENV, "张伟")).await.unwrap();
    let first = h.submit(&result_of(number, ENV)).await.unwrap();
    h.publish_event(
        "supervision",
        OrderSentBack {
            order_id,
            unit_id: ENV.to_owned(),
            result_id: first.result_id,
            reason_code: "reply_incomplete".to_owned(),
            sent_back_by: "center-head-02".to_owned(),
            sent_back_at: Utc::now(),
        },
    )
    .await;
    let view = wait_for("the order back with its unit", WAIT, || async {
        let v = h.view(number, ENV).await.ok()?;
        (v.status == "signed").then_some(v)
    })
    .await;
    assert_eq!(view.redo_count, 1);
    assert_eq!(view.lead_unit_id, ENV);
    let second = h.submit(&result_of(number, ENV)).await.unwrap();
    assert_ne!(second.result_id, first.result_id);
    h.stop().await;
}

#[tokio::test]
async fn an_order_with_no_unit_and_no_region_is_decided_in_consultation() {
    let h = Harness::start().await;
    let number = "5200002611300001";
    let order = h
        .register(registered(number, Some("roads.potholes"), "520000"))
        .await
        .data;
    let opened: OrderConsultationOpened = h
        .wait_for_event(event::ORDER_CONSULTATION_OPENED, order.order_id)
        .await;
    assert_eq!(opened.number, number);
    let queue: ConsultationQueue = h
        .call(verbs::ROUTER_CONSULTATIONS, &ConsultationQueueQuery {})
        .await
        .unwrap();
    assert_eq!(queue.consultations.len(), 1);

    let _: ConsultationReceipt = h
        .call(
            verbs::ROUTER_INVITE,
            &InviteUnitsCommand {
                number: number.to_owned(),
                unit_ids: vec!["520100-transport".to_owned(), HOUSING.to_owned()],
                invited_by: "center-07".to_owned(),
            },
        )
        .await
        .unwrap();
    let view = |unit: &str| RecordViewCommand {
        number: number.to_owned(),
        unit_id: unit.to_owned(),
        view: "道路养护属交通部门，小区内道路属住建部门。".to_owned(),
        within_duties: true,
        responded_by: format!("{unit}-staff"),
    };
    let _: ConsultationReceipt = h
        .call(verbs::ROUTER_RECORD_VIEW, &view("520100-transport"))
        .await
        .unwrap();
    let (code, _) = error_code(
        h.call::<_, ConsultationReceipt>(verbs::ROUTER_RECORD_VIEW, &view(MARKET))
            .await,
    );
    assert_eq!(code, RpcErrorCode::Forbidden, "a unit not invited");

    let decided: ConsultationReceipt = h
        .call(
            verbs::ROUTER_DECIDE_CONSULTATION,
            &DecideConsultationCommand {
                number: number.to_owned(),
                lead_unit_id: "520100-transport".to_owned(),
                co_unit_ids: vec![HOUSING.to_owned(), MARKET.to_owned()],
                decided_by: "center-07".to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(decided.status, "decided");
    let dispatched: OrderDispatched = h
        .wait_for_event(event::ORDER_DISPATCHED, order.order_id)
        .await;
    assert_eq!(dispatched.unit_id, "520100-transport");
    assert_eq!(dispatched.basis, DispatchBasis::Consultation);
    let co = wait_for("two co-handling units", WAIT, || async {
        let n = h
            .events_about::<OrderCoHandlingAssigned>(
                event::ORDER_CO_HANDLING_ASSIGNED,
                order.order_id,
            )
            .await;
        (n.len() == 2).then_some(n)
    })
    .await;
    assert!(co.iter().all(|e| e.data.lead_unit_id == "520100-transport"));
    let queue: ConsultationQueue = h
        .call(verbs::ROUTER_CONSULTATIONS, &ConsultationQueueQuery {})
        .await
        .unwrap();
    assert!(queue.consultations.is_empty());
    h.stop().await;
}
