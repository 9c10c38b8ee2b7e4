#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Order numbers stay unique and gapless when many registrations of the same region and
//! day race (A11: every request gets its own number to follow it by).
//!
//! Eight writers each take 5,000 numbers from intake's daily sequence, every number in its
//! own transaction as registration does, against a real PostgreSQL. The upsert's row lock
//! is what serialises them; if it did not, two writers would read the same `last_value`
//! and hand out one number twice, or a rolled-back increment would leave a gap.
//!
//! Why the sequence and not the full registration: the number is decided by the sequence's
//! upsert alone (`store::next_sequence`; registration runs the same upsert with the order's
//! update in one statement, `store::number_order`, and the rest of the transaction only
//! writes rows keyed by the new order id), and 40,000 full registrations take minutes on the 2-core CI machine
//! where 40,000 sequence transactions take about ten seconds. The end-to-end tests cover
//! the full path.

use std::collections::HashSet;
use std::time::Instant;

use chrono::NaiveDate;
use hotline_intake::domain::number::format_number;
use hotline_intake::store;
use hotline_test_support::TestDatabase;
use sqlx::PgPool;

const WRITERS: usize = 8;
const PER_WRITER: usize = 5_000;
const REGION: &str = "520102";

async fn intake_database() -> (TestDatabase, PgPool) {
    let db = TestDatabase::create().await;
    // The row lock is held until the commit returns, and with synchronous commit that
    // includes the WAL flush: 40,000 flushes in a row took ~20 s here, ~10 s without.
    // Durability is not what this test is about; the lock and its ordering are the same
    // either way.
    let admin = db.pool().await;
    sqlx::query(&format!(
        "ALTER DATABASE \"{}\" SET synchronous_commit = off",
        db.name()
    ))
    .execute(&admin)
    .await
    .unwrap();
    admin.close().await;
    let pool = hotline_service_test::migrated_pool(
        &db,
        hotline_intake::SCHEMA,
        &hotline_intake::MIGRATOR,
        u32::try_from(WRITERS).unwrap(),
    )
    .await;
    (db, pool)
}

/// One writer: `count` numbers, each in its own committed transaction, on one connection
/// (as a busy intake replica's pooled connection would be).
async fn writer(pool: PgPool, day: NaiveDate, count: usize) -> Vec<i32> {
    let mut taken = Vec::with_capacity(count);
    let mut conn = pool.acquire().await.unwrap();
    for _ in 0..count {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
        let n = store::next_sequence(&mut tx, REGION, day).await.unwrap();
        tx.commit().await.unwrap();
        taken.push(n);
    }
    taken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_of_one_region_and_day_get_distinct_gapless_numbers() {
    let (db, pool) = intake_database().await;
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();

    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| tokio::spawn(writer(pool.clone(), day, PER_WRITER)))
        .collect();
    let mut all = Vec::with_capacity(WRITERS * PER_WRITER);
    for w in writers {
        let taken = w.await.unwrap();
        // Each writer sees its own numbers strictly increasing: commits are ordered.
        assert!(taken.windows(2).all(|p| p[0] < p[1]));
        all.extend(taken);
    }
    eprintln!(
        "{} sequence transactions by {WRITERS} writers in {:?}",
        all.len(),
        started.elapsed()
    );

    let numbers: HashSet<String> = all
        .iter()
        .map(|n| format_number(REGION, day, u32::try_from(*n).unwrap()))
        .collect();
    assert_eq!(
        numbers.len(),
        WRITERS * PER_WRITER,
        "every number is distinct"
    );
    all.sort_unstable();
    let expected: Vec<i32> = (1..=i32::try_from(WRITERS * PER_WRITER).unwrap()).collect();
    assert_eq!(all, expected, "numbers run 1..=40000 without a gap");

    // Another day (or region) starts again at 1.
    let mut tx = pool.begin().await.unwrap();
    let next_day = store::next_sequence(&mut tx, REGION, day.succ_opt().unwrap())
        .await
        .unwrap();
    let other_region = store::next_sequence(&mut tx, "520103", day).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((next_day, other_region), (1, 1));

    pool.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_rolled_back_registration_gives_its_number_back() {
    let (db, pool) = intake_database().await;
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();

    let mut tx = pool.begin().await.unwrap();
    assert_eq!(store::next_sequence(&mut tx, REGION, day).await.unwrap(), 1);
    tx.rollback().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        store::next_sequence(&mut tx, REGION, day).await.unwrap(),
        1,
        "a failed registration leaves no gap"
    );
    tx.commit().await.unwrap();

    pool.close().await;
    db.drop_database().await;
}

/// Registration numbers the order in SQL (`store::number_order`: the sequence and the
/// order's update in one statement); the number written is `format_number`'s, in four
/// digits and beyond, and it follows the same sequence.
#[tokio::test]
async fn the_number_written_with_the_order_is_the_formatted_one() {
    let (db, pool) = intake_database().await;
    let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let mut tx = pool.begin().await.unwrap();
    for (sequence, set_before) in [
        (1, None),
        (2, None),
        (10_000, Some(9_999)),
        (123_456, Some(123_455)),
    ] {
        if let Some(last) = set_before {
            sqlx::query("UPDATE intake.daily_sequence SET last_value = $1 WHERE region_code = $2 AND day = $3")
                .bind(last)
                .bind(REGION)
                .bind(day)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        let order_id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO intake.orders (order_id, number, check_code, channel, kind, region_code, \
             urgency, confidential, matter, requested_at, registered_at) \
             VALUES ($1, $2, '000000', 'phone', 'complaint', $3, 'normal', FALSE, '测试', now(), now())",
        )
        .bind(order_id)
        .bind(format!("pending:{order_id}"))
        .bind(REGION)
        .execute(&mut *tx)
        .await
        .unwrap();
        let number = store::number_order(&mut tx, order_id, REGION, day)
            .await
            .unwrap();
        assert_eq!(number, format_number(REGION, day, sequence));
        let stored: String =
            sqlx::query_scalar("SELECT number FROM intake.orders WHERE order_id = $1")
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        assert_eq!(stored, number);
    }
    tx.commit().await.unwrap();
    pool.close().await;
    db.drop_database().await;
}
