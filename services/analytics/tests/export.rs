#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The analysts' export (A20) against a real Postgres: a known set of fact rows is written
//! as CSV for a period and read back: the header, exactly the orders registered in the
//! period's Beijing days (both ends inclusive), their values, and no personal data or
//! staff ids.

use hotline_analytics::export::{COLUMNS, ExportArgs, Format, export, parse};
use hotline_analytics::{MIGRATOR, SCHEMA};
use hotline_test_support::TestDatabase;
use uuid::Uuid;

#[tokio::test]
async fn a_period_exports_exactly_its_orders_and_reads_back() {
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(&db, SCHEMA, &MIGRATOR, 2).await;
    // (order, registered_at): Beijing 2026-02-28 23:59 (before), 03-01 00:00 (first),
    // 03-31 23:59 (last), 04-01 00:00 (after).
    let rows = [
        (Uuid::from_u128(1), "2026-02-28T15:59:00Z"),
        (Uuid::from_u128(2), "2026-02-28T16:00:00Z"),
        (Uuid::from_u128(3), "2026-03-31T15:59:00Z"),
        (Uuid::from_u128(4), "2026-03-31T16:00:00Z"),
    ];
    for (order, registered) in rows {
        sqlx::query(
            "INSERT INTO analytics.order_facts (order_id, number, kind, channel, region_code, \
             category, unit_id, registered_at, registered_by, disputed, send_backs, cases, \
             handling_working_days) \
             VALUES ($1, 'GZ-SECRET-NUMBER', 'complaint', 'phone', '520102', 'housing', \
             'unit-1', $2::timestamptz, 'agent-secret', TRUE, 2, 1, 3)",
        )
        .bind(order)
        .bind(registered)
        .execute(&pool)
        .await
        .unwrap();
    }
    // An order whose registration has not arrived yet is not exported.
    sqlx::query("INSERT INTO analytics.order_facts (order_id) VALUES ($1)")
        .bind(Uuid::from_u128(5))
        .execute(&pool)
        .await
        .unwrap();

    let out = std::env::temp_dir().join(format!("export-{}.csv", Uuid::new_v4()));
    let args = parse(
        &[
            "--format",
            "csv",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(str::to_owned),
    )
    .unwrap();
    assert_eq!(args.format, Format::Csv);
    assert_eq!(export(&pool, &args).await.unwrap(), 2);

    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains("SECRET") && !text.contains("secret"),
        "{text}"
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, COLUMNS);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let column = |r: &csv::StringRecord, name: &str| {
        r[COLUMNS.iter().position(|c| *c == name).unwrap()].to_owned()
    };
    let ids: Vec<String> = records.iter().map(|r| column(r, "order_id")).collect();
    assert_eq!(
        ids,
        [
            Uuid::from_u128(2).to_string(),
            Uuid::from_u128(3).to_string()
        ]
    );
    let first = &records[0];
    for (name, value) in [
        ("kind", "complaint"),
        ("region_code", "520102"),
        ("unit_id", "unit-1"),
        ("dispatched_at", ""),
        ("disputed", "true"),
        ("send_backs", "2"),
        ("cases", "1"),
        ("handling_working_days", "3"),
    ] {
        assert_eq!(column(first, name), value, "{name}");
    }
    let registered: chrono::DateTime<chrono::Utc> =
        chrono::DateTime::parse_from_str(&column(first, "registered_at"), "%Y-%m-%d %H:%M:%S%#z")
            .unwrap()
            .into();
    assert_eq!(
        registered,
        "2026-02-28T16:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );

    // Open ends: everything registered.
    let all = ExportArgs {
        from: None,
        to: None,
        ..args
    };
    assert_eq!(export(&pool, &all).await.unwrap(), 4);
    assert_eq!(csv::Reader::from_path(&out).unwrap().records().count(), 4);

    std::fs::remove_file(&out).unwrap();
    pool.close().await;
    db.drop_database().await;
}
