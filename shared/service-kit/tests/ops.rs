//! The ops port against real dependencies: a pinned nats-server and PostgreSQL.

// Helpers outside `#[test]` functions fail the test on purpose when something is off.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use hotline_service_kit::DatabaseConfig;
use hotline_service_kit::db;
use hotline_service_kit::ops::{self, OpsServer, Readiness};
use hotline_test_support::{NatsServer, TestDatabase, wait_for};
use sqlx::postgres::PgPoolOptions;
use tokio_util::sync::CancellationToken;

async fn get(server: &OpsServer, path: &str) -> (u16, Option<String>, String) {
    let response = reqwest::get(format!("http://{}{path}", server.local_addr))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, content_type, response.text().await.unwrap())
}

async fn readyz(server: &OpsServer) -> (u16, serde_json::Value) {
    let (status, _, body) = get(server, "/readyz").await;
    (status, serde_json::from_str(&body).unwrap())
}

fn nats_config(server: &NatsServer) -> hotline_messaging::NatsConfig {
    hotline_messaging::NatsConfig {
        url: server.url(),
        initial_connect_timeout_secs: 10,
        ..hotline_messaging::NatsConfig::default()
    }
}

#[tokio::test]
async fn readyz_follows_the_nats_connection_down_and_back_up() {
    let mut nats_server = NatsServer::start().await;
    let test_db = TestDatabase::create().await;
    let nats = hotline_messaging::connect("intake", &nats_config(&nats_server))
        .await
        .unwrap();
    let database = DatabaseConfig {
        url: test_db.url().into(),
        ..DatabaseConfig::default()
    };
    let pool = db::connect(&database, "intake").await.unwrap();
    let shutdown = CancellationToken::new();
    let server = ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        Readiness::new(Some(nats), Some(pool.clone())),
        shutdown.clone(),
    )
    .await
    .unwrap();

    let (status, body) = readyz(&server).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "checks": {"nats": "ok", "postgres": "ok"}})
    );

    nats_server.stop();
    let body = wait_for(
        "readyz to report NATS down",
        Duration::from_secs(10),
        || async {
            let (status, body) = readyz(&server).await;
            (status == 503).then_some(body)
        },
    )
    .await;
    assert_eq!(body["status"], "not_ready");
    assert_ne!(body["checks"]["nats"], "ok");
    assert_eq!(body["checks"]["postgres"], "ok");
    // Liveness does not depend on dependencies.
    let (status, _, text) = get(&server, "/healthz").await;
    assert_eq!((status, text.as_str()), (200, "ok"));

    nats_server.restart().await;
    wait_for("readyz to recover", Duration::from_secs(15), || async {
        (readyz(&server).await.0 == 200).then_some(())
    })
    .await;

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), server.wait())
        .await
        .expect("ops server stops on shutdown");
    pool.close().await;
    test_db.drop_database().await;
}

#[tokio::test]
async fn readyz_is_503_when_postgres_does_not_answer() {
    let dead_port = hotline_test_support::free_port();
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{dead_port}/x"))
        .unwrap();
    let server = ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        Readiness::new(None, Some(pool)),
        CancellationToken::new(),
    )
    .await
    .unwrap();

    let (status, body) = readyz(&server).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_ne!(body["checks"]["postgres"], "ok");
    assert!(body["checks"].get("nats").is_none());
}

#[tokio::test]
async fn a_failing_extra_check_makes_the_service_not_ready() {
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = ready.clone();
    let server = ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        Readiness::new(None, None).with_check(
            "calendar",
            Arc::new(move || {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    Ok(())
                } else {
                    Err("no calendar for next year".to_owned())
                }
            }),
        ),
        CancellationToken::new(),
    )
    .await
    .unwrap();

    let (status, body) = readyz(&server).await;
    assert_eq!(status, 503);
    assert_eq!(body["checks"]["calendar"], "no calendar for next year");

    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, body) = readyz(&server).await;
    assert_eq!(status, 200);
    assert_eq!(body["checks"]["calendar"], "ok");
}

#[tokio::test]
async fn a_posted_warning_is_shown_by_readyz_while_the_service_stays_ready() {
    let server = ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        Readiness::new(None, None),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let (status, body) = readyz(&server).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"status": "ready", "checks": {}}));

    // Posted after the server started, through the server's handle.
    server
        .warnings()
        .set("calendar", "calendar year 2027 missing");
    let (status, body) = readyz(&server).await;
    assert_eq!(status, 200, "a warning does not make the service unready");
    assert_eq!(
        body,
        serde_json::json!({
            "status": "ready",
            "checks": {},
            "warnings": {"calendar": "calendar year 2027 missing"},
        })
    );

    server.warnings().clear("calendar");
    let (status, body) = readyz(&server).await;
    assert_eq!(status, 200);
    assert!(body.get("warnings").is_none(), "{body}");
}

#[tokio::test]
async fn metrics_renders_the_process_recorder_in_prometheus_text_format() {
    let server = ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        Readiness::new(None, None),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    metrics::counter!("hotline_ops_test_probes_total", "outcome" => "ok").increment(2);

    let (status, content_type, body) = get(&server, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(
        body.contains("hotline_ops_test_probes_total{outcome=\"ok\"} 2"),
        "{body}"
    );
}

#[tokio::test]
async fn the_server_stops_when_shutdown_is_requested() {
    let shutdown = CancellationToken::new();
    let server = ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        Readiness::new(None, None),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let addr = server.local_addr;
    assert_eq!(get(&server, "/healthz").await.0, 200);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), server.wait())
        .await
        .expect("ops server stops on shutdown");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
