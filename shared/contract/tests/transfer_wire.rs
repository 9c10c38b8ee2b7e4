#![allow(clippy::unwrap_used)]
//! Frozen wire formats of the partner exchange (issue 8): what we send partners, what
//! partners send us, and the transfer outcome events. A failing snapshot means a wire
//! change: make a new event version instead of editing (partners depend on these).

use chrono::{DateTime, TimeZone, Utc};
use hotline_contract::envelope::Envelope;
use hotline_contract::rpc::FieldError;
use hotline_contract::transfer::*;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_contract::{Event, RawEnvelope};
use uuid::Uuid;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
}

const EVENT_ID: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_00ff);
const ORDER: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0001);
const TRANSFER: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0701);

fn event<T: Event + std::fmt::Debug + PartialEq>(data: T) -> serde_json::Value {
    let mut env = Envelope::at("emergency-bridge", data.aggregate_id(), at(12, 0), data);
    env.id = EVENT_ID;
    let bytes = env.to_bytes().unwrap();
    let raw = RawEnvelope::parse(&bytes).unwrap();
    assert_eq!(raw.decode::<T>().unwrap(), env);
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn outbound_transfer_v1() {
    let requested = TransferToPartnerRequested {
        transfer_id: TRANSFER,
        partner_code: "110".to_owned(),
        order_number: "52010220261201000007".to_owned(),
        emergency: true,
        attempt: 2,
        kind: RequestKind::Help,
        category: None,
        region_code: "520102".to_owned(),
        urgency: Urgency::Critical,
        caller: Some(CallerContact {
            phone_masked: Some("138****5678".to_owned()),
            sealed: None,
            withheld: None,
        }),
        requested_at: at(11, 59),
        answer_by: at(12, 1),
    };
    assert_eq!(requested.subject(), "hotline.transfer.110.requested");
    insta::assert_json_snapshot!(serde_json::json!({
        "requested": event(requested),
        "partner_accepted": event(PartnerAccepted {
            transfer_id: TRANSFER,
            partner_code: "110".to_owned(),
            partner_reference: Some("GY-110-0001".to_owned()),
            accepted_at: at(12, 0),
        }),
        "partner_rejected": event(PartnerRejected {
            transfer_id: TRANSFER,
            partner_code: "110".to_owned(),
            reason: "非警情".to_owned(),
            rejected_at: at(12, 0),
        }),
        "order_accepted": event(OrderTransferAccepted {
            order_id: ORDER,
            transfer_id: TRANSFER,
            partner_code: "110".to_owned(),
            partner_reference: None,
            attempts: 1,
            accepted_at: at(12, 0),
        }),
        "order_rejected": event(OrderTransferRejected {
            order_id: ORDER,
            transfer_id: TRANSFER,
            partner_code: "110".to_owned(),
            reason: "非警情".to_owned(),
            rejected_at: at(12, 0),
        }),
        "order_timed_out": event(OrderTransferTimedOut {
            order_id: ORDER,
            order_number: "52010220261201000007".to_owned(),
            transfer_id: TRANSFER,
            partner_code: "110".to_owned(),
            emergency: true,
            attempts: 3,
            fallback_phone: "110".to_owned(),
            instructions: "请立即拨打110".to_owned(),
            timed_out_at: at(12, 3),
        }),
    }));
}

#[test]
fn inbound_transfer_v1() {
    insta::assert_json_snapshot!(serde_json::json!({
        "requested": event(PartnerTransferRequested {
            partner_transfer_id: "GY-110-0002".to_owned(),
            partner_code: "110".to_owned(),
            kind: RequestKind::Complaint,
            matter: "小区噪音扰民".to_owned(),
            region_code: "520102".to_owned(),
            address: None,
            caller_phone: "13800005678".to_owned(),
            caller_name: None,
            urgency: Urgency::Normal,
            requested_at: at(11, 50),
        }),
        "accepted": event(InboundTransferAccepted {
            partner_transfer_id: "GY-110-0002".to_owned(),
            partner_code: "110".to_owned(),
            order_number: "52010220261201000008".to_owned(),
            accepted_at: at(12, 0),
        }),
        "rejected": event(InboundTransferRejected {
            partner_transfer_id: Some("GY-110-0003".to_owned()),
            partner_code: "110".to_owned(),
            reason_code: "invalid_fields".to_owned(),
            reason: "region_code: 区划代码不在贵州省行政区划目录中".to_owned(),
            fields: vec![FieldError {
                field: "region_code".to_owned(),
                code: "unknown".to_owned(),
                message: "区划代码不在贵州省行政区划目录中".to_owned(),
            }],
            rejected_at: at(12, 0),
        }),
    }));
}
