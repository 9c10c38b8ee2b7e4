#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Full disclosure to emergency partners (A10.1, A21 audited), against a real nats-server,
//! Postgres and intake: the caller's contact reaches 110 sealed to 110's key and opens
//! with the simulator's secret key; intake's vault audit chain records the reveal as
//! `partner:110`; without a key, or with intake down or silent, the emergency goes out
//! at once with a `withheld` reason; the phone is never in clear in an event.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use hotline_contract::transfer::Withheld;
use hotline_emergency_bridge::disclosure;
use hotline_emergency_bridge::simulator::{self, Mode, Options};
use serde_json::json;
use support::{Bridge, next, transfer_requested};
use tokio::sync::mpsc;
use uuid::Uuid;

const PHONE: &str = "13987654321";

/// The disclosure rows of an order: (attempt, fields, withheld).
async fn disclosures(bridge: &Bridge, order_id: Uuid) -> Vec<(i32, Vec<String>, Option<String>)> {
    let pool = bridge.env.pool().await;
    let rows = sqlx::query_as(
        "SELECT attempt, fields, withheld FROM emergency_bridge.disclosures WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

#[tokio::test]
async fn the_sealed_contact_opens_with_the_partners_key_and_the_reveal_is_in_the_audit_chain() {
    let bridge = Bridge::start(true).await;
    let (secret, public) = disclosure::keygen();
    bridge.set_key("110", &public).await;
    // Every event and partner message on the bus: none may carry the phone in clear.
    let watcher = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    let events = watcher
        .subscribe(bridge.env.ns.subject("hotline.>"))
        .await
        .unwrap();
    let partners = watcher
        .subscribe(bridge.env.ns.subject("partner.>"))
        .await
        .unwrap();
    let mut all = futures::stream::select(events, partners);
    hotline_messaging::server_barrier(&watcher).await.unwrap();
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let (opened_tx, mut opened) = mpsc::unbounded_channel();
    simulator::start_with(
        async_nats::connect(bridge.env.nats.url()).await.unwrap(),
        bridge.env.ns.clone(),
        "110".to_owned(),
        Options {
            mode: Mode::Accept,
            seen: Some(seen_tx),
            secret_key: Some(disclosure::parse_secret_key(&secret).unwrap()),
            opened: Some(opened_tx),
            joint_ack: false,
            send_every: None,
        },
        bridge.shutdown.clone(),
    )
    .await
    .unwrap();

    let response = reqwest::Client::new()
        .post(bridge.intake_orders_url())
        .json(&json!({
            "channel": "web_message", "kind": "help",
            "requester": {"type": "person", "phone": PHONE},
            "matter": "有人持刀在小区门口", "region_code": "520102",
            "address": "南明区花果园 3 栋",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let receipt: serde_json::Value = response.json().await.unwrap();
    let order_id: Uuid = receipt["ok"]["order_id"].as_str().unwrap().parse().unwrap();

    let sent = next(&mut seen).await;
    let caller = sent.caller.clone().unwrap();
    assert_eq!(caller.withheld, None, "{caller:?}");
    assert!(!caller.sealed.as_deref().unwrap().contains(PHONE));
    let (transfer_id, contact) = tokio::time::timeout(Duration::from_secs(20), opened.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(transfer_id, sent.transfer_id);
    assert_eq!(contact.phone, PHONE);
    assert_eq!(contact.address.as_deref(), Some("南明区花果园 3 栋"));

    // A21: what was disclosed, per attempt, on our side ...
    let rows = disclosures(&bridge, order_id).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].1.contains(&"caller.phone".to_owned()), "{rows:?}");
    assert_eq!(rows[0].2, None);
    // ... and in intake's audit chain, as the partner, unbroken.
    let pool = bridge.env.pool().await;
    let audited: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT field, actor, purpose FROM intake.vault_audit WHERE order_id = $1 ORDER BY seq",
    )
    .bind(order_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let fields: Vec<_> = audited
        .iter()
        .map(|(f, a, _)| (f.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        fields,
        [("phone", "partner:110"), ("address", "partner:110")]
    );
    assert!(audited[0].2.contains(&sent.transfer_id.to_string()));
    hotline_intake::vault::verify_audit_chain(&pool)
        .await
        .expect("the audit chain is unbroken");
    pool.close().await;

    // No event on the bus carried the phone in clear.
    let mut messages = 0;
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), all.next()).await {
        messages += 1;
        let text = String::from_utf8_lossy(&m.payload);
        assert!(!text.contains(PHONE), "phone in clear on {}", m.subject);
    }
    assert!(messages > 2);
    bridge.stop().await;
}

#[tokio::test]
async fn without_a_key_the_contact_is_withheld_as_no_key() {
    let bridge = Bridge::start(true).await;
    let mut partner = bridge.partner("119", Mode::Accept).await;
    let request = transfer_requested("119", true);
    let order_id = request.registration.order_id;
    bridge.env.publish("intake", request).await;
    let caller = next(&mut partner).await.caller.unwrap();
    assert_eq!(caller.withheld, Some(Withheld::NoKey));
    assert_eq!(caller.sealed, None);
    assert_eq!(caller.phone_masked.as_deref(), Some("138****5678"));
    let rows = disclosures(&bridge, order_id).await;
    assert_eq!(rows[0].1, ["caller.phone_masked", "region_code"]);
    assert_eq!(rows[0].2.as_deref(), Some("no_key"));
    bridge.stop().await;
}

#[tokio::test]
async fn with_intake_down_or_silent_the_emergency_goes_out_at_once_withheld() {
    // No intake at all: nobody answers the reveal.
    let bridge = Bridge::start(false).await;
    let (_, public) = disclosure::keygen();
    bridge.set_key("110", &public).await;
    bridge.set_key("120", &public).await;
    let mut p110 = bridge.partner("110", Mode::Accept).await;
    let request = transfer_requested("110", true);
    let order_id = request.registration.order_id;
    bridge.env.publish("intake", request).await;
    let caller = next(&mut p110).await.caller.unwrap();
    assert_eq!(caller.withheld, Some(Withheld::IntakeUnavailable));
    assert_eq!(
        disclosures(&bridge, order_id).await[0].2.as_deref(),
        Some("intake_unavailable")
    );

    // An intake that takes the request and never answers: withheld after the reveal
    // timeout (300 ms), not later.
    let silent = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    let subject = bridge.env.ns.subject(&hotline_contract::rpc::subject(
        "intake",
        "reveal_for_transfer",
    ));
    let mut swallow = silent.subscribe(subject).await.unwrap();
    hotline_messaging::server_barrier(&silent).await.unwrap();
    tokio::spawn(async move { while swallow.next().await.is_some() {} });
    let mut p120 = bridge.partner("120", Mode::Accept).await;
    let request = transfer_requested("120", true);
    let order_id = request.registration.order_id;
    let started = Instant::now();
    bridge.env.publish("intake", request).await;
    let caller = next(&mut p120).await.caller.unwrap();
    let took = started.elapsed();
    assert_eq!(caller.withheld, Some(Withheld::IntakeTimeout));
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert_eq!(
        disclosures(&bridge, order_id).await[0].2.as_deref(),
        Some("intake_timeout")
    );
    bridge.stop().await;
}

/// Ask intake's reveal RPC directly, as the bridge does.
async fn reveal(
    bridge: &Bridge,
    order_id: Uuid,
    partner: &str,
) -> Result<hotline_contract::transfer::RevealedContact, hotline_messaging::CallError> {
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    hotline_messaging::call(
        &client,
        &bridge.env.ns,
        hotline_contract::rpc::verbs::INTAKE_REVEAL_FOR_TRANSFER,
        &hotline_contract::transfer::RevealForTransfer {
            order_id,
            partner_code: partner.to_owned(),
            transfer_id: Uuid::now_v7(),
        },
        &hotline_telemetry::TraceContext::new_root(),
        Duration::from_secs(5),
    )
    .await
}

async fn register(bridge: &Bridge, matter: &str) -> Uuid {
    let receipt: serde_json::Value = reqwest::Client::new()
        .post(bridge.intake_orders_url())
        .json(&json!({
            "channel": "web_message", "kind": "complaint",
            "requester": {"type": "person", "phone": PHONE},
            "matter": matter, "region_code": "520102",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    receipt["ok"]["order_id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn intake_reveals_only_to_the_emergency_partner_of_the_order_with_typed_refusals() {
    use hotline_contract::rpc::RpcErrorCode;
    use hotline_contract::transfer::{REVEAL_NOT_EMERGENCY, REVEAL_WRONG_PARTNER};
    use hotline_messaging::CallError;
    let bridge = Bridge::start(true).await;
    let refusal = |r: Result<_, CallError>| match r {
        Err(CallError::Rpc(e)) => (e.code, e.fields.first().map(|f| f.code.clone())),
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    };
    assert_eq!(
        refusal(reveal(&bridge, Uuid::now_v7(), "110").await),
        (RpcErrorCode::NotFound, None)
    );
    let ordinary = register(&bridge, "小区夜间施工噪音扰民").await;
    assert_eq!(
        refusal(reveal(&bridge, ordinary, "110").await),
        (
            RpcErrorCode::Forbidden,
            Some(REVEAL_NOT_EMERGENCY.to_owned())
        )
    );
    let emergency = register(&bridge, "有人持刀在小区门口").await;
    assert_eq!(
        refusal(reveal(&bridge, emergency, "120").await),
        (
            RpcErrorCode::Forbidden,
            Some(REVEAL_WRONG_PARTNER.to_owned())
        )
    );
    assert_eq!(
        reveal(&bridge, emergency, "110").await.unwrap().phone,
        PHONE
    );
    // Refusals reveal nothing and leave no audit record; the one reveal left two.
    let pool = bridge.env.pool().await;
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM intake.vault_audit WHERE order_id = ANY($1) AND actor LIKE 'partner:%'",
    )
    .bind(vec![ordinary, emergency])
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
    pool.close().await;
    bridge.stop().await;
}
