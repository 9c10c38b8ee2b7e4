#![allow(clippy::unwrap_used)]
//! Frozen wire formats of analytics' dynamic monitoring (A20): the KPI snapshot event and
//! the monitor's bodies. A failing snapshot means a wire change: make a new event version
//! instead of editing.

use chrono::{DateTime, TimeZone, Utc};
use hotline_contract::analytics::*;
use hotline_contract::envelope::Envelope;
use hotline_contract::{Event, RawEnvelope};
use uuid::Uuid;

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap()
}

fn report(from: DateTime<Utc>, to: DateTime<Utc>) -> KpiReport {
    KpiReport {
        from,
        to,
        slice: KpiSlice::All,
        rows: vec![KpiRow {
            key: "all".to_owned(),
            counts: KpiCounts {
                registered: 4,
                dispatched: 2,
                signed: 1,
                ..KpiCounts::default()
            },
            on_time_sign_rate: None,
            response_rate: Some(0.5),
            on_time_completion_rate: None,
            resolution_rate: None,
            satisfaction_rate: None,
            direct_answer_rate: Some(0.25),
            dispute_rate: Some(0.0),
            dispatch_accuracy: Some(1.0),
            redo_rate: None,
            repeat_rate: Some(0.0),
            supervision_cases: 0,
            rectification_rate: None,
            average_handling_working_days: None,
        }],
    }
}

#[test]
fn kpi_snapshot_v1() {
    let data = AnalyticsKpiSnapshot {
        slice: KpiSlice::All,
        taken_at: at(3, 4),
        day: report(at(2, 16), at(3, 4)),
        month: report(at(1, 16) - chrono::Duration::days(1), at(3, 4)),
    };
    assert_eq!(data.subject(), "hotline.analytics.kpi.all");
    let mut env = Envelope::at("analytics", data.aggregate_id(), at(3, 4), data);
    env.id = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_00ff);
    let bytes = env.to_bytes().unwrap();
    assert_eq!(
        RawEnvelope::parse(&bytes)
            .unwrap()
            .decode::<AnalyticsKpiSnapshot>()
            .unwrap(),
        env
    );
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    insta::assert_json_snapshot!(json);
}

#[test]
fn slice_codes_are_the_wire_words() {
    for slice in KpiSlice::ALL {
        assert_eq!(
            serde_json::to_value(slice).unwrap(),
            serde_json::Value::from(slice.code())
        );
    }
}

#[test]
fn monitor_bodies() {
    let query = MonitorQuery {
        region_code: Some("520100".to_owned()),
        rollup: Some(MonitorRollup::County),
        stuck_limit: Some(20),
    };
    let counts = StageCounts {
        awaiting_dispatch: 1,
        awaiting_sign: 2,
        awaiting_result: 3,
        awaiting_close: 4,
        closed_today: 5,
        stuck: 2,
    };
    let reply = MonitorReport {
        at: at(3, 4),
        counts,
        regions: vec![RegionStages {
            region_code: "520102".to_owned(),
            counts,
        }],
        stuck: vec![StuckOrder {
            number: "5201022612030001".to_owned(),
            stage: Stage::AwaitingDispatch,
            since: at(3, 1),
            expected_by: at(3, 1) + chrono::Duration::minutes(10),
            region_code: Some("520102".to_owned()),
            unit_id: None,
        }],
        registrations: TodayVsLastWeek {
            today: 3,
            same_weekday_last_week: 2,
            change: Some(0.5),
        },
    };
    insta::assert_json_snapshot!((&query, &reply));
    assert_eq!(
        serde_json::from_value::<MonitorQuery>(serde_json::to_value(&query).unwrap()).unwrap(),
        query
    );
}

#[test]
fn bulletin_published_v1() {
    use hotline_contract::bulletin::{
        BulletinPublished, BulletinSummary, BulletinTrigger, PeriodKind,
    };
    let date = |m: u32, d: u32| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    let data = BulletinPublished {
        summary: BulletinSummary {
            bulletin_id: Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0b01),
            kind: PeriodKind::Month,
            period_start: date(11, 1),
            period_end: date(12, 1),
            edition: 1,
            trigger: BulletinTrigger::Schedule,
            generated_at: at(2, 4),
            complete: true,
            registered: 4,
        },
        totals: report(at(1, 16), at(2, 16)).rows.remove(0),
    };
    assert_eq!(data.subject(), "hotline.analytics.bulletin.published");
    let mut env = Envelope::at("analytics", data.aggregate_id(), at(2, 4), data);
    env.id = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0b02);
    let bytes = env.to_bytes().unwrap();
    assert_eq!(
        RawEnvelope::parse(&bytes)
            .unwrap()
            .decode::<BulletinPublished>()
            .unwrap(),
        env
    );
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    insta::assert_json_snapshot!(json);
}

#[test]
fn period_kinds_are_the_wire_words() {
    use hotline_contract::bulletin::PeriodKind;
    for kind in PeriodKind::ALL {
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            serde_json::Value::from(kind.code())
        );
        assert_eq!(PeriodKind::from_code(kind.code()), Some(kind));
    }
}
