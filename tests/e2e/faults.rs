#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The fault harness (issue 12): every service runs as its own process while the load tool
//! sends orders and works them; meanwhile faults happen ([`hotline_e2e::faults`]): a
//! service killed with SIGKILL and started again, nats-server killed and restarted, every
//! PostgreSQL connection of the system cut, and the JetStream store lost and rebuilt by
//! the runbook (services restarted, every outbox replayed with `replay-outbox`). The load
//! is the whole mix: half the dispatched orders worked, disputes and redispatches, results
//! sent back and answered again (so a reviewer, not supervision, accepts results), and
//! emergencies transferred to a partner hotline. Then the invariants: every order accepted
//! with 201 was dispatched exactly once (a transfer: accepted by the partner exactly once,
//! never dispatched), every disputed order redispatched exactly once, every chosen result
//! sent back exactly once, every worked order closed exactly once (events replayed after
//! the lost store count once, by their ids; a second dispatch would be a new event); and
//! within 30 s of the last fault a new order is dispatched again.
//!
//! **CI (bounded):** each fault once, in turn, with 6 orders/s for 40 s.
//!
//! **Long randomized run:** `HOTLINE_FAULTS_SECS=600` (how long the load and the faults
//! go on) and optionally `HOTLINE_FAULTS_SEED=<u64>` (default: from the clock; printed):
//! a random fault every 3 to 15 s, each kind equally likely, the same seed giving the same
//! schedule. See docs/performance.md for a run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hotline_e2e::faults::{Fault, Random};
use hotline_e2e::load::{LoadConfig, run};
use hotline_e2e::processes::ProcessStack;
use serde_json::{Value, json};

/// `HOTLINE_FAULTS_SECS` and `HOTLINE_FAULTS_SEED`, when the long mode is asked for.
fn long_mode() -> Option<(Duration, u64)> {
    let secs: u64 = std::env::var("HOTLINE_FAULTS_SECS")
        .ok()?
        .parse()
        .expect("HOTLINE_FAULTS_SECS: seconds");
    let seed = std::env::var("HOTLINE_FAULTS_SEED").map_or_else(
        |_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        },
        |s| s.parse().expect("HOTLINE_FAULTS_SEED: a number"),
    );
    Some((Duration::from_secs(secs), seed))
}

/// Back to normal: a new order is accepted and dispatched within 30 s of `faults_ended`.
async fn new_order_flows(stack: &ProcessStack, faults_ended: Instant) {
    let http = reqwest::Client::new();
    let receipt: Value = hotline_test_support::wait_for(
        "a new order to be accepted after the faults",
        Duration::from_secs(30),
        || async {
            let r = http
                .post(format!("{}/api/v1/orders", stack.base()))
                .json(&json!({
                    "channel": "web_message", "kind": "complaint",
                    "requester": {"type": "person", "phone": "13700000001"},
                    "matter": "故障之后的新诉求：路灯不亮。",
                    "category": "transport.road", "region_code": "520102",
                }))
                .send()
                .await
                .ok()?;
            (r.status() == 201).then_some(())?;
            r.json().await.ok()
        },
    )
    .await;
    let (number, check) = (
        receipt["number"].as_str().unwrap().to_owned(),
        receipt["check_code"].as_str().unwrap().to_owned(),
    );
    hotline_test_support::wait_for(
        "the new order to be dispatched",
        Duration::from_secs(30).saturating_sub(faults_ended.elapsed()),
        || async {
            let v: Value = http
                .get(format!(
                    "{}/api/v1/orders/{number}?check_code={check}",
                    stack.base()
                ))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (v["status"] == "dispatched").then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn faults_under_load_lose_and_double_nothing() {
    let long = long_mode();
    // The whole mix: every path a fault can cut in the middle of.
    let config = LoadConfig {
        rate: 6,
        duration: long.map_or(Duration::from_secs(40), |(secs, _)| secs),
        concurrency: 32,
        lifecycle: 0.5,
        disputes: 0.1,
        send_backs: 0.2,
        transfers: 0.05,
        drain: Duration::from_secs(180),
        raw_limits: Duration::ZERO,
    };
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_hotlinectl"));
    let mut stack = ProcessStack::start(binary, &config).await;
    let target = stack.target().await;
    let load = {
        let (target, config) = (target.clone(), config.clone());
        tokio::spawn(async move { run(&target, &config).await })
    };
    let pool = stack.db.pool().await;

    // The faults start 3 s into the load.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let started = Instant::now();
    let mut injected = 0;
    match long {
        None => {
            for fault in Fault::each_once() {
                let (what, count) = fault.inject(&mut stack, &target, &pool).await;
                println!("{:>6.1} s  {what}", started.elapsed().as_secs_f64());
                if matches!(fault, Fault::PostgresCut | Fault::JetStreamLost) {
                    assert!(
                        count > 0,
                        "{what}: the services had connections, the outboxes events"
                    );
                }
                injected += 1;
            }
        }
        Some((secs, seed)) => {
            println!("randomized faults for {secs:?}, HOTLINE_FAULTS_SEED={seed}");
            let mut random = Random::new(seed);
            loop {
                let (wait, fault) = random.next_fault();
                if started.elapsed() + wait >= secs {
                    break;
                }
                tokio::time::sleep(wait).await;
                let (what, _) = fault.inject(&mut stack, &target, &pool).await;
                injected += 1;
                println!("{:>6.1} s  {what}", started.elapsed().as_secs_f64());
            }
        }
    }
    let faults_ended = Instant::now();
    new_order_flows(&stack, faults_ended).await;

    let report = load.await.unwrap();
    println!(
        "{injected} faults over {:.0} s",
        faults_ended.duration_since(started).as_secs_f64()
    );
    println!("{}", report.render(&config));
    assert!(report.accepted > 50, "{report:?}");
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    pool.close().await;
    stack.stop();
}
