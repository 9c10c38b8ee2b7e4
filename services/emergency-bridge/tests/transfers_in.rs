#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Transfers in (A8) against a real nats-server, Postgres and intake: a partner's matter
//! becomes our order and the partner gets its number; a repeat makes no second order; a
//! malformed message is refused with the problem named.

mod support;

use chrono::Utc;
use hotline_contract::transfer::{
    InboundTransferAccepted, InboundTransferRejected, PartnerTransferRequested, subject,
};
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_emergency_bridge::simulator;
use support::Bridge;

fn matter(id: &str) -> PartnerTransferRequested {
    PartnerTransferRequested {
        partner_transfer_id: id.to_owned(),
        partner_code: "110".to_owned(),
        kind: RequestKind::Complaint,
        matter: "小区夜间施工噪音扰民，非警情，转12345处理".to_owned(),
        region_code: "520102".to_owned(),
        address: None,
        caller_phone: "13800005678".to_owned(),
        caller_name: None,
        urgency: Urgency::Normal,
        requested_at: Utc::now(),
    }
}

async fn orders_for(bridge: &Bridge, id: &str) -> i64 {
    let pool = bridge.env.pool().await;
    let n = sqlx::query_scalar(
        "SELECT count(*) FROM intake.partner_transfers WHERE partner_code = '110' AND partner_transfer_id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    n
}

#[tokio::test]
async fn inbound_transfer_creates_one_order_and_a_duplicate_gets_the_same_number() {
    let bridge = Bridge::start(true).await;
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();
    simulator::send_transfer(&client, &bridge.env.ns, matter("GY-110-0001"))
        .await
        .unwrap();
    let first = bridge
        .env
        .wait_for_event::<InboundTransferAccepted>(&subject::to_partner_accepted("110"), |e| {
            e.partner_transfer_id == "GY-110-0001"
        })
        .await;
    let number = first.data.order_number.clone();
    assert!(!number.is_empty());
    let pool = bridge.env.pool().await;
    let (agent, channel): (Option<String>, String) =
        sqlx::query_as("SELECT registered_by, channel FROM intake.orders WHERE number = $1")
            .bind(&number)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (agent.as_deref(), channel.as_str()),
        (Some("partner:110"), "phone")
    );
    pool.close().await;

    // The partner sends it again (it missed our answer): same number, no second order.
    simulator::send_transfer(&client, &bridge.env.ns, matter("GY-110-0001"))
        .await
        .unwrap();
    let second = bridge
        .env
        .wait_for_event::<InboundTransferAccepted>(&subject::to_partner_accepted("110"), |e| {
            e.partner_transfer_id == "GY-110-0001"
        })
        .await;
    // wait_for_event replays from the start: wait until the second answer is there.
    let answers = hotline_test_support::wait_for(
        "two answers to the partner",
        std::time::Duration::from_secs(20),
        || async {
            let pool = bridge.env.pool().await;
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM emergency_bridge.outbox WHERE subject LIKE '%hotline.transfer.110.accepted'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            pool.close().await;
            (n >= 2).then_some(n)
        },
    )
    .await;
    assert_eq!(answers, 2);
    assert_eq!(second.data.order_number, number);
    assert_eq!(orders_for(&bridge, "GY-110-0001").await, 1);
    bridge.stop().await;
}

#[tokio::test]
async fn malformed_inbound_transfers_are_refused_naming_the_problem() {
    let bridge = Bridge::start(true).await;
    let client = async_nats::connect(bridge.env.nats.url()).await.unwrap();

    // A field intake's catalogue refuses: an unknown region.
    let mut unknown_region = matter("GY-110-0002");
    unknown_region.region_code = "999999".to_owned();
    simulator::send_transfer(&client, &bridge.env.ns, unknown_region)
        .await
        .unwrap();
    let refused = bridge
        .env
        .wait_for_event::<InboundTransferRejected>(&subject::to_partner_rejected("110"), |e| {
            e.partner_transfer_id.as_deref() == Some("GY-110-0002")
        })
        .await
        .data;
    assert_eq!(refused.reason_code, "invalid_fields");
    assert!(
        refused.fields.iter().any(|f| f.field == "region_code"),
        "{refused:?}"
    );
    assert!(refused.reason.contains("region_code"));

    // A message missing a required field of the published schema.
    let mut broken = serde_json::to_value(matter("GY-110-0003")).unwrap();
    broken.as_object_mut().unwrap().remove("caller_phone");
    let envelope = serde_json::json!({
        "specversion": "1.0",
        "id": uuid::Uuid::now_v7(),
        "source": "/partner/110",
        "type": <PartnerTransferRequested as hotline_contract::Event>::TYPE,
        "subject": "GY-110-0003",
        "time": Utc::now(),
        "datacontenttype": "application/json",
        "data": broken,
    });
    client
        .publish(
            bridge
                .env
                .ns
                .subject(&subject::from_partner_requested("110")),
            serde_json::to_vec(&envelope).unwrap().into(),
        )
        .await
        .unwrap();
    hotline_messaging::server_barrier(&client).await.unwrap();
    let refused = bridge
        .env
        .wait_for_event::<InboundTransferRejected>(&subject::to_partner_rejected("110"), |e| {
            e.partner_transfer_id.as_deref() == Some("GY-110-0003")
        })
        .await
        .data;
    assert_eq!(refused.reason_code, "invalid_message");
    assert!(
        refused.reason.contains("caller_phone"),
        "{}",
        refused.reason
    );

    assert_eq!(orders_for(&bridge, "GY-110-0002").await, 0);
    assert_eq!(orders_for(&bridge, "GY-110-0003").await, 0);
    bridge.stop().await;
}

#[tokio::test]
async fn the_simulator_with_send_every_hands_over_matters_periodically() {
    let bridge = Bridge::start(true).await;
    let stop = tokio_util::sync::CancellationToken::new();
    hotline_emergency_bridge::simulator::start_with(
        async_nats::connect(bridge.env.nats.url()).await.unwrap(),
        bridge.env.ns.clone(),
        "12315".to_owned(),
        hotline_emergency_bridge::simulator::Options {
            mode: hotline_emergency_bridge::simulator::Mode::Silent,
            send_every: Some(std::time::Duration::from_millis(300)),
            ..Default::default()
        },
        stop.clone(),
    )
    .await
    .unwrap();
    let pool = bridge.env.pool().await;
    hotline_test_support::wait_for(
        "three periodic hand-overs registered",
        std::time::Duration::from_secs(20),
        || {
            let pool = pool.clone();
            async move {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(DISTINCT partner_transfer_id) FROM intake.partner_transfers \
                     WHERE partner_code = '12315' AND partner_transfer_id LIKE 'SIM-12315-%'",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                (n >= 3).then_some(())
            }
        },
    )
    .await;
    stop.cancel();
    pool.close().await;
    bridge.stop().await;
}
