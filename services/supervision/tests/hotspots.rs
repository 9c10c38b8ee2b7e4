//! Hot-spot reports (A17.4) against a real nats-server and Postgres: a detected hot spot is
//! reported to its county's government with the units involved and the share of orders
//! whose responsibility was unclear; a repeated detection changes nothing; a later dispute
//! is reported again; the list ranks unclear responsibility first; every report is on the
//! trail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, NaiveDate, Utc};
use hotline_contract::events::{
    DayCount, DispatchBasis, DisputeReason, HotspotDetected, HotspotLevel, HotspotOrder,
    OrderDispatched, OrderDisputed, SupervisionHotspotReported,
};
use hotline_contract::hotspot::{HotspotQuery, HotspotReports, HotspotsQuery};
use hotline_contract::rpc::{RpcErrorCode, verbs};
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_service_test::PATIENCE;
use hotline_test_support::wait_for;
use support::{Supervision, code, field_errors};
use uuid::Uuid;

fn detected(hotspot_id: Uuid, version: u32, region: &str, orders: &[Uuid]) -> HotspotDetected {
    let at = Utc::now() - Duration::hours(1);
    HotspotDetected {
        hotspot_id,
        version,
        region_code: region.to_owned(),
        region_level: if region.len() == 9 {
            HotspotLevel::Township
        } else {
            HotspotLevel::County
        },
        orders: orders
            .iter()
            .enumerate()
            .map(|(i, &order_id)| HotspotOrder {
                order_id,
                number: format!("{}261202{:04}", &region[..6], i + 1),
                registered_at: at,
            })
            .collect(),
        requesters: u32::try_from(orders.len()).unwrap(),
        trend: vec![DayCount {
            day: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            orders: u32::try_from(orders.len()).unwrap(),
        }],
        keywords: vec!["垃圾站".to_owned(), "清运".to_owned()],
        window_days: 7,
        detected_at: Utc::now(),
    }
}

async fn dispatch(s: &Supervision, order_id: Uuid, unit: &str, basis: DispatchBasis) {
    s.env
        .publish(
            "router",
            OrderDispatched {
                order_id,
                number: format!("5201022612{}", &order_id.simple().to_string()[26..]),
                unit_id: unit.to_owned(),
                basis,
                rule_id: None,
                kind: RequestKind::Complaint,
                urgency: Urgency::Normal,
                dispatched_at: Utc::now(),
            },
        )
        .await;
}

async fn reports_published(s: &Supervision) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM supervision.outbox WHERE subject = $1")
        .bind(s.env.ns.subject(event::SUPERVISION_HOTSPOT_REPORTED))
        .fetch_one(&s.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_hot_spot_is_reported_to_its_government_and_again_when_a_unit_disputes() {
    let s = Supervision::start().await;
    let orders: Vec<Uuid> = (0..12).map(|_| Uuid::now_v7()).collect();
    // Ten by rule to the environment bureau, two to the district government for want of a
    // rule (A12.3: unclear unit); the last one is not dispatched yet.
    for &order in &orders[..9] {
        dispatch(&s, order, "520102-env", DispatchBasis::Rule).await;
    }
    for &order in &orders[9..11] {
        dispatch(&s, order, "gov-520102", DispatchBasis::Territorial).await;
    }
    wait_for("the dispatches to be recorded", PATIENCE, || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM supervision.order_responsibility")
            .fetch_one(&s.pool)
            .await
            .unwrap();
        (n == 11).then_some(())
    })
    .await;

    let hotspot_id = Uuid::now_v7();
    s.env
        .publish("intake", detected(hotspot_id, 1, "520102016", &orders))
        .await;
    let first = s
        .env
        .wait_for_event::<SupervisionHotspotReported>(event::SUPERVISION_HOTSPOT_REPORTED, |r| {
            r.hotspot_id == hotspot_id
        })
        .await
        .data;
    assert_eq!(first.version, 1);
    assert_eq!(first.detected_version, 1);
    // A township's hot spot goes to its county's government.
    assert_eq!(first.addressed_to, "gov-520102");
    assert_eq!(first.region_code, "520102016");
    assert_eq!(first.order_count, 12);
    assert_eq!(first.unclear_orders, 2);
    assert!((first.unclear_share - 0.167).abs() < 1e-9);
    let units: Vec<(&str, u32)> = first
        .units
        .iter()
        .map(|u| (u.unit_id.as_str(), u.orders))
        .collect();
    assert_eq!(units, vec![("520102-env", 9), ("gov-520102", 2)]);
    assert_eq!(first.orders[11].unit_id, None);
    assert_eq!(first.keywords, vec!["垃圾站", "清运"]);

    // The same detection again (another envelope, same version): nothing new.
    s.env
        .publish("intake", detected(hotspot_id, 1, "520102016", &orders))
        .await;
    wait_for(
        "the repeated detection to be consumed",
        PATIENCE,
        || async {
            let n = s
                .env
                .inbox_count(&s.pool, "supervision", "supervision-hotspots")
                .await;
            (n == 2).then_some(())
        },
    )
    .await;
    assert_eq!(reports_published(&s).await, 1);

    // The environment bureau disputes one order: responsibility is now unclear for three.
    s.env
        .publish(
            "router",
            OrderDisputed {
                order_id: orders[0],
                dispute_id: Uuid::now_v7(),
                unit_id: "520102-env".to_owned(),
                reason: DisputeReason::NotOurDuty,
                proposed_unit_id: None,
                disputed_by: "env-clerk".to_owned(),
                disputed_at: Utc::now(),
            },
        )
        .await;
    let second = s
        .env
        .wait_for_event::<SupervisionHotspotReported>(event::SUPERVISION_HOTSPOT_REPORTED, |r| {
            r.hotspot_id == hotspot_id && r.version == 2
        })
        .await
        .data;
    assert_eq!(second.unclear_orders, 3);
    assert!(second.orders[0].unclear);

    // Another hot spot, in another county, every order clear: ranked after the first.
    let clear_orders: Vec<Uuid> = (0..15).map(|_| Uuid::now_v7()).collect();
    for &order in &clear_orders {
        dispatch(&s, order, "520103-water", DispatchBasis::Rule).await;
    }
    let clear_id = Uuid::now_v7();
    s.env
        .publish("intake", detected(clear_id, 1, "520103", &clear_orders))
        .await;
    let listed: HotspotReports = wait_for("both reports to be listed", PATIENCE, || async {
        let reply: HotspotReports = s
            .call(verbs::SUPERVISION_HOTSPOTS, &HotspotsQuery::default())
            .await
            .unwrap();
        (reply.items.len() == 2 && reply.items[1].order_count == 15).then_some(reply)
    })
    .await;
    assert_eq!(listed.items[0].hotspot_id, hotspot_id);
    assert_eq!(listed.items[0].version, 2);
    assert_eq!(listed.items[1].hotspot_id, clear_id);
    assert_eq!(listed.items[1].addressed_to, "gov-520103");

    // Filtered by county (a township's hot spot counts for its county).
    let nanming: HotspotReports = s
        .call(
            verbs::SUPERVISION_HOTSPOTS,
            &HotspotsQuery {
                region_code: Some("520102".to_owned()),
                limit: Some(10),
            },
        )
        .await
        .unwrap();
    assert_eq!(nanming.items.len(), 1);
    assert_eq!(nanming.items[0].hotspot_id, hotspot_id);

    // One report, by id; an unknown id and a bad query are typed refusals.
    let one: SupervisionHotspotReported = s
        .call(verbs::SUPERVISION_HOTSPOT, &HotspotQuery { hotspot_id })
        .await
        .unwrap();
    assert_eq!(one, listed.items[0]);
    let unknown = s
        .call::<_, SupervisionHotspotReported>(
            verbs::SUPERVISION_HOTSPOT,
            &HotspotQuery {
                hotspot_id: Uuid::now_v7(),
            },
        )
        .await;
    assert_eq!(code(unknown.unwrap_err()), RpcErrorCode::NotFound);
    let bad = s
        .call::<_, HotspotReports>(
            verbs::SUPERVISION_HOTSPOTS,
            &HotspotsQuery {
                region_code: Some("52".to_owned()),
                limit: Some(500),
            },
        )
        .await;
    let fields = field_errors(bad.unwrap_err());
    assert_eq!(
        fields,
        vec![
            ("limit".to_owned(), "out_of_range".to_owned()),
            ("region_code".to_owned(), "invalid_format".to_owned())
        ]
    );

    // A23: each report is on the trail, and the chain verifies. Both counts in one
    // statement (one snapshot): a report still being made commits both rows at once.
    let (on_trail, published): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM supervision.trail WHERE kind = 'hotspot_reported'), \
                (SELECT count(*) FROM supervision.outbox WHERE subject = $1)",
    )
    .bind(s.env.ns.subject(event::SUPERVISION_HOTSPOT_REPORTED))
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_eq!(on_trail, published);
    assert!(on_trail >= 3);
    hotline_supervision::trail::verify(&s.pool).await.unwrap();
    s.stop().await;
}
