#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The staff assessment (A19) against a real nats-server and Postgres: a small month of
//! orders whose every agent and reviewer act is known is published as the services would
//! publish it, and `rpc.analytics.staff_assessment` must give the counts and measures
//! worked out by hand below (docs/kpis.md, "Staff assessment (A19)"). Publishing it all
//! again (a replay) changes nothing; acts outside the period and automatic decisions
//! count for nobody.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline_analytics::AnalyticsConfig;
use hotline_contract::analytics::{
    AgentCounts, ReviewerCounts, StaffAssessment, StaffAssessmentQuery,
};
use hotline_contract::events::{
    Closure, DispatchBasis, LimitUnit, OrderAnswered, OrderClosed, OrderDispatched,
    OrderExtensionGranted, OrderRegistered, OrderRepeatLinked, OrderResultSubmitted, OrderSentBack,
    OrderSuspended, RequesterRef, ResultChecklist, SuspensionReason, TimeLimit,
};
use hotline_contract::rpc::RpcErrorCode;
use hotline_contract::rpc::verbs::ANALYTICS_STAFF_ASSESSMENT;
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use hotline_test_support::wait_for;
use uuid::Uuid;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// An order registered by `agent` (none: a web message), requested at `requested`.
fn registered(
    order_id: Uuid,
    agent: Option<&str>,
    requested: &str,
    registered: &str,
    follow_up_of: Option<Uuid>,
) -> OrderRegistered {
    OrderRegistered {
        order_id,
        number: format!("N{}", &order_id.simple().to_string()[..8]),
        channel: Channel::Phone,
        kind: RequestKind::Consultation,
        category: None,
        region_code: "520102".to_owned(),
        urgency: Urgency::default(),
        requester: RequesterRef {
            requester_type: RequesterType::Person,
            phone_masked: Some("138****1234".to_owned()),
            phone_hash: Some("ab".repeat(32)),
            confidential: false,
        },
        requested_at: at(requested),
        registered_at: at(registered),
        registered_by: agent.map(str::to_owned),
        follow_up_of,
    }
}

fn answered(registration: OrderRegistered, by: &str) -> OrderAnswered {
    let answered_at = registration.registered_at;
    OrderAnswered {
        registration,
        article_id: "kb-1".to_owned(),
        article_version: 1,
        answered_by: by.to_owned(),
        answered_at,
    }
}

fn result(order_id: Uuid, result_id: Uuid, when: &str) -> OrderResultSubmitted {
    OrderResultSubmitted {
        order_id,
        unit_id: "unit-1".to_owned(),
        result_id,
        submitted_by: "unit-user-1".to_owned(),
        submitted_at: at(when),
        checklist: ResultChecklist::complete(),
    }
}

fn accepted(order_id: Uuid, by: &str, when: &str) -> OrderClosed {
    OrderClosed {
        order_id,
        closure: Closure::ResultAccepted,
        closed_by: by.to_owned(),
        closed_at: at(when),
    }
}

/// Every event of the month; returns how many were published.
async fn publish_month(env: &TestEnv, o: &[Uuid; 9]) -> i64 {
    let [o1, o2, o3, o4, o5, o6, o7, o8, o9] = *o;
    let (r1, r2, r8) = (
        Uuid::from_u128(0x51),
        Uuid::from_u128(0x52),
        Uuid::from_u128(0x58),
    );
    let mut n = 0;
    // a1 registers O1 (300 s); it is dispatched, its first result R1 is sent back by
    // reviewer r1 after 2 h, the second R2 accepted by r1 after 1 h. r2 approves an
    // extension, r1 a suspension.
    let reg = registered(
        o1,
        Some("a1"),
        "2026-03-02T01:00:00Z",
        "2026-03-02T01:05:00Z",
        None,
    );
    env.publish("intake", reg).await;
    env.publish(
        "router",
        OrderDispatched {
            order_id: o1,
            number: "N1".to_owned(),
            unit_id: "unit-1".to_owned(),
            basis: DispatchBasis::Territorial,
            rule_id: None,
            kind: RequestKind::Consultation,
            urgency: Urgency::default(),
            dispatched_at: at("2026-03-02T01:30:00Z"),
        },
    )
    .await;
    env.publish("router", result(o1, r1, "2026-03-03T02:00:00Z"))
        .await;
    env.publish(
        "supervision",
        OrderSentBack {
            order_id: o1,
            unit_id: "unit-1".to_owned(),
            result_id: r1,
            reason_code: "reply_incomplete".to_owned(),
            sent_back_by: "r1".to_owned(),
            sent_back_at: at("2026-03-03T04:00:00Z"),
        },
    )
    .await;
    env.publish("router", result(o1, r2, "2026-03-04T02:00:00Z"))
        .await;
    env.publish("supervision", accepted(o1, "r1", "2026-03-04T03:00:00Z"))
        .await;
    env.publish(
        "router",
        OrderExtensionGranted {
            order_id: o1,
            unit_id: "unit-1".to_owned(),
            extension_id: Uuid::from_u128(0xe1),
            extension: TimeLimit {
                unit: LimitUnit::WorkingDays,
                value: 5,
            },
            reason_code: "needs_inspection".to_owned(),
            approved_by: "r2".to_owned(),
            granted_at: at("2026-03-02T06:00:00Z"),
        },
    )
    .await;
    env.publish(
        "router",
        OrderSuspended {
            order_id: o1,
            unit_id: "unit-1".to_owned(),
            reason: SuspensionReason::AwaitingRequester,
            approved_by: "r1".to_owned(),
            suspended_at: at("2026-03-05T06:00:00Z"),
        },
    )
    .await;
    n += 8;
    // a1 answers O2 directly (120 s); a2's O3 follows it up: the answer did not hold.
    let reg2 = registered(
        o2,
        Some("a1"),
        "2026-03-06T02:00:00Z",
        "2026-03-06T02:02:00Z",
        None,
    );
    env.publish("intake", answered(reg2, "a1")).await;
    let reg3 = registered(
        o3,
        Some("a2"),
        "2026-03-07T02:00:00Z",
        "2026-03-07T02:00:30Z",
        Some(o2),
    );
    env.publish("intake", reg3).await;
    n += 2;
    // a2 answers O4 (600 s; it holds) and O5 (180 s); a1 links O6 (60 s) to O5 as a
    // repeat: O5's answer did not hold.
    let reg4 = registered(
        o4,
        Some("a2"),
        "2026-03-08T02:00:00Z",
        "2026-03-08T02:10:00Z",
        None,
    );
    env.publish("intake", answered(reg4, "a2")).await;
    let reg5 = registered(
        o5,
        Some("a2"),
        "2026-03-09T02:00:00Z",
        "2026-03-09T02:03:00Z",
        None,
    );
    env.publish("intake", answered(reg5, "a2")).await;
    let reg6 = registered(
        o6,
        Some("a1"),
        "2026-03-10T03:00:00Z",
        "2026-03-10T03:01:00Z",
        None,
    );
    env.publish(
        "intake",
        OrderRepeatLinked {
            registration: reg6,
            earlier_order_id: o5,
            earlier_number: "N5".to_owned(),
            decided_by: "a1".to_owned(),
            linked_at: at("2026-03-10T03:01:00Z"),
        },
    )
    .await;
    n += 3;
    // Nobody's: a web message answered by a rule, a result accepted by a rule.
    let reg7 = registered(
        o7,
        None,
        "2026-03-11T02:00:00Z",
        "2026-03-11T02:00:00Z",
        None,
    );
    env.publish("intake", answered(reg7, "rule:faq")).await;
    env.publish("router", result(o8, r8, "2026-03-12T02:00:00Z"))
        .await;
    env.publish(
        "supervision",
        accepted(o8, "rule:auto_accept", "2026-03-12T03:00:00Z"),
    )
    .await;
    n += 3;
    // After the period (Beijing 2026-04-01 00:00 is 2026-03-31T16:00Z): a1's O9, r2's
    // acceptance.
    let reg9 = registered(
        o9,
        Some("a1"),
        "2026-03-31T16:00:00Z",
        "2026-03-31T16:01:00Z",
        None,
    );
    env.publish("intake", reg9).await;
    env.publish("supervision", accepted(o9, "r2", "2026-03-31T17:00:00Z"))
        .await;
    n += 2;
    n
}

async fn assess(env: &TestEnv, from: &str, to: &str) -> Result<StaffAssessment, RpcErrorCode> {
    hotline_messaging::call::<_, StaffAssessment>(
        &env.client,
        &env.ns,
        ANALYTICS_STAFF_ASSESSMENT,
        &StaffAssessmentQuery {
            from: at(from),
            to: at(to),
        },
        &TraceContext::new_root(),
        Duration::from_secs(10),
    )
    .await
    .map_err(|e| match e {
        hotline_messaging::CallError::Rpc(e) => e.code,
        other => panic!("{other}"),
    })
}

/// The month worked out by hand (see the comments of [`publish_month`]).
fn check(report: &StaffAssessment) {
    let agents: Vec<(&str, AgentCounts)> = report
        .agents
        .iter()
        .map(|a| (a.agent_id.as_str(), a.counts))
        .collect();
    let a1 = AgentCounts {
        registered: 3,
        answered_directly: 1,
        answers_not_holding: 1,
        timed: 3,
        handling_seconds_sum: 300 + 120 + 60,
    };
    let a2 = AgentCounts {
        registered: 3,
        answered_directly: 2,
        answers_not_holding: 1,
        timed: 3,
        handling_seconds_sum: 30 + 600 + 180,
    };
    assert_eq!(agents, vec![("a1", a1), ("a2", a2)]);
    let a1 = &report.agents[0];
    assert_eq!(a1.direct_answer_rate, Some(1.0 / 3.0));
    assert_eq!(a1.direct_answer_accuracy, Some(0.0));
    assert_eq!(a1.average_handling_seconds, Some(160.0));
    let a2 = &report.agents[1];
    assert_eq!(a2.direct_answer_rate, Some(2.0 / 3.0));
    assert_eq!(a2.direct_answer_accuracy, Some(0.5));
    assert_eq!(a2.average_handling_seconds, Some(270.0));

    let reviewers: Vec<(&str, ReviewerCounts)> = report
        .reviewers
        .iter()
        .map(|r| (r.reviewer_id.as_str(), r.counts))
        .collect();
    let r1 = ReviewerCounts {
        accepted: 1,
        sent_back: 1,
        approvals: 1,
        timed: 2,
        review_seconds_sum: 7200 + 3600,
    };
    let r2 = ReviewerCounts {
        accepted: 0,
        sent_back: 0,
        approvals: 1,
        timed: 0,
        review_seconds_sum: 0,
    };
    assert_eq!(reviewers, vec![("r1", r1), ("r2", r2)]);
    let r1 = &report.reviewers[0];
    assert_eq!(
        (r1.reviewed, r1.send_back_rate, r1.average_review_seconds),
        (2, Some(0.5), Some(5400.0))
    );
    let r2 = &report.reviewers[1];
    assert_eq!(
        (r2.reviewed, r2.send_back_rate, r2.average_review_seconds),
        (0, None, None)
    );
}

#[tokio::test]
async fn the_assessment_of_a_month_matches_the_acts_worked_out_by_hand_also_after_a_replay() {
    let env = TestEnv::new().await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = hotline_analytics::start(
        AnalyticsConfig {
            common: env.common_config(),
            ..Default::default()
        },
        shutdown.clone(),
    )
    .await
    .unwrap();
    let pool = env.pool().await;
    let orders: [Uuid; 9] = std::array::from_fn(|i| Uuid::from_u128(0x100 + i as u128));
    let (from, to) = ("2026-02-28T16:00:00Z", "2026-03-31T16:00:00Z");

    for round in 1..=2 {
        let n = publish_month(&env, &orders).await;
        wait_for("every event applied", PATIENCE, || {
            let (env, pool) = (&env, &pool);
            async move {
                (env.inbox_count(pool, "analytics", "analytics-facts").await >= round * n)
                    .then_some(())
            }
        })
        .await;
        check(&assess(&env, from, to).await.unwrap());
    }

    // A period with no acts is empty; a backwards or too long period is refused.
    let empty = assess(&env, "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z")
        .await
        .unwrap();
    assert!(empty.agents.is_empty() && empty.reviewers.is_empty());
    assert_eq!(
        assess(&env, to, from).await.unwrap_err(),
        RpcErrorCode::InvalidRequest
    );
    assert_eq!(
        assess(&env, "2025-01-01T00:00:00Z", "2026-03-01T00:00:00Z")
            .await
            .unwrap_err(),
        RpcErrorCode::InvalidRequest
    );

    shutdown.cancel();
    tokio::time::timeout(PATIENCE, running.wait())
        .await
        .unwrap();
    pool.close().await;
    env.db.drop_database().await;
}
