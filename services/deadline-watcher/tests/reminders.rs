//! Reminders before a due instant (A17) against a real nats-server and Postgres: each
//! configured point (half and four fifths of the time allowed) fires once per running
//! timer, never for a timer that is settled, and never twice even with scans racing. The
//! scan reads each timer's stored next reminder instant, which follows the clock as it
//! starts, moves and ends, and the configured points.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{SubsecRound, TimeDelta, Utc};
use hotline_contract::events::{
    DeadlineClock, DeadlineOverdue, DeadlineReminder, LimitUnit, TimeLimit,
};
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_deadline_watcher::config::WatcherSection;
use hotline_service_test::PATIENCE;
use hotline_test_support::wait_for;
use support::{Replica, UNIT, Watcher, at, wait_until};
use uuid::Uuid;

#[tokio::test]
async fn reminders_fire_once_at_half_and_four_fifths_of_the_time_allowed() {
    // The service's own scan, every second.
    let watcher = Watcher::start(1).await;
    let order_id = Uuid::now_v7();
    // Ten seconds allowed, six used: the half-way point has passed, four fifths comes in
    // two seconds, the due instant in four.
    // Postgres keeps microseconds.
    let now = Utc::now().trunc_subsecs(6);
    let started_at = now - TimeDelta::seconds(6);
    let due_at = now + TimeDelta::seconds(4);
    watcher
        .insert_handling_timer(order_id, started_at, due_at, "running")
        .await;

    let first = watcher
        .env
        .wait_for_event::<DeadlineReminder>(event::DEADLINE_REMINDER, |e| e.order_id == order_id)
        .await;
    assert_eq!(first.data.clock, DeadlineClock::Handling);
    assert_eq!(first.data.unit_id, UNIT);
    assert_eq!(first.data.due_at, due_at);
    assert!(first.data.reminded_at < due_at);

    wait_for("both reminders sent", PATIENCE, || async {
        (watcher.reminders_sent(order_id).await == [500, 800]).then_some(())
    })
    .await;
    // Let the clock run out: the overdue scan takes over, and no reminder repeats.
    watcher
        .env
        .wait_for_event::<DeadlineOverdue>(event::DEADLINE_OVERDUE, |e| e.order_id == order_id)
        .await;
    let queued = watcher
        .env
        .outbox_count(
            &watcher.pool,
            hotline_deadline_watcher::SCHEMA,
            event::DEADLINE_REMINDER,
            order_id,
        )
        .await;
    assert_eq!(queued, 2, "one reminder per point");
    let (half, four_fifths): (chrono::DateTime<Utc>, chrono::DateTime<Utc>) = sqlx::query_as(
        "SELECT min(sent_at), max(sent_at) FROM deadline_watcher.reminders_sent \
         WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&watcher.pool)
    .await
    .unwrap();
    assert!(half >= started_at + TimeDelta::seconds(5));
    assert!(four_fifths >= started_at + TimeDelta::seconds(8));
    assert!(four_fifths <= due_at);
    assert_eq!(watcher.reminder_scan(500).scan().await.unwrap(), 0);

    watcher.stop().await;
}

#[tokio::test]
async fn concurrent_scans_never_send_a_reminder_twice_nor_remind_settled_timers() {
    // No periodic scan: the test runs its own, concurrently.
    let watcher = Watcher::start(3600).await;
    let now = Utc::now();
    // 90 % of the time used: both points passed, the due instant an hour away.
    let started_at = now - TimeDelta::hours(9);
    let due_at = now + TimeDelta::hours(1);
    let mut running = Vec::new();
    for _ in 0..40 {
        let order_id = Uuid::now_v7();
        watcher
            .insert_handling_timer(order_id, started_at, due_at, "running")
            .await;
        running.push(order_id);
    }
    let mut settled = Vec::new();
    for state in ["met", "cancelled", "overdue"] {
        let order_id = Uuid::now_v7();
        watcher
            .insert_handling_timer(order_id, started_at, due_at, state)
            .await;
        settled.push(order_id);
    }
    // A running timer already past due is the overdue scan's, not reminded.
    let late = Uuid::now_v7();
    watcher
        .insert_handling_timer(late, started_at, now - TimeDelta::seconds(1), "running")
        .await;
    settled.push(late);

    // Four scans at once, in small batches, so they compete for the same rows.
    let scans: Vec<_> = (0..4).map(|_| watcher.reminder_scan(7)).collect();
    let sent = futures::future::join_all(scans.iter().map(|s| s.scan())).await;
    let total: usize = sent.into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(total, 80, "two reminders for each of the 40 running timers");

    for order_id in &running {
        assert_eq!(watcher.reminders_sent(*order_id).await, [500, 800]);
        let queued = watcher
            .env
            .outbox_count(
                &watcher.pool,
                hotline_deadline_watcher::SCHEMA,
                event::DEADLINE_REMINDER,
                *order_id,
            )
            .await;
        assert_eq!(queued, 2);
    }
    for order_id in &settled {
        assert!(watcher.reminders_sent(*order_id).await.is_empty());
    }
    // Everything is sent: another pair of scans finds nothing.
    let again = futures::future::join(
        watcher.reminder_scan(7).scan(),
        watcher.reminder_scan(7).scan(),
    )
    .await;
    assert_eq!((again.0.unwrap(), again.1.unwrap()), (0, 0));

    watcher.stop().await;
}

#[tokio::test]
async fn a_timers_next_reminder_follows_its_clock_as_it_starts_moves_and_ends() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    let next = || watcher.next_reminder_at(order_id, "handling", "");
    // An urgent matter signed at 02:00: 24 hours to handle, half-way at 14:00.
    let signed_at = at("2026-11-16T02:00:00Z");
    watcher
        .dispatch_as(
            order_id,
            at("2026-11-16T01:00:00Z"),
            RequestKind::Help,
            Urgency::Urgent,
        )
        .await;
    watcher.sign(order_id, signed_at).await;
    watcher
        .wait_for_clock_state(order_id, "handling", "running")
        .await;
    assert_eq!(next().await, Some(signed_at + TimeDelta::hours(12)));

    // 24 hours more (A14): 48 hours allowed, half-way a day after the sign.
    watcher
        .grant_extension(
            order_id,
            Uuid::now_v7(),
            TimeLimit {
                unit: LimitUnit::Hours,
                value: 24,
            },
            at("2026-11-16T06:00:00Z"),
        )
        .await;
    wait_until("the next reminder moved with the due instant", || async {
        next().await == Some(signed_at + TimeDelta::hours(24))
    })
    .await;

    // The half-way reminder sent: next comes four fifths of 48 hours, at 38:24.
    let scan = watcher.reminder_scan(500);
    let batch = scan
        .scan_batch(signed_at + TimeDelta::hours(25))
        .await
        .unwrap();
    assert_eq!((batch.claimed, batch.sent), (1, 1));
    assert_eq!(watcher.reminders_sent(order_id).await, [500]);
    assert_eq!(
        next().await,
        Some(signed_at + TimeDelta::hours(38) + TimeDelta::minutes(24))
    );
    // Before that instant the timer is not even read.
    let early = scan
        .scan_batch(signed_at + TimeDelta::hours(38))
        .await
        .unwrap();
    assert_eq!((early.claimed, early.sent), (0, 0));

    // The result meets the clock: no reminder is left to look for.
    watcher
        .submit_result(order_id, at("2026-11-17T08:00:00Z"))
        .await;
    watcher
        .wait_for_clock_state(order_id, "handling", "met")
        .await;
    assert_eq!(next().await, None);

    watcher.stop().await;
}

#[tokio::test]
async fn the_timers_trigger_agrees_with_next_reminder_instant() {
    // The trigger computes the instant itself (planned once per connection); the scans
    // use `next_reminder_instant`. Both must give the same instant for every timer.
    let watcher = Watcher::start(3600).await;
    let started_at = at("2026-11-16T00:00:00Z");
    let cases = [
        (at("2026-11-16T10:00:00Z"), "running"),
        (started_at, "running"),
        (at("2026-11-15T10:00:00Z"), "running"),
        (at("2026-11-16T10:00:00Z"), "met"),
        (at("2026-11-18T00:00:00Z"), "cancelled"),
    ];
    let mut ids = Vec::new();
    for (due_at, state) in cases {
        let order_id = Uuid::now_v7();
        watcher
            .insert_handling_timer(order_id, started_at, due_at, state)
            .await;
        ids.push(order_id);
    }
    // A sent half-way reminder, then a moved due instant: the trigger skips the sent point.
    let sent = ids[0];
    sqlx::query(
        "INSERT INTO deadline_watcher.reminders_sent (order_id, clock, party, fraction_permille) \
         VALUES ($1, 'handling', '', 500)",
    )
    .bind(sent)
    .execute(&watcher.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE deadline_watcher.timers SET due_at = $2 WHERE order_id = $1 AND clock = 'handling'",
    )
    .bind(sent)
    .bind(at("2026-11-16T20:00:00Z"))
    .execute(&watcher.pool)
    .await
    .unwrap();
    assert_eq!(
        watcher.next_reminder_at(sent, "handling", "").await,
        Some(at("2026-11-16T16:00:00Z")),
        "four fifths of 20 hours, the half-way point being sent"
    );
    let disagreeing: Vec<(Uuid, Option<chrono::DateTime<Utc>>)> = sqlx::query_as(
        "SELECT order_id, next_reminder_at FROM deadline_watcher.timers \
         WHERE order_id = ANY($1) AND next_reminder_at IS DISTINCT FROM CASE WHEN state = 'running' \
           THEN deadline_watcher.next_reminder_instant(order_id, clock, party, started_at, due_at) END",
    )
    .bind(&ids)
    .fetch_all(&watcher.pool)
    .await
    .unwrap();
    assert_eq!(disagreeing, []);
    // And the cases are not all NULL: only the running timers with time allowed have one.
    let with_instant: Vec<bool> = sqlx::query_scalar(
        "SELECT next_reminder_at IS NOT NULL FROM deadline_watcher.timers \
         WHERE order_id = ANY($1) ORDER BY order_id",
    )
    .bind(&ids)
    .fetch_all(&watcher.pool)
    .await
    .unwrap();
    assert_eq!(with_instant, [true, false, false, false, false]);

    watcher.stop().await;
}

#[tokio::test]
async fn new_reminder_points_apply_to_running_timers_when_the_service_starts_with_them() {
    let watcher = Watcher::start(3600).await;
    let started_at = at("2026-11-16T00:00:00Z");
    let due_at = at("2026-11-16T10:00:00Z");
    let (running, met) = (Uuid::now_v7(), Uuid::now_v7());
    watcher
        .insert_handling_timer(running, started_at, due_at, "running")
        .await;
    watcher
        .insert_handling_timer(met, started_at, due_at, "met")
        .await;
    // The default points: half-way at 05:00.
    assert_eq!(
        watcher.next_reminder_at(running, "handling", "").await,
        Some(at("2026-11-16T05:00:00Z"))
    );
    assert_eq!(watcher.next_reminder_at(met, "handling", "").await, None);

    // Started with a single reminder at a quarter of the time: 02:30.
    let quarter = WatcherSection {
        reminder_fractions: vec![0.25],
        scan_interval_secs: 3600,
        ..WatcherSection::default()
    };
    Replica::start(&watcher.env, quarter).await.stop().await;
    assert_eq!(
        watcher.next_reminder_at(running, "handling", "").await,
        Some(at("2026-11-16T02:30:00Z"))
    );
    assert_eq!(watcher.next_reminder_at(met, "handling", "").await, None);
    let points: Vec<i32> =
        sqlx::query_scalar("SELECT points FROM deadline_watcher.reminder_schedule")
            .fetch_one(&watcher.pool)
            .await
            .unwrap();
    assert_eq!(points, [250]);

    watcher.stop().await;
}
