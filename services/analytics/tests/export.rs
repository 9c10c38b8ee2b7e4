#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The analysts' export (A20) against a real Postgres: a known set of fact rows is written
//! as CSV for a period and read back: the header, exactly the orders registered in the
//! period's Beijing days (both ends inclusive), their values, and no personal data or
//! staff ids.

use hotline_analytics::export::{ExportArgs, Format, column_names, export, parse};
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
    assert_eq!(header, column_names());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let column = |r: &csv::StringRecord, name: &str| {
        r[column_names().iter().position(|c| *c == name).unwrap()].to_owned()
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
    assert_eq!(column(first, "registered_at"), "2026-02-28T16:00:00Z");

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

/// The Parquet file: typed columns, nulls where a value is not known, several row groups
/// for a large period, the same orders as the CSV, and no personal data or staff ids.
#[tokio::test]
async fn a_parquet_export_has_typed_columns_and_row_groups() {
    use hotline_analytics::export::parquet::ROW_GROUP_ROWS;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(&db, SCHEMA, &MIGRATOR, 2).await;
    // One fully known order, then enough bare registrations (Beijing 2026-03-02, a second
    // apart) for a second row group.
    sqlx::query(
        "INSERT INTO analytics.order_facts (order_id, number, kind, channel, region_code, \
         category, unit_id, registered_at, registered_by, dispatched_at, closed_at, resolved, \
         satisfaction, disputed, send_backs, cases, cases_closed, handling_working_days, \
         follow_up_of) \
         VALUES ($1, 'GZ-SECRET-NUMBER', 'complaint', 'web', '520102', 'housing', 'unit-1', \
         '2026-03-01T00:00:00Z', 'agent-secret', '2026-03-01T00:00:01.5Z', \
         '2026-03-05T00:00:00Z', TRUE, 'satisfied', TRUE, 2, 1, 1, 3, $2)",
    )
    .bind(Uuid::from_u128(1))
    .bind(Uuid::from_u128(9))
    .execute(&pool)
    .await
    .unwrap();
    let bare = ROW_GROUP_ROWS as i64 + 10;
    sqlx::query(
        "INSERT INTO analytics.order_facts (order_id, kind, registered_at) \
         SELECT gen_random_uuid(), 'consultation', \
                '2026-03-02T00:00:00Z'::timestamptz + make_interval(secs => i) \
         FROM generate_series(1, $1) AS i",
    )
    .bind(bare)
    .execute(&pool)
    .await
    .unwrap();

    let out = std::env::temp_dir().join(format!("export-{}.parquet", Uuid::new_v4()));
    let args =
        parse(&["--format", "parquet", "--out", out.to_str().unwrap()].map(str::to_owned)).unwrap();
    assert_eq!(args.format, Format::Parquet);
    assert_eq!(export(&pool, &args).await.unwrap(), bare as u64 + 1);
    assert!(!out.with_extension("partial").exists());

    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert!(
        !bytes.windows(6).any(|w| w == b"SECRET" || w == b"secret"),
        "personal data or a staff id in the file"
    );
    let reader = SerializedFileReader::new(std::fs::File::open(&out).unwrap()).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 2);
    assert_eq!(meta.file_metadata().num_rows(), bare + 1);
    let names: Vec<String> = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(names, column_names());

    let mut rows = reader.get_row_iter(None).unwrap();
    let first: std::collections::HashMap<String, Field> = rows
        .next()
        .unwrap()
        .unwrap()
        .get_column_iter()
        .map(|(name, field)| (name.clone(), field.clone()))
        .collect();
    let micros = |s: &str| {
        s.parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            .timestamp_micros()
    };
    for (name, expected) in [
        ("order_id", Field::Str(Uuid::from_u128(1).to_string())),
        ("kind", Field::Str("complaint".into())),
        ("follow_up_of", Field::Str(Uuid::from_u128(9).to_string())),
        (
            "registered_at",
            Field::TimestampMicros(micros("2026-03-01T00:00:00Z")),
        ),
        (
            "dispatched_at",
            Field::TimestampMicros(micros("2026-03-01T00:00:01.5Z")),
        ),
        ("signed_at", Field::Null),
        ("resolved", Field::Bool(true)),
        ("disputed", Field::Bool(true)),
        ("sign_overdue", Field::Bool(false)),
        ("send_backs", Field::Int(2)),
        ("cases_closed", Field::Int(1)),
        ("handling_working_days", Field::Int(3)),
        ("repeat_of", Field::Null),
    ] {
        assert_eq!(first[name], expected, "{name}");
    }
    let second = rows.next().unwrap().unwrap();
    let field = |row: &parquet::record::Row, name: &str| {
        row.get_column_iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, f)| f.clone())
            .unwrap()
    };
    assert_eq!(field(&second, "resolved"), Field::Null);
    assert_eq!(field(&second, "handling_working_days"), Field::Null);
    assert_eq!(field(&second, "send_backs"), Field::Int(0));
    assert_eq!(rows.count() as i64, bare - 1);

    std::fs::remove_file(&out).unwrap();
    pool.close().await;
    db.drop_database().await;
}
