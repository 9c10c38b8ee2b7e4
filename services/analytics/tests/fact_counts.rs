#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The send-back and case counts kept on the fact row (migration
//! `20261216043000_fact_counts.sql`, `store::record_send_back` / `store::record_case`),
//! which the KPI report reads instead of probing the side tables: the migration backfills
//! them from what was projected before, and concurrent events for one order never lose a
//! count. The KPI test (`tests/kpis.rs`) checks them through the whole projection.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use hotline_analytics::{MIGRATOR, SCHEMA, store};
use hotline_test_support::TestDatabase;
use sqlx::PgPool;
use uuid::Uuid;

/// The version of the migration under test.
const COUNTS_MIGRATION: i64 = 20261216043000;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The counts on an order's fact row: send-backs, cases, cases closed.
async fn counts(pool: &PgPool, order_id: Uuid) -> (i32, i32, i32) {
    sqlx::query_as(
        "SELECT send_backs, cases, cases_closed FROM analytics.order_facts WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_migration_backfills_the_counts_from_the_side_tables() {
    let db = TestDatabase::create().await;
    // The analytics schema as it was before the counts: the migrations older than theirs.
    let dir = std::env::temp_dir().join(format!("analytics-migrations-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let version: i64 = name.split('_').next().unwrap().parse().unwrap();
        if version < COUNTS_MIGRATION {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    let before = sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap();
    assert!(before.iter().all(|m| m.version < COUNTS_MIGRATION));
    let pool = hotline_service_test::migrated_pool(&db, SCHEMA, &before, 2).await;

    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for order in [a, b, c] {
        sqlx::query("INSERT INTO analytics.order_facts (order_id, registered_at) VALUES ($1, $2)")
            .bind(order)
            .bind(at("2026-03-02T01:00:00Z"))
            .execute(&pool)
            .await
            .unwrap();
    }
    // a: two send-backs and one closed case; c: an open and a closed case; b: nothing.
    for order in [a, a] {
        sqlx::query(
            "INSERT INTO analytics.order_send_backs (result_id, order_id, sent_back_at) \
             VALUES ($1, $2, now())",
        )
        .bind(Uuid::new_v4())
        .bind(order)
        .execute(&pool)
        .await
        .unwrap();
    }
    for (order, closed) in [(a, true), (c, false), (c, true)] {
        sqlx::query(
            "INSERT INTO analytics.order_cases (case_id, order_id, opened_at, closed_at) \
             VALUES ($1, $2, now(), CASE WHEN $3 THEN now() END)",
        )
        .bind(Uuid::new_v4())
        .bind(order)
        .bind(closed)
        .execute(&pool)
        .await
        .unwrap();
    }

    hotline_service_kit::db::migrate(&pool, SCHEMA, &[&hotline_messaging::MIGRATOR, &MIGRATOR])
        .await
        .unwrap();
    assert_eq!(counts(&pool, a).await, (2, 1, 1));
    assert_eq!(counts(&pool, b).await, (0, 0, 0));
    assert_eq!(counts(&pool, c).await, (0, 2, 1));

    std::fs::remove_dir_all(&dir).unwrap();
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn concurrent_and_repeated_events_of_one_order_count_each_row_once() {
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(&db, SCHEMA, &MIGRATOR, 8).await;
    let order = Uuid::new_v4();
    let cases: Vec<Uuid> = (0..16).map(|_| Uuid::new_v4()).collect();
    let results: Vec<Uuid> = (0..16).map(|_| Uuid::new_v4()).collect();

    // Every case opened, half of them closed, every result sent back, each event twice
    // (a redelivery), all in concurrent transactions, before the order's registration.
    let mut tasks = Vec::new();
    for _ in 0..2 {
        for (i, (&case, &result)) in cases.iter().zip(&results).enumerate() {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                let t = at("2026-03-05T02:00:00Z");
                store::record_case(&mut tx, case, order, Some(t), None)
                    .await
                    .unwrap();
                if i % 2 == 0 {
                    store::record_case(&mut tx, case, order, None, Some(t))
                        .await
                        .unwrap();
                }
                store::record_send_back(&mut tx, result, order, t)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(counts(&pool, order).await, (16, 16, 8));

    pool.close().await;
    db.drop_database().await;
}
