//! The time-limit policies as the console administers them, against a real nats-server
//! and Postgres: `rpc.deadline-watcher.policies` lists the active versions,
//! `rpc.deadline-watcher.save_policy` writes the next version with who and why (A23),
//! refuses bad limits and stale versions, and the new limit applies to clocks started
//! afterwards only (A15).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hotline_contract::events::{DeadlineClock, DeadlineScheduled, LimitUnit, TimeLimit};
use hotline_contract::policies::{Policies, PoliciesQuery, PolicyView, SavePolicyCommand};
use hotline_contract::rpc::{RpcError, RpcErrorCode, verbs};
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use support::{Watcher, at};
use uuid::Uuid;

async fn policies(watcher: &Watcher) -> Vec<PolicyView> {
    let list: Policies = watcher
        .ask(verbs::DEADLINE_WATCHER_POLICIES, &PoliciesQuery {})
        .await
        .unwrap();
    list.policies
}

fn seven_days_for_complaints(expected_version: i32) -> SavePolicyCommand {
    SavePolicyCommand {
        policy_id: "handling-complaint-normal".to_owned(),
        expected_version,
        limit: TimeLimit {
            unit: LimitUnit::WorkingDays,
            value: 7,
        },
        basis: None,
        stops_when_suspended: None,
        reason: "省级规定调整为 7 个工作日".to_owned(),
        edited_by: "admin-01".to_owned(),
    }
}

async fn save(watcher: &Watcher, command: &SavePolicyCommand) -> Result<PolicyView, RpcError> {
    watcher
        .ask(verbs::DEADLINE_WATCHER_SAVE_POLICY, command)
        .await
}

/// Dispatch and sign a normal complaint; the handling clock's policy and due instant.
async fn handling_clock(watcher: &Watcher, signed_at: &str) -> (Uuid, DeadlineScheduled) {
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    watcher.sign(order_id, at(signed_at)).await;
    let scheduled = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Handling
        })
        .await;
    (order_id, scheduled.data)
}

#[tokio::test]
async fn the_active_policies_are_listed_with_their_scope_limit_and_basis() {
    let watcher = Watcher::start_answering().await;
    let list = policies(&watcher).await;
    let complaint = list
        .iter()
        .find(|p| p.policy_id == "handling-complaint-normal")
        .unwrap();
    assert_eq!(complaint.version, 1);
    assert_eq!(complaint.clock, DeadlineClock::Handling);
    assert_eq!(
        (complaint.kind, complaint.urgency),
        (Some(RequestKind::Complaint), Some(Urgency::Normal))
    );
    assert_eq!(
        complaint.limit,
        TimeLimit {
            unit: LimitUnit::WorkingDays,
            value: 10
        }
    );
    assert!(complaint.stops_when_suspended);
    assert!(complaint.basis.starts_with("A15"), "{}", complaint.basis);
    assert_eq!(complaint.created_by, None, "a seeded default");
    let sign = list.iter().find(|p| p.policy_id == "sign").unwrap();
    assert_eq!((sign.kind, sign.urgency), (None, None));
    let urgent = list
        .iter()
        .find(|p| p.policy_id == "handling-urgent")
        .unwrap();
    assert_eq!(urgent.limit.unit, LimitUnit::Hours);
    // One line per policy, by clock then id.
    let ids: Vec<&str> = list.iter().map(|p| p.policy_id.as_str()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique);
    watcher.stop().await;
}

#[tokio::test]
async fn an_edit_is_a_new_version_for_clocks_started_afterwards_only() {
    let watcher = Watcher::start_answering().await;
    // Signed on Tue 11-03 under version 1: 10 working days, due at the end of 11-17.
    let (before, first) = handling_clock(&watcher, "2026-11-03T10:00:00+08:00").await;
    assert_eq!(first.policy, "handling-complaint-normal@v1");
    assert_eq!(first.due_at, at("2026-11-18T00:00:00+08:00"));

    let saved = save(&watcher, &seven_days_for_complaints(1)).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.limit.value, 7);
    assert_eq!(saved.created_by.as_deref(), Some("admin-01"));
    assert_eq!(saved.reason.as_deref(), Some("省级规定调整为 7 个工作日"));
    let list = policies(&watcher).await;
    let complaints: Vec<&PolicyView> = list
        .iter()
        .filter(|p| p.policy_id == "handling-complaint-normal")
        .collect();
    assert_eq!(complaints.len(), 1, "one active version");
    assert_eq!(complaints[0], &saved);

    // The next complaint signed counts 7 working days under version 2.
    let (_, second) = handling_clock(&watcher, "2026-11-03T10:00:00+08:00").await;
    assert_eq!(second.policy, "handling-complaint-normal@v2");
    assert_eq!(second.due_at, at("2026-11-13T00:00:00+08:00"));
    // The clock started before keeps its limit and its version.
    assert_eq!(
        watcher.due_at(before, "handling").await,
        at("2026-11-18T00:00:00+08:00")
    );

    // Saving against version 1 again is refused: someone changed it meanwhile.
    let stale = save(&watcher, &seven_days_for_complaints(1))
        .await
        .unwrap_err();
    assert_eq!(stale.code, RpcErrorCode::Conflict);
    watcher.stop().await;
}

#[tokio::test]
async fn a_bad_edit_is_refused_field_by_field_and_changes_nothing() {
    let watcher = Watcher::start_answering().await;
    let zero = SavePolicyCommand {
        limit: TimeLimit {
            unit: LimitUnit::WorkingDays,
            value: 0,
        },
        reason: " ".to_owned(),
        ..seven_days_for_complaints(1)
    };
    let error = save(&watcher, &zero).await.unwrap_err();
    assert_eq!(error.code, RpcErrorCode::InvalidRequest);
    let fields: Vec<(&str, &str)> = error
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.code.as_str()))
        .collect();
    assert_eq!(
        fields,
        [("limit.value", "out_of_range"), ("reason", "required")]
    );
    // A15: signing within 1 working day at most.
    let slow_sign = SavePolicyCommand {
        policy_id: "sign".to_owned(),
        limit: TimeLimit {
            unit: LimitUnit::WorkingDays,
            value: 2,
        },
        ..seven_days_for_complaints(1)
    };
    let error = save(&watcher, &slow_sign).await.unwrap_err();
    assert_eq!(error.fields[0].code, "exceeds_a15");
    let unknown = SavePolicyCommand {
        policy_id: "no-such-policy".to_owned(),
        ..seven_days_for_complaints(1)
    };
    assert_eq!(
        save(&watcher, &unknown).await.unwrap_err().code,
        RpcErrorCode::NotFound
    );
    let list = policies(&watcher).await;
    assert!(list.iter().all(|p| p.version == 1), "nothing was written");
    watcher.stop().await;
}
