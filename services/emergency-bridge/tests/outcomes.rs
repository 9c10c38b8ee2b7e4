#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Transfer outcomes in the order's public status (issue 8, A10.1), against a real
//! nats-server, Postgres and intake: an emergency web message goes to the simulated 110;
//! before it answers the requester reads "等待对方确认", after its rejection
//! "110 未受理：<reason>", in the progress query and in the status by number (Open311).

mod support;

use std::time::Duration;

use hotline_contract::rpc::{
    ProgressQuery, ProgressView, PublicStatusQuery, PublicStatuses, verbs,
};
use hotline_contract::transfer::Withheld;
use hotline_emergency_bridge::simulator::{Mode, REJECT_REASON};
use hotline_telemetry::TraceContext;
use serde_json::json;
use support::{Bridge, next};

async fn progress(bridge: &Bridge, number: &str, check_code: &str) -> ProgressView {
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    hotline_messaging::call(
        &client,
        &bridge.env.ns,
        verbs::INTAKE_PROGRESS,
        &ProgressQuery {
            number: number.to_owned(),
            check_code: check_code.to_owned(),
        },
        &TraceContext::new_root(),
        Duration::from_secs(5),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_partners_rejection_shows_in_the_public_status_with_its_reason() {
    let bridge = Bridge::start(true).await;
    let mut partner = bridge.partner("110", Mode::Silent).await;
    let receipt: serde_json::Value = reqwest::Client::new()
        .post(bridge.intake_orders_url())
        .json(&json!({
            "channel": "web_message", "kind": "help",
            "requester": {"type": "person", "phone": "13987654321"},
            "matter": "有人持刀在小区门口", "region_code": "520102",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let number = receipt["ok"]["number"].as_str().unwrap().to_owned();
    let check_code = receipt["ok"]["check_code"].as_str().unwrap().to_owned();
    let sent = next(&mut partner).await;
    assert_eq!(sent.caller.unwrap().withheld, Some(Withheld::NoKey));

    // Sent, not answered yet.
    let view = progress(&bridge, &number, &check_code).await;
    assert_eq!(
        view.transfer_note.as_deref(),
        Some("已转 110，等待对方确认")
    );

    // 110 refuses, quoting the transfer (as the simulator in reject mode does).
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    let rejection = hotline_contract::transfer::PartnerRejected {
        transfer_id: sent.transfer_id,
        partner_code: "110".to_owned(),
        reason: REJECT_REASON.to_owned(),
        rejected_at: chrono::Utc::now(),
    };
    hotline_emergency_bridge::simulator::publish(&client, &bridge.env.ns, "110", rejection)
        .await
        .unwrap();
    let expected = format!("110 未受理：{REJECT_REASON}");
    hotline_test_support::wait_for(
        "the rejection in the progress view",
        Duration::from_secs(20),
        || {
            let (bridge, number, check_code, expected) = (&bridge, &number, &check_code, &expected);
            async move {
                (progress(bridge, number, check_code)
                    .await
                    .transfer_note
                    .as_deref()
                    == Some(expected.as_str()))
                .then_some(())
            }
        },
    )
    .await;
    let statuses: PublicStatuses = hotline_messaging::call(
        &client,
        &bridge.env.ns,
        verbs::INTAKE_PUBLIC_STATUS,
        &PublicStatusQuery {
            numbers: vec![number.clone()],
        },
        &TraceContext::new_root(),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(
        statuses.orders[0].transfer_note.as_deref(),
        Some(expected.as_str())
    );
    bridge.stop().await;
}
