#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The runbook's "rebuild analytics" (docs/operations.md): with the service stopped,
//! `rebuild` empties the projection and deletes its consumers; the next start projects the
//! whole stream again, to the same facts.

use std::time::Duration;

use hotline_analytics::AnalyticsConfig;
use hotline_analytics::rebuild::{KEPT_TABLES, PROJECTION_TABLES, rebuild};
use hotline_contract::rpc::verbs::ANALYTICS_SUMMARY as SUMMARY;
use hotline_contract::rpc::{OrderSummary, SummaryQuery};
use hotline_service_kit::running::Running;
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use hotline_test_support::wait_for;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

mod orders;
use orders::{closed, dispatched, registered};

fn start(config: &AnalyticsConfig) -> (CancellationToken, impl Future<Output = Running>) {
    let shutdown = CancellationToken::new();
    let config = config.clone();
    let token = shutdown.clone();
    (shutdown, async move {
        hotline_analytics::start(config, token).await.unwrap()
    })
}

async fn summary(env: &TestEnv) -> Option<OrderSummary> {
    hotline_messaging::call(
        &env.client,
        &env.ns,
        SUMMARY,
        &SummaryQuery {},
        &TraceContext::new_root(),
        Duration::from_secs(5),
    )
    .await
    .ok()
}

/// Every fact row, as JSON, in a stable order.
async fn facts(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT (to_jsonb(f) - 'updated_at')::text FROM analytics.order_facts f ORDER BY order_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_rebuilt_projection_has_the_same_facts_as_before() {
    let env = TestEnv::new().await;
    let config = AnalyticsConfig {
        common: env.common_config(),
        ..Default::default()
    };
    let (shutdown, starting) = start(&config);
    let running = starting.await;
    let pool = env.pool().await;

    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    env.publish("intake", registered(a, "5201022611020001"))
        .await;
    env.publish("router", dispatched(a, "5201022611020001"))
        .await;
    env.publish("supervision", closed(a)).await;
    env.publish("intake", registered(b, "5201022611020002"))
        .await;
    let expected = OrderSummary {
        registered: 2,
        dispatched: 1,
        signed: 0,
        result_submitted: 0,
        closed: 1,
    };
    wait_for("the facts", PATIENCE, || async {
        (summary(&env).await? == expected).then_some(())
    })
    .await;
    let before = facts(&pool).await;
    assert_eq!(before.len(), 2);

    // Scaled to zero…
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, running.wait())
        .await
        .unwrap();
    // …rebuild…
    let report = rebuild(&config).await.unwrap();
    assert_eq!(report.consumers_deleted, 3);
    assert!(report.inbox_rows >= 4, "{report:?}");
    assert!(facts(&pool).await.is_empty(), "the projection was emptied");
    // …and start again: the stream is projected anew, to the same facts.
    let (shutdown, starting) = start(&config);
    let running = starting.await;
    wait_for("the rebuilt facts", PATIENCE, || async {
        (summary(&env).await? == expected).then_some(())
    })
    .await;
    assert_eq!(facts(&pool).await, before);
    // A second rebuild of an empty-then-rebuilt projection is as harmless.
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, running.wait())
        .await
        .unwrap();
    rebuild(&config).await.unwrap();

    pool.close().await;
    env.db.drop_database().await;
}

/// A table added to the analytics schema must be classified: projected (emptied by a
/// rebuild) or kept. Otherwise a rebuild would leave stale rows in it, or wipe a record.
#[tokio::test]
async fn every_analytics_table_is_either_projected_or_kept() {
    let env = TestEnv::new().await;
    let config = AnalyticsConfig {
        common: env.common_config(),
        ..Default::default()
    };
    let (shutdown, starting) = start(&config);
    let running = starting.await;
    let pool = env.pool().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'analytics' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let unclassified: Vec<&String> = tables
        .iter()
        .filter(|t| !PROJECTION_TABLES.contains(&t.as_str()) && !KEPT_TABLES.contains(&t.as_str()))
        .collect();
    assert!(
        unclassified.is_empty(),
        "classify in rebuild.rs: {unclassified:?}"
    );
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, running.wait())
        .await
        .unwrap();
    pool.close().await;
    env.db.drop_database().await;
}
