#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The per-client rate limits through a real listener: the gateway's application served
//! by the shared HTTP helper (which passes the peer address on), a real nats-server behind
//! it, requests over TCP from distinct loopback addresses or through a trusted proxy.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hotline_contract::Namespace;
use hotline_gateway::app;
use hotline_gateway::config::GatewaySection;
use hotline_gateway::routes::AppState;
use hotline_test_support::{NatsServer, unique_namespace};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

struct Gateway {
    addr: SocketAddr,
    shutdown: CancellationToken,
    _nats: NatsServer,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The gateway's app with `config`; intake is not running (registrations never get past
/// the limiter or the gateway's own body check in these tests).
async fn gateway(config: GatewaySection) -> Gateway {
    let nats = NatsServer::start().await;
    let client = async_nats::connect(nats.url()).await.unwrap();
    let timeout = Duration::from_secs(2);
    let state = AppState {
        nats: client,
        namespace: Namespace::new(unique_namespace()).unwrap(),
        http: reqwest::Client::new(),
        intake_url: "http://127.0.0.1:9".to_owned(),
        timeout,
        // Never used: these requests carry no credentials, so the guard reads no accounts.
        pool: sqlx::PgPool::connect_lazy("postgres://127.0.0.1:9/none").unwrap(),
        auth: hotline_gateway::auth::AuthSettings {
            session_ttl: chrono::Duration::hours(8),
            cookie_secure: true,
            tokens: hotline_gateway::auth::token_cache::TokenCache::default(),
        },
    };
    let shutdown = CancellationToken::new();
    let (addr, _server) = hotline_service_kit::http::serve(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        app::app(state, &config),
        shutdown.clone(),
    )
    .await
    .unwrap();
    Gateway {
        addr,
        shutdown,
        _nats: nats,
    }
}

fn config(trusted_proxies: Vec<IpAddr>) -> GatewaySection {
    GatewaySection {
        submit_per_minute: 6,
        submit_burst: 3,
        query_per_minute: 6,
        query_burst: 5,
        trusted_proxies,
        ..GatewaySection::default()
    }
}

/// A client whose connections come from `source` (any 127.0.0.0/8 address is loopback).
fn client_from(source: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(source))
        .build()
        .unwrap()
}

async fn submit(
    http: &reqwest::Client,
    gw: &Gateway,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut request = http
        .post(format!("http://{}/api/v1/orders", gw.addr))
        .header("content-type", "application/json")
        .body("{}");
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.unwrap()
}

async fn query(http: &reqwest::Client, gw: &Gateway) -> u16 {
    http.get(format!(
        "http://{}/api/v1/orders/5201022611270001?check_code=123456",
        gw.addr
    ))
    .send()
    .await
    .unwrap()
    .status()
    .as_u16()
}

async fn assert_limited(r: reqwest::Response) {
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // 6 a minute: a token every 10 s.
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/rate_limited");
    assert_eq!(problem["status"], 429);
}

#[tokio::test]
async fn the_submission_after_the_burst_gets_429_and_another_client_address_is_unaffected() {
    let gw = gateway(config(Vec::new())).await;
    let first = client_from([127, 0, 0, 1]);
    for i in 0..3 {
        let r = submit(&first, &gw, None).await;
        assert_eq!(r.status(), 422, "request {i} reaches the handler");
    }
    assert_limited(submit(&first, &gw, None).await).await;

    // Another peer address has its own bucket.
    let second = client_from([127, 0, 0, 2]);
    assert_eq!(submit(&second, &gw, None).await.status(), 422);

    // Queries are limited separately from submissions.
    assert_ne!(query(&first, &gw).await, 429);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_buys_no_fresh_bucket() {
    let gw = gateway(config(Vec::new())).await;
    let http = client_from([127, 0, 0, 3]);
    for i in 0..3 {
        let forged = format!("198.51.100.{i}");
        assert_eq!(submit(&http, &gw, Some(&forged)).await.status(), 422);
    }
    assert_limited(submit(&http, &gw, Some("198.51.100.200")).await).await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let gw = gateway(config(vec![IpAddr::from([127, 0, 0, 1])])).await;
    let proxy = client_from([127, 0, 0, 1]);
    for _ in 0..3 {
        assert_eq!(
            submit(&proxy, &gw, Some("198.51.100.7")).await.status(),
            422
        );
    }
    assert_limited(submit(&proxy, &gw, Some("198.51.100.7")).await).await;
    assert_eq!(
        submit(&proxy, &gw, Some("198.51.100.8")).await.status(),
        422
    );
}

#[tokio::test]
async fn progress_queries_have_their_own_looser_limit() {
    let gw = gateway(config(Vec::new())).await;
    let http = client_from([127, 0, 0, 4]);
    for i in 0..5 {
        let status = query(&http, &gw).await;
        assert_ne!(status, 429, "query {i} is within the burst");
    }
    assert_eq!(query(&http, &gw).await, 429);
    // Submissions from the same client still have their own bucket.
    assert_eq!(submit(&http, &gw, None).await.status(), 422);
}

#[tokio::test]
async fn a_zero_rate_switches_the_limit_off() {
    let gw = gateway(GatewaySection {
        submit_per_minute: 0,
        ..config(Vec::new())
    })
    .await;
    let http = client_from([127, 0, 0, 5]);
    for _ in 0..20 {
        assert_eq!(submit(&http, &gw, None).await.status(), 422);
    }
}
