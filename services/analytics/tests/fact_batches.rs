#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The fact projection's batch form leaves what the single-event form leaves.
//!
//! Under load analytics' consumer hands a batch of order events to `Facts::handle_batch`,
//! which gathers the common steps (registered, dispatched, signed, result submitted,
//! closed) and writes each kind with one statement (`hotline_analytics::fact_steps`). For
//! 300 random runs of events (steps out of order, the same kind twice for one order, two
//! dispatches to different units, results replaced, closes of both kinds, disputes in
//! between), one copy of the orders is given the events one at a time (`handle`) and a
//! twin copy the same events as one batch; their fact rows and staff acts must be the
//! same. Real PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hotline_analytics::handlers::Facts;
use hotline_analytics::{MIGRATOR, SCHEMA};
use hotline_contract::events::{
    Closure, DisputeReason, OrderClosed, OrderDisputed, OrderResultSubmitted, OrderSigned,
    ResultChecklist,
};

use hotline_messaging::{EventHandler, IncomingEvent};
use hotline_service_test::incoming_event;
use hotline_test_support::TestDatabase;
use hotline_test_support::xorshift::Xorshift;
use sqlx::PgPool;
use uuid::Uuid;

mod orders;

const UNITS: [&str; 2] = ["unit-nanming-housing", "unit-yunyan-housing"];

/// One of the events the runs draw from, for `order_id` (`result_id`: the order's result
/// of this copy).
fn event(
    kind: usize,
    order_id: Uuid,
    result_id: Uuid,
    at: DateTime<Utc>,
    unit: &str,
) -> IncomingEvent {
    match kind {
        0 => incoming_event(orders::registered(order_id, "GZ20261127000001")),
        1 => {
            let mut e = orders::dispatched(order_id, "GZ20261127000001");
            (e.unit_id, e.dispatched_at) = (unit.to_owned(), at);
            incoming_event(e)
        }
        2 => incoming_event(OrderSigned {
            order_id,
            unit_id: unit.to_owned(),
            signed_by: "staff-1".to_owned(),
            signed_at: at,
        }),
        3 => incoming_event(OrderResultSubmitted {
            order_id,
            unit_id: unit.to_owned(),
            result_id,
            submitted_by: "staff-2".to_owned(),
            submitted_at: at,
            checklist: ResultChecklist::complete(),
        }),
        4 | 5 => incoming_event(OrderClosed {
            order_id,
            closure: if kind == 4 {
                Closure::ResultAccepted
            } else {
                Closure::AnsweredDirectly
            },
            closed_by: "reviewer-1".to_owned(),
            closed_at: at,
        }),
        _ => incoming_event(OrderDisputed {
            order_id,
            dispute_id: Uuid::now_v7(),
            unit_id: unit.to_owned(),
            reason: DisputeReason::NotOurDuty,
            proposed_unit_id: None,
            disputed_by: "staff-1".to_owned(),
            disputed_at: at,
        }),
    }
}

/// The order's fact row without its key, and its staff acts without their subjects (the
/// twins' results have ids of their own).
async fn facts_of(
    pool: &PgPool,
    order_id: Uuid,
) -> (
    Option<serde_json::Value>,
    Vec<(String, DateTime<Utc>, String)>,
) {
    let row = sqlx::query_scalar(
        "SELECT to_jsonb(f) - 'order_id' FROM analytics.order_facts f WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(pool)
    .await
    .unwrap();
    let acts = sqlx::query_as(
        "SELECT act, at, staff_id FROM analytics.staff_acts WHERE order_id = $1 \
         ORDER BY act, at, staff_id",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await
    .unwrap();
    (row, acts)
}

#[tokio::test]
async fn a_batch_of_order_events_ends_where_the_events_one_by_one_end() {
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(&db, SCHEMA, &MIGRATOR, 2).await;
    let facts = Facts {
        calendar: hotline_workday::Calendar::official(),
    };
    let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    let mut rng = Xorshift(0xD1B5_4A32_D192_ED03);
    for run in 0..300 {
        // Up to three orders, each with a twin; each copy has two results.
        let orders: Vec<[(Uuid, [Uuid; 2]); 2]> = (0..1 + rng.below(3))
            .map(|_| [(), ()].map(|()| (Uuid::now_v7(), [Uuid::now_v7(), Uuid::now_v7()])))
            .collect();
        let mut singles = Vec::new();
        let mut batch = Vec::new();
        for _ in 0..1 + rng.below(10) {
            let kind = rng.below(7);
            let pair = &orders[rng.below(orders.len())];
            let which = rng.below(2);
            // Days apart, so the handling time in working days varies.
            let at = t0 + Duration::hours(rng.below(24 * 9) as i64);
            let unit = UNITS[rng.below(2)];
            let [(single, single_results), (twin, twin_results)] = pair;
            singles.push(event(kind, *single, single_results[which], at, unit));
            batch.push(event(kind, *twin, twin_results[which], at, unit));
        }

        let mut tx = pool.begin().await.unwrap();
        for e in &singles {
            facts.handle(&mut tx, e).await.unwrap();
        }
        let refs: Vec<&IncomingEvent> = batch.iter().collect();
        facts.handle_batch(&mut tx, &refs).await.unwrap();
        tx.commit().await.unwrap();

        for [(single, _), (twin, _)] in &orders {
            let (one_by_one, batched) =
                (facts_of(&pool, *single).await, facts_of(&pool, *twin).await);
            assert_eq!(
                one_by_one,
                batched,
                "run {run}: events {:?}",
                singles
                    .iter()
                    .map(|e| &e.envelope.event_type)
                    .collect::<Vec<_>>()
            );
        }
    }
}
