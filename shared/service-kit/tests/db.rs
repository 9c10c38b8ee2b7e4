//! Schema-pinned pools and locked migrations against a real PostgreSQL, one database per test.

// Helpers outside `#[test]` functions fail the test on purpose when something is off.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hotline_service_kit::DatabaseConfig;
use hotline_service_kit::db::{self, DbError};
use hotline_test_support::TestDatabase;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

static SERVICE_MIGRATOR: Migrator = sqlx::migrate!("./tests/migrations");
static BROKEN_MIGRATOR: Migrator = sqlx::migrate!("./tests/broken_migrations");

fn config(db: &TestDatabase) -> DatabaseConfig {
    DatabaseConfig {
        url: db.url().into(),
        max_connections: 4,
        initial_connect_timeout_secs: 10,
        ..DatabaseConfig::default()
    }
}

async fn applied_versions(pool: &PgPool, schema: &str) -> Vec<i64> {
    sqlx::query_scalar(&format!(
        "SELECT version FROM \"{schema}\"._sqlx_migrations WHERE success ORDER BY version"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn table_schema(pool: &PgPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_schema::text FROM information_schema.tables WHERE table_name = $1 ORDER BY 1",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn migrations_and_their_bookkeeping_land_in_the_service_schema() {
    let test_db = TestDatabase::create().await;
    let pool = db::connect(&config(&test_db), "intake").await.unwrap();

    db::migrate(
        &pool,
        "intake",
        &[&hotline_messaging::MIGRATOR, &SERVICE_MIGRATOR],
    )
    .await
    .unwrap();

    assert_eq!(table_schema(&pool, "_sqlx_migrations").await, ["intake"]);
    assert_eq!(table_schema(&pool, "outbox").await, ["intake"]);
    assert_eq!(table_schema(&pool, "widgets").await, ["intake"]);
    assert_eq!(applied_versions(&pool, "intake").await, [1, 20240101000000]);
    // Unqualified names resolve in the service schema.
    sqlx::query("INSERT INTO widgets (id, name) VALUES (1, 'a')")
        .execute(&pool)
        .await
        .unwrap();
    let path: String = sqlx::query_scalar("SHOW search_path")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(path, "intake,public");

    pool.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn migrating_twice_changes_nothing() {
    let test_db = TestDatabase::create().await;
    let pool = db::connect(&config(&test_db), "router").await.unwrap();
    let migrators = [&hotline_messaging::MIGRATOR, &SERVICE_MIGRATOR];

    db::migrate(&pool, "router", &migrators).await.unwrap();
    let first = installed(&pool, "router").await;
    db::migrate(&pool, "router", &migrators).await.unwrap();
    let second = installed(&pool, "router").await;

    assert_eq!(first, second);
    assert_eq!(first.len(), 2);

    pool.close().await;
    test_db.drop_database().await;
}

/// `(version, installed_on)` of every applied migration (time as text: no chrono needed).
async fn installed(pool: &PgPool, schema: &str) -> Vec<(i64, String)> {
    sqlx::query_as(&format!(
        "SELECT version, installed_on::text FROM \"{schema}\"._sqlx_migrations ORDER BY version"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn concurrent_replicas_migrating_the_same_schema_both_succeed() {
    let test_db = TestDatabase::create().await;
    let config = config(&test_db);
    let (a, b) = tokio::join!(
        db::connect(&config, "supervision"),
        db::connect(&config, "supervision")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let migrators = [&hotline_messaging::MIGRATOR, &SERVICE_MIGRATOR];

    let (ra, rb) = tokio::join!(
        db::migrate(&a, "supervision", &migrators),
        db::migrate(&b, "supervision", &migrators)
    );
    ra.unwrap();
    rb.unwrap();
    assert_eq!(
        applied_versions(&a, "supervision").await,
        [1, 20240101000000]
    );

    a.close().await;
    b.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn two_services_in_one_database_keep_separate_bookkeeping() {
    let test_db = TestDatabase::create().await;
    let intake = db::connect(&config(&test_db), "intake").await.unwrap();
    let analytics = db::connect(&config(&test_db), "analytics").await.unwrap();

    let intake_migrators = [&hotline_messaging::MIGRATOR, &SERVICE_MIGRATOR];
    let analytics_migrators = [&hotline_messaging::MIGRATOR];
    let (ri, ra) = tokio::join!(
        db::migrate(&intake, "intake", &intake_migrators),
        db::migrate(&analytics, "analytics", &analytics_migrators)
    );
    ri.unwrap();
    ra.unwrap();

    assert_eq!(
        applied_versions(&intake, "intake").await,
        [1, 20240101000000]
    );
    assert_eq!(applied_versions(&intake, "analytics").await, [1]);
    assert_eq!(
        table_schema(&intake, "outbox").await,
        ["analytics", "intake"]
    );

    intake.close().await;
    analytics.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn each_migrator_ignores_versions_applied_by_the_others() {
    let test_db = TestDatabase::create().await;
    let pool = db::connect(&config(&test_db), "knowledge").await.unwrap();

    // The service's migrations first, the shared ones added later (e.g. a new release).
    db::migrate(&pool, "knowledge", &[&SERVICE_MIGRATOR])
        .await
        .unwrap();
    db::migrate(
        &pool,
        "knowledge",
        &[&hotline_messaging::MIGRATOR, &SERVICE_MIGRATOR],
    )
    .await
    .unwrap();
    assert_eq!(
        applied_versions(&pool, "knowledge").await,
        [1, 20240101000000]
    );

    pool.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn a_failed_migration_is_reported_and_does_not_leave_the_lock_held() {
    let test_db = TestDatabase::create().await;
    let pool = db::connect(&config(&test_db), "gateway").await.unwrap();

    let error = db::migrate(&pool, "gateway", &[&SERVICE_MIGRATOR, &BROKEN_MIGRATOR])
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Migrate { .. }), "{error:?}");

    // Another replica can still take the lock and migrate.
    let other = db::connect(&config(&test_db), "gateway").await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        db::migrate(&other, "gateway", &[&hotline_messaging::MIGRATOR]),
    )
    .await
    .expect("the migration lock was leaked")
    .unwrap();
    assert_eq!(
        applied_versions(&other, "gateway").await,
        [1, 20240101000000]
    );

    pool.close().await;
    other.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn migrate_rejects_an_unsafe_schema_name() {
    let test_db = TestDatabase::create().await;
    let pool = db::connect(&config(&test_db), "intake").await.unwrap();
    let error = db::migrate(&pool, "intake; DROP TABLE x", &[])
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::InvalidSchema(_)));
    pool.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn an_unreachable_server_times_out_after_the_configured_wait() {
    let port = hotline_test_support::free_port();
    let config = DatabaseConfig {
        url: format!("postgres://postgres@127.0.0.1:{port}/hotline").into(),
        initial_connect_timeout_secs: 1,
        ..DatabaseConfig::default()
    };
    let started = std::time::Instant::now();
    let error = db::connect(&config, "intake").await.unwrap_err();
    assert!(
        matches!(error, DbError::ConnectTimedOut { attempts, .. } if attempts > 1),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_unknown_role_is_rejected_without_retrying() {
    let config = DatabaseConfig {
        url: "postgres://no_such_role_hotline@127.0.0.1:5432/postgres"
            .to_owned()
            .into(),
        initial_connect_timeout_secs: 30,
        ..DatabaseConfig::default()
    };
    let started = std::time::Instant::now();
    let error = db::connect(&config, "intake").await.unwrap_err();
    assert!(matches!(error, DbError::Rejected(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
