//! The deadline-watcher against a real nats-server and Postgres: sign clocks start on
//! dispatch (A15), are met by a timely sign, cancelled by closing, and flagged overdue by
//! the scan when nobody signs (A17).

// The harness methods fail the test loudly, like the tests (clippy's
// allow-unwrap-in-tests only covers `#[test]` functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use hotline_contract::events::{
    Closure, DeadlineClock, DeadlineOverdue, DeadlineScheduled, OrderClosed, OrderSigned,
};
use hotline_contract::subjects::event;
use hotline_deadline_watcher::SCHEMA;
use hotline_service_test::PATIENCE;
use hotline_test_support::wait_for;
use support::{CLOCKS, Watcher, at};
use uuid::Uuid;

#[tokio::test]
async fn dispatch_schedules_a_sign_deadline_at_the_end_of_the_next_working_day() {
    let watcher = Watcher::start(30).await;
    let order_id = Uuid::now_v7();
    // Friday 2026-11-27 20:00 in Guizhou: the weekend is skipped, Monday is the working
    // day, so the unit must sign before Tuesday 2026-12-01 00:00 CST.
    let dispatched_at = at("2026-11-27T12:00:00Z");
    watcher.dispatch(order_id, dispatched_at).await;

    let scheduled = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| e.order_id == order_id)
        .await;
    assert_eq!(scheduled.data.clock, DeadlineClock::Sign);
    assert_eq!(scheduled.data.due_at, at("2026-12-01T00:00:00+08:00"));
    assert_eq!(scheduled.data.started_at, dispatched_at);
    assert_eq!(scheduled.data.policy, "sign@v1");
    assert_eq!(scheduled.data.unit_id, "unit-nanming-housing");
    assert_eq!(scheduled.source, "/hotline/deadline-watcher");
    assert_eq!(
        watcher.timer_state(order_id).await.as_deref(),
        Some("running")
    );

    watcher.stop().await;
}

#[tokio::test]
async fn a_second_dispatch_of_the_same_order_keeps_the_first_clock() {
    let watcher = Watcher::start(30).await;
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-27T12:00:00Z")).await;
    // The same dispatch re-published under a new event id (the inbox cannot catch it).
    watcher.dispatch(order_id, at("2026-11-30T02:00:00Z")).await;

    wait_for("both dispatches consumed", PATIENCE, || async {
        (watcher.env.inbox_count(&watcher.pool, SCHEMA, CLOCKS).await == 2).then_some(())
    })
    .await;
    let scheduled = watcher
        .env
        .outbox_count(&watcher.pool, SCHEMA, event::DEADLINE_SCHEDULED, order_id)
        .await;
    assert_eq!(scheduled, 1, "one clock, announced once");
    let due: DateTime<Utc> =
        sqlx::query_scalar("SELECT due_at FROM deadline_watcher.timers WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&watcher.pool)
            .await
            .unwrap();
    assert_eq!(due, at("2026-12-01T00:00:00+08:00"));

    watcher.stop().await;
}

#[tokio::test]
async fn unit_that_misses_the_sign_deadline_is_flagged_overdue_by_the_scan() {
    let watcher = Watcher::start(1).await;
    let order_id = Uuid::now_v7();
    // Monday 2026-11-02 09:00 CST: due at the end of Tuesday, long past. Nobody signs.
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;

    let overdue = watcher
        .env
        .wait_for_event::<DeadlineOverdue>(event::DEADLINE_OVERDUE, |e| e.order_id == order_id)
        .await;
    assert_eq!(overdue.data.clock, DeadlineClock::Sign);
    assert_eq!(overdue.data.due_at, at("2026-11-04T00:00:00+08:00"));
    assert_eq!(overdue.data.unit_id, "unit-nanming-housing");
    assert!(overdue.data.detected_at > overdue.data.due_at);
    assert_eq!(
        watcher.timer_state(order_id).await.as_deref(),
        Some("overdue")
    );

    // Flagged once: later scans leave it alone.
    assert_eq!(watcher.scan_now().await, 0);
    assert_eq!(watcher.overdue_events_queued(order_id).await, 1);

    watcher.stop().await;
}

#[tokio::test]
async fn unit_that_signs_before_the_deadline_is_never_flagged() {
    // No periodic scan during the test: the test runs the scan itself once the sign is in.
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    // Dispatched and signed in the past, the sign well before the due instant: only the
    // sign stops the scan from flagging it.
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    watcher
        .env
        .publish(
            "router",
            OrderSigned {
                order_id,
                unit_id: "unit-nanming-housing".to_owned(),
                signed_by: "staff-17".to_owned(),
                signed_at: at("2026-11-03T02:00:00Z"),
            },
        )
        .await;
    watcher.wait_for_state(order_id, "met").await;

    // The sign started the handling clock (10 working days for a complaint, so due
    // 2026-11-18, also long past): the scan flags that one, never the met sign clock.
    assert_eq!(watcher.scan_now().await, 1);
    assert_eq!(
        watcher
            .overdue_events_queued_for(order_id, DeadlineClock::Sign)
            .await,
        0
    );
    assert_eq!(
        watcher
            .overdue_events_queued_for(order_id, DeadlineClock::Handling)
            .await,
        1
    );
    assert_eq!(watcher.timer_state(order_id).await.as_deref(), Some("met"));

    watcher.stop().await;
}

#[tokio::test]
async fn unit_that_signs_after_the_deadline_is_flagged_even_before_a_scan() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    watcher
        .env
        .publish(
            "router",
            OrderSigned {
                order_id,
                unit_id: "unit-nanming-housing".to_owned(),
                signed_by: "staff-17".to_owned(),
                signed_at: at("2026-11-05T02:00:00Z"),
            },
        )
        .await;

    let overdue = watcher
        .env
        .wait_for_event::<DeadlineOverdue>(event::DEADLINE_OVERDUE, |e| e.order_id == order_id)
        .await;
    assert_eq!(overdue.data.due_at, at("2026-11-04T00:00:00+08:00"));
    assert_eq!(
        watcher.timer_state(order_id).await.as_deref(),
        Some("overdue")
    );

    watcher.stop().await;
}

#[tokio::test]
async fn closing_an_order_cancels_its_running_clock() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    watcher
        .env
        .publish(
            "supervision",
            OrderClosed {
                order_id,
                closure: Closure::ResultAccepted,
                closed_by: "reviewer-3".to_owned(),
                closed_at: at("2026-11-03T03:00:00Z"),
            },
        )
        .await;
    watcher.wait_for_state(order_id, "cancelled").await;

    assert_eq!(watcher.scan_now().await, 0);
    assert_eq!(watcher.overdue_events_queued(order_id).await, 0);

    watcher.stop().await;
}

#[tokio::test]
async fn a_dispatch_in_a_year_without_calendar_data_gets_no_guessed_deadline_and_is_retried() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    // 2027 has no State Council schedule in the embedded calendar.
    watcher.dispatch(order_id, at("2027-03-01T01:00:00Z")).await;

    // The failure is transient: after its retries in place the message goes back to the
    // server for a later redelivery (an operator can load the year meanwhile).
    let stream = watcher
        .env
        .jetstream
        .get_stream(
            watcher
                .env
                .ns
                .stream(hotline_contract::subjects::HOTLINE_STREAM),
        )
        .await
        .unwrap();
    wait_for("the 2027 dispatch to be redelivered", PATIENCE, || {
        let stream = stream.clone();
        async move {
            let info = stream.consumer_info(CLOCKS).await.ok()?;
            (info.num_redelivered >= 1).then_some(())
        }
    })
    .await;

    // No deadline was guessed, and the event was not given up on.
    assert_eq!(watcher.timer_state(order_id).await, None);
    let scheduled = watcher
        .env
        .outbox_count(&watcher.pool, SCHEMA, event::DEADLINE_SCHEDULED, order_id)
        .await;
    assert_eq!(scheduled, 0);
    let dead_letters: i64 = sqlx::query_scalar("SELECT count(*) FROM deadline_watcher.dead_letter")
        .fetch_one(&watcher.pool)
        .await
        .unwrap();
    assert_eq!(dead_letters, 0);
    assert_eq!(
        watcher.env.inbox_count(&watcher.pool, SCHEMA, CLOCKS).await,
        0
    );

    watcher.stop().await;
}
