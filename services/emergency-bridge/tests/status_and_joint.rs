#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Partners asking where an order stands, and joint handling (A8), against a real
//! nats-server, Postgres, intake and the router: a handed-over order's status before and
//! after its result; requests about orders that are not the partner's, unknown or
//! malformed are refused naming the problem; a redelivered request is answered once; a
//! joint handling with 110 tells 110, records its step once and forwards ours, and the log
//! lists both sides in time order.

mod support;

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use hotline_contract::envelope::Envelope;
use hotline_contract::events::{Closure, OrderClosed, OrderDispatched};
use hotline_contract::joint::{
    JointHandlingLog, JointHandlingQuery, JointHandlingRequested, JointHandlingStarted, JointSide,
    JointStep, PartnerJointStep, StartJointHandling,
};
use hotline_contract::rpc::{
    ResultReceipt, RpcErrorCode, SignCommand, SignReceipt, SubmitResultCommand, verbs,
};
use hotline_contract::transfer::{
    InboundTransferAccepted, PartnerLink, PartnerMessageRejected, PartnerStatusRequested,
    PartnerTransferRequested, TransferStatus, subject,
};
use hotline_contract::vocabulary::{OrderStatus, RequestKind, Urgency};
use hotline_contract::{Event, RawEnvelope};
use hotline_emergency_bridge::simulator;
use hotline_messaging::CallError;
use hotline_telemetry::TraceContext;
use hotline_test_support::wait_for;
use support::Bridge;
use tokio::sync::mpsc;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);
const PHONE: &str = "13800005678";

fn matter(code: &str, id: &str) -> PartnerTransferRequested {
    PartnerTransferRequested {
        partner_transfer_id: id.to_owned(),
        partner_code: code.to_owned(),
        kind: RequestKind::Complaint,
        matter: "超市销售过期食品，要求处理".to_owned(),
        region_code: "520102".to_owned(),
        address: None,
        caller_phone: PHONE.to_owned(),
        caller_name: None,
        urgency: Urgency::Normal,
        requested_at: Utc::now(),
    }
}

/// Everything we publish to partner `code`, raw (type, data).
async fn partner_inbox(
    bridge: &Bridge,
    code: &str,
) -> mpsc::UnboundedReceiver<(String, serde_json::Value, Vec<u8>)> {
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    let mut sub = client
        .subscribe(bridge.env.ns.subject(&subject::for_partner(code)))
        .await
        .unwrap();
    hotline_messaging::server_barrier(&client).await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _keep = client;
        while let Some(m) = sub.next().await {
            if let Ok(raw) = RawEnvelope::parse(&m.payload) {
                let _ = tx.send((raw.event_type.clone(), raw.data.clone(), m.payload.to_vec()));
            }
        }
    });
    rx
}

/// The next message of type `E` that `matches`.
async fn expect<E: Event>(
    rx: &mut mpsc::UnboundedReceiver<(String, serde_json::Value, Vec<u8>)>,
    matches: impl Fn(&E) -> bool,
) -> (E, Vec<u8>) {
    loop {
        let (ty, data, bytes) = tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("a {} in time", E::TYPE))
            .unwrap();
        if ty == E::TYPE {
            let e: E = serde_json::from_value(data).unwrap();
            if matches(&e) {
                return (e, bytes);
            }
        }
    }
}

/// A partner hands over a matter; returns our order number once the router dispatched it,
/// with the order id and the unit.
async fn handed_over(bridge: &Bridge, code: &str, id: &str) -> (String, Uuid, String) {
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    simulator::send_transfer(&client, &bridge.env.ns, matter(code, id))
        .await
        .unwrap();
    let number = bridge
        .env
        .wait_for_event::<InboundTransferAccepted>(&subject::to_partner_accepted(code), |e| {
            e.partner_transfer_id == id
        })
        .await
        .data
        .order_number;
    let dispatched = bridge
        .env
        .wait_for_event::<OrderDispatched>(
            hotline_contract::subjects::event::ORDER_DISPATCHED,
            |e| e.number == number,
        )
        .await
        .data;
    (number, dispatched.order_id, dispatched.unit_id)
}

async fn stage_is(bridge: &Bridge, order_id: Uuid, status: &str) {
    wait_for(&format!("the bridge sees {status}"), WAIT, || async {
        let pool = bridge.env.pool().await;
        let s: Option<String> = sqlx::query_scalar(
            "SELECT status FROM emergency_bridge.order_stages WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(&pool)
        .await
        .unwrap();
        pool.close().await;
        (s.as_deref() == Some(status)).then_some(())
    })
    .await;
}

async fn call<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
    bridge: &Bridge,
    verb: (&str, &str),
    body: &Req,
) -> Result<Resp, CallError> {
    hotline_messaging::call(
        &bridge.env.client,
        &bridge.env.ns,
        verb,
        body,
        &TraceContext::new_root(),
        Duration::from_secs(10),
    )
    .await
}

fn ask(
    code: &str,
    request_id: &str,
    transfer: Option<&str>,
    number: Option<&str>,
) -> PartnerStatusRequested {
    PartnerStatusRequested {
        request_id: request_id.to_owned(),
        partner_code: code.to_owned(),
        partner_transfer_id: transfer.map(str::to_owned),
        order_number: number.map(str::to_owned),
        requested_at: Utc::now(),
    }
}

#[tokio::test]
async fn a_partner_gets_the_status_of_its_order_before_and_after_the_result() {
    let bridge = Bridge::start_full().await;
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    let mut inbox = partner_inbox(&bridge, "12315").await;
    let (number, order_id, unit_id) = handed_over(&bridge, "12315", "GY-12315-0100").await;
    stage_is(&bridge, order_id, "dispatched").await;

    // Before any result: the status, no outcome.
    let ns = &bridge.env.ns;
    simulator::publish(
        &client,
        ns,
        "12315",
        ask("12315", "Q-1", Some("GY-12315-0100"), None),
    )
    .await
    .unwrap();
    let (before, bytes) = expect::<TransferStatus>(&mut inbox, |s| s.request_id == "Q-1").await;
    assert_eq!(before.order_number, number);
    assert_eq!(before.status, OrderStatus::Dispatched);
    assert_eq!(before.status_label, "已派单");
    assert_eq!(before.link, PartnerLink::FromPartner);
    assert_eq!(before.partner_transfer_id.as_deref(), Some("GY-12315-0100"));
    assert!(before.outcome.is_none());
    assert!(!String::from_utf8_lossy(&bytes).contains(PHONE));

    // The unit signs and answers, the center closes the order.
    let _: SignReceipt = call(
        &bridge,
        verbs::ROUTER_SIGN,
        &SignCommand {
            number: number.clone(),
            unit_id: unit_id.clone(),
            signed_by: "staff-1".to_owned(),
        },
    )
    .await
    .unwrap();
    let reply = "经查，该超市确有过期食品在售，已依法立案查处并责令下架。";
    let _: ResultReceipt = call(
        &bridge,
        verbs::ROUTER_SUBMIT_RESULT,
        &SubmitResultCommand {
            number: number.clone(),
            unit_id: unit_id.clone(),
            submitted_by: "staff-1".to_owned(),
            basis: "《食品安全法》".to_owned(),
            findings: "现场检查发现过期食品".to_owned(),
            reply: reply.to_owned(),
            promised_by: None,
        },
    )
    .await
    .unwrap();
    stage_is(&bridge, order_id, "result_submitted").await;
    // Under review, the result is not given yet (A16).
    simulator::publish(
        &client,
        ns,
        "12315",
        ask("12315", "Q-2", None, Some(&number)),
    )
    .await
    .unwrap();
    let (reviewing, _) = expect::<TransferStatus>(&mut inbox, |s| s.request_id == "Q-2").await;
    assert_eq!(reviewing.status, OrderStatus::ResultSubmitted);
    assert!(reviewing.outcome.is_none());

    let closed_at = Utc::now();
    bridge
        .env
        .publish(
            "supervision",
            OrderClosed {
                order_id,
                closure: Closure::ResultAccepted,
                closed_by: "reviewer-1".to_owned(),
                closed_at,
            },
        )
        .await;
    stage_is(&bridge, order_id, "closed").await;
    simulator::publish(
        &client,
        ns,
        "12315",
        ask("12315", "Q-3", Some("GY-12315-0100"), Some(&number)),
    )
    .await
    .unwrap();
    let (after, bytes) = expect::<TransferStatus>(&mut inbox, |s| s.request_id == "Q-3").await;
    assert_eq!(after.status, OrderStatus::Closed);
    let outcome = after.outcome.expect("the result once closed");
    assert_eq!(outcome.reply, reply);
    assert_eq!(
        outcome.closed_at.timestamp_millis(),
        closed_at.timestamp_millis()
    );
    assert!(!outcome.unit_name.unwrap_or_default().is_empty());
    assert!(!String::from_utf8_lossy(&bytes).contains(PHONE));
    bridge.stop().await;
}

#[tokio::test]
async fn status_requests_that_cannot_be_answered_are_refused_naming_the_problem() {
    let bridge = Bridge::start_full().await;
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    let ns = bridge.env.ns.clone();
    let mut inbox_110 = partner_inbox(&bridge, "110").await;
    let mut inbox_12315 = partner_inbox(&bridge, "12315").await;
    let (number, _, _) = handed_over(&bridge, "12315", "GY-12315-0200").await;

    // 110 asks about 12315's order: not its own.
    simulator::publish(&client, &ns, "110", ask("110", "R-1", None, Some(&number)))
        .await
        .unwrap();
    let (r, _) = expect::<PartnerMessageRejected>(&mut inbox_110, |r| {
        r.message_id.as_deref() == Some("R-1")
    })
    .await;
    assert_eq!(r.reason_code, "not_yours");
    assert_eq!(r.message_type, PartnerStatusRequested::TYPE);
    assert!(!r.reason.contains(PHONE));

    // An id it never sent us.
    simulator::publish(
        &client,
        &ns,
        "110",
        ask("110", "R-2", Some("GY-110-NOPE"), None),
    )
    .await
    .unwrap();
    let (r, _) = expect::<PartnerMessageRejected>(&mut inbox_110, |r| {
        r.message_id.as_deref() == Some("R-2")
    })
    .await;
    assert_eq!(r.reason_code, "unknown_transfer");
    assert!(r.reason.contains("GY-110-NOPE"), "{}", r.reason);

    // Neither an id nor a number: both fields named.
    simulator::publish(&client, &ns, "110", ask("110", "R-3", None, None))
        .await
        .unwrap();
    let (r, _) = expect::<PartnerMessageRejected>(&mut inbox_110, |r| {
        r.message_id.as_deref() == Some("R-3")
    })
    .await;
    assert_eq!(r.reason_code, "invalid_fields");
    let names: Vec<_> = r.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["partner_transfer_id", "order_number"]);

    // Outside the schema: an unknown field is named.
    let mut data = serde_json::to_value(ask("110", "R-4", None, Some(&number))).unwrap();
    data["caller_phone"] = serde_json::json!("13900000000");
    let envelope = serde_json::json!({
        "specversion": "1.0", "id": Uuid::now_v7(), "source": "/partner/110",
        "type": PartnerStatusRequested::TYPE, "subject": "R-4", "time": Utc::now(),
        "datacontenttype": "application/json", "data": data,
    });
    client
        .publish(
            ns.subject(&subject::from_partner_status_requested("110")),
            serde_json::to_vec(&envelope).unwrap().into(),
        )
        .await
        .unwrap();
    hotline_messaging::server_barrier(&client).await.unwrap();
    let (r, _) = expect::<PartnerMessageRejected>(&mut inbox_110, |r| {
        r.message_id.as_deref() == Some("R-4")
    })
    .await;
    assert_eq!(r.reason_code, "invalid_message");
    assert!(r.reason.contains("caller_phone"), "{}", r.reason);

    // The same message delivered twice is answered once; a new message with the same
    // request id is a new question and is answered again.
    let request = ask("12315", "R-5", Some("GY-12315-0200"), None);
    let bytes = Envelope::new("partner-12315", "R-5", request.clone())
        .to_bytes()
        .unwrap();
    let subject = ns.subject(&request.subject());
    for _ in 0..2 {
        client
            .publish(subject.clone(), bytes.clone().into())
            .await
            .unwrap();
    }
    simulator::publish(&client, &ns, "12315", request)
        .await
        .unwrap();
    expect::<TransferStatus>(&mut inbox_12315, |s| s.request_id == "R-5").await;
    expect::<TransferStatus>(&mut inbox_12315, |s| s.request_id == "R-5").await;
    // Same request id → same lane, in order: the duplicate copy was handled before the new
    // message whose answer just arrived, so every answer there is to count is in the outbox.
    let pool = bridge.env.pool().await;
    let answers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM emergency_bridge.outbox WHERE subject LIKE '%hotline.transfer.12315.status' \
         AND convert_from(payload, 'UTF8')::jsonb #>> '{data,request_id}' = 'R-5'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(answers, 2);
    pool.close().await;
    bridge.stop().await;
}

#[tokio::test]
async fn joint_handling_with_110_records_both_sides_in_order_and_a_resent_step_once() {
    let bridge = Bridge::start_full().await;
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    let ns = bridge.env.ns.clone();
    let mut inbox = partner_inbox(&bridge, "110").await;
    let (number, _, unit_id) = handed_over(&bridge, "12315", "GY-12315-0300").await;

    let start = StartJointHandling {
        number: number.clone(),
        partner_code: "110".to_owned(),
        started_by: "agent-7".to_owned(),
        reason: "商户与顾客发生冲突，请110到场协助".to_owned(),
    };
    let started: JointHandlingStarted = call(
        &bridge,
        verbs::EMERGENCY_BRIDGE_START_JOINT_HANDLING,
        &start,
    )
    .await
    .unwrap();
    // Once per order and partner.
    let again = call::<_, JointHandlingStarted>(
        &bridge,
        verbs::EMERGENCY_BRIDGE_START_JOINT_HANDLING,
        &start,
    )
    .await;
    assert!(matches!(again, Err(CallError::Rpc(e)) if e.code == RpcErrorCode::Conflict));
    // A bad command names its fields.
    let bad = StartJointHandling {
        partner_code: "999".to_owned(),
        reason: " ".to_owned(),
        ..start.clone()
    };
    match call::<_, JointHandlingStarted>(
        &bridge,
        verbs::EMERGENCY_BRIDGE_START_JOINT_HANDLING,
        &bad,
    )
    .await
    {
        Err(CallError::Rpc(e)) => {
            assert_eq!(e.code, RpcErrorCode::InvalidRequest);
            assert!(e.fields.iter().any(|f| f.field == "reason"), "{e:?}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    let (requested, bytes) =
        expect::<JointHandlingRequested>(&mut inbox, |r| r.order_number == number).await;
    assert_eq!(requested.joint_id, started.joint_id);
    assert_eq!(requested.reason, start.reason);
    assert!(!String::from_utf8_lossy(&bytes).contains(PHONE));

    // 110's step, delivered twice and sent again with a new message id: recorded once.
    let step = PartnerJointStep {
        step_id: "GY-110-STEP-1".to_owned(),
        partner_code: "110".to_owned(),
        order_number: number.clone(),
        text: "民警已到场，双方情绪已稳定".to_owned(),
        actor: "云岩分局民警王某".to_owned(),
        at: Utc::now(),
    };
    let bytes = Envelope::new("partner-110", "GY-110-STEP-1", step.clone())
        .to_bytes()
        .unwrap();
    for _ in 0..2 {
        client
            .publish(ns.subject(&step.subject()), bytes.clone().into())
            .await
            .unwrap();
    }
    simulator::publish(&client, &ns, "110", step.clone())
        .await
        .unwrap();

    // Our step: the unit signs; 110 is told.
    let _: SignReceipt = call(
        &bridge,
        verbs::ROUTER_SIGN,
        &SignCommand {
            number: number.clone(),
            unit_id,
            signed_by: "staff-2".to_owned(),
        },
    )
    .await
    .unwrap();
    let (signed, _) = expect::<JointStep>(&mut inbox, |s| s.step == "signed").await;
    assert_eq!(signed.joint_id, started.joint_id);
    assert_eq!(signed.actor, "staff-2");

    // A step about an order not handled jointly with 119 is refused.
    let mut inbox_119 = partner_inbox(&bridge, "119").await;
    let stray = PartnerJointStep {
        step_id: "GY-119-1".to_owned(),
        partner_code: "119".to_owned(),
        ..step.clone()
    };
    simulator::publish(&client, &ns, "119", stray)
        .await
        .unwrap();
    let (r, _) = expect::<PartnerMessageRejected>(&mut inbox_119, |r| {
        r.message_id.as_deref() == Some("GY-119-1")
    })
    .await;
    assert_eq!(r.reason_code, "not_joint");

    let log: JointHandlingLog = wait_for("the log with both sides", WAIT, || async {
        let log: JointHandlingLog = call(
            &bridge,
            verbs::EMERGENCY_BRIDGE_JOINT_HANDLING,
            &JointHandlingQuery {
                number: number.clone(),
            },
        )
        .await
        .unwrap();
        (log.steps.len() >= 3).then_some(log)
    })
    .await;
    // Every partner message is applied (inbox: 110's step, its re-send under a new envelope,
    // 119's stray one; the copy of the first envelope is the same inbox row) before the
    // steps are counted.
    let pool = bridge.env.pool().await;
    let durable = hotline_contract::subjects::durable_name("emergency-bridge", "joint-steps");
    wait_for("every partner step message applied", WAIT, || async {
        (bridge
            .env
            .inbox_count(&pool, "emergency_bridge", &durable)
            .await
            >= 3)
            .then_some(())
    })
    .await;
    let steps: Vec<(JointSide, &str)> = log
        .steps
        .iter()
        .map(|s| (s.side, s.step.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            (JointSide::Ours, "joint_requested"),
            (JointSide::Partner, "partner_step"),
            (JointSide::Ours, "signed"),
        ]
    );
    assert_eq!(log.partners.len(), 1);
    assert_eq!(log.partners[0].partner_code, "110");
    let partner_steps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM emergency_bridge.joint_steps WHERE side = 'partner'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(partner_steps, 1);
    pool.close().await;

    // An unknown order number: 404-style error.
    let missing = call::<_, JointHandlingLog>(
        &bridge,
        verbs::EMERGENCY_BRIDGE_JOINT_HANDLING,
        &JointHandlingQuery {
            number: "00000000000000000000".to_owned(),
        },
    )
    .await;
    assert!(matches!(missing, Err(CallError::Rpc(e)) if e.code == RpcErrorCode::NotFound));
    bridge.stop().await;
}

#[tokio::test]
async fn the_simulator_with_joint_ack_acknowledges_a_joint_handling_request_with_a_step() {
    let bridge = Bridge::start_full().await;
    simulator::start_with(
        async_nats::connect(bridge.env.nats.url()).await.unwrap(),
        bridge.env.ns.clone(),
        "110".to_owned(),
        simulator::Options {
            mode: simulator::Mode::Silent,
            joint_ack: true,
            ..Default::default()
        },
        bridge.shutdown.clone(),
    )
    .await
    .unwrap();
    let (number, _, _) = handed_over(&bridge, "12315", "GY-12315-0400").await;
    let _: JointHandlingStarted = call(
        &bridge,
        verbs::EMERGENCY_BRIDGE_START_JOINT_HANDLING,
        &StartJointHandling {
            number: number.clone(),
            partner_code: "110".to_owned(),
            started_by: "agent-7".to_owned(),
            reason: "请110到场协助".to_owned(),
        },
    )
    .await
    .unwrap();
    let step = wait_for(
        "110's acknowledgement in the log",
        Duration::from_secs(20),
        || {
            let (bridge, number) = (&bridge, number.clone());
            async move {
                let log: JointHandlingLog = call(
                    bridge,
                    verbs::EMERGENCY_BRIDGE_JOINT_HANDLING,
                    &JointHandlingQuery { number },
                )
                .await
                .ok()?;
                log.steps.into_iter().find(|s| s.side == JointSide::Partner)
            }
        },
    )
    .await;
    assert_eq!(step.text, simulator::JOINT_ACK_TEXT);
    assert_eq!(step.partner_code, "110");
    bridge.stop().await;
}
