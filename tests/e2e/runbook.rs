#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The runbook's procedures that can run here (docs/operations.md), exercised end to end.
//!
//! **JetStream store lost → replay the outboxes.** Every service running, an order
//! dispatched; then nats-server is killed, its store deleted and the server started empty.
//! The runbook: restart the services (each provisions its streams at start; here the same
//! `ensure_stream` calls stand in for the restart), then `replay-outbox` on every service
//! (here the same [`replay_outbox`] function the command runs). Afterwards the stream holds
//! every event of every outbox exactly once (by `Nats-Msg-Id`), the consumers, which had
//! applied the events before, had no second effect (the order's history has each step
//! once), and the order goes on to closed.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use hotline_contract::{Namespace, subjects, transfer};
use hotline_e2e::{Stack, rest};
use hotline_service_kit::replay::replay_outbox;
use hotline_test_support::wait_for;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

/// A new complaint from `phone` (a different phone each time: the same person with the
/// same matter would be linked to their earlier order as a repeat).
async fn submit(stack: &Stack, phone: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(stack.url("/api/v1/orders"))
        .json(&json!({
            "channel": "web_message", "kind": "complaint",
            "requester": {"type": "person", "name": "张三", "phone": phone},
            "matter": "小区旁工地夜间施工，噪声扰民，希望有关部门处理。",
            "category": "environment.noise", "region_code": "520102",
            "address": "南明区花果园某小区",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let receipt: Value = r.json().await.unwrap();
    (
        receipt["number"].as_str().unwrap().to_owned(),
        receipt["check_code"].as_str().unwrap().to_owned(),
    )
}

async fn wait_status(stack: &Stack, number: &str, check: &str, status: &str) -> Value {
    wait_for(&format!("order {number} to be {status}"), WAIT, || async {
        let v = stack.public_view(number, check).await?;
        (v["status"] == status).then_some(v)
    })
    .await
}

async fn published_rows(pool: &sqlx::PgPool) -> i64 {
    rest::outbox_rows(pool, true).await
}

/// The published rows once the system is at rest: no outbox row waiting, no durable
/// consumer with messages pending or unacknowledged (a consumer acks after its commit, so
/// what it wrote is in an outbox by then), and the count unchanged across the check. An
/// order shown as dispatched can still have events on the way (the deadline-watcher's
/// schedule, say), which would otherwise be published between the count and the disaster.
async fn published_at_rest(
    js: &jetstream::Context,
    streams: &[String],
    pool: &sqlx::PgPool,
) -> i64 {
    wait_for("every event published and consumed", WAIT, || async {
        let first = published_rows(pool).await;
        if !rest::at_rest(js, streams, pool).await {
            return None;
        }
        (published_rows(pool).await == first).then_some(first)
    })
    .await
}

/// How many times each message id is in the stream.
async fn ids_in_stream(js: &jetstream::Context, stream: &str) -> HashMap<String, u32> {
    let consumer = js
        .get_stream(stream)
        .await
        .unwrap()
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let pending = consumer.cached_info().num_pending;
    let mut ids = HashMap::new();
    let mut messages = consumer.messages().await.unwrap();
    for _ in 0..pending {
        let m = tokio::time::timeout(WAIT, messages.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let id = m
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        *ids.entry(id).or_default() += 1;
    }
    ids
}

#[tokio::test]
async fn a_lost_jetstream_store_is_rebuilt_by_replaying_the_outboxes_with_no_second_effect() {
    let mut stack = Stack::start().await;
    stack.wait_ready().await;
    let ns = Namespace::new(stack.namespace.clone()).unwrap();
    let pool = stack.db.pool().await;

    let (number, check) = submit(&stack, "13812345678").await;
    wait_status(&stack, &number, &check, "dispatched").await;
    let (a_number, a_check) = submit(&stack, "13912345679").await;
    wait_status(&stack, &a_number, &a_check, "dispatched").await;
    let streams = [
        ns.stream(subjects::HOTLINE_STREAM),
        transfer::partner_stream(&ns, 1).name,
    ];
    let before = published_at_rest(&jetstream::new(stack.bus().await), &streams, &pool).await;
    assert!(before >= 4, "events were published: {before}");

    // The disaster: the JetStream store is gone.
    stack.nats.stop();
    std::fs::remove_dir_all(stack.nats.store_dir()).unwrap();
    stack.nats.restart().await;

    // The runbook: restart the services (they provision their streams at start)…
    let js = jetstream::new(stack.bus().await);
    hotline_messaging::ensure_stream(&js, &subjects::hotline_stream(&ns, 1))
        .await
        .unwrap();
    hotline_messaging::ensure_stream(&js, &transfer::partner_stream(&ns, 1))
        .await
        .unwrap();
    // …then replay every service's outbox.
    let mut marked = 0;
    for schema in rest::OUTBOX_SCHEMAS {
        marked += replay_outbox(&pool, schema, None).await.unwrap();
    }
    assert_eq!(i64::try_from(marked).unwrap(), before);

    // The relays publish everything again, once each.
    let stream = ns.stream(subjects::HOTLINE_STREAM);
    wait_for("the replayed events to be in the stream", WAIT, || async {
        let info = js.get_stream(&stream).await.ok()?.get_info().await.ok()?;
        let published = published_rows(&pool).await;
        (published == before && info.state.messages >= u64::try_from(before).ok()?).then_some(())
    })
    .await;
    let ids = ids_in_stream(&js, &stream).await;
    let doubled: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "published twice: {doubled:?}");
    assert_eq!(ids.len(), usize::try_from(before).unwrap());

    // The consumers go on: the order is signed, answered and closed, each step once.
    stack
        .sign_and_answer(&number, "520102-env", "staff-17")
        .await;
    let view = wait_status(&stack, &number, &check, "closed").await;
    let steps: Vec<&str> = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "registered",
            "dispatched",
            "signed",
            "result_submitted",
            "closed"
        ]
    );
    // Replayed registrations were not dispatched a second time.
    let dispatches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM router.outbox WHERE subject LIKE '%hotline.order.dispatched'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(dispatches, 2, "one dispatch per order");

    // A new order after the disaster goes through as usual.
    let (b_number, b_check) = submit(&stack, "13712345670").await;
    wait_status(&stack, &b_number, &b_check, "dispatched").await;

    pool.close().await;
    stack.stop().await;
}
