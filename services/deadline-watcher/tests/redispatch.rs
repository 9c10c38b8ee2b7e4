//! A redispatch after a dispute (A13) against a real nats-server and Postgres: the old
//! unit's sign clock is cancelled, the new unit gets its own sign clock from the moment it
//! received the order (A15), and its sign starts the handling clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hotline_contract::events::{DeadlineClock, DeadlineScheduled, OrderRedispatched, OrderSigned};
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use support::{CLOCKS, UNIT, Watcher, at, wait_until};
use uuid::Uuid;

const NEW_UNIT: &str = "unit-nanming-market";

/// (unit, party, state) of every sign clock of the order, oldest first.
async fn sign_clocks(watcher: &Watcher, order_id: Uuid) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT unit_id, party, state FROM deadline_watcher.timers \
         WHERE order_id = $1 AND clock = 'sign' ORDER BY started_at",
    )
    .bind(order_id)
    .fetch_all(&watcher.pool)
    .await
    .unwrap()
}

fn redispatch(order_id: Uuid, dispatch_id: Uuid) -> OrderRedispatched {
    OrderRedispatched {
        order_id,
        number: "5201022611020001".to_owned(),
        dispatch_id,
        from_unit_id: UNIT.to_owned(),
        unit_id: NEW_UNIT.to_owned(),
        dispute_id: Some(Uuid::now_v7()),
        kind: RequestKind::Complaint,
        urgency: Urgency::Normal,
        decided_by: "center-07".to_owned(),
        // Tue 2026-11-17 10:00 in Guizhou.
        redispatched_at: at("2026-11-17T02:00:00Z"),
    }
}

#[tokio::test]
async fn a_redispatch_cancels_the_old_units_sign_clock_and_starts_one_for_the_new_unit() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    // Mon 2026-11-16: the first unit's clock, due at the end of Tue 11-17.
    watcher.dispatch(order_id, at("2026-11-16T01:00:00Z")).await;
    watcher.wait_for_state(order_id, "running").await;

    let dispatch_id = Uuid::now_v7();
    watcher
        .env
        .publish("router", redispatch(order_id, dispatch_id))
        .await;
    let scheduled = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.unit_id == NEW_UNIT
        })
        .await
        .data;
    // A15 from the redispatch: 1 working day after Tue 11-17, the end of Wed 11-18.
    assert_eq!(scheduled.clock, DeadlineClock::Sign);
    assert_eq!(scheduled.started_at, at("2026-11-17T02:00:00Z"));
    assert_eq!(scheduled.due_at, at("2026-11-19T00:00:00+08:00"));
    assert_eq!(scheduled.policy, "sign@v1");
    assert_eq!(
        sign_clocks(&watcher, order_id).await,
        [
            (UNIT.to_owned(), String::new(), "cancelled".to_owned()),
            (
                NEW_UNIT.to_owned(),
                dispatch_id.to_string(),
                "running".to_owned()
            ),
        ]
    );

    // The same redispatch again (a re-publication with a new event id) changes nothing.
    watcher
        .env
        .publish("router", redispatch(order_id, dispatch_id))
        .await;
    // The new unit signs on Wed 11-18: its clock is met, the handling clock starts.
    watcher
        .env
        .publish(
            "router",
            OrderSigned {
                order_id,
                unit_id: NEW_UNIT.to_owned(),
                signed_by: "staff-3".to_owned(),
                signed_at: at("2026-11-18T03:00:00Z"),
            },
        )
        .await;
    watcher
        .wait_for_clock_state(order_id, "handling", "running")
        .await;
    wait_until("every event applied", || async {
        watcher
            .env
            .inbox_count(&watcher.pool, "deadline_watcher", CLOCKS)
            .await
            == 4
    })
    .await;
    assert_eq!(
        sign_clocks(&watcher, order_id).await,
        [
            (UNIT.to_owned(), String::new(), "cancelled".to_owned()),
            (
                NEW_UNIT.to_owned(),
                dispatch_id.to_string(),
                "met".to_owned()
            ),
        ]
    );
    let handling_unit: String = sqlx::query_scalar(
        "SELECT unit_id FROM deadline_watcher.timers WHERE order_id = $1 AND clock = 'handling'",
    )
    .bind(order_id)
    .fetch_one(&watcher.pool)
    .await
    .unwrap();
    assert_eq!(handling_unit, NEW_UNIT);
    // A cancelled clock never goes overdue.
    assert_eq!(watcher.scan_now().await, 0);

    watcher.stop().await;
}
