#![allow(clippy::unwrap_used)]
//! Frozen wire formats of the hot spots (A17.4): intake's detection, supervision's report,
//! and the report desk's request bodies. A failing snapshot means a wire change: make a new
//! event version instead of editing.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hotline_contract::envelope::Envelope;
use hotline_contract::events::*;
use hotline_contract::hotspot::*;
use hotline_contract::{Event, RawEnvelope};
use uuid::Uuid;

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap()
}

const EVENT_ID: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_00ff);
const HOTSPOT: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0a01);
const ORDER_1: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0001);
const ORDER_2: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0002);

fn event<T: Event + std::fmt::Debug + PartialEq>(source: &str, data: T) -> serde_json::Value {
    let mut env = Envelope::at(source, data.aggregate_id(), at(3, 12), data);
    env.id = EVENT_ID;
    let bytes = env.to_bytes().unwrap();
    let raw = RawEnvelope::parse(&bytes).unwrap();
    assert_eq!(raw.decode::<T>().unwrap(), env);
    serde_json::from_slice(&bytes).unwrap()
}

fn trend() -> Vec<DayCount> {
    vec![
        DayCount {
            day: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            orders: 1,
        },
        DayCount {
            day: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            orders: 1,
        },
    ]
}

#[test]
fn hotspot_detected_v1() {
    insta::assert_json_snapshot!(event(
        "intake",
        HotspotDetected {
            hotspot_id: HOTSPOT,
            version: 2,
            region_code: "520102016".into(),
            region_level: HotspotLevel::Township,
            orders: vec![
                HotspotOrder {
                    order_id: ORDER_1,
                    number: "5201022612010001".into(),
                    registered_at: at(1, 2),
                },
                HotspotOrder {
                    order_id: ORDER_2,
                    number: "5201022612020001".into(),
                    registered_at: at(2, 3),
                },
            ],
            requesters: 2,
            trend: trend(),
            keywords: vec!["垃圾".into(), "清运".into()],
            window_days: 7,
            detected_at: at(3, 12),
        }
    ));
}

#[test]
fn supervision_hotspot_reported_v1() {
    insta::assert_json_snapshot!(event(
        "supervision",
        SupervisionHotspotReported {
            hotspot_id: HOTSPOT,
            version: 1,
            detected_version: 2,
            addressed_to: "gov-520102".into(),
            region_code: "520102016".into(),
            region_level: HotspotLevel::Township,
            keywords: vec!["垃圾".into(), "清运".into()],
            orders: vec![
                HotspotReportOrder {
                    order_id: ORDER_1,
                    number: "5201022612010001".into(),
                    registered_at: at(1, 2),
                    unit_id: Some("gov-520102".into()),
                    unclear: true,
                },
                HotspotReportOrder {
                    order_id: ORDER_2,
                    number: "5201022612020001".into(),
                    registered_at: at(2, 3),
                    unit_id: None,
                    unclear: false,
                },
            ],
            units: vec![HotspotUnit {
                unit_id: "gov-520102".into(),
                orders: 1,
            }],
            trend: trend(),
            order_count: 2,
            requesters: 2,
            unclear_orders: 1,
            unclear_share: 0.5,
            reported_at: at(3, 12),
        }
    ));
}

#[test]
fn report_desk_bodies() {
    insta::assert_json_snapshot!(serde_json::json!({
        "hotspots": serde_json::to_value(HotspotsQuery {
            region_code: Some("520102".into()),
            limit: Some(20),
        })
        .unwrap(),
        "hotspots_defaults": serde_json::to_value(HotspotsQuery::default()).unwrap(),
        "hotspot": serde_json::to_value(HotspotQuery { hotspot_id: HOTSPOT }).unwrap(),
    }));
}
