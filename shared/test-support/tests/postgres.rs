//! Creates real PostgreSQL databases through `TestDatabase`.

use hotline_test_support::TestDatabase;

#[tokio::test]
async fn creates_a_fresh_database_and_connects() {
    let db = TestDatabase::create().await;
    assert!(db.name().starts_with("hotline_test_"), "{}", db.name());
    assert!(db.url().ends_with(db.name()), "{}", db.url());
    assert!(format!("{db:?}").contains(db.name()));

    let pool = db.pool().await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(one, 1);

    let current: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(current, db.name());

    // Empty: no user tables.
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 0);

    sqlx::query("CREATE TABLE t (id int PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    // Pool still open: drop_database must force the connections closed.
    let name = db.name().to_owned();
    db.drop_database().await;
    drop(pool);

    let admin = admin_pool().await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn databases_are_distinct() {
    let a = TestDatabase::create().await;
    let b = TestDatabase::create().await;
    assert_ne!(a.name(), b.name());
    a.drop_database().await;
    b.drop_database().await;
}

async fn admin_pool() -> sqlx::PgPool {
    let url = std::env::var("HOTLINE_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| hotline_test_support::DEFAULT_TEST_DATABASE_URL.to_owned());
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the admin database: {e}"))
}
