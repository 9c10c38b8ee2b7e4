#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The load tool in CI (issue 12): a small rate for a short time, as a smoke test of the
//! tool and of the invariants it checks. No timing is asserted (speed is measured by the
//! benchmark run, docs/performance.md); what must hold is that every order accepted with
//! 201 reached each end state of its path exactly once: dispatched (or, for an emergency,
//! accepted by the partner hotline), redispatched once when its unit disputed it (A13),
//! sent back once when the reviewer did (A16), and closed once when worked. A little of
//! each path of the mix is in the run.

use std::time::Duration;

use hotline_e2e::Stack;
use hotline_e2e::load::{LoadConfig, run};

#[tokio::test]
async fn a_short_load_run_with_disputes_send_backs_and_transfers_loses_and_doubles_nothing() {
    let config = LoadConfig {
        rate: 10,
        duration: Duration::from_secs(4),
        concurrency: 16,
        lifecycle: 0.5,
        disputes: 0.15,
        send_backs: 0.25,
        transfers: 0.1,
        drain: Duration::from_secs(90),
        raw_limits: Duration::from_millis(500),
    };
    let stack = Stack::start_for_load(&config).await;
    let report = run(&stack.target().await, &config).await;
    println!("{}", report.render(&config));
    assert!(report.accepted >= 30, "{report:?}");
    assert_eq!(report.accepted, report.sent, "{:?}", report.errors);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert_eq!(
        report.registered_to_dispatched.count + report.registered_to_partner.count,
        report.accepted
    );
    assert!(report.registered_to_partner.count >= 3, "{report:?}");
    assert!(report.disputed_to_redispatched.count >= 4, "{report:?}");
    assert!(report.result_to_sent_back.count >= 3, "{report:?}");
    assert_eq!(
        report.sent_back_to_closed.count, report.result_to_sent_back.count,
        "every sent-back order closed"
    );
    assert!(
        report.lifecycle.count >= report.accepted * 4 / 10,
        "{report:?}"
    );
    assert!(report.pg_commits_per_sec > 0.0 && report.js_publishes_per_sec > 0.0);
    stack.stop().await;
}
