#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Partner hotlines end to end (issue 8; A8, A10.1): every service running, partners
//! simulated with the bridge's partner kit over plain NATS.
//!
//! - Out: a web message about a knife attack is triaged by intake's emergency keywords to
//!   110; the bridge hands it to the (simulated) 110, which accepts; the acceptance is
//!   recorded on the order (`order.transfer_accepted`, the bridge's transfer row).
//! - In: a sub-center hotline (12315) hands us a matter; the bridge registers it through
//!   intake and answers with our order number, whose public progress the caller can read
//!   with the last four digits of the phone (A11).
//! - Status and joint handling (A8): 12315 asks where its matter stands and gets the
//!   status; the center handles the order jointly with 110 through the gateway, 110's step
//!   shows in the log.

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use hotline_contract::joint::{JointHandlingRequested, PartnerJointStep};
use hotline_contract::transfer::{
    InboundTransferAccepted, OrderTransferAccepted, PartnerStatusRequested,
    PartnerTransferRequested, TransferStatus, subject,
};
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_contract::{Namespace, RawEnvelope};
use hotline_e2e::{Role, Stack};
use hotline_emergency_bridge::simulator::{self, Mode};
use hotline_test_support::wait_for;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(30);

async fn submit(stack: &Stack, body: &Value) -> Value {
    let r = reqwest::Client::new()
        .post(stack.url("/api/v1/orders"))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// Subscribe (plain NATS) to `subject` (un-namespaced) and decode what arrives as `E`.
async fn listen<E: hotline_contract::Event + Send + 'static>(
    client: &async_nats::Client,
    ns: &Namespace,
    subject: &str,
) -> mpsc::UnboundedReceiver<E> {
    let mut sub = client.subscribe(ns.subject(subject)).await.unwrap();
    hotline_messaging::server_barrier(client).await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(m) = sub.next().await {
            if let Ok(env) = RawEnvelope::parse(&m.payload).and_then(|raw| raw.decode::<E>()) {
                let _ = tx.send(env.data);
            }
        }
    });
    rx
}

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("{what} in time"))
        .expect("subscription open")
}

/// 12315 hands us a matter (A8): the stack set up, listening for our acceptance.
async fn hand_over_from_12315(
    stack: &Stack,
    id: &str,
    matter: &str,
) -> (Namespace, async_nats::Client, String) {
    let ns = Namespace::new(stack.namespace.clone()).unwrap();
    let client = async_nats::connect(stack.nats.url()).await.unwrap();
    let mut answers =
        listen::<InboundTransferAccepted>(&client, &ns, &subject::to_partner_accepted("12315"))
            .await;
    simulator::send_transfer(
        &client,
        &ns,
        PartnerTransferRequested {
            partner_transfer_id: id.to_owned(),
            partner_code: "12315".to_owned(),
            kind: RequestKind::Complaint,
            matter: matter.to_owned(),
            region_code: "520102".to_owned(),
            address: None,
            caller_phone: "13800005678".to_owned(),
            caller_name: None,
            urgency: Urgency::Normal,
            requested_at: Utc::now(),
        },
    )
    .await
    .unwrap();
    let answer = recv(
        &mut answers,
        "our acceptance on hotline.transfer.12315.accepted",
    )
    .await;
    assert_eq!(answer.partner_transfer_id, id);
    assert_eq!(answer.partner_code, "12315");
    (ns, client, answer.order_number)
}

#[tokio::test]
async fn a_web_message_about_a_knife_attack_reaches_110_which_accepts_and_the_order_records_it() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let ns = Namespace::new(stack.namespace.clone()).unwrap();
    let client = async_nats::connect(stack.nats.url()).await.unwrap();
    let partner_stop = CancellationToken::new();
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    simulator::start(
        client.clone(),
        ns.clone(),
        "110".to_owned(),
        Mode::Accept,
        Some(seen_tx),
        partner_stop.clone(),
    )
    .await
    .unwrap();
    let mut accepted =
        listen::<OrderTransferAccepted>(&client, &ns, subject::ORDER_TRANSFER_ACCEPTED).await;

    let receipt = submit(
        &stack,
        &json!({
            "channel": "web_message", "kind": "help",
            "requester": {"type": "person", "phone": "13987654321"},
            "matter": "有人持刀在小区门口", "region_code": "520102",
        }),
    )
    .await;
    assert_eq!(receipt["disposition"], "transfer_requested", "{receipt}");
    assert!(
        receipt["notice"].as_str().unwrap().contains("110"),
        "{receipt}"
    );
    let number = receipt["number"].as_str().unwrap();
    let order_id: uuid::Uuid = receipt["order_id"].as_str().unwrap().parse().unwrap();

    // The partner gets the emergency, with the caller's phone masked only (A10.1, A21).
    let sent = recv(&mut seen, "110 receives the transfer").await;
    assert_eq!(sent.order_number, number);
    assert!(sent.emergency);
    assert_eq!(sent.attempt, 1);
    assert_eq!(
        sent.caller.unwrap().phone_masked.as_deref(),
        Some("139****4321")
    );

    // Its acceptance is recorded on the order.
    let outcome = loop {
        let e = recv(&mut accepted, "order.transfer_accepted").await;
        if e.order_id == order_id {
            break e;
        }
    };
    assert_eq!(outcome.partner_code, "110");
    assert_eq!(outcome.transfer_id, sent.transfer_id);
    assert_eq!(outcome.attempts, 1);
    assert!(
        outcome
            .partner_reference
            .as_deref()
            .unwrap()
            .starts_with("SIM-110-")
    );
    let pool = stack.db.pool().await;
    let (status, partner_reference): (String, Option<String>) = sqlx::query_as(
        "SELECT status, partner_reference FROM emergency_bridge.outbound_transfers WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "accepted");
    assert_eq!(partner_reference, outcome.partner_reference);
    pool.close().await;
    partner_stop.cancel();
    stack.stop().await;
}

#[tokio::test]
async fn a_matter_handed_over_by_12315_becomes_an_order_whose_progress_the_caller_can_read() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let (_, _, number) =
        hand_over_from_12315(&stack, "GY-12315-0042", "超市销售过期食品，要求处理").await;

    // The caller reads the progress with the number and the phone's last four digits.
    let view = wait_for("the public progress view", WAIT, || async {
        stack.public_view(&number, "5678").await
    })
    .await;
    assert_eq!(view["number"], number.as_str(), "{view}");
    assert!(view["status"].is_string(), "{view}");
    // A wrong check code reveals nothing.
    assert!(stack.public_view(&number, "0000").await.is_none());
    stack.stop().await;
}

#[tokio::test]
async fn a_12315_hand_over_can_be_asked_about_and_handled_jointly_with_110_via_the_gateway() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let (ns, client, number) =
        hand_over_from_12315(&stack, "GY-12315-0077", "商户强买强卖并与顾客发生冲突").await;
    let mut joint_requests =
        listen::<JointHandlingRequested>(&client, &ns, &subject::to_partner_joint_requested("110"))
            .await;

    // 12315 asks where its matter stands, by its own id.
    let answer = wait_for("a status answer", WAIT, || {
        let (client, ns) = (client.clone(), ns.clone());
        async move {
            let request = PartnerStatusRequested {
                request_id: uuid::Uuid::now_v7().to_string(),
                partner_code: "12315".to_owned(),
                partner_transfer_id: Some("GY-12315-0077".to_owned()),
                order_number: None,
                requested_at: Utc::now(),
            };
            simulator::ask_status(&client, &ns, request, Duration::from_secs(5))
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(
        answer.0,
        <TransferStatus as hotline_contract::Event>::TYPE,
        "{answer:?}"
    );
    assert_eq!(answer.1["order_number"], number.as_str());
    assert!(answer.1["status"].is_string(), "{answer:?}");
    assert!(!answer.1.to_string().contains("13800005678"));

    // The center handles it jointly with 110, through the gateway.
    let http = stack.user("agent-7", Role::Agent, None).await;
    let url = stack.url(&format!("/api/v1/orders/{number}/joint-handling"));
    let r = http
        .post(&url)
        .json(&json!({"partner_code": "110", "started_by": "agent-7", "reason": "现场有冲突，请110到场协助"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let requested = recv(&mut joint_requests, "110 is asked to handle it jointly").await;
    assert_eq!(requested.order_number, number);
    simulator::send_joint_step(
        &client,
        &ns,
        PartnerJointStep {
            step_id: "GY-110-0077-1".to_owned(),
            partner_code: "110".to_owned(),
            order_number: number.clone(),
            text: "民警已到场处置".to_owned(),
            actor: "云岩分局民警".to_owned(),
            at: Utc::now(),
        },
    )
    .await
    .unwrap();
    let log = wait_for("110's step in the log", WAIT, || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let log: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
            let steps = log["steps"].as_array()?;
            steps.iter().any(|s| s["side"] == "partner").then_some(log)
        }
    })
    .await;
    assert_eq!(log["partners"][0]["partner_code"], "110", "{log}");
    assert_eq!(log["steps"][0]["step"], "joint_requested", "{log}");
    // A bad body is named, not a 500.
    let r = http
        .post(&url)
        .json(&json!({"partner_code": "110"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    stack.stop().await;
}
