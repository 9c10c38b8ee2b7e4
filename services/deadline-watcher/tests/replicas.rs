//! Durable timers with more than one watcher, and after an outage, against a real
//! nats-server and Postgres: with two replicas scanning the same tables every reminder and
//! every overdue fires exactly once, and a watcher that was stopped while timers fell due
//! fires each of them once, at once, when it starts again (A17).
//!
//! Each test counts what reached the JetStream stream (the facts consumers see), per order,
//! not only what was queued in the outbox.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull::OrderedConfig};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use futures::StreamExt;
use hotline_contract::RawEnvelope;
use hotline_contract::subjects::{HOTLINE_STREAM, event};
use hotline_deadline_watcher::config::WatcherSection;
use hotline_service_test::TestEnv;
use sqlx::PgPool;
use support::{Replica, UNIT};
use uuid::Uuid;

/// Scans every second, in small batches so that the replicas' passes interleave.
fn section() -> WatcherSection {
    WatcherSection {
        scan_interval_secs: 1,
        scan_batch_size: 20,
        ..Default::default()
    }
}

/// Insert `count` running handling timers started at `started_at` and due at `due_at`.
async fn insert_timers(
    pool: &PgPool,
    count: i32,
    started_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> Vec<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO deadline_watcher.timers \
         (order_id, clock, unit_id, started_at, due_at, policy, policy_id, policy_version, \
          kind, urgency, state, stops_when_suspended) \
         SELECT gen_random_uuid(), 'handling', $2, $3, $4, 'handling-urgent@v1', \
                'handling-urgent', 1, 'help', 'urgent', 'running', true \
         FROM generate_series(1, $1) RETURNING order_id",
    )
    .bind(count)
    .bind(UNIT)
    .bind(started_at)
    .bind(due_at)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// How many times each order appears in the events on `subject` in the stream, reading
/// until `expected` events arrived and then for `settle` more (to catch any duplicate).
async fn events_per_order(
    env: &TestEnv,
    subject: &str,
    expected: usize,
    settle: Duration,
) -> HashMap<Uuid, usize> {
    let stream = env
        .jetstream
        .get_stream(env.ns.stream(HOTLINE_STREAM))
        .await
        .unwrap();
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: env.ns.subject(subject),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut counts: HashMap<Uuid, usize> = HashMap::new();
    let patience = tokio::time::Instant::now() + Duration::from_secs(90);
    let mut seen = 0;
    loop {
        let wait_until = if seen >= expected {
            tokio::time::Instant::now() + settle
        } else {
            patience
        };
        match tokio::time::timeout_at(wait_until, messages.next()).await {
            Err(_) if seen >= expected => return counts,
            Err(_) => panic!("only {seen} of {expected} events on {subject} arrived"),
            Ok(None) => panic!("the message stream ended"),
            Ok(Some(message)) => {
                let message = message.unwrap();
                let raw = RawEnvelope::parse(&message.payload).unwrap();
                let order_id: Uuid = raw.data["order_id"].as_str().unwrap().parse().unwrap();
                *counts.entry(order_id).or_default() += 1;
                seen += 1;
            }
        }
    }
}

fn assert_each_once(counts: &HashMap<Uuid, usize>, orders: &[Uuid], what: &str) {
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "{what} fired more than once: {twice:?}");
    for order in orders {
        assert_eq!(counts.get(order), Some(&1), "{what} for {order}");
    }
    assert_eq!(counts.len(), orders.len(), "{what}: no other order");
}

#[tokio::test]
async fn two_replicas_fire_every_reminder_and_every_overdue_exactly_once() {
    let env = TestEnv::new().await;
    let first = Replica::start(&env, section()).await;
    let pool = env.pool().await;
    let now = Utc::now().trunc_subsecs(6);
    // 300 clocks ran out a minute ago; 150 others have used 90% of their time (both
    // reminder points passed) and are due in ten minutes.
    let overdue = insert_timers(
        &pool,
        300,
        now - TimeDelta::hours(24),
        now - TimeDelta::minutes(1),
    )
    .await;
    let reminded = insert_timers(
        &pool,
        150,
        now - TimeDelta::minutes(90),
        now + TimeDelta::minutes(10),
    )
    .await;
    let second = Replica::start(&env, section()).await;

    let overdue_counts = events_per_order(
        &env,
        event::DEADLINE_OVERDUE,
        overdue.len(),
        Duration::from_secs(3),
    )
    .await;
    assert_each_once(&overdue_counts, &overdue, "deadline.overdue");

    let reminder_counts = events_per_order(
        &env,
        event::DEADLINE_REMINDER,
        2 * reminded.len(),
        Duration::from_secs(3),
    )
    .await;
    for order in &reminded {
        assert_eq!(
            reminder_counts.get(order),
            Some(&2),
            "one reminder per point"
        );
    }
    assert_eq!(reminder_counts.len(), reminded.len());

    // Every row settled once in the tables as well.
    let states: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, count(*) FROM deadline_watcher.timers GROUP BY state ORDER BY state",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        states,
        [("overdue".to_owned(), 300), ("running".to_owned(), 150)]
    );

    first.stop().await;
    second.stop().await;
    pool.close().await;
    env.db.drop_database().await;
}

#[tokio::test]
async fn a_watcher_stopped_while_timers_fell_due_fires_each_once_when_it_starts_again() {
    let env = TestEnv::new().await;
    let section = WatcherSection {
        reminder_fractions: vec![0.1, 0.2],
        ..section()
    };
    // Started once (it creates its tables), then stopped: an outage.
    Replica::start(&env, section.clone()).await.stop().await;
    let pool = env.pool().await;

    let now = Utc::now().trunc_subsecs(6);
    // During the outage 200 clocks run out, and 50 clocks with 60 s allowed pass both of
    // their reminder points (at a tenth and a fifth of the time: 4 s and 10 s from now)
    // without running out (58 s from now).
    let due_in_outage = insert_timers(
        &pool,
        200,
        now - TimeDelta::hours(1),
        now + TimeDelta::seconds(2),
    )
    .await;
    let reminded_in_outage = insert_timers(
        &pool,
        50,
        now - TimeDelta::seconds(2),
        now + TimeDelta::seconds(58),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    let missed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deadline_watcher.timers WHERE state = 'running' AND due_at < now()",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(missed, 200, "nothing fired while the watcher was down");

    let restarted = Replica::start(&env, section).await;
    let started = tokio::time::Instant::now();
    let overdue_counts = events_per_order(
        &env,
        event::DEADLINE_OVERDUE,
        due_in_outage.len(),
        Duration::from_secs(2),
    )
    .await;
    assert_each_once(&overdue_counts, &due_in_outage, "missed deadline.overdue");
    let reminder_counts = events_per_order(
        &env,
        event::DEADLINE_REMINDER,
        2 * reminded_in_outage.len(),
        Duration::from_secs(2),
    )
    .await;
    for order in &reminded_in_outage {
        assert_eq!(
            reminder_counts.get(order),
            Some(&2),
            "each missed reminder once"
        );
    }
    // "At once": within a few scan intervals of the restart, not at some later sweep.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "missed timers fired {:?} after the restart",
        started.elapsed()
    );

    restarted.stop().await;
    pool.close().await;
    env.db.drop_database().await;
}
