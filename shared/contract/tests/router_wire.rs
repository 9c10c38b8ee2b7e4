#![allow(clippy::unwrap_used)]
//! Frozen wire formats of the router's desks (issue 5): the dispute, redispatch,
//! consultation, progress, extension and send-back events, and the desk request bodies.
//! A failing snapshot means a wire change: make a new event version instead of editing.

use chrono::{DateTime, TimeZone, Utc};
use hotline_contract::dispatch_desk::*;
use hotline_contract::envelope::Envelope;
use hotline_contract::events::*;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_contract::{Event, RawEnvelope};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap()
}

const EVENT_ID: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_00ff);
const ORDER: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0001);
const DISPUTE: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0d01);
const REQUEST: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0e01);

fn event<T: Event + std::fmt::Debug + PartialEq>(service: &str, data: T) -> serde_json::Value {
    let mut env = Envelope::at(service, data.aggregate_id(), at(12, 0), data);
    env.id = EVENT_ID;
    let bytes = env.to_bytes().unwrap();
    let raw = RawEnvelope::parse(&bytes).unwrap();
    assert_eq!(raw.decode::<T>().unwrap(), env);
    serde_json::from_slice(&bytes).unwrap()
}

/// The body as JSON, after checking that it decodes back to itself.
fn body<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: T,
) -> serde_json::Value {
    let json = serde_json::to_value(&value).unwrap();
    assert_eq!(serde_json::from_value::<T>(json.clone()).unwrap(), value);
    json
}

#[test]
fn order_disputed_v1() {
    insta::assert_json_snapshot!(event(
        "router",
        OrderDisputed {
            order_id: ORDER,
            dispute_id: DISPUTE,
            unit_id: "520102-env".to_owned(),
            reason: DisputeReason::NotOurDuty,
            proposed_unit_id: Some("520102-market".to_owned()),
            disputed_by: "env-staff-1".to_owned(),
            disputed_at: at(10, 0),
        }
    ));
}

#[test]
fn order_dispute_escalated_v1() {
    insta::assert_json_snapshot!(event(
        "router",
        OrderDisputeEscalated {
            order_id: ORDER,
            dispute_id: DISPUTE,
            unit_id: "520102-env".to_owned(),
            cause: EscalationCause::Timeout,
            escalated_by: "rule:dispute-timeout".to_owned(),
            escalated_at: at(11, 0),
        }
    ));
}

#[test]
fn order_dispute_resolved_v1() {
    insta::assert_json_snapshot!(event(
        "router",
        OrderDisputeResolved {
            order_id: ORDER,
            dispute_id: DISPUTE,
            unit_id: "520102-env".to_owned(),
            outcome: DisputeOutcome::Redispatched,
            decider: DisputeDecider::Center,
            decided_unit_id: "520102-market".to_owned(),
            decided_by: "center-07".to_owned(),
            decided_at: at(11, 30),
        }
    ));
}

#[test]
fn order_dispute_marked_improper_v1() {
    insta::assert_json_snapshot!(event(
        "router",
        OrderDisputeMarkedImproper {
            order_id: ORDER,
            dispute_id: DISPUTE,
            unit_id: "520102-env".to_owned(),
            reason: DisputeReason::NotOurTerritory,
            decided_by: "authority-3".to_owned(),
            marked_at: at(11, 45),
        }
    ));
}

#[test]
fn order_redispatched_v1() {
    insta::assert_json_snapshot!(event(
        "router",
        OrderRedispatched {
            order_id: ORDER,
            number: "5201022611300001".to_owned(),
            dispatch_id: REQUEST,
            from_unit_id: "520102-env".to_owned(),
            unit_id: "520102-market".to_owned(),
            dispute_id: Some(DISPUTE),
            kind: RequestKind::Complaint,
            urgency: Urgency::Normal,
            decided_by: "center-07".to_owned(),
            redispatched_at: at(11, 30),
        }
    ));
}

#[test]
fn order_consultation_opened_v1() {
    insta::assert_json_snapshot!(event(
        "router",
        OrderConsultationOpened {
            order_id: ORDER,
            number: "5200002611300001".to_owned(),
            category: Some("roads.potholes".to_owned()),
            region_code: "520000".to_owned(),
            opened_at: at(9, 0),
        }
    ));
}

#[test]
fn order_progress_reported_v1() {
    insta::assert_json_snapshot!(event(
        "router",
        OrderProgressReported {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            report_id: REQUEST,
            reason_code: "needs_noise_measurement".to_owned(),
            reported_by: "env-staff-1".to_owned(),
            reported_at: at(14, 0),
        }
    ));
}

#[test]
fn order_extension_requested_and_refused_v1() {
    insta::assert_json_snapshot!(event(
        "router",
        OrderExtensionRequested {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            extension_id: REQUEST,
            extension: TimeLimit {
                unit: LimitUnit::WorkingDays,
                value: 5,
            },
            reason_code: "needs_noise_measurement".to_owned(),
            requested_by: "env-staff-1".to_owned(),
            requested_at: at(14, 5),
        }
    ));
    insta::assert_json_snapshot!(event(
        "router",
        OrderExtensionRefused {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            extension_id: REQUEST,
            refused_by: "center-head-02".to_owned(),
            refused_at: at(15, 0),
        }
    ));
}

#[test]
fn order_sent_back_v1() {
    insta::assert_json_snapshot!(event(
        "supervision",
        OrderSentBack {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            result_id: REQUEST,
            reason_code: "reply_incomplete".to_owned(),
            sent_back_by: "center-head-02".to_owned(),
            sent_back_at: at(16, 0),
        }
    ));
}

#[test]
fn dispute_commands_and_decision() {
    insta::assert_json_snapshot!(body(DisputeCommand {
        number: "5201022611300001".to_owned(),
        unit_id: "520102-env".to_owned(),
        reason: DisputeReason::HandledElsewhere,
        explanation: "该事项已由市场监管部门立案处理。".to_owned(),
        proposed_unit_id: None,
        disputed_by: "env-staff-1".to_owned(),
    }));
    insta::assert_json_snapshot!(body(DecideDisputeCommand {
        dispute_id: DISPUTE,
        decider: DisputeDecider::Authority,
        outcome: DisputeOutcome::Upheld,
        unit_id: None,
        decided_by: "authority-3".to_owned(),
    }));
    insta::assert_json_snapshot!(body(DisputeDecision {
        dispute_id: DISPUTE,
        order_id: ORDER,
        outcome: DisputeOutcome::Upheld,
        decider: DisputeDecider::Authority,
        unit_id: "520102-env".to_owned(),
        improper: true,
        decided_at: at(11, 45),
    }));
}

#[test]
fn co_handling_extension_and_consultation_commands() {
    insta::assert_json_snapshot!(body(AssignCoHandlingCommand {
        number: "5201022611300001".to_owned(),
        unit_ids: vec!["520102-housing".to_owned(), "520102-market".to_owned()],
        assigned_by: "center-07".to_owned(),
    }));
    insta::assert_json_snapshot!(body(RequestExtensionCommand {
        number: "5201022611300001".to_owned(),
        unit_id: "520102-env".to_owned(),
        extension: TimeLimit {
            unit: LimitUnit::Hours,
            value: 48,
        },
        reason_code: "needs_noise_measurement".to_owned(),
        explanation: "检测机构排期。".to_owned(),
        requested_by: "env-staff-1".to_owned(),
    }));
    insta::assert_json_snapshot!(body(DecideConsultationCommand {
        number: "5200002611300001".to_owned(),
        lead_unit_id: "520100-transport".to_owned(),
        co_unit_ids: vec!["520102-housing".to_owned()],
        decided_by: "center-07".to_owned(),
    }));
}

#[test]
fn dispatch_accuracy_reply() {
    let line = |key: &str, n, changed, accuracy| AccuracyLine {
        key: key.to_owned(),
        dispatches: n,
        changed_after_dispute: changed,
        accuracy,
    };
    insta::assert_json_snapshot!(body(DispatchAccuracy {
        overall: line("all", 4, 1, 0.75),
        by_category: vec![line("environment.noise", 4, 1, 0.75)],
        by_dispatcher: vec![line("rule:520102:environment.noise", 4, 1, 0.75)],
    }));
}
