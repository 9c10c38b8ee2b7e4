#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The fault harness in its bounded CI form (issue 12): every service runs as its own
//! process while the load tool sends orders and works them; meanwhile each fault happens
//! once: every service in turn is killed with SIGKILL and started again, nats-server is
//! killed and restarted, and every PostgreSQL connection of the system is cut (what the
//! services see of a database restart; the machine's own PostgreSQL is shared with other
//! tests, so it is not restarted here). Then the invariants: every order accepted with 201
//! was dispatched exactly once and every worked order closed exactly once; and within 30 s
//! of the last fault a new order is dispatched again.
//!
//! Losing the JetStream store and replaying the outboxes is the runbook's procedure,
//! exercised in `tests/e2e/runbook.rs`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hotline_e2e::load::{LoadConfig, run};
use hotline_e2e::processes::{ProcessStack, SERVICES};
use serde_json::{Value, json};

#[tokio::test]
async fn each_fault_once_under_load_loses_and_doubles_nothing() {
    let mut stack = ProcessStack::start(PathBuf::from(env!("CARGO_BIN_EXE_hotlinectl"))).await;
    let target = stack.target().await;
    let config = LoadConfig {
        rate: 6,
        duration: Duration::from_secs(40),
        concurrency: 32,
        lifecycle: 0.5,
        drain: Duration::from_secs(150),
        raw_limits: Duration::ZERO,
        ..LoadConfig::default()
    };
    let load = {
        let (target, config) = (target.clone(), config.clone());
        tokio::spawn(async move { run(&target, &config).await })
    };

    // The sleeps here are the fault schedule, not waits for a condition: the faults start
    // 3 s into the load, and each outage lasts a set time before the restart (which then
    // waits for readiness on its own).
    tokio::time::sleep(Duration::from_secs(3)).await;
    for service in SERVICES {
        stack.kill(service);
        tokio::time::sleep(Duration::from_millis(500)).await;
        stack.restart(service).await;
    }
    stack.nats.stop();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stack.nats.restart().await;
    let pool = stack.db.pool().await;
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(cut > 0, "the services had connections to cut");
    let faults_ended = Instant::now();

    // Back to normal: a new order is dispatched within 30 s of the last fault.
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

    let report = load.await.unwrap();
    println!("{}", report.render(&config));
    assert!(report.accepted > 50, "{report:?}");
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    pool.close().await;
    stack.stop();
}
