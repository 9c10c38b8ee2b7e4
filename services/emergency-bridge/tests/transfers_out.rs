#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Transfers out (A10.1) against a real nats-server and Postgres, with the partner
//! simulator: accepted, rejected with a reason, and a silent partner that is retried and
//! then handed to the agent on duty with the fallback phone.

mod support;

use hotline_contract::transfer::{
    OrderTransferAccepted, OrderTransferRejected, OrderTransferTimedOut, subject,
};
use hotline_emergency_bridge::simulator::{Mode, REJECT_REASON};
use support::{Bridge, next, transfer_requested};
use uuid::Uuid;

/// The transfer's status and how many disclosures of the caller's data it made.
async fn transfer_state(pool: &sqlx::PgPool, order_id: Uuid) -> (String, i64) {
    sqlx::query_as(
        "SELECT t.status, (SELECT count(*) FROM emergency_bridge.disclosures d WHERE d.transfer_id = t.transfer_id) \
         FROM emergency_bridge.outbound_transfers t WHERE t.order_id = $1",
    )
    .bind(order_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn emergency_transfer_reaches_the_partner_and_its_acceptance_is_recorded() {
    let bridge = Bridge::start(false).await;
    let mut partner = bridge.partner("110", Mode::Accept).await;
    let request = transfer_requested("110", true);
    let order_id = request.registration.order_id;
    bridge.env.publish("intake", request.clone()).await;

    let sent = next(&mut partner).await;
    assert_eq!(sent.order_number, request.registration.number);
    assert_eq!(sent.attempt, 1);
    assert!(sent.emergency);
    // A10.1: an emergency carries how to reach the caller, masked (A21).
    assert_eq!(
        sent.caller.unwrap().phone_masked.as_deref(),
        Some("138****5678")
    );

    let accepted = bridge
        .env
        .wait_for_event::<OrderTransferAccepted>(subject::ORDER_TRANSFER_ACCEPTED, |e| {
            e.order_id == order_id
        })
        .await
        .data;
    assert_eq!(accepted.partner_code, "110");
    assert_eq!(accepted.transfer_id, sent.transfer_id);
    assert!(accepted.partner_reference.unwrap().starts_with("SIM-110-"));

    let pool = bridge.env.pool().await;
    let (status, disclosures) = transfer_state(&pool, order_id).await;
    assert_eq!((status.as_str(), disclosures), ("accepted", 1));
    // The emergency went through its own lane's outbox, not the ordinary one.
    let lane_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM emergency_bridge_lane.outbox WHERE subject LIKE '%hotline.transfer.110.requested'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(lane_rows, 1);
    pool.close().await;
    bridge.stop().await;
}

#[tokio::test]
async fn partner_rejection_is_recorded_with_its_reason_and_nothing_is_disclosed_for_utilities() {
    let bridge = Bridge::start(false).await;
    let mut partner = bridge.partner("95598", Mode::Reject).await;
    let request = transfer_requested("95598", false);
    let order_id = request.registration.order_id;
    bridge.env.publish("intake", request).await;

    let sent = next(&mut partner).await;
    assert!(!sent.emergency);
    assert!(
        sent.caller.is_none(),
        "no caller contact for a non-emergency"
    );

    let rejected = bridge
        .env
        .wait_for_event::<OrderTransferRejected>(subject::ORDER_TRANSFER_REJECTED, |e| {
            e.order_id == order_id
        })
        .await
        .data;
    assert_eq!(rejected.reason, REJECT_REASON);
    assert_eq!(rejected.partner_code, "95598");

    let pool = bridge.env.pool().await;
    let (status, reason): (String, Option<String>) = sqlx::query_as(
        "SELECT status, reason FROM emergency_bridge.outbound_transfers WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "rejected");
    assert_eq!(reason.as_deref(), Some(REJECT_REASON));
    let disclosures: i64 = sqlx::query_scalar("SELECT count(*) FROM emergency_bridge.disclosures")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(disclosures, 0);
    pool.close().await;
    bridge.stop().await;
}

#[tokio::test]
async fn silent_partner_is_retried_then_the_agent_on_duty_gets_the_fallback_phone() {
    let bridge = Bridge::start(false).await;
    bridge.set_limits("119", 1, 2).await;
    let mut partner = bridge.partner("119", Mode::Silent).await;
    let request = transfer_requested("119", true);
    let order_id = request.registration.order_id;
    bridge.env.publish("intake", request.clone()).await;

    // The first try and two retries, same transfer, attempts counted.
    let attempts: Vec<_> = [
        next(&mut partner).await,
        next(&mut partner).await,
        next(&mut partner).await,
    ]
    .into_iter()
    .map(|t| (t.transfer_id, t.attempt))
    .collect();
    assert_eq!(
        attempts.iter().map(|(_, a)| *a).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(attempts.iter().all(|(id, _)| *id == attempts[0].0));

    let timed_out = bridge
        .env
        .wait_for_event::<OrderTransferTimedOut>(subject::ORDER_TRANSFER_TIMED_OUT, |e| {
            e.order_id == order_id
        })
        .await
        .data;
    assert_eq!(timed_out.attempts, 3);
    assert_eq!(timed_out.fallback_phone, "119");
    assert!(timed_out.emergency);
    assert!(timed_out.instructions.contains("拨打119"));
    assert!(
        timed_out
            .instructions
            .contains(&request.registration.number)
    );

    let pool = bridge.env.pool().await;
    let (status, disclosures) = transfer_state(&pool, order_id).await;
    // A21: every attempt that carried the caller's contact is on record.
    assert_eq!((status.as_str(), disclosures), ("timed_out", 3));
    pool.close().await;
    // No fourth attempt after the time-out.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(1500), partner.recv())
            .await
            .is_err()
    );
    bridge.stop().await;
}
