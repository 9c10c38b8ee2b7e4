#![allow(clippy::unwrap_used)]
//! Frozen wire formats: one snapshot per event type and per request/reply body.
//! A failing snapshot means a wire change: make a new event version instead of editing.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hotline_contract::envelope::Envelope;
use hotline_contract::events::*;
use hotline_contract::rpc::*;
use hotline_contract::vocabulary::*;
use hotline_contract::{Event, RawEnvelope};
use uuid::Uuid;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, h, m, 0).unwrap()
}

const ORDER: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0001);
const EVENT_ID: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_00ff);

fn envelope<T: Event>(service: &str, data: T) -> Envelope<T> {
    let mut env = Envelope::at(service, data.aggregate_id(), at(12, 0), data);
    env.id = EVENT_ID;
    env
}

fn snapshot<T: Event + std::fmt::Debug + PartialEq>(service: &str, data: T) -> serde_json::Value {
    let env = envelope(service, data);
    // The bytes decode back to the same typed event.
    let bytes = env.to_bytes().unwrap();
    let raw = RawEnvelope::parse(&bytes).unwrap();
    assert_eq!(raw.decode::<T>().unwrap(), env);
    serde_json::from_slice(&bytes).unwrap()
}

fn requester() -> RequesterRef {
    RequesterRef {
        requester_type: RequesterType::Person,
        phone_masked: Some("138****1234".to_owned()),
        phone_hash: Some("9f2c".repeat(16)),
        confidential: false,
    }
}

#[test]
fn order_registered_v1() {
    insta::assert_json_snapshot!(snapshot(
        "intake",
        OrderRegistered {
            order_id: ORDER,
            number: "5201022611270001".to_owned(),
            channel: Channel::WebMessage,
            kind: RequestKind::Complaint,
            category: Some("city.noise".to_owned()),
            region_code: "520102".to_owned(),
            urgency: Urgency::Normal,
            requester: requester(),
            requested_at: at(11, 58),
            registered_at: at(11, 59),
            registered_by: None,
            follow_up_of: None,
        }
    ));
}

#[test]
fn order_dispatched_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        OrderDispatched {
            order_id: ORDER,
            number: "5201022611270001".to_owned(),
            unit_id: "520102-env".to_owned(),
            basis: DispatchBasis::Rule,
            rule_id: Some("rule-city-noise".to_owned()),
            kind: RequestKind::Complaint,
            urgency: Urgency::Normal,
            dispatched_at: at(12, 0),
        }
    ));
}

#[test]
fn order_signed_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        OrderSigned {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            signed_by: "staff-17".to_owned(),
            signed_at: at(13, 0),
        }
    ));
}

#[test]
fn order_result_submitted_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        OrderResultSubmitted {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            result_id: Uuid::from_u128(7),
            submitted_by: "staff-17".to_owned(),
            submitted_at: at(15, 0),
            checklist: ResultChecklist {
                basis_given: true,
                findings_given: true,
                reply_given: true,
                promised_by: Some(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()),
            },
        }
    ));
}

#[test]
fn order_closed_v1() {
    insta::assert_json_snapshot!(snapshot(
        "supervision",
        OrderClosed {
            order_id: ORDER,
            closure: Closure::ResultAccepted,
            closed_by: "rule:complete-result".to_owned(),
            closed_at: at(15, 1),
        }
    ));
}

#[test]
fn deadline_scheduled_v1() {
    insta::assert_json_snapshot!(snapshot(
        "deadline-watcher",
        DeadlineScheduled {
            order_id: ORDER,
            clock: DeadlineClock::Sign,
            unit_id: "520102-env".to_owned(),
            case_id: None,
            started_at: at(12, 0),
            due_at: Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap(),
            policy: "sign-1wd".to_owned(),
        }
    ));
}

#[test]
fn deadline_reminder_v1() {
    insta::assert_json_snapshot!(snapshot(
        "deadline-watcher",
        DeadlineReminder {
            order_id: ORDER,
            clock: DeadlineClock::Handling,
            unit_id: "520102-env".to_owned(),
            case_id: None,
            due_at: at(16, 0),
            reminded_at: at(12, 0),
        }
    ));
}

#[test]
fn deadline_overdue_v1() {
    insta::assert_json_snapshot!(snapshot(
        "deadline-watcher",
        DeadlineOverdue {
            order_id: ORDER,
            clock: DeadlineClock::Sign,
            unit_id: "520102-env".to_owned(),
            case_id: None,
            due_at: at(12, 0),
            detected_at: at(12, 1),
        }
    ));
}

#[test]
fn deadline_rescheduled_v1() {
    insta::assert_json_snapshot!(snapshot(
        "deadline-watcher",
        DeadlineRescheduled {
            order_id: ORDER,
            clock: DeadlineClock::Handling,
            unit_id: "520102-env".to_owned(),
            case_id: None,
            cause: RescheduleCause::Extension,
            previous_due_at: at(16, 0),
            due_at: at(20, 0),
            rescheduled_at: at(12, 0),
        }
    ));
}

#[test]
fn deadline_paused_v1() {
    insta::assert_json_snapshot!(snapshot(
        "deadline-watcher",
        DeadlinePaused {
            order_id: ORDER,
            clock: DeadlineClock::Handling,
            unit_id: "520102-env".to_owned(),
            case_id: None,
            due_at: at(16, 0),
            paused_at: at(12, 0),
        }
    ));
}

#[test]
fn order_extension_granted_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        OrderExtensionGranted {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            extension_id: Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0e01),
            extension: TimeLimit {
                unit: LimitUnit::WorkingDays,
                value: 5,
            },
            reason_code: "needs_site_survey".to_owned(),
            approved_by: "center-head-02".to_owned(),
            granted_at: at(12, 0),
        }
    ));
}

#[test]
fn order_suspended_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        OrderSuspended {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            reason: SuspensionReason::AwaitingAppraisal,
            approved_by: "center-head-02".to_owned(),
            suspended_at: at(12, 0),
        }
    ));
}

#[test]
fn order_resumed_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        OrderResumed {
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            resumed_at: at(12, 0),
        }
    ));
}

#[test]
fn order_co_handling_assigned_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        OrderCoHandlingAssigned {
            order_id: ORDER,
            lead_unit_id: "520102-env".to_owned(),
            unit_id: "520102-housing".to_owned(),
            assigned_at: at(12, 0),
        }
    ));
}

#[test]
fn order_co_handling_reported_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        OrderCoHandlingReported {
            order_id: ORDER,
            lead_unit_id: "520102-env".to_owned(),
            unit_id: "520102-housing".to_owned(),
            reported_at: at(12, 0),
        }
    ));
}

const CASE: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0c01);

#[test]
fn supervision_case_opened_v1() {
    insta::assert_json_snapshot!(snapshot(
        "supervision",
        SupervisionCaseOpened {
            case_id: CASE,
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            measure: SupervisionMeasure::Notice,
            reason_code: "overdue".to_owned(),
            opened_at: at(12, 0),
        }
    ));
}

#[test]
fn supervision_rectification_reported_v1() {
    insta::assert_json_snapshot!(snapshot(
        "supervision",
        SupervisionRectificationReported {
            case_id: CASE,
            order_id: ORDER,
            unit_id: "520102-env".to_owned(),
            reported_at: at(12, 0),
        }
    ));
}

#[test]
fn supervision_case_closed_v1() {
    insta::assert_json_snapshot!(snapshot(
        "supervision",
        SupervisionCaseClosed {
            case_id: CASE,
            order_id: ORDER,
            closed_at: at(12, 0),
        }
    ));
}

#[test]
fn deadline_overdue_v1_on_a_rectification_clock() {
    insta::assert_json_snapshot!(snapshot(
        "deadline-watcher",
        DeadlineOverdue {
            order_id: ORDER,
            clock: DeadlineClock::Rectification,
            unit_id: "520102-env".to_owned(),
            case_id: Some(CASE),
            due_at: at(12, 0),
            detected_at: at(12, 1),
        }
    ));
}

#[test]
fn dead_letter_recorded_v1() {
    insta::assert_json_snapshot!(snapshot(
        "router",
        DeadLetterRecorded {
            service: "router".to_owned(),
            consumer: "router-dispatch".to_owned(),
            original_subject: "hotline.order.registered".to_owned(),
            message_id: "seq:42".to_owned(),
            stream_sequence: Some(42),
            reason: "message is not a CloudEvents JSON envelope".to_owned(),
            payload: "not json".to_owned(),
            recorded_at: at(12, 2),
        }
    ));
}

#[test]
fn rpc_replies() {
    let ok: RpcReply<SignReceipt> = RpcReply::Ok(SignReceipt {
        order_id: ORDER,
        number: "5201022611270001".to_owned(),
        signed_at: at(13, 0),
    });
    let err: RpcReply<SignReceipt> = RpcReply::Error(RpcError::invalid(vec![FieldError {
        field: "unit_id".to_owned(),
        code: "required".to_owned(),
        message: "必须填写承办单位".to_owned(),
    }]));
    insta::assert_json_snapshot!("rpc_ok", ok);
    insta::assert_json_snapshot!("rpc_error", err);
}

#[test]
fn rpc_requests() {
    insta::assert_json_snapshot!(
        "progress_query",
        ProgressQuery {
            number: "5201022611270001".to_owned(),
            check_code: "483920".to_owned(),
        }
    );
    insta::assert_json_snapshot!(
        "submit_result_command",
        SubmitResultCommand {
            number: "5201022611270001".to_owned(),
            unit_id: "520102-env".to_owned(),
            submitted_by: "staff-17".to_owned(),
            basis: "《环境噪声污染防治法》".to_owned(),
            findings: "经现场核查，噪声来源为夜间施工。".to_owned(),
            reply: "已责令施工单位停止夜间施工。".to_owned(),
            promised_by: None,
        }
    );
    insta::assert_json_snapshot!(
        "progress_view",
        ProgressView {
            number: "5201022611270001".to_owned(),
            status: OrderStatus::Closed,
            status_label: OrderStatus::Closed.label_zh().to_owned(),
            kind: RequestKind::Complaint,
            channel: Channel::WebMessage,
            registered_at: at(11, 59),
            updated_at: at(15, 1),
            sign_due_at: None,
            expected_completion_at: None,
            reply: Some("已责令施工单位停止夜间施工。".to_owned()),
            transfer_note: None,
            history: vec![ProgressStep {
                status: OrderStatus::Registered,
                at: at(11, 59),
            }],
        }
    );
}

#[test]
fn an_old_consumer_rejects_an_unknown_type_instead_of_misreading_it() {
    let env = envelope(
        "router",
        OrderSigned {
            order_id: ORDER,
            unit_id: "u".to_owned(),
            signed_by: "s".to_owned(),
            signed_at: at(13, 0),
        },
    );
    let raw = RawEnvelope::parse(&env.to_bytes().unwrap()).unwrap();
    assert!(raw.decode::<OrderClosed>().is_err());
}

fn registration() -> OrderRegistered {
    OrderRegistered {
        order_id: ORDER,
        number: "5201022611270002".to_owned(),
        channel: Channel::Phone,
        kind: RequestKind::Consultation,
        category: None,
        region_code: "520102".to_owned(),
        urgency: Urgency::Normal,
        requester: requester(),
        requested_at: at(11, 58),
        registered_at: at(11, 59),
        registered_by: Some("agent-7".to_owned()),
        follow_up_of: None,
    }
}

#[test]
fn order_registered_v1_as_a_follow_up() {
    let mut r = registration();
    r.follow_up_of = Some(Uuid::from_u128(9));
    insta::assert_json_snapshot!(snapshot("intake", r));
}

#[test]
fn order_answered_v1() {
    insta::assert_json_snapshot!(snapshot(
        "intake",
        OrderAnswered {
            registration: registration(),
            article_id: "kb-social-insurance-subsidy".to_owned(),
            article_version: 3,
            answered_by: "agent-7".to_owned(),
            answered_at: at(12, 0),
        }
    ));
}

#[test]
fn order_redirected_v1() {
    insta::assert_json_snapshot!(snapshot(
        "intake",
        OrderRedirected {
            registration: registration(),
            reason: RedirectReason::Litigation,
            decided_by: "agent-7".to_owned(),
            redirected_at: at(12, 0),
        }
    ));
}

#[test]
fn order_repeat_linked_v1() {
    insta::assert_json_snapshot!(snapshot(
        "intake",
        OrderRepeatLinked {
            registration: registration(),
            earlier_order_id: Uuid::from_u128(9),
            earlier_number: "5201022611200007".to_owned(),
            decided_by: "agent-7".to_owned(),
            linked_at: at(12, 0),
        }
    ));
}

#[test]
fn order_transfer_requested_v1() {
    insta::assert_json_snapshot!(snapshot(
        "intake",
        OrderTransferRequested {
            registration: registration(),
            partner_code: "119".to_owned(),
            emergency: true,
            requested_by: "rule:emergency-keywords".to_owned(),
            requested_at: at(12, 0),
        }
    ));
}

#[test]
fn register_order_with_triage() {
    let body = serde_json::json!({
        "channel": "phone", "kind": "consultation", "agent_id": "agent-7",
        "requester": {"type": "person", "phone": "13812345678"},
        "matter": "社保补贴怎么申请？", "region_code": "520102",
        "triage": {"disposition": "answer", "article_id": "kb-1", "article_version": 2}
    });
    let parsed: RegisterOrder = serde_json::from_value(body).unwrap();
    insta::assert_json_snapshot!("register_order_with_triage", parsed);
    insta::assert_json_snapshot!(
        "registration_receipt",
        RegistrationReceipt {
            order_id: ORDER,
            number: "5201022611270002".to_owned(),
            check_code: "483920".to_owned(),
            registered_at: at(11, 59),
            disposition: Disposition::TransferRequested,
            notice: Some("如遇火情，请立即拨打119火警电话。".to_owned()),
        }
    );
}

#[test]
fn order_satisfaction_recorded_v1() {
    insta::assert_json_snapshot!(snapshot(
        "intake",
        OrderSatisfactionRecorded {
            order_id: ORDER,
            verdict: SatisfactionVerdict::BasicallySatisfied,
            resolved: true,
            via: VisitChannel::AgentCallback,
            recorded_by: "agent-7".to_owned(),
            recorded_at: at(16, 0),
        }
    ));
}

#[test]
fn deadline_watcher_calendar_queries() {
    let from = Utc.with_ymd_and_hms(2026, 9, 30, 2, 0, 0).unwrap();
    let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    insta::assert_json_snapshot!(
        "due_query_working_days",
        DueQuery {
            from,
            working_days: Some(1),
            hours: None,
        }
    );
    insta::assert_json_snapshot!(
        "due_query_hours",
        DueQuery {
            from,
            working_days: None,
            hours: Some(24),
        }
    );
    insta::assert_json_snapshot!(
        "due_answer",
        DueAnswer {
            from,
            due_at: Utc.with_ymd_and_hms(2026, 10, 8, 16, 0, 0).unwrap(),
            rule: DueRule::WorkingDays,
            n: 1,
            last_working_day: Some(date(10, 8)),
        }
    );
    insta::assert_json_snapshot!("calendar_query", CalendarQuery { year: 2026 });
    insta::assert_json_snapshot!(
        "calendar_year",
        CalendarYear {
            year: 2026,
            working_days: 1,
            days: vec![
                CalendarDay {
                    date: date(10, 7),
                    working: false,
                    holiday: Some("国庆节".to_owned()),
                    adjusted_working_day: false,
                },
                CalendarDay {
                    date: date(10, 10),
                    working: true,
                    holiday: Some("国庆节".to_owned()),
                    adjusted_working_day: true,
                },
                CalendarDay {
                    date: date(10, 11),
                    working: false,
                    holiday: None,
                    adjusted_working_day: false,
                },
            ],
        }
    );
    let missing: RpcReply<DueAnswer> = RpcReply::Error(RpcError::calendar_year_missing(2027));
    insta::assert_json_snapshot!("rpc_error_calendar_year_missing", missing);
}

#[test]
fn order_deadlines() {
    insta::assert_json_snapshot!(
        "order_deadlines_query",
        OrderDeadlinesQuery { order_id: ORDER }
    );
    insta::assert_json_snapshot!(
        "order_deadlines",
        OrderDeadlines {
            order_id: ORDER,
            clocks: vec![
                ClockView {
                    clock: DeadlineClock::Sign,
                    unit_id: "520102-env".to_owned(),
                    case_id: None,
                    state: ClockState::Met,
                    started_at: at(9, 0),
                    due_at: at(16, 0),
                    policy: "sign@v1".to_owned(),
                    paused_at: None,
                    changes: vec![],
                    working_days_left: None,
                },
                ClockView {
                    clock: DeadlineClock::Handling,
                    unit_id: "520102-env".to_owned(),
                    case_id: None,
                    state: ClockState::Paused,
                    started_at: at(10, 0),
                    due_at: at(20, 0),
                    policy: "handling-complaint-normal@v1".to_owned(),
                    paused_at: Some(at(12, 0)),
                    changes: vec![
                        ClockChange {
                            change: "extended".to_owned(),
                            previous_due_at: at(18, 0),
                            due_at: at(20, 0),
                            reason: Some("needs_site_survey".to_owned()),
                            decided_by: Some("center-head-02".to_owned()),
                            changed_at: at(11, 0),
                        },
                        ClockChange {
                            change: "paused".to_owned(),
                            previous_due_at: at(20, 0),
                            due_at: at(20, 0),
                            reason: Some("awaiting_appraisal".to_owned()),
                            decided_by: Some("center-head-02".to_owned()),
                            changed_at: at(12, 0),
                        },
                    ],
                    working_days_left: None,
                },
            ],
        }
    );
}

#[test]
fn a_running_clock_carries_its_working_days_left_and_older_replies_still_parse() {
    let running = ClockView {
        clock: DeadlineClock::Handling,
        unit_id: "520102-env".to_owned(),
        case_id: None,
        state: ClockState::Running,
        started_at: at(10, 0),
        due_at: at(20, 0),
        policy: "handling-complaint-normal@v1".to_owned(),
        paused_at: None,
        changes: vec![],
        working_days_left: Some(3),
    };
    let json = serde_json::to_value(&running).unwrap();
    assert_eq!(json["working_days_left"], 3);
    // A reply of a deadline-watcher from before the field: no count, the desk falls back
    // to the wall-clock time.
    let mut older = json.clone();
    older.as_object_mut().unwrap().remove("working_days_left");
    let parsed: ClockView = serde_json::from_value(older).unwrap();
    assert_eq!(parsed.working_days_left, None);
    assert_eq!(
        parsed,
        ClockView {
            working_days_left: None,
            ..running
        }
    );
}
