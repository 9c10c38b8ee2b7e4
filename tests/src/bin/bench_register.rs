//! Registration benchmark (issue 3): drives web-message registrations through the gateway
//! at a fixed rate (open loop: a request is sent every 1/rate seconds whether or not the
//! earlier ones have answered, so a slow server shows up as latency, not as a lower rate)
//! against every service running in this process, on a real nats-server and PostgreSQL.
//!
//! ```sh
//! cargo run --release -p hotline-e2e --bin bench-register -- 200 30   # rate/s, seconds
//! ```
//! Prints throughput, status counts and latency percentiles (HTTP accept: request sent →
//! 201 received, which includes validation, encryption, numbering and the Postgres commit),
//! and how long the last order took to be dispatched.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_e2e::Stack;
use serde_json::json;
use tokio::sync::Mutex;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rate: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let stack = Stack::start_with(|gateway| {
        gateway.gateway.submit_per_minute = 0;
        gateway.gateway.query_per_minute = 0;
    })
    .await;
    stack.wait_ready().await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let url = stack.url("/api/v1/orders");
    let regions = ["520102", "520103", "520111", "520112", "520113", "520115"];

    // Warm up connections and caches.
    for i in 0..20 {
        send(&http, &url, regions[i % regions.len()], i).await;
    }

    let results: Arc<Mutex<Vec<(u16, Duration)>>> = Arc::default();
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total as usize {
        tick.tick().await;
        let (http, url, results) = (http.clone(), url.clone(), results.clone());
        let region = regions[i % regions.len()];
        tasks.spawn(async move {
            let sample = send(&http, &url, region, i).await;
            results.lock().await.push(sample);
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();

    let mut samples = results.lock().await.clone();
    let ok = samples.iter().filter(|(s, _)| *s == 201).count();
    let mut latencies: Vec<Duration> = samples.drain(..).map(|(_, d)| d).collect();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(latencies.len() - 1)]
    };
    println!("registration benchmark: target {rate}/s for {seconds} s ({total} requests)");
    println!(
        "  achieved {:.1} requests/s; 201: {ok}, other: {}",
        total as f64 / elapsed.as_secs_f64(),
        total as usize - ok
    );
    println!(
        "  HTTP accept latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(*latencies.last().unwrap())
    );

    // How far behind dispatch runs at the end of the run.
    let pool = stack.db.pool().await;
    let drained = Instant::now();
    loop {
        let dispatched: i64 = sqlx::query_scalar("SELECT count(*) FROM router.assignments")
            .fetch_one(&pool)
            .await
            .unwrap();
        if dispatched >= ok as i64 + 20 || drained.elapsed() > Duration::from_secs(120) {
            println!(
                "  all {dispatched} accepted orders dispatched {:.1} s after the last request",
                drained.elapsed().as_secs_f64()
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pool.close().await;
    stack.stop().await;
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn send(http: &reqwest::Client, url: &str, region: &str, i: usize) -> (u16, Duration) {
    let body = json!({
        "channel": "web_message", "kind": "complaint",
        "requester": {"type": "person", "phone": format!("139{:08}", i % 100_000_000)},
        "matter": format!("第{i}号测试诉求：小区夜间施工噪声扰民，请尽快处理。"),
        "category": "environment.noise", "region_code": region,
    });
    let start = Instant::now();
    let status = match http.post(url).json(&body).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    };
    (status, start.elapsed())
}
