//! The handling clock against a real nats-server and Postgres: it starts when the unit
//! signs, with the limit of the time-limit policy for the order's kind and urgency (A15),
//! names that policy and its version, and stops when the result is submitted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::TimeDelta;
use hotline_contract::events::{DeadlineClock, DeadlineOverdue, DeadlineScheduled};
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_workday::Calendar;
use support::{UNIT, Watcher, at};
use uuid::Uuid;

#[tokio::test]
async fn a_complaint_must_be_handled_within_ten_working_days_of_signing() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    watcher
        .dispatch_as(
            order_id,
            at("2026-11-02T01:00:00Z"),
            RequestKind::Complaint,
            Urgency::Normal,
        )
        .await;
    // Signed Tuesday 2026-11-03 10:00 in Guizhou.
    let signed_at = at("2026-11-03T02:00:00Z");
    watcher.sign(order_id, signed_at).await;

    let handling = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Handling
        })
        .await;
    // Ten working days after Tuesday: Wed 11-04 .. Tue 11-17; due at its end.
    assert_eq!(handling.data.due_at, at("2026-11-18T00:00:00+08:00"));
    assert_eq!(
        handling.data.due_at,
        Calendar::official()
            .add_working_days(signed_at, 10)
            .unwrap()
    );
    assert_eq!(handling.data.started_at, signed_at);
    assert_eq!(handling.data.policy, "handling-complaint-normal@v1");
    assert_eq!(handling.data.unit_id, UNIT);

    // The timer records the policy id and version, and the sign clock's own policy too.
    let (policy_id, version, state): (String, i32, String) = sqlx::query_as(
        "SELECT policy_id, policy_version, state FROM deadline_watcher.timers \
         WHERE order_id = $1 AND clock = 'handling'",
    )
    .bind(order_id)
    .fetch_one(&watcher.pool)
    .await
    .unwrap();
    assert_eq!(
        (policy_id.as_str(), version, state.as_str()),
        ("handling-complaint-normal", 1, "running")
    );
    let sign = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Sign
        })
        .await;
    assert_eq!(sign.data.policy, "sign@v1");

    watcher.stop().await;
}

#[tokio::test]
async fn an_urgent_order_must_be_handled_within_24_hours_of_signing() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    // Signed on a Saturday: hours run through the weekend.
    watcher
        .dispatch_as(
            order_id,
            at("2026-11-06T01:00:00Z"),
            RequestKind::Help,
            Urgency::Urgent,
        )
        .await;
    let signed_at = at("2026-11-07T03:30:00Z");
    watcher.sign(order_id, signed_at).await;

    let handling = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Handling
        })
        .await;
    assert_eq!(handling.data.due_at, signed_at + TimeDelta::hours(24));
    assert_eq!(handling.data.policy, "handling-urgent@v1");

    watcher.stop().await;
}

#[tokio::test]
async fn a_result_submitted_in_time_stops_the_handling_clock_so_it_is_never_flagged() {
    // No periodic scan: the test runs it once the result is in.
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    watcher.sign(order_id, at("2026-11-03T02:00:00Z")).await;
    // Handling due 2026-11-18 00:00 CST (long past now); the result came on 11-10.
    watcher
        .submit_result(order_id, at("2026-11-10T02:00:00Z"))
        .await;
    watcher
        .wait_for_clock_state(order_id, "handling", "met")
        .await;

    assert_eq!(watcher.scan_now().await, 0);
    assert_eq!(watcher.overdue_events_queued(order_id).await, 0);
    assert_eq!(
        watcher.clock_state(order_id, "handling").await.as_deref(),
        Some("met")
    );

    watcher.stop().await;
}

#[tokio::test]
async fn a_result_submitted_after_the_handling_limit_is_flagged_overdue() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    watcher.sign(order_id, at("2026-11-03T02:00:00Z")).await;
    watcher
        .submit_result(order_id, at("2026-11-20T02:00:00Z"))
        .await;

    let overdue = watcher
        .env
        .wait_for_event::<DeadlineOverdue>(event::DEADLINE_OVERDUE, |e| e.order_id == order_id)
        .await;
    assert_eq!(overdue.data.clock, DeadlineClock::Handling);
    assert_eq!(overdue.data.due_at, at("2026-11-18T00:00:00+08:00"));
    assert_eq!(
        watcher.clock_state(order_id, "handling").await.as_deref(),
        Some("overdue")
    );

    watcher.stop().await;
}
