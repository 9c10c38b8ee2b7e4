#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The status projection's batch form leaves what the single-event form leaves.
//!
//! Under load intake's consumer applies a batch of order events with one statement
//! (`store::advance_statuses`) instead of one per event (`store::advance_status`). For 300
//! random runs of status moves (ranks out of order, equal ranks at different instants, the
//! same status twice, an order intake does not know), one copy of the orders is moved one
//! event at a time and a twin copy by one batch; their status rows and histories must be
//! the same. Real PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hotline_contract::vocabulary::OrderStatus;
use hotline_intake::store::{self, StatusMove};
use hotline_test_support::TestDatabase;
use hotline_test_support::xorshift::Xorshift;
use sqlx::PgPool;
use uuid::Uuid;

const STATUSES: [OrderStatus; 5] = [
    OrderStatus::Dispatched,
    OrderStatus::TransferRequested,
    OrderStatus::Signed,
    OrderStatus::ResultSubmitted,
    OrderStatus::Closed,
];

async fn register(pool: &PgPool, order_id: Uuid, at: DateTime<Utc>) {
    sqlx::query(
        "INSERT INTO intake.orders (order_id, number, check_code, channel, kind, region_code, \
         urgency, confidential, matter, requested_at, registered_at) \
         VALUES ($1, $1::text, '0000', 'phone', 'consultation', '520102', 'normal', false, \
         '测试', $2, $2)",
    )
    .bind(order_id)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO intake.order_status (order_id, status, status_rank, updated_at) \
         VALUES ($1, 'registered', 0, $2)",
    )
    .bind(order_id)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
}

type Projection = (
    Vec<(String, i16, DateTime<Utc>)>,
    Vec<(String, DateTime<Utc>)>,
);

async fn projection(pool: &PgPool, order_id: Uuid) -> Projection {
    let status = sqlx::query_as(
        "SELECT status, status_rank, updated_at FROM intake.order_status WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await
    .unwrap();
    let history = sqlx::query_as(
        "SELECT status, at FROM intake.order_history WHERE order_id = $1 ORDER BY status",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await
    .unwrap();
    (status, history)
}

#[tokio::test]
async fn a_batch_of_status_moves_ends_where_the_moves_one_by_one_end() {
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(
        &db,
        hotline_intake::SCHEMA,
        &hotline_intake::MIGRATOR,
        2,
    )
    .await;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap();
    let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15);
    for run in 0..300 {
        // Up to three known orders, each with a twin, and one order nobody registered.
        let orders: Vec<(Uuid, Uuid)> = (0..1 + rng.below(3))
            .map(|_| (Uuid::now_v7(), Uuid::now_v7()))
            .collect();
        for (one_by_one, batched) in &orders {
            register(&pool, *one_by_one, t0).await;
            register(&pool, *batched, t0).await;
        }
        let unknown = Uuid::now_v7();
        let mut singles = Vec::new();
        let mut batch = Vec::new();
        for step in 0..1 + rng.below(8) {
            let status = STATUSES[rng.below(STATUSES.len())];
            let at = t0 + Duration::minutes(1 + rng.below(10) as i64 + step as i64);
            let pick = rng.below(orders.len() + 1);
            let (single, twin) = orders.get(pick).copied().unwrap_or((unknown, unknown));
            singles.push(StatusMove {
                order_id: single,
                status,
                at,
            });
            batch.push(StatusMove {
                order_id: twin,
                status,
                at,
            });
        }

        let mut tx = pool.begin().await.unwrap();
        for m in &singles {
            store::advance_status(&mut tx, m.order_id, m.status, m.at)
                .await
                .unwrap();
        }
        let mut known = store::advance_statuses(&mut tx, &batch).await.unwrap();
        tx.commit().await.unwrap();

        for (single, twin) in &orders {
            assert_eq!(
                projection(&pool, *single).await,
                projection(&pool, *twin).await,
                "run {run}: moves {singles:?}"
            );
        }
        let mut expected: Vec<Uuid> = batch
            .iter()
            .map(|m| m.order_id)
            .filter(|id| *id != unknown)
            .collect();
        expected.sort_unstable();
        expected.dedup();
        known.sort_unstable();
        assert_eq!(known, expected, "run {run}: the known orders of the batch");
        assert_eq!(
            projection(&pool, unknown).await,
            (vec![], vec![]),
            "run {run}: nothing written for an unknown order"
        );
    }
}
