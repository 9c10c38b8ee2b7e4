#![allow(clippy::unwrap_used)]
//! Frozen wire formats of supervision (issue 7): the case escalation event and the desk
//! request bodies. A failing snapshot means a wire change: make a new event version
//! instead of editing.

use chrono::{DateTime, TimeZone, Utc};
use hotline_contract::envelope::Envelope;
use hotline_contract::events::*;
use hotline_contract::supervision_desk::*;
use hotline_contract::{Event, RawEnvelope};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap()
}

const EVENT_ID: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_00ff);
const ORDER: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0001);
const CASE: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0c01);
const PROPOSAL: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0b01);

fn event<T: Event + std::fmt::Debug + PartialEq>(data: T) -> serde_json::Value {
    let mut env = Envelope::at("supervision", data.aggregate_id(), at(12, 0), data);
    env.id = EVENT_ID;
    let bytes = env.to_bytes().unwrap();
    let raw = RawEnvelope::parse(&bytes).unwrap();
    assert_eq!(raw.decode::<T>().unwrap(), env);
    serde_json::from_slice(&bytes).unwrap()
}

fn body<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: T,
) -> serde_json::Value {
    let json = serde_json::to_value(&value).unwrap();
    assert_eq!(serde_json::from_value::<T>(json.clone()).unwrap(), value);
    json
}

#[test]
fn case_escalated_v1() {
    insta::assert_json_snapshot!(event(SupervisionCaseEscalated {
        case_id: CASE,
        order_id: ORDER,
        unit_id: "unit-gy-water".into(),
        from: SupervisionLevel::Notice,
        to: SupervisionLevel::Coordination,
        reason_code: "rectification_overdue".into(),
        escalated_at: at(12, 0),
    }));
}

#[test]
fn desk_bodies() {
    insta::assert_json_snapshot!(serde_json::json!({
        "accept_result": body(AcceptResultCommand {
            order_id: ORDER,
            accepted_by: "reviewer-1".into(),
            role: CenterRole::Reviewer,
        }),
        "acceptance": body(ResultAcceptance {
            order_id: ORDER,
            result_id: ORDER,
            accepted_at: at(9, 30),
        }),
        "propose_send_back": body(ProposeSendBackCommand {
            order_id: ORDER,
            reason_code: "reply_incomplete".into(),
            reasons: "答复未回应诉求".into(),
            failed_items: Vec::new(),
            proposed_by: "reviewer-1".into(),
            role: CenterRole::Reviewer,
        }),
        "proposal": body(SendBackProposal {
            proposal_id: PROPOSAL,
            order_id: ORDER,
            result_id: ORDER,
            unit_id: "unit-gy-water".into(),
            proposed_at: at(9, 0),
        }),
        "approve_send_back": body(ApproveSendBackCommand {
            proposal_id: PROPOSAL,
            approved_by: "head-1".into(),
            role: CenterRole::Head,
        }),
        "approval": body(SendBackApproval {
            proposal_id: PROPOSAL,
            order_id: ORDER,
            outcome: SendBackOutcome::CaseOpened,
            case_id: Some(CASE),
            approved_at: at(10, 0),
        }),
        "open_case": body(OpenCaseCommand {
            order_id: ORDER,
            unit_id: "unit-gy-water".into(),
            reason_code: "refused".into(),
            measure: Some(SupervisionMeasure::Interview),
            opened_by: "reviewer-1".into(),
            role: CenterRole::Reviewer,
        }),
        "case": body(CaseReceipt {
            case_id: CASE,
            order_id: ORDER,
            unit_id: "unit-gy-water".into(),
            level: SupervisionLevel::Authority,
            status: "open".into(),
            at: at(11, 0),
        }),
        "report_rectification": body(ReportRectificationCommand {
            case_id: CASE,
            unit_id: "unit-gy-water".into(),
            report: "已整改".into(),
            reported_by: "clerk-1".into(),
        }),
        "close_case": body(CloseCaseCommand {
            case_id: CASE,
            closed_by: "head-1".into(),
            role: CenterRole::Head,
        }),
    }));
}

#[test]
fn unit_reminded_v1() {
    insta::assert_json_snapshot!(event(SupervisionUnitReminded {
        reminder_id: PROPOSAL,
        order_id: ORDER,
        number: Some("5201022611300001".into()),
        unit_id: "unit-gy-water".into(),
        clock: DeadlineClock::Handling,
        case_id: None,
        due_at: at(18, 0),
        reminded_at: at(12, 0),
    }));
}

#[test]
fn review_item_codes_match_the_serde_form() {
    for item in ReviewItem::ALL {
        assert_eq!(
            serde_json::to_value(item).unwrap(),
            serde_json::json!(item.code())
        );
        assert_eq!(ReviewItem::from_code(item.code()), Some(item));
    }
    assert_eq!(ReviewItem::from_code("unknown"), None);
}

#[test]
fn review_desk_bodies() {
    use hotline_contract::vocabulary::{RequestKind, SatisfactionVerdict};
    let checklist = ResultChecklist {
        basis_given: true,
        findings_given: true,
        reply_given: true,
        promised_by: None,
    };
    let check = RecordedCheck {
        item: ReviewItem::ReplyAnswersMatter,
        passed: false,
        note: Some("答复未回应噪声扰民的时段".into()),
        recorded_by: "reviewer-1".into(),
        recorded_at: at(9, 10),
    };
    let call_back = CallBack {
        call_back_id: CASE,
        result_id: ORDER,
        reached: true,
        verified: "群众确认已有人上门查看".into(),
        verdict: Some(SatisfactionVerdict::Unsatisfied),
        called_by: "reviewer-1".into(),
        called_at: at(9, 20),
    };
    insta::assert_json_snapshot!(serde_json::json!({
        "queue_query": body(ReviewQueueQuery {
            status: ReviewQueueStatus::Pending,
            limit: Some(20),
            after: Some("1796036400000000_0193".into()),
        }),
        "queue": body(ReviewQueue {
            items: vec![ReviewQueueItem {
                order_id: ORDER,
                number: Some("5201022611300001".into()),
                unit_id: "unit-gy-water".into(),
                kind: Some(RequestKind::Complaint),
                result_id: ORDER,
                submitted_at: at(9, 0),
                checklist: Some(checklist.clone()),
                send_back_pending: false,
                proposal_id: None,
            }],
            next_after: None,
        }),
        "record_checklist": body(RecordChecklistCommand {
            order_id: ORDER,
            items: vec![CheckEntry {
                item: ReviewItem::ReplyAnswersMatter,
                passed: false,
                note: Some("答复未回应噪声扰民的时段".into()),
            }],
            poor_handling: Some(true),
            recorded_by: "reviewer-1".into(),
            role: CenterRole::Reviewer,
        }),
        "checklist": body(ReviewChecklist {
            order_id: ORDER,
            result_id: ORDER,
            items: vec![check.clone()],
            missing: vec![ReviewItem::BasisCited],
            poor_handling: true,
            all_passed: false,
            case_id: Some(CASE),
        }),
        "record_call_back": body(RecordCallBackCommand {
            order_id: ORDER,
            reached: true,
            verified: "群众确认已有人上门查看".into(),
            verdict: Some(SatisfactionVerdict::Unsatisfied),
            called_by: "reviewer-1".into(),
            role: CenterRole::Reviewer,
        }),
        "call_back": body(CallBackReceipt {
            order_id: ORDER,
            call_back: call_back.clone(),
            case_id: None,
        }),
        "propose_send_back": body(ProposeSendBackCommand {
            order_id: ORDER,
            reason_code: "reply_off_point".into(),
            reasons: "答复未回应诉求".into(),
            failed_items: vec![ReviewItem::ReplyAnswersMatter],
            proposed_by: "reviewer-1".into(),
            role: CenterRole::Reviewer,
        }),
        "archive_query": body(ArchiveQuery { number: "5201022611300001".into() }),
        "archive": body(ArchiveRecord {
            order_id: ORDER,
            number: Some("5201022611300001".into()),
            unit_id: "unit-gy-water".into(),
            kind: Some(RequestKind::Complaint),
            result_id: ORDER,
            submitted_at: at(9, 0),
            result_checklist: Some(checklist),
            review_checklist: vec![check],
            poor_handling: false,
            call_backs: vec![call_back],
            decision: "accepted".into(),
            decided_by: "reviewer-1".into(),
            decided_at: at(10, 0),
            trail_strand: 0,
            trail_seq: 7,
            trail_hash: "00ff".into(),
        }),
    }));
}

/// The trail got strands later: a record on strand 0 (every record written before) has no
/// `trail_strand` in its JSON, so its stored digest still matches; others name it.
#[test]
fn an_archive_record_names_its_trail_strand_unless_it_is_the_first() {
    let mut record: ArchiveRecord = serde_json::from_value(serde_json::json!({
        "order_id": ORDER, "number": null, "unit_id": "unit-gy-water", "kind": null,
        "result_id": ORDER, "submitted_at": "2026-11-30T01:00:00Z", "result_checklist": null,
        "review_checklist": [], "poor_handling": false, "call_backs": [],
        "decision": "accepted", "decided_by": "rule:complete-result",
        "decided_at": "2026-11-30T02:00:00Z", "trail_seq": 7, "trail_hash": "00ff"
    }))
    .unwrap();
    assert_eq!(record.trail_strand, 0);
    assert!(
        !serde_json::to_string(&record)
            .unwrap()
            .contains("trail_strand")
    );
    record.trail_strand = 5;
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["trail_strand"], 5);
}

/// `proposal_id` came later: a queue item without it (an older supervision) still reads,
/// and one with a pending proposal names it so the head's list can link to the approval.
#[test]
fn review_queue_item_names_the_pending_proposal() {
    let item = ReviewQueueItem {
        order_id: ORDER,
        number: Some("5201022611300001".into()),
        unit_id: "unit-gy-water".into(),
        kind: Some(hotline_contract::vocabulary::RequestKind::Complaint),
        result_id: ORDER,
        submitted_at: at(9, 0),
        checklist: None,
        send_back_pending: true,
        proposal_id: Some(PROPOSAL),
    };
    insta::assert_json_snapshot!(body(item.clone()));
    let mut older = serde_json::to_value(&item).unwrap();
    older.as_object_mut().unwrap().remove("proposal_id");
    let read: ReviewQueueItem = serde_json::from_value(older).unwrap();
    assert_eq!(read.proposal_id, None);
    assert!(read.send_back_pending);
}
