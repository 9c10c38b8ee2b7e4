//! Analytics against a real nats-server and Postgres: order events, in order or not, become
//! one fact row per order, and `rpc.analytics.summary` counts the steps reached.

// The harness methods below fail the test loudly, like the tests (clippy's
// allow-unwrap-in-tests only covers `#[test]` functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline_analytics::AnalyticsConfig;
use hotline_contract::events::{OrderResultSubmitted, OrderSigned, ResultChecklist};
use hotline_contract::rpc::verbs::ANALYTICS_SUMMARY as SUMMARY;
use hotline_contract::rpc::{OrderSummary, SummaryQuery};
use hotline_service_kit::running::Running;
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

mod orders;
use orders::{at, closed, dispatched, registered};

struct Analytics {
    env: TestEnv,
    pool: PgPool,
    shutdown: CancellationToken,
    running: Running,
}

impl Analytics {
    async fn start() -> Self {
        let env = TestEnv::new().await;
        let config = AnalyticsConfig {
            common: env.common_config(),
            ..Default::default()
        };
        let shutdown = CancellationToken::new();
        let running = hotline_analytics::start(config, shutdown.clone())
            .await
            .unwrap();
        let pool = env.pool().await;
        Self {
            env,
            pool,
            shutdown,
            running,
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.running.wait())
            .await
            .expect("the service stops within its patience");
        self.pool.close().await;
        self.env.db.drop_database().await;
    }

    async fn summary(&self) -> OrderSummary {
        hotline_messaging::call(
            &self.env.client,
            &self.env.ns,
            SUMMARY,
            &SummaryQuery {},
            &TraceContext::new_root(),
            Duration::from_secs(5),
        )
        .await
        .unwrap()
    }

    /// Poll the summary until it is `expected`; fail with the last one seen.
    async fn wait_for_summary(&self, expected: OrderSummary) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let seen = self.summary().await;
            if seen == expected {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "summary stayed {seen:?}, expected {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn summary_counts_each_step_whatever_order_the_events_arrive_in() {
    let analytics = Analytics::start().await;
    let env = &analytics.env;
    let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());

    // A: the whole journey, in order.
    env.publish("intake", registered(a, "5201022611020001"))
        .await;
    env.publish("router", dispatched(a, "5201022611020001"))
        .await;
    env.publish(
        "router",
        OrderSigned {
            order_id: a,
            unit_id: "unit-nanming-housing".to_owned(),
            signed_by: "staff-1".to_owned(),
            signed_at: at("2026-11-02T03:00:00Z"),
        },
    )
    .await;
    env.publish(
        "router",
        OrderResultSubmitted {
            order_id: a,
            unit_id: "unit-nanming-housing".to_owned(),
            result_id: Uuid::now_v7(),
            submitted_by: "staff-1".to_owned(),
            submitted_at: at("2026-11-04T03:00:00Z"),
            checklist: ResultChecklist::complete(),
        },
    )
    .await;
    env.publish("supervision", closed(a)).await;
    // B: registered and dispatched only, the dispatch arriving first.
    env.publish("router", dispatched(b, "5201022611020002"))
        .await;
    env.publish("intake", registered(b, "5201022611020002"))
        .await;
    // C: the close arrives before the registration, and twice.
    env.publish("supervision", closed(c)).await;
    env.publish("supervision", closed(c)).await;
    env.publish("intake", registered(c, "5201022611020003"))
        .await;

    analytics
        .wait_for_summary(OrderSummary {
            registered: 3,
            dispatched: 2,
            signed: 1,
            result_submitted: 1,
            closed: 2,
        })
        .await;

    // Out of order, each event still filled in its own columns.
    type Row = (
        Option<String>,
        Option<String>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let (number, unit_id, registered_at, dispatched_at): Row = sqlx::query_as(
        "SELECT number, unit_id, registered_at, dispatched_at FROM analytics.order_facts WHERE order_id = $1",
    )
    .bind(b)
    .fetch_one(&analytics.pool)
    .await
    .unwrap();
    assert_eq!(number.as_deref(), Some("5201022611020002"));
    assert_eq!(unit_id.as_deref(), Some("unit-nanming-housing"));
    assert_eq!(registered_at, Some(at("2026-11-02T00:31:00Z")));
    assert_eq!(dispatched_at, Some(at("2026-11-02T01:00:00Z")));

    let (region, closed_at): (Option<String>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT region_code, closed_at FROM analytics.order_facts WHERE order_id = $1",
    )
    .bind(c)
    .fetch_one(&analytics.pool)
    .await
    .unwrap();
    assert_eq!(region.as_deref(), Some("520102"));
    assert_eq!(closed_at, Some(at("2026-11-05T08:00:00Z")));

    // Closes are counted on the ops port (once per order, whatever the redeliveries).
    let metrics = reqwest::get(format!("http://{}/metrics", analytics.running.ops_addr()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let closed_total: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("hotline_orders_closed_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(closed_total, 2.0, "{metrics}");

    analytics.stop().await;
}

#[tokio::test]
async fn summary_of_no_orders_is_all_zero() {
    let analytics = Analytics::start().await;
    assert_eq!(analytics.summary().await, OrderSummary::default());
    analytics.stop().await;
}
