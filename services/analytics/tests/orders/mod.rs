//! Events of one order, as the producing services publish them, for the analytics tests.
#![allow(dead_code)] // each test binary uses its own share

use chrono::{DateTime, Utc};
use hotline_contract::events::{
    Closure, DispatchBasis, OrderClosed, OrderDispatched, OrderRegistered, RequesterRef,
};
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use uuid::Uuid;

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub fn registered(order_id: Uuid, number: &str) -> OrderRegistered {
    OrderRegistered {
        order_id,
        number: number.to_owned(),
        channel: Channel::WebMessage,
        kind: RequestKind::Complaint,
        category: Some("housing".to_owned()),
        region_code: "520102".to_owned(),
        urgency: Urgency::default(),
        requester: RequesterRef {
            requester_type: RequesterType::Person,
            phone_masked: Some("138****1234".to_owned()),
            phone_hash: Some("ab".repeat(32)),
            confidential: false,
        },
        requested_at: at("2026-11-02T00:30:00Z"),
        registered_at: at("2026-11-02T00:31:00Z"),
        registered_by: None,
        follow_up_of: None,
    }
}

pub fn dispatched(order_id: Uuid, number: &str) -> OrderDispatched {
    OrderDispatched {
        order_id,
        number: number.to_owned(),
        unit_id: "unit-nanming-housing".to_owned(),
        basis: DispatchBasis::Territorial,
        rule_id: None,
        kind: RequestKind::Complaint,
        urgency: Urgency::default(),
        dispatched_at: at("2026-11-02T01:00:00Z"),
    }
}

pub fn closed(order_id: Uuid) -> OrderClosed {
    OrderClosed {
        order_id,
        closure: Closure::ResultAccepted,
        closed_by: "rule:complete-result".to_owned(),
        closed_at: at("2026-11-05T08:00:00Z"),
    }
}
