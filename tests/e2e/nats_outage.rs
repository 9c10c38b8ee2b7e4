#![allow(clippy::unwrap_used, clippy::expect_used)]
//! NATS down while citizens keep writing: every order is accepted after its Postgres
//! commit, and once NATS is back each is dispatched exactly once.

use std::time::Duration;

use futures::TryStreamExt;
use hotline_e2e::Stack;
use hotline_test_support::wait_for;
use serde_json::json;

const ORDERS: usize = 5;
const MATTERS: [&str; ORDERS] = [
    "小区停电三天了",
    "路灯不亮",
    "井盖丢失",
    "垃圾没人清运",
    "道路积水",
];

#[tokio::test]
async fn orders_accepted_while_nats_is_down_are_delivered_once_when_it_returns() {
    let mut stack = Stack::start().await;
    stack.wait_ready().await;
    let http = reqwest::Client::new();

    stack.nats.stop();
    let mut numbers = Vec::new();
    for (i, matter) in MATTERS.iter().enumerate() {
        let r = http
            .post(stack.url("/api/v1/orders"))
            .json(&json!({
                "channel": "web_message",
                "kind": "help",
                // Different requesters and matters: the same message posted again by the
                // same person would be linked as a repeat (A10.3), not dispatched.
                "requester": {"type": "person", "phone": format!("1391234567{i}")},
                "matter": matter,
                "region_code": "520103",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            201,
            "accepted while NATS is down: {}",
            r.text().await.unwrap()
        );
        let receipt: serde_json::Value = r.json().await.unwrap();
        numbers.push(receipt["number"].as_str().unwrap().to_owned());
    }
    let pool = stack.db.pool().await;
    let waiting: i64 =
        sqlx::query_scalar("SELECT count(*) FROM intake.outbox WHERE sent_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(waiting, ORDERS as i64, "the events wait in the outbox");

    stack.nats.restart().await;
    wait_for(
        "every order to be dispatched",
        Duration::from_secs(90),
        || async {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM router.assignments")
                .fetch_one(&pool)
                .await
                .ok()?;
            (n == ORDERS as i64).then_some(())
        },
    )
    .await;
    // Territorial fallback: no rule for this category-less order, so the district
    // government of 520103 takes it.
    let units: Vec<String> = sqlx::query_scalar("SELECT DISTINCT unit_id FROM router.assignments")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(units, ["gov-520103"]);

    // None doubled: one registered and one dispatched event per order in the stream, and
    // analytics saw each order once.
    wait_for(
        "analytics to see every dispatch",
        Duration::from_secs(60),
        || async {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM analytics.order_facts WHERE dispatched_at IS NOT NULL",
            )
            .fetch_one(&pool)
            .await
            .ok()?;
            (n == ORDERS as i64).then_some(())
        },
    )
    .await;
    let registered: i64 = sqlx::query_scalar("SELECT count(*) FROM intake.outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(registered, ORDERS as i64);
    let client = async_nats::connect(stack.nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let ns = hotline_contract::Namespace::new(stack.namespace.clone()).unwrap();
    let stream = js
        .get_stream(ns.stream(hotline_contract::subjects::HOTLINE_STREAM))
        .await
        .unwrap();
    let per_subject: std::collections::HashMap<String, usize> = stream
        .info_with_subjects(ns.subject(hotline_contract::subjects::event::ALL_ORDER))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let count = |s: &str| per_subject.get(&ns.subject(s)).copied().unwrap_or(0);
    assert_eq!(
        count(hotline_contract::subjects::event::ORDER_REGISTERED),
        ORDERS
    );
    assert_eq!(
        count(hotline_contract::subjects::event::ORDER_DISPATCHED),
        ORDERS
    );
    drop(numbers);
    stack.stop().await;
}
