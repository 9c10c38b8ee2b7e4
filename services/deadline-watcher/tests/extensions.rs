//! Moving deadlines against a real nats-server and Postgres: an approved extension (A14)
//! moves the handling deadline once, a suspension (挂起) pauses the clocks whose policy
//! stops and the resumption gives back the time they had left, and matters with a risk to
//! life or property run on the 2-hour clock that no suspension stops.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{TimeDelta, Utc};
use hotline_contract::events::{
    DeadlineClock, DeadlinePaused, DeadlineRescheduled, DeadlineScheduled, LimitUnit,
    RescheduleCause, TimeLimit,
};
use hotline_contract::rpc::{ClockState, OrderDeadlines, OrderDeadlinesQuery, verbs};
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_deadline_watcher::domain::days_left::working_days_left;
use hotline_workday::Calendar;
use support::{Watcher, at};
use uuid::Uuid;

const FIVE_WORKING_DAYS: TimeLimit = TimeLimit {
    unit: LimitUnit::WorkingDays,
    value: 5,
};

/// A complaint signed on Tue 2026-11-03 10:00 in Guizhou: handling due at the end of
/// Tue 11-17 (10 working days), long past by now.
async fn signed_complaint(watcher: &Watcher) -> Uuid {
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    watcher
        .sign(order_id, at("2026-11-03T10:00:00+08:00"))
        .await;
    watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Handling
        })
        .await;
    assert_eq!(
        watcher.due_at(order_id, "handling").await,
        at("2026-11-18T00:00:00+08:00")
    );
    order_id
}

#[tokio::test]
async fn an_extension_moves_the_handling_deadline_once_and_the_scan_respects_it() {
    // No periodic scan: the test runs it itself.
    let watcher = Watcher::start(3600).await;
    let order_id = signed_complaint(&watcher).await;

    let extension_id = Uuid::now_v7();
    let ten_more = TimeLimit {
        unit: LimitUnit::WorkingDays,
        value: 10,
    };
    watcher
        .grant_extension(order_id, extension_id, ten_more, at("2026-11-16T09:00:00Z"))
        .await;
    let moved = watcher
        .env
        .wait_for_event::<DeadlineRescheduled>(event::DEADLINE_RESCHEDULED, |e| {
            e.order_id == order_id
        })
        .await;
    // Ten working days after Tue 11-17: Wed 11-18 .. Tue 12-01, due at its end.
    assert_eq!(moved.data.cause, RescheduleCause::Extension);
    assert_eq!(moved.data.previous_due_at, at("2026-11-18T00:00:00+08:00"));
    assert_eq!(moved.data.due_at, at("2026-12-02T00:00:00+08:00"));
    assert_eq!(moved.data.clock, DeadlineClock::Handling);

    // The same approval published again (a new event id) moves nothing.
    watcher
        .grant_extension(order_id, extension_id, ten_more, at("2026-11-16T09:00:00Z"))
        .await;
    // A second, different approval still applies: it shows the first one was handled.
    watcher
        .grant_extension(
            order_id,
            Uuid::now_v7(),
            FIVE_WORKING_DAYS,
            at("2026-11-30T09:00:00Z"),
        )
        .await;
    let second = watcher
        .env
        .wait_for_event::<DeadlineRescheduled>(event::DEADLINE_RESCHEDULED, |e| {
            e.order_id == order_id && e.previous_due_at == at("2026-12-02T00:00:00+08:00")
        })
        .await;
    // Five working days after Tue 12-01: Wed 12-02 .. Tue 12-08.
    assert_eq!(second.data.due_at, at("2026-12-09T00:00:00+08:00"));
    let changes = watcher.handling_changes(order_id).await;
    let kinds: Vec<&str> = changes.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(kinds, ["extended", "extended"]);

    // Without the extension the clock would be overdue by now; with it, it is not.
    assert_eq!(watcher.scan_now().await, 0);
    watcher
        .assert_clock_state(order_id, "handling", "running")
        .await;
    watcher.stop().await;
}

#[tokio::test]
async fn an_extension_after_the_clock_ran_out_is_recorded_but_does_not_reopen_it() {
    let watcher = Watcher::start(3600).await;
    let order_id = signed_complaint(&watcher).await;
    assert_eq!(watcher.scan_now().await, 1);
    watcher
        .grant_extension(
            order_id,
            Uuid::now_v7(),
            FIVE_WORKING_DAYS,
            at("2026-11-20T09:00:00Z"),
        )
        .await;
    support::wait_until("the late grant recorded", || async {
        !watcher.handling_changes(order_id).await.is_empty()
    })
    .await;
    let changes = watcher.handling_changes(order_id).await;
    assert_eq!(changes[0].0, "extension_refused");
    assert_eq!(changes[0].1, changes[0].2, "the due instant did not move");
    watcher
        .assert_clock_state(order_id, "handling", "overdue")
        .await;
    assert_eq!(
        watcher
            .overdue_events_queued_for(order_id, DeadlineClock::Handling)
            .await,
        1
    );
    watcher.stop().await;
}

#[tokio::test]
async fn a_suspension_pauses_the_handling_clock_and_the_resumption_gives_back_the_days_left() {
    let watcher = Watcher::start_answering().await;
    let order_id = signed_complaint(&watcher).await;

    // Suspended on Tue 11-10 (an appraisal is needed): Tue 10 .. Tue 17 were left, 6
    // working days.
    watcher
        .suspend(order_id, at("2026-11-10T10:00:00+08:00"))
        .await;
    let paused = watcher
        .env
        .wait_for_event::<DeadlinePaused>(event::DEADLINE_PAUSED, |e| e.order_id == order_id)
        .await;
    assert_eq!(paused.data.clock, DeadlineClock::Handling);
    assert_eq!(paused.data.due_at, at("2026-11-18T00:00:00+08:00"));
    watcher
        .wait_for_clock_state(order_id, "handling", "paused")
        .await;

    // Long past the old due instant, a paused clock is not overdue.
    assert_eq!(watcher.scan_now().await, 0);

    // Resumed on Fri 11-27 15:00: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 → end of 12-04.
    watcher
        .resume(order_id, at("2026-11-27T15:00:00+08:00"))
        .await;
    let resumed = watcher
        .env
        .wait_for_event::<DeadlineRescheduled>(event::DEADLINE_RESCHEDULED, |e| {
            e.order_id == order_id
        })
        .await;
    assert_eq!(resumed.data.cause, RescheduleCause::Resumed);
    assert_eq!(resumed.data.due_at, at("2026-12-05T00:00:00+08:00"));
    watcher
        .assert_clock_state(order_id, "handling", "running")
        .await;
    let kinds: Vec<String> = watcher
        .handling_changes(order_id)
        .await
        .into_iter()
        .map(|(c, _, _)| c)
        .collect();
    assert_eq!(kinds, ["paused", "resumed"]);

    // The unit and the center see both clocks, the one in force and its history.
    let view: OrderDeadlines = watcher
        .ask(
            verbs::DEADLINE_WATCHER_DEADLINES,
            &OrderDeadlinesQuery { order_id },
        )
        .await
        .unwrap();
    let clocks: Vec<_> = view
        .clocks
        .iter()
        .map(|c| (c.clock, c.state, c.due_at, c.policy.as_str()))
        .collect();
    assert_eq!(
        clocks,
        [
            (
                DeadlineClock::Sign,
                ClockState::Met,
                // Dispatched Mon 11-02: sign by the end of Tue 11-03.
                at("2026-11-04T00:00:00+08:00"),
                "sign@v1"
            ),
            (
                DeadlineClock::Handling,
                ClockState::Running,
                at("2026-12-05T00:00:00+08:00"),
                "handling-complaint-normal@v1"
            ),
        ]
    );
    // A15: the running clock counts in working days, so the reply says how many whole
    // working days are left on the official calendar (0 on its due day, nothing once due);
    // the met sign clock has no count.
    assert_eq!(view.clocks[0].working_days_left, None);
    let due = at("2026-12-05T00:00:00+08:00");
    let expected = working_days_left(&Calendar::official(), Utc::now(), due).unwrap();
    assert_eq!(view.clocks[1].working_days_left, expected);
    if Utc::now() < at("2026-11-30T00:00:00+08:00") {
        // Before Monday 11-30: Mon 30 .. Fri 12-04 are all left.
        assert_eq!(view.clocks[1].working_days_left, Some(5));
    }
    let history: Vec<_> = view.clocks[1]
        .changes
        .iter()
        .map(|c| (c.change.as_str(), c.reason.as_deref(), c.due_at))
        .collect();
    assert_eq!(
        history,
        [
            (
                "paused",
                Some("awaiting_appraisal"),
                at("2026-11-18T00:00:00+08:00")
            ),
            ("resumed", None, at("2026-12-05T00:00:00+08:00")),
        ]
    );
    let none: OrderDeadlines = watcher
        .ask(
            verbs::DEADLINE_WATCHER_DEADLINES,
            &OrderDeadlinesQuery {
                order_id: Uuid::now_v7(),
            },
        )
        .await
        .unwrap();
    assert!(none.clocks.is_empty(), "no clocks before dispatch");

    // Closing the order ends the resumed clock like any other.
    watcher
        .submit_result(order_id, at("2026-12-01T09:00:00Z"))
        .await;
    watcher
        .wait_for_clock_state(order_id, "handling", "met")
        .await;
    watcher.stop().await;
}

#[tokio::test]
async fn a_suspension_after_the_due_instant_comes_too_late() {
    let watcher = Watcher::start(3600).await;
    let order_id = signed_complaint(&watcher).await;
    watcher
        .suspend(order_id, at("2026-11-20T10:00:00+08:00"))
        .await;
    watcher
        .wait_for_clock_state(order_id, "handling", "overdue")
        .await;
    assert_eq!(
        watcher
            .overdue_events_queued_for(order_id, DeadlineClock::Handling)
            .await,
        1
    );
    assert_eq!(watcher.scan_now().await, 0, "announced once, not again");
    watcher.stop().await;
}

#[tokio::test]
async fn a_risk_to_life_or_property_is_signed_within_an_hour_and_handled_within_two() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    let dispatched_at = at("2026-12-05T02:00:00Z"); // a Saturday
    watcher
        .dispatch_as(
            order_id,
            dispatched_at,
            RequestKind::Help,
            Urgency::Critical,
        )
        .await;
    let sign = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Sign
        })
        .await;
    assert_eq!(sign.data.policy, "sign-critical@v1");
    assert_eq!(sign.data.due_at, dispatched_at + TimeDelta::hours(1));

    let signed_at = dispatched_at + TimeDelta::minutes(20);
    watcher.sign(order_id, signed_at).await;
    let handling = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Handling
        })
        .await;
    assert_eq!(handling.data.policy, "handling-critical@v1");
    assert_eq!(handling.data.due_at, signed_at + TimeDelta::hours(2));
    // A limit in hours is read as the wall-clock time left: no working-day count.
    let view: OrderDeadlines = watcher
        .ask(
            verbs::DEADLINE_WATCHER_DEADLINES,
            &OrderDeadlinesQuery { order_id },
        )
        .await
        .unwrap();
    assert!(view.clocks.iter().all(|c| c.working_days_left.is_none()));

    // The 2-hour clock does not stop for a suspension.
    watcher
        .suspend(order_id, signed_at + TimeDelta::minutes(30))
        .await;
    support::wait_until("the suspension consumed", || async {
        watcher
            .env
            .inbox_count(&watcher.pool, "deadline_watcher", support::CLOCKS)
            .await
            >= 3
    })
    .await;
    watcher
        .assert_clock_state(order_id, "handling", "running")
        .await;
    assert!(watcher.handling_changes(order_id).await.is_empty());
    watcher.stop().await;
}
