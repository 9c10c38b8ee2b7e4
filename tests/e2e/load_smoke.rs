#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The load tool in CI (issue 12): a small rate for a short time, as a smoke test of the
//! tool and of the invariants it checks. No timing is asserted (speed is measured by the
//! benchmark run, docs/performance.md); what must hold is that every order accepted with
//! 201 was dispatched exactly once and every worked order closed exactly once.

use std::time::Duration;

use hotline_e2e::Stack;
use hotline_e2e::load::{LoadConfig, run};

#[tokio::test]
async fn a_short_load_run_loses_and_doubles_nothing() {
    let stack = Stack::start_with(|gateway| {
        gateway.gateway.submit_per_minute = 0;
        gateway.gateway.query_per_minute = 0;
    })
    .await;
    stack.wait_ready().await;
    let config = LoadConfig {
        rate: 10,
        duration: Duration::from_secs(4),
        concurrency: 16,
        lifecycle: 0.5,
        drain: Duration::from_secs(60),
        raw_limits: Duration::from_millis(500),
    };
    let report = run(&stack.target().await, &config).await;
    println!("{}", report.render(&config));
    assert!(report.accepted >= 30, "{report:?}");
    assert_eq!(report.accepted, report.sent, "{:?}", report.errors);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert_eq!(report.registered_to_dispatched.count, report.accepted);
    assert!(report.lifecycle.count >= report.accepted / 2, "{report:?}");
    assert!(report.pg_commits_per_sec > 0.0 && report.js_publishes_per_sec > 0.0);
    stack.stop().await;
}
