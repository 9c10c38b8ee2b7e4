//! `bootstrap::start` against a pinned nats-server and PostgreSQL.

// Helpers outside `#[test]` functions fail the test on purpose when something is off.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;
use std::time::Duration;

use hotline_service_kit::bootstrap::{self, BootstrapError};
use hotline_service_kit::config::{CommonConfig, DatabaseConfig};
use hotline_telemetry::{LogCapture, TelemetryConfig};
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace};
use secrecy::SecretString;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

static SERVICE_MIGRATOR: Migrator = sqlx::migrate!("./tests/migrations");

/// Every log line of this test binary (the global subscriber is installed once).
fn logs() -> &'static LogCapture {
    static LOGS: OnceLock<LogCapture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = LogCapture::new();
        let guard =
            hotline_telemetry::init_with_writer("test", &TelemetryConfig::default(), logs.clone());
        // Keep the (inert, no OTLP) guard alive for the whole process.
        std::mem::forget(guard);
        logs
    })
}

fn common(nats: &NatsServer, db: &TestDatabase) -> CommonConfig {
    let mut common = CommonConfig {
        namespace: unique_namespace(),
        ..CommonConfig::default()
    };
    common.nats.url = nats.url();
    common.nats.initial_connect_timeout_secs = 10;
    common.database = DatabaseConfig {
        url: db.url().into(),
        ..DatabaseConfig::default()
    };
    common
}

#[tokio::test]
async fn start_connects_migrates_and_serves_readiness() {
    let nats = NatsServer::start().await;
    let test_db = TestDatabase::create().await;
    let common = common(&nats, &test_db);
    let shutdown = CancellationToken::new();

    let (ctx, ops) = bootstrap::start(
        "intake",
        "intake",
        &common,
        &[&SERVICE_MIGRATOR],
        shutdown.clone(),
    )
    .await
    .unwrap();

    assert_eq!(ctx.service, "intake");
    assert_eq!(ctx.namespace.as_str(), common.namespace);
    assert_eq!(ctx.consumer_lanes, common.consumer_lanes);
    let consumer = ctx.consumer("status", &["x"]);
    assert_eq!(consumer.lanes, common.consumer_lanes);
    assert_eq!(consumer.batch_max, common.consumer_batch_max);
    // Both migrators ran into the service schema, through the context's pool.
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&ctx.db)
            .await
            .unwrap();
    assert_eq!(versions, [1, 20240101000000]);
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM intake.outbox")
        .fetch_one(&ctx.db)
        .await
        .unwrap();
    assert_eq!(outbox, 0);
    // JetStream is reachable on the context's connection.
    ctx.jetstream.query_account().await.unwrap();

    let readyz = reqwest::get(format!("http://{}/readyz", ops.local_addr))
        .await
        .unwrap();
    assert_eq!(readyz.status().as_u16(), 200);

    assert!(!ctx.shutdown.is_cancelled());
    shutdown.cancel();
    assert!(ctx.shutdown.is_cancelled(), "the context carries the token");
    tokio::time::timeout(Duration::from_secs(5), ops.wait())
        .await
        .unwrap();
    ctx.db.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn start_logs_the_configuration_without_secrets() {
    let logs = logs();
    let nats = NatsServer::start().await;
    let test_db = TestDatabase::create().await;
    let mut common = common(&nats, &test_db);
    // Trust auth and an open nats-server accept (and ignore) these.
    common.database.url = SecretString::from(test_db.url().replacen(
        "postgres@",
        "postgres:pg-s3cret@",
        1,
    ));
    common.nats.token = Some(SecretString::from("tok-s3cret"));

    let shutdown = CancellationToken::new();
    let (ctx, ops) = bootstrap::start("router", "router", &common, &[], shutdown.clone())
        .await
        .unwrap();
    shutdown.cancel();
    ops.wait().await;
    ctx.db.close().await;

    let text = logs.contents();
    let starting = logs
        .json_lines()
        .into_iter()
        .find(|line| line["message"] == "starting" && line["service"] == "router")
        .unwrap_or_else(|| panic!("no start line in:\n{text}"));
    let config = starting["config"].as_str().unwrap();
    assert!(config.contains(&common.namespace), "{config}");
    assert!(config.contains("REDACTED"), "{config}");
    assert!(
        !text.contains("pg-s3cret"),
        "database password leaked:\n{text}"
    );
    assert!(!text.contains("tok-s3cret"), "NATS token leaked:\n{text}");
    test_db.drop_database().await;
}

#[tokio::test]
async fn an_invalid_namespace_is_refused_before_connecting_anything() {
    let mut common = CommonConfig {
        namespace: "Not A Subject Token".to_owned(),
        ..CommonConfig::default()
    };
    // Nothing listens here: the namespace check must come first.
    common.nats.url = format!("nats://127.0.0.1:{}", hotline_test_support::free_port());
    let result = bootstrap::start("intake", "intake", &common, &[], CancellationToken::new()).await;
    assert!(
        matches!(result, Err(BootstrapError::Namespace(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn zero_consumer_lanes_or_batches_or_a_long_linger_are_refused_before_connecting_anything() {
    let mut common = CommonConfig {
        namespace: unique_namespace(),
        consumer_lanes: 0,
        ..CommonConfig::default()
    };
    // Nothing listens here: the check must come before any connection.
    common.nats.url = format!("nats://127.0.0.1:{}", hotline_test_support::free_port());
    let result = bootstrap::start("intake", "intake", &common, &[], CancellationToken::new()).await;
    assert!(
        matches!(result, Err(BootstrapError::NoConsumerLanes)),
        "{result:?}"
    );

    common.consumer_lanes = 1;
    common.consumer_batch_max = 0;
    let result = bootstrap::start("intake", "intake", &common, &[], CancellationToken::new()).await;
    assert!(
        matches!(result, Err(BootstrapError::NoConsumerBatch)),
        "{result:?}"
    );

    common.consumer_batch_max = 16;
    common.consumer_linger_ms = 1_001;
    let result = bootstrap::start("intake", "intake", &common, &[], CancellationToken::new()).await;
    let Err(error @ BootstrapError::ConsumerLingerTooLong { got: 1_001 }) = result else {
        panic!("{result:?}");
    };
    assert_eq!(
        error.to_string(),
        "consumer_linger_ms must be at most 1000 (HOTLINE_CONSUMER_LINGER_MS), got 1001"
    );
}

#[tokio::test]
async fn shutdown_during_start_up_stops_waiting_for_dependencies() {
    let port = hotline_test_support::free_port();
    let mut common = CommonConfig::default();
    common.nats.url = format!("nats://127.0.0.1:{port}");
    common.nats.initial_connect_timeout_secs = 60;

    let shutdown = CancellationToken::new();
    let cancel = shutdown.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel();
    });
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        bootstrap::start("intake", "intake", &common, &[], shutdown),
    )
    .await
    .expect("start-up must give up promptly once shutdown is requested");
    assert!(
        matches!(result, Err(BootstrapError::Cancelled)),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_unusable_ops_address_is_reported() {
    let nats = NatsServer::start().await;
    let test_db = TestDatabase::create().await;
    let mut common = common(&nats, &test_db);
    // Take a port, then ask the service to bind it too.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    common.ops.listen = taken.local_addr().unwrap();

    let result = bootstrap::start(
        "supervision",
        "supervision",
        &common,
        &[],
        CancellationToken::new(),
    )
    .await;
    assert!(
        matches!(result, Err(BootstrapError::OpsListener { .. })),
        "{result:?}"
    );
    test_db.drop_database().await;
}
