#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The lifecycle projection's batch form leaves what the single-event form leaves.
//!
//! Under load the bridge applies a batch of lifecycle events with one statement
//! (`store::advance_stages`, each order's events combined by `StageAdvance::then`) instead
//! of one per event (`store::advance_stage`). For 300 random runs of events (statuses out
//! of order and of equal rank, progress reports without a status, units, result and close
//! instants, an order the bridge does not know), one copy of the orders is moved one event
//! at a time and a twin copy by one batch; their rows must be the same. Real PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hotline_contract::vocabulary::{OrderStatus, RequestKind, Urgency};
use hotline_emergency_bridge::store::{self, NewStage, StageAdvance, StageChange};
use hotline_test_support::TestDatabase;
use hotline_test_support::xorshift::Xorshift;
use sqlx::PgPool;
use uuid::Uuid;

const STATUSES: [Option<OrderStatus>; 6] = [
    None,
    Some(OrderStatus::Dispatched),
    Some(OrderStatus::Signed),
    Some(OrderStatus::ResultSubmitted),
    Some(OrderStatus::Closed),
    Some(OrderStatus::Dispatched),
];

type Row = (
    String,
    i16,
    DateTime<Utc>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

async fn row(pool: &PgPool, order_id: Uuid) -> Option<Row> {
    sqlx::query_as(
        "SELECT status, status_rank, status_at, unit_id, result_submitted_at, closed_at \
         FROM emergency_bridge.order_stages WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_batch_of_lifecycle_events_ends_where_the_events_one_by_one_end() {
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(
        &db,
        hotline_emergency_bridge::SCHEMA,
        &hotline_emergency_bridge::MIGRATOR,
        2,
    )
    .await;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    let mut rng = Xorshift(0x2545_F491_4F6C_DD1D);
    for run in 0..300 {
        let orders: Vec<(Uuid, Uuid)> = (0..1 + rng.below(3))
            .map(|_| (Uuid::now_v7(), Uuid::now_v7()))
            .collect();
        let mut tx = pool.begin().await.unwrap();
        let new: Vec<(Uuid, String)> = orders
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .map(|id| (id, id.to_string()))
            .collect();
        let stages: Vec<NewStage<'_>> = new
            .iter()
            .map(|(id, number)| NewStage {
                order_id: *id,
                order_number: number,
                kind: RequestKind::Complaint,
                region_code: "520102",
                urgency: Urgency::Normal,
                status: OrderStatus::Registered,
                at: t0,
            })
            .collect();
        store::insert_stages(&mut tx, &stages).await.unwrap();

        let unknown = Uuid::now_v7();
        let mut singles = Vec::new();
        let mut batch = Vec::new();
        for step in 0..1 + rng.below(8) {
            let at = t0 + Duration::minutes(1 + rng.below(10) as i64 + step as i64);
            let change = StageChange {
                status: STATUSES[rng.below(STATUSES.len())],
                unit_id: {
                    let unit = format!("U{}", rng.below(3));
                    rng.maybe(unit)
                },
                result_submitted_at: rng.maybe(at),
                closed_at: rng.maybe(at + Duration::seconds(1)),
            };
            let pick = rng.below(orders.len() + 1);
            let (single, twin) = orders.get(pick).copied().unwrap_or((unknown, unknown));
            singles.push(StageAdvance {
                order_id: single,
                change: change.clone(),
                at,
            });
            batch.push(StageAdvance {
                order_id: twin,
                change,
                at,
            });
        }
        for a in &singles {
            store::advance_stage(&mut tx, a.order_id, &a.change, a.at)
                .await
                .unwrap();
        }
        let mut known = store::advance_stages(&mut tx, &batch).await.unwrap();
        tx.commit().await.unwrap();

        for (single, twin) in &orders {
            assert_eq!(
                row(&pool, *single).await,
                row(&pool, *twin).await,
                "run {run}: events {singles:?}"
            );
        }
        let mut expected: Vec<(Uuid, bool)> = batch
            .iter()
            .map(|a| (a.order_id, false))
            .filter(|(id, _)| *id != unknown)
            .collect();
        expected.sort_unstable();
        expected.dedup();
        known.sort_unstable();
        assert_eq!(
            known, expected,
            "run {run}: the known orders, none jointly handled"
        );
        assert_eq!(row(&pool, unknown).await, None, "run {run}: unknown order");
    }
}
