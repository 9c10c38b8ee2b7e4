//! Send-back on two people's word (A16), supervision cases and escalation (A17) and the
//! trail (A23), against a real nats-server and Postgres.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use hotline_contract::events::{
    Closure, DeadlineClock, DeadlineOverdue, DisputeReason, OrderClosed,
    OrderDisputeMarkedImproper, OrderSentBack, SupervisionCaseEscalated, SupervisionCaseOpened,
    SupervisionLevel, SupervisionMeasure,
};
use hotline_contract::rpc::{RpcErrorCode, verbs};
use hotline_contract::subjects::event;
use hotline_contract::supervision_desk::*;
use hotline_supervision::SupervisionConfig;
use hotline_supervision::trail::{self, TrailBreak, TrailError};
use support::{Supervision, UNIT, code};
use uuid::Uuid;

#[tokio::test]
async fn a_send_back_needs_the_heads_approval_and_a_second_opens_a_case() {
    let s = Supervision::start().await;
    let order_id = Uuid::now_v7();
    let result_id = s.pending_result(order_id).await;

    let proposal = s.propose(order_id, "head-1").await;
    assert_eq!(proposal.result_id, result_id);
    // Two people: the proposer cannot approve, nor can a reviewer.
    let refused = s
        .approve(proposal.proposal_id, "head-1", CenterRole::Head)
        .await;
    assert_eq!(code(refused.unwrap_err()), RpcErrorCode::Forbidden);
    let refused = s
        .approve(proposal.proposal_id, "reviewer-2", CenterRole::Reviewer)
        .await;
    assert_eq!(code(refused.unwrap_err()), RpcErrorCode::Forbidden);

    let approval = s
        .approve(proposal.proposal_id, "head-2", CenterRole::Head)
        .await
        .unwrap();
    assert_eq!(approval.outcome, SendBackOutcome::SentBack);
    let sent_back = s
        .env
        .wait_for_event::<OrderSentBack>(event::ORDER_SENT_BACK, |e| e.order_id == order_id)
        .await;
    assert_eq!(sent_back.data.result_id, result_id);
    assert_eq!(sent_back.data.unit_id, UNIT);
    assert_eq!(sent_back.data.sent_back_by, "head-2");

    // The redo fails again: a case instead of a third round.
    s.pending_result(order_id).await;
    let second = s.propose(order_id, "reviewer-1").await;
    let approval = s
        .approve(second.proposal_id, "head-2", CenterRole::Head)
        .await
        .unwrap();
    assert_eq!(approval.outcome, SendBackOutcome::CaseOpened);
    let opened = s
        .env
        .wait_for_event::<SupervisionCaseOpened>(event::SUPERVISION_CASE_OPENED, |e| {
            e.order_id == order_id
        })
        .await;
    assert_eq!(Some(opened.data.case_id), approval.case_id);
    assert_eq!(opened.data.reason_code, "second_send_back");
    let sent_backs = s
        .env
        .outbox_count(&s.pool, "supervision", event::ORDER_SENT_BACK, order_id)
        .await;
    assert_eq!(sent_backs, 1);

    // Per round: review, checklist, proposal, approval (the second approval opening the
    // case adds the case's row).
    assert_eq!(trail::verify(&s.pool).await.unwrap(), 9);
    s.stop().await;
}

#[tokio::test]
async fn an_overdue_unit_is_supervised_and_escalated_while_it_does_not_rectify() {
    let s = Supervision::start().await;
    let order_id = Uuid::now_v7();
    let overdue = DeadlineOverdue {
        order_id,
        clock: DeadlineClock::Handling,
        unit_id: UNIT.into(),
        case_id: None,
        due_at: Utc::now(),
        detected_at: Utc::now(),
    };
    s.env.publish("deadline-watcher", overdue.clone()).await;
    // Announced again (a re-scan): still one case.
    s.env.publish("deadline-watcher", overdue).await;
    let opened = s
        .env
        .wait_for_event::<SupervisionCaseOpened>(event::SUPERVISION_CASE_OPENED, |e| {
            e.order_id == order_id
        })
        .await;
    assert_eq!(opened.data.measure, SupervisionMeasure::Notice);
    assert_eq!(opened.data.reason_code, "overdue_handling");
    let case_id = opened.data.case_id;

    for (n, to) in [SupervisionLevel::Coordination, SupervisionLevel::Interview]
        .into_iter()
        .enumerate()
    {
        s.env
            .publish(
                "deadline-watcher",
                DeadlineOverdue {
                    order_id,
                    clock: DeadlineClock::Rectification,
                    unit_id: UNIT.into(),
                    case_id: Some(case_id),
                    due_at: Utc::now(),
                    detected_at: Utc::now(),
                },
            )
            .await;
        let escalated = s
            .env
            .wait_for_event::<SupervisionCaseEscalated>(event::SUPERVISION_CASE_ESCALATED, |e| {
                e.case_id == case_id && e.to == to
            })
            .await;
        assert_eq!(escalated.data.unit_id, UNIT, "step {n}");
    }
    let cases: i64 =
        sqlx::query_scalar("SELECT count(*) FROM supervision.cases WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!(cases, 1);
    let steps: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, level FROM supervision.case_steps WHERE case_id = $1 ORDER BY step_no",
    )
    .bind(case_id)
    .fetch_all(&s.pool)
    .await
    .unwrap();
    assert_eq!(
        steps,
        [
            ("opened".into(), "notice".into()),
            ("escalated".into(), "coordination".into()),
            ("escalated".into(), "interview".into())
        ]
    );

    // The supervision board lists the open case at its level, escalated twice.
    let listed = |list: CaseList| list.items.into_iter().find(|c| c.case_id == case_id);
    let open: CaseList = s
        .call(
            verbs::SUPERVISION_CASES,
            &CasesQuery {
                unit_id: Some(UNIT.into()),
                limit: None,
            },
        )
        .await
        .unwrap();
    let case = listed(open).expect("the open case is listed");
    assert_eq!(case.order_id, order_id);
    assert_eq!(case.level, SupervisionLevel::Interview);
    assert_eq!(case.status, "open");
    assert_eq!(case.reason_code, "overdue_handling");
    assert_eq!(case.escalations, 2);
    assert!(case.last_escalated_at.is_some());
    let other: CaseList = s
        .call(
            verbs::SUPERVISION_CASES,
            &CasesQuery {
                unit_id: Some("no-such-unit".into()),
                limit: Some(5),
            },
        )
        .await
        .unwrap();
    assert!(other.items.is_empty());
    let refused = s
        .call::<_, CaseList>(
            verbs::SUPERVISION_CASES,
            &CasesQuery {
                unit_id: None,
                limit: Some(0),
            },
        )
        .await;
    assert_eq!(code(refused.unwrap_err()), RpcErrorCode::InvalidRequest);

    // The unit reports; only the head closes.
    let report: CaseReceipt = s
        .call(
            verbs::SUPERVISION_REPORT_RECTIFICATION,
            &ReportRectificationCommand {
                case_id,
                unit_id: UNIT.into(),
                report: "已整改完毕".into(),
                reported_by: "staff-4".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(report.status, "rectified");
    let refused = s
        .call::<_, CaseReceipt>(
            verbs::SUPERVISION_CLOSE_CASE,
            &CloseCaseCommand {
                case_id,
                closed_by: "reviewer-1".into(),
                role: CenterRole::Reviewer,
            },
        )
        .await;
    assert_eq!(code(refused.unwrap_err()), RpcErrorCode::Forbidden);
    let closed: CaseReceipt = s
        .call(
            verbs::SUPERVISION_CLOSE_CASE,
            &CloseCaseCommand {
                case_id,
                closed_by: "head-1".into(),
                role: CenterRole::Head,
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.status, "closed");
    let after: CaseList = s
        .call(verbs::SUPERVISION_CASES, &CasesQuery::default())
        .await
        .unwrap();
    assert!(listed(after).is_none(), "a closed case leaves the board");
    s.stop().await;
}

#[tokio::test]
async fn an_improper_dispute_opens_a_case() {
    let s = Supervision::start().await;
    let order_id = Uuid::now_v7();
    s.env
        .publish(
            "router",
            OrderDisputeMarkedImproper {
                order_id,
                dispute_id: Uuid::now_v7(),
                unit_id: UNIT.into(),
                reason: DisputeReason::NotOurDuty,
                decided_by: "authority-1".into(),
                marked_at: Utc::now(),
            },
        )
        .await;
    let opened = s
        .env
        .wait_for_event::<SupervisionCaseOpened>(event::SUPERVISION_CASE_OPENED, |e| {
            e.order_id == order_id
        })
        .await;
    assert_eq!(opened.data.reason_code, "improper_dispute");
    assert_eq!(opened.data.unit_id, UNIT);
    s.stop().await;
}

#[tokio::test]
async fn tampering_with_one_trail_row_is_detected() {
    let s = Supervision::start().await;
    for _ in 0..3 {
        let _: CaseReceipt = s
            .call(
                verbs::SUPERVISION_OPEN_CASE,
                &OpenCaseCommand {
                    order_id: Uuid::now_v7(),
                    unit_id: UNIT.into(),
                    reason_code: "refused".into(),
                    measure: None,
                    opened_by: "reviewer-1".into(),
                    role: CenterRole::Reviewer,
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(trail::verify(&s.pool).await.unwrap(), 3);
    // The second decision's row, in its order's strand.
    let (strand, seq): (i16, i64) = sqlx::query_as(
        "SELECT strand, seq FROM supervision.trail ORDER BY at, seq LIMIT 1 OFFSET 1",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let tamper = "UPDATE supervision.trail SET actor = 'someone' WHERE strand = $1 AND seq = $2";

    // The trigger refuses edits ...
    let refused = sqlx::query(tamper)
        .bind(strand)
        .bind(seq)
        .execute(&s.pool)
        .await;
    assert!(refused.is_err());
    // ... and whoever gets past it is caught by the chain.
    let mut tx = s.pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE supervision.trail DISABLE TRIGGER trail_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(tamper)
        .bind(strand)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    match trail::verify(&s.pool).await {
        Err(TrailError::Broken(TrailBreak::Hash(at_strand, at_seq)))
            if (at_strand, at_seq) == (strand, seq) => {}
        other => panic!("tampering not located: {other:?}"),
    }
    // The ops command says so too.
    let config = SupervisionConfig {
        common: s.env.common_config(),
        ..SupervisionConfig::default()
    };
    let error = hotline_supervision::verify_trail(&config)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.downcast_ref::<TrailError>(),
            Some(TrailError::Broken(TrailBreak::Hash(at_strand, at_seq)))
                if (*at_strand, *at_seq) == (strand, seq)
        ),
        "{error:#}"
    );
    s.stop().await;
}

#[tokio::test]
async fn without_automatic_acceptance_a_reviewer_accepts_and_the_order_closes() {
    let s = Supervision::start_with(false).await;
    let order_id = Uuid::now_v7();
    let result_id = s.result(order_id, true).await;
    s.checklist(order_id, &[], None).await.unwrap();
    let accepted = s.accept(order_id, "reviewer-1").await.unwrap();
    assert_eq!(accepted.result_id, result_id);
    let closed = s
        .env
        .wait_for_event::<OrderClosed>(event::ORDER_CLOSED, |e| e.order_id == order_id)
        .await;
    assert_eq!(closed.data.closure, Closure::ResultAccepted);
    assert_eq!(closed.data.closed_by, "reviewer-1");
    // Accepted once: a second acceptance is a conflict.
    let again = s.accept(order_id, "reviewer-1").await;
    assert_eq!(code(again.unwrap_err()), RpcErrorCode::Conflict);
    // The review, the checklist, the acceptance and the archive record.
    assert_eq!(trail::verify(&s.pool).await.unwrap(), 4);
    s.stop().await;
}

#[tokio::test]
async fn a_proposal_for_a_replaced_result_cannot_be_approved_and_blocks_acceptance_while_pending() {
    let s = Supervision::start_with(false).await;
    let order_id = Uuid::now_v7();
    s.pending_result(order_id).await;
    let stale = s.propose(order_id, "reviewer-1").await;
    // Pending proposal: the result is not accepted behind the head's back.
    let accept = s.accept(order_id, "reviewer-2").await;
    assert_eq!(code(accept.unwrap_err()), RpcErrorCode::Conflict);
    // The unit corrects itself: the proposal is about a result no longer under review.
    s.pending_result(order_id).await;
    let refused = s
        .approve(stale.proposal_id, "head-1", CenterRole::Head)
        .await;
    assert_eq!(code(refused.unwrap_err()), RpcErrorCode::Conflict);
    // The stale proposal does not block the new result's acceptance (checked afresh: the
    // old result's checklist does not carry over).
    s.checklist(order_id, &[], None).await.unwrap();
    s.accept(order_id, "reviewer-2").await.unwrap();
    s.stop().await;
}
