//! The KPI report against a real nats-server and Postgres (issue 9 acceptance): a generated
//! month of orders with known outcomes is replayed as the services would publish it, and
//! every KPI is checked against values the test computes from the outcomes themselves (not
//! from the events). Replaying every event again, shuffled, changes nothing. The month's
//! generator is `month/mod.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod month;

use std::time::Duration;

use chrono::NaiveDate;
use hotline_analytics::AnalyticsConfig;
use hotline_contract::analytics::{KpiCounts, KpiQuery, KpiReport, KpiRow, KpiSlice};
use hotline_contract::rpc::verbs::ANALYTICS_KPIS;
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use month::{Lcg, Truth, UNITS, beijing, expected_counts, generate, split, wait_applied};

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The KPIs from the expected parts (the test's own arithmetic).
fn expected_row(key: &str, c: KpiCounts) -> KpiRow {
    KpiRow {
        key: key.to_owned(),
        on_time_sign_rate: ratio(c.signed_on_time, c.sign_decided),
        response_rate: ratio(c.signed, c.dispatched),
        on_time_completion_rate: ratio(c.completed_on_time, c.completion_decided),
        resolution_rate: ratio(c.resolved, c.visited),
        satisfaction_rate: ratio(c.satisfied, c.visited),
        direct_answer_rate: ratio(c.answered_directly, c.registered),
        dispute_rate: ratio(c.disputed, c.dispatched),
        dispatch_accuracy: ratio(c.dispatched - c.redispatched, c.dispatched),
        redo_rate: ratio(c.redone, c.with_result),
        repeat_rate: ratio(c.repeats, c.registered),
        supervision_cases: c.cases,
        rectification_rate: ratio(c.cases_closed, c.cases),
        average_handling_working_days: ratio(c.working_days_sum, c.timed),
        counts: c,
    }
}

async fn report(env: &TestEnv, slice: KpiSlice, region: Option<&str>) -> KpiReport {
    hotline_messaging::call(
        &env.client,
        &env.ns,
        ANALYTICS_KPIS,
        &KpiQuery {
            from: beijing(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), 0),
            to: beijing(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(), 0),
            slice,
            region_code: region.map(str::to_owned),
        },
        &TraceContext::new_root(),
        Duration::from_secs(10),
    )
    .await
    .unwrap()
}

/// Counts exactly; rates to 1e-12 (JSON's decimal form may move the last bit of an f64).
fn assert_rows(actual: &[KpiRow], expected: &[KpiRow]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert_eq!((&a.key, a.counts), (&e.key, e.counts));
        assert_eq!(a.supervision_cases, e.supervision_cases);
        let rates = |r: &KpiRow| {
            [
                r.on_time_sign_rate,
                r.response_rate,
                r.on_time_completion_rate,
                r.resolution_rate,
                r.satisfaction_rate,
                r.direct_answer_rate,
                r.dispute_rate,
                r.dispatch_accuracy,
                r.redo_rate,
                r.repeat_rate,
                r.rectification_rate,
                r.average_handling_working_days,
            ]
        };
        for (i, (x, y)) in rates(a).into_iter().zip(rates(e)).enumerate() {
            match (x, y) {
                (Some(x), Some(y)) => {
                    assert!((x - y).abs() < 1e-12, "{}: rate {i}: {x} vs {y}", a.key)
                }
                (x, y) => assert_eq!(x, y, "{}: rate {i}", a.key),
            }
        }
    }
}

async fn check(env: &TestEnv, truths: &[Truth]) {
    let all = report(env, KpiSlice::All, None).await;
    assert_rows(
        &all.rows,
        &[expected_row("all", expected_counts(truths.iter()))],
    );
    let by_unit = report(env, KpiSlice::Unit, None).await;
    let mut keys: Vec<&str> = UNITS.to_vec();
    keys.push("(未派单)");
    keys.sort_unstable();
    let expected: Vec<KpiRow> = keys
        .iter()
        .map(|key| {
            let of_unit = truths
                .iter()
                .filter(|t| t.unit.unwrap_or("(未派单)") == *key);
            expected_row(key, expected_counts(of_unit))
        })
        .filter(|row| row.counts.registered > 0)
        .collect();
    assert_rows(&by_unit.rows, &expected);
    // Region roll-up: Guiyang (5201) holds Nanming and Yunyan, not Zunyi's district.
    let guiyang = report(env, KpiSlice::Prefecture, Some("520100")).await;
    let in_guiyang = truths.iter().filter(|t| t.county.starts_with("5201"));
    assert_rows(
        &guiyang.rows,
        &[expected_row("520100", expected_counts(in_guiyang))],
    );
}

#[tokio::test]
async fn a_replayed_month_gives_every_kpi_computed_from_the_outcomes_twice_over_and_shuffled() {
    let env = TestEnv::new().await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = hotline_analytics::start(
        AnalyticsConfig {
            common: env.common_config(),
            ..Default::default()
        },
        shutdown.clone(),
    )
    .await
    .unwrap();
    let pool = env.pool().await;
    let (truths, events) = generate(300);
    let (facts, signals) = split(&events);
    // Sanity: the month exercises every KPI.
    let totals = expected_counts(truths.iter());
    for (name, n) in [
        ("answered", totals.answered_directly),
        ("repeats", totals.repeats),
        ("sign overdue", totals.sign_decided - totals.signed_on_time),
        ("redispatched", totals.redispatched),
        ("redone", totals.redone),
        ("cases closed", totals.cases_closed),
        ("visited", totals.visited),
    ] {
        assert!(n > 0, "the generated month has no {name}");
    }

    // Every event of the month, shuffled across and within orders.
    let mut order: Vec<usize> = (0..events.len()).collect();
    let mut rng = Lcg(7);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    for &i in &order {
        events[i].publish(&env).await;
    }
    wait_applied(&env, &pool, facts, signals).await;
    check(&env, &truths).await;

    // The same events again (as a replay from the stream would deliver them, under new
    // message ids), in their natural order: the numbers do not move.
    for event in &events {
        event.publish(&env).await;
    }
    wait_applied(&env, &pool, 2 * facts, 2 * signals).await;
    check(&env, &truths).await;

    shutdown.cancel();
    tokio::time::timeout(PATIENCE, running.wait())
        .await
        .unwrap();
    pool.close().await;
    env.db.drop_database().await;
}
