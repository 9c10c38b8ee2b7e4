//! Dynamic monitoring (A20) against a real nats-server and Postgres: orders published at
//! every stage, some of them for too long, give `rpc.analytics.monitor` its stage counts,
//! region roll-up, stuck list (oldest first) and today's registrations against last week;
//! the KPI snapshot arrives on `hotline.analytics.kpi.all` through the outbox, once per
//! interval however often it is attempted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, NaiveTime, SubsecRound, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use hotline_analytics::AnalyticsConfig;
use hotline_analytics::config::MonitorSection;
use hotline_analytics::snapshot::KpiSnapshots;
use hotline_contract::analytics::{
    AnalyticsKpiSnapshot, KpiSlice, MonitorQuery, MonitorReport, MonitorRollup, Stage, StageCounts,
};
use hotline_contract::events::*;
use hotline_contract::rpc::RpcErrorCode;
use hotline_contract::rpc::verbs::ANALYTICS_MONITOR;
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_messaging::{CallError, Outbox};
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use uuid::Uuid;

/// One order's life so far: the instants of the steps it reached.
#[derive(Default, Clone, Copy)]
struct Life {
    registered: Option<DateTime<Utc>>,
    dispatched: Option<DateTime<Utc>>,
    signed: Option<DateTime<Utc>>,
    result: Option<DateTime<Utc>>,
    closed: Option<DateTime<Utc>>,
    sign_overdue: bool,
}

/// Publish an order's events; returns how many order events and signals it sent.
async fn publish(env: &TestEnv, number: &str, region: &str, life: Life) -> (i64, i64) {
    let order_id = Uuid::now_v7();
    let unit = format!("{region}-market");
    let mut sent = (0, 0);
    if let Some(at) = life.registered {
        env.publish(
            "intake",
            OrderRegistered {
                order_id,
                number: number.to_owned(),
                channel: Channel::Phone,
                kind: RequestKind::Complaint,
                category: None,
                region_code: region.to_owned(),
                urgency: Urgency::default(),
                requester: RequesterRef {
                    requester_type: RequesterType::Person,
                    phone_masked: None,
                    phone_hash: None,
                    confidential: false,
                },
                requested_at: at,
                registered_at: at,
                registered_by: None,
                follow_up_of: None,
            },
        )
        .await;
        sent.0 += 1;
    }
    if let Some(at) = life.dispatched {
        env.publish(
            "router",
            OrderDispatched {
                order_id,
                number: number.to_owned(),
                unit_id: unit.clone(),
                basis: DispatchBasis::Rule,
                rule_id: None,
                kind: RequestKind::Complaint,
                urgency: Urgency::default(),
                dispatched_at: at,
            },
        )
        .await;
        sent.0 += 1;
        if life.sign_overdue {
            env.publish(
                "deadline-watcher",
                DeadlineOverdue {
                    order_id,
                    clock: DeadlineClock::Sign,
                    unit_id: unit.clone(),
                    case_id: None,
                    due_at: at,
                    detected_at: at,
                },
            )
            .await;
            sent.1 += 1;
        }
    }
    if let Some(at) = life.signed {
        let signed = OrderSigned {
            order_id,
            unit_id: unit.clone(),
            signed_by: "staff".to_owned(),
            signed_at: at,
        };
        env.publish("router", signed).await;
        sent.0 += 1;
    }
    if let Some(at) = life.result {
        let result = OrderResultSubmitted {
            order_id,
            unit_id: unit.clone(),
            result_id: Uuid::now_v7(),
            submitted_by: "staff".to_owned(),
            submitted_at: at,
            checklist: ResultChecklist::complete(),
        };
        env.publish("router", result).await;
        sent.0 += 1;
    }
    if let Some(at) = life.closed {
        let closed = OrderClosed {
            order_id,
            closure: Closure::ResultAccepted,
            closed_by: "reviewer".to_owned(),
            closed_at: at,
        };
        env.publish("supervision", closed).await;
        sent.0 += 1;
    }
    sent
}

async fn monitor(env: &TestEnv, query: MonitorQuery) -> Result<MonitorReport, CallError> {
    hotline_messaging::call(
        &env.client,
        &env.ns,
        ANALYTICS_MONITOR,
        &query,
        &TraceContext::new_root(),
        Duration::from_secs(10),
    )
    .await
}

/// Today's midnight in Beijing, computed here rather than by the service's rules.
fn beijing_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let date = now.with_timezone(&Shanghai).date_naive();
    Shanghai
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn the_monitor_counts_stages_lists_stuck_orders_and_snapshots_the_kpis() {
    let env = TestEnv::new().await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = hotline_analytics::start(
        AnalyticsConfig {
            common: env.common_config(),
            monitor: MonitorSection {
                kpi_snapshot_interval_secs: 1,
                ..MonitorSection::default()
            },
            ..Default::default()
        },
        shutdown.clone(),
    )
    .await
    .unwrap();
    let pool = env.pool().await;

    // Postgres keeps microseconds.
    let now = Utc::now().trunc_subsecs(6);
    let min = chrono::Duration::minutes;
    let h = chrono::Duration::hours;
    let d = chrono::Duration::days;
    let lives = [
        // A: not dispatched after an hour (default: 10 minutes) → stuck.
        (
            "A",
            "520102",
            Life {
                registered: Some(now - h(1)),
                ..Life::default()
            },
        ),
        // B: registered two minutes ago → waiting, not stuck.
        (
            "B",
            "520103",
            Life {
                registered: Some(now - min(2)),
                ..Life::default()
            },
        ),
        // C: the deadline-watcher says the sign-for is overdue → stuck.
        (
            "C",
            "520302",
            Life {
                registered: Some(now - h(3)),
                dispatched: Some(now - h(3) + min(5)),
                sign_overdue: true,
                ..Life::default()
            },
        ),
        // D: dispatched nine minutes ago → waiting for the sign-for, not stuck.
        (
            "D",
            "520102",
            Life {
                registered: Some(now - min(10)),
                dispatched: Some(now - min(9)),
                ..Life::default()
            },
        ),
        // E: signed 40 days ago, no result (more than 15 working days) → stuck.
        (
            "E",
            "520102",
            Life {
                registered: Some(now - d(40)),
                dispatched: Some(now - d(40)),
                signed: Some(now - d(40)),
                ..Life::default()
            },
        ),
        // F: a result two hours ago → awaiting close, not stuck.
        (
            "F",
            "520103",
            Life {
                registered: Some(now - h(5)),
                dispatched: Some(now - h(5)),
                signed: Some(now - h(4)),
                result: Some(now - h(2)),
                ..Life::default()
            },
        ),
        // G: closed now → closed today.
        (
            "G",
            "520102",
            Life {
                registered: Some(now - min(30)),
                dispatched: Some(now - min(29)),
                signed: Some(now - min(28)),
                result: Some(now - min(27)),
                closed: Some(now),
                ..Life::default()
            },
        ),
        // H: registered a week and an hour ago, closed then: only in last week's count.
        (
            "H",
            "520102",
            Life {
                registered: Some(now - d(7) - h(1)),
                closed: Some(now - d(7)),
                ..Life::default()
            },
        ),
    ];
    let (mut facts, mut signals) = (0, 0);
    for (name, region, life) in lives {
        let (f, s) = publish(&env, &format!("{region}2612{name}"), region, life).await;
        facts += f;
        signals += s;
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let f = env.inbox_count(&pool, "analytics", "analytics-facts").await;
        let s = env
            .inbox_count(&pool, "analytics", "analytics-signals")
            .await;
        if f >= facts && s >= signals {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "applied {f}/{facts}, {s}/{signals}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Registrations today and in the same span a week ago, by the test's own clock.
    let midnight = beijing_midnight(now);
    let registered: Vec<DateTime<Utc>> = lives.iter().filter_map(|l| l.2.registered).collect();
    let today = registered
        .iter()
        .filter(|&&r| r >= midnight && r <= now)
        .count() as i64;
    let last_week = registered
        .iter()
        .filter(|&&r| r >= midnight - d(7) && r <= now - d(7))
        .count() as i64;

    let all = monitor(&env, MonitorQuery::default()).await.unwrap();
    assert_eq!(
        all.counts,
        StageCounts {
            awaiting_dispatch: 2,
            awaiting_sign: 2,
            awaiting_result: 1,
            awaiting_close: 1,
            closed_today: 1,
            stuck: 3,
        },
        "{all:?}"
    );
    let stuck: Vec<(&str, Stage)> = all
        .stuck
        .iter()
        .map(|s| (s.number.as_str(), s.stage))
        .collect();
    assert_eq!(
        stuck,
        [
            ("5201022612E", Stage::AwaitingResult),
            ("5203022612C", Stage::AwaitingSign),
            ("5201022612A", Stage::AwaitingDispatch),
        ]
    );
    assert_eq!(all.stuck[2].since, now - h(1));
    assert_eq!(all.stuck[2].expected_by, now - h(1) + min(10));
    assert_eq!(all.stuck[1].unit_id.as_deref(), Some("520302-market"));
    assert!(all.regions.is_empty());
    assert_eq!(
        (
            all.registrations.today,
            all.registrations.same_weekday_last_week
        ),
        (today, last_week)
    );

    // The roll-up by prefecture, and a limit on the stuck list.
    let by_prefecture = monitor(
        &env,
        MonitorQuery {
            rollup: Some(MonitorRollup::Prefecture),
            stuck_limit: Some(2),
            ..MonitorQuery::default()
        },
    )
    .await
    .unwrap();
    let regions: Vec<(&str, StageCounts)> = by_prefecture
        .regions
        .iter()
        .map(|r| (r.region_code.as_str(), r.counts))
        .collect();
    assert_eq!(
        regions,
        [
            (
                "520100",
                StageCounts {
                    awaiting_dispatch: 2,
                    awaiting_sign: 1,
                    awaiting_result: 1,
                    awaiting_close: 1,
                    closed_today: 1,
                    stuck: 2,
                }
            ),
            (
                "520300",
                StageCounts {
                    awaiting_sign: 1,
                    stuck: 1,
                    ..StageCounts::default()
                }
            ),
        ]
    );
    assert_eq!(by_prefecture.stuck.len(), 2);
    assert_eq!(by_prefecture.stuck[0].number, "5201022612E");

    // One division only.
    let zunyi = monitor(
        &env,
        MonitorQuery {
            region_code: Some("520300".to_owned()),
            ..MonitorQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        zunyi.counts,
        StageCounts {
            awaiting_sign: 1,
            stuck: 1,
            ..StageCounts::default()
        }
    );

    // Bad parameters: a typed error naming the field.
    for (query, field) in [
        (
            MonitorQuery {
                region_code: Some("52".to_owned()),
                ..MonitorQuery::default()
            },
            "region_code",
        ),
        (
            MonitorQuery {
                stuck_limit: Some(0),
                ..MonitorQuery::default()
            },
            "stuck_limit",
        ),
    ] {
        match monitor(&env, query).await {
            Err(CallError::Rpc(e)) => {
                assert_eq!(e.code, RpcErrorCode::InvalidRequest);
                assert_eq!(e.fields[0].field, field);
            }
            other => panic!("expected an invalid {field}, got {other:?}"),
        }
    }

    // The KPI snapshot, through the outbox onto the HOTLINE stream: today's cohort.
    let snapshot = env
        .wait_for_event::<AnalyticsKpiSnapshot>(&event::kpi_snapshot("all"), |s| {
            s.day.rows.first().map(|r| r.counts.registered) == Some(today)
        })
        .await;
    assert_eq!(snapshot.data.slice, KpiSlice::All);
    assert_eq!(snapshot.data.day.from, midnight);
    assert!(snapshot.data.month.rows[0].counts.registered >= today);

    // Two replicas in the same interval: one snapshot.
    let replica = KpiSnapshots {
        pool: pool.clone(),
        outbox: Outbox::new("analytics", "analytics", env.ns.clone()),
        slices: vec![KpiSlice::All, KpiSlice::County],
        interval: Duration::from_secs(60),
    };
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 1, 30, 15).unwrap();
    assert_eq!(replica.take(at).await.unwrap(), 2);
    assert_eq!(
        replica
            .take(at + chrono::Duration::seconds(30))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        replica
            .take(at + chrono::Duration::seconds(45))
            .await
            .unwrap(),
        2,
        "the next minute is a new interval"
    );
    let county = env
        .wait_for_event::<AnalyticsKpiSnapshot>(&event::kpi_snapshot("county"), |_| true)
        .await;
    assert_eq!(
        county.data.taken_at,
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 30, 0).unwrap()
    );

    shutdown.cancel();
    tokio::time::timeout(PATIENCE, running.wait())
        .await
        .unwrap();
    pool.close().await;
    env.db.drop_database().await;
}
