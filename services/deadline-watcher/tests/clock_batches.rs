#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The clocks' batch form leaves what the single-event form leaves.
//!
//! Under load the `deadline-watcher-clocks` consumer hands a batch of order events to
//! `Clocks::handle_batch`, which applies dispatches, signs, results and closes in memory
//! and writes them with a few set-based statements (`clock_batch.rs`), and applies any
//! other event on its own in between. For 150 random batches (up to four orders each, some
//! with part of their life applied before the batch; signs and results in time or late;
//! closes before the sign or before the result; dispatches, signs and results repeated;
//! suspensions and resumptions in between), one copy of the orders is given the events one
//! at a time (`handle`) and a twin copy the same events as one batch; their timers, timer
//! changes, order numbers and announced events must be the same. Real PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hotline_contract::Namespace;
use hotline_contract::events::{
    Closure, DispatchBasis, OrderClosed, OrderDispatched, OrderResultSubmitted, OrderResumed,
    OrderSigned, OrderSuspended, ResultChecklist, SuspensionReason,
};
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_deadline_watcher::handlers::Clocks;
use hotline_deadline_watcher::{MIGRATOR, SCHEMA};
use hotline_messaging::{EventHandler, IncomingEvent, Outbox};
use hotline_service_test::incoming_event;
use hotline_test_support::TestDatabase;
use hotline_test_support::xorshift::Xorshift;
use hotline_workday::Calendar;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

const UNIT: &str = "520102-housing";

/// The steps of one order's life, in order, with their instants.
#[derive(Clone, Copy)]
enum Step {
    Dispatched(DateTime<Utc>),
    Signed(DateTime<Utc>),
    Submitted(DateTime<Utc>),
    Suspended(DateTime<Utc>),
    Resumed(DateTime<Utc>),
    Closed(DateTime<Utc>),
}

/// A random life: dispatched, then signed, a result and the close, each in time or late;
/// some end early with a close, some repeat a step, some are suspended and resumed.
fn life(rng: &mut Xorshift, t0: DateTime<Utc>) -> Vec<Step> {
    let hours = |rng: &mut Xorshift, late: i64| Duration::hours(1 + rng.below(3) as i64 * late);
    let dispatched = t0 + Duration::hours(rng.below(24 * 5) as i64);
    let mut steps = vec![Step::Dispatched(dispatched)];
    let signed = dispatched + hours(rng, 30);
    let submitted = signed + hours(rng, 200);
    let closed = submitted + Duration::hours(2);
    match rng.below(6) {
        0 => steps.push(Step::Closed(dispatched + Duration::hours(1))),
        1 => steps.extend([
            Step::Signed(signed),
            Step::Closed(signed + Duration::hours(1)),
        ]),
        2 => steps.extend([
            Step::Signed(signed),
            Step::Suspended(signed + Duration::hours(1)),
            Step::Resumed(signed + Duration::hours(30)),
            Step::Submitted(submitted + Duration::hours(30)),
            Step::Closed(closed + Duration::hours(30)),
        ]),
        _ => steps.extend([
            Step::Signed(signed),
            Step::Submitted(submitted),
            Step::Closed(closed),
        ]),
    }
    if rng.below(4) == 0 {
        // A step seen twice (a re-publication with a new event id).
        let i = rng.below(steps.len());
        steps.insert(i + 1, steps[i]);
    }
    steps
}

fn event_of(step: Step, order_id: Uuid, number: &str) -> IncomingEvent {
    let unit_id = UNIT.to_owned();
    match step {
        Step::Dispatched(at) => incoming_event(OrderDispatched {
            order_id,
            number: number.to_owned(),
            unit_id,
            basis: DispatchBasis::Territorial,
            rule_id: None,
            kind: RequestKind::Complaint,
            urgency: Urgency::Normal,
            dispatched_at: at,
        }),
        Step::Signed(at) => incoming_event(OrderSigned {
            order_id,
            unit_id,
            signed_by: "staff-1".to_owned(),
            signed_at: at,
        }),
        Step::Submitted(at) => incoming_event(OrderResultSubmitted {
            order_id,
            unit_id,
            result_id: Uuid::nil(),
            submitted_by: "staff-2".to_owned(),
            submitted_at: at,
            checklist: ResultChecklist::complete(),
        }),
        Step::Suspended(at) => incoming_event(OrderSuspended {
            order_id,
            unit_id,
            reason: SuspensionReason::AwaitingAppraisal,
            approved_by: "reviewer-1".to_owned(),
            suspended_at: at,
        }),
        Step::Resumed(at) => incoming_event(OrderResumed {
            order_id,
            unit_id,
            resumed_at: at,
        }),
        Step::Closed(at) => incoming_event(OrderClosed {
            order_id,
            closure: Closure::ResultAccepted,
            closed_by: "reviewer-1".to_owned(),
            closed_at: at,
        }),
    }
}

/// What the watcher holds about an order, without its id and the trace and write instants
/// that differ between twins.
async fn state_of(pool: &PgPool, order_id: Uuid) -> Vec<Option<Value>> {
    hotline_service_test::json_state(
        pool,
        &[
            "SELECT jsonb_agg(to_jsonb(t) - 'order_id' - 'traceparent' - 'updated_at' \
             ORDER BY clock, party) \
         FROM deadline_watcher.timers t WHERE order_id = $1",
            "SELECT jsonb_agg(to_jsonb(c) - 'order_id' - 'change_id' - 'recorded_at' \
             ORDER BY changed_at, clock) \
         FROM deadline_watcher.timer_changes c WHERE order_id = $1",
            "SELECT to_jsonb(count(*)) FROM deadline_watcher.order_numbers WHERE order_id = $1",
            &hotline_service_test::outbox_events_sql(
                "deadline_watcher",
                &["order_id", "detected_at"],
            ),
        ],
        order_id,
    )
    .await
}

#[tokio::test]
async fn a_batch_of_order_events_ends_where_the_events_one_by_one_end() {
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(&db, SCHEMA, &MIGRATOR, 2).await;
    let clocks = Clocks::new(
        Arc::new(Calendar::official()),
        Outbox::new(
            "deadline-watcher",
            SCHEMA,
            Namespace::new("batchtest").unwrap(),
        ),
    );
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
    let mut rng = Xorshift(0xC10C_5BA7_C4E5_0002);
    let mut overdue = 0;
    for run in 0..150 {
        let mut before = Vec::new();
        let mut lives = Vec::new();
        let mut orders = Vec::new();
        for n in 0..1 + rng.below(4) {
            let (single, twin) = (Uuid::now_v7(), Uuid::now_v7());
            let number = format!("52010226112{run:03}{n}");
            let steps = life(&mut rng, t0);
            // Part of the life may have been applied before the batch.
            let split = rng.below(steps.len());
            for step in &steps[..split] {
                before.push((
                    event_of(*step, single, &number),
                    event_of(*step, twin, &number),
                ));
            }
            lives.push((single, twin, number, steps[split..].to_vec()));
            orders.push((single, twin));
        }
        let mut tx = pool.begin().await.unwrap();
        for (single, twin) in &before {
            clocks.handle(&mut tx, single).await.unwrap();
            clocks.handle(&mut tx, twin).await.unwrap();
        }
        tx.commit().await.unwrap();

        // The lives interleaved at random, each order's steps in order.
        let (mut singles, mut batch) = (Vec::new(), Vec::new());
        while lives.iter().any(|(_, _, _, steps)| !steps.is_empty()) {
            let open: Vec<usize> = (0..lives.len())
                .filter(|&i| !lives[i].3.is_empty())
                .collect();
            let (single, twin, number, steps) = &mut lives[open[rng.below(open.len())]];
            let step = steps.remove(0);
            singles.push(event_of(step, *single, number));
            batch.push(event_of(step, *twin, number));
        }
        let mut tx = pool.begin().await.unwrap();
        for event in &singles {
            clocks.handle(&mut tx, event).await.unwrap();
        }
        let refs: Vec<&IncomingEvent> = batch.iter().collect();
        clocks.handle_batch(&mut tx, &refs).await.unwrap();
        tx.commit().await.unwrap();

        for (single, twin) in orders {
            let (one_by_one, batched) =
                (state_of(&pool, single).await, state_of(&pool, twin).await);
            assert_eq!(one_by_one, batched, "run {run}");
            if one_by_one[3]
                .as_ref()
                .is_some_and(|events| events.to_string().contains("deadline.overdue"))
            {
                overdue += 1;
            }
        }
    }
    // The runs covered late signs and results.
    assert!(overdue > 20, "{overdue} orders with an overdue clock");
}
