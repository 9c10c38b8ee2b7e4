//! After an order: the satisfaction visit (回访) and harassment flags (A24), through the
//! gateway.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use hotline_e2e::Stack;
use hotline_test_support::wait_for;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

async fn post(stack: &Stack, path: &str, body: Value) -> (u16, Value) {
    let r = stack
        .acting(&body)
        .await
        .post(stack.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn status_of(stack: &Stack, number: &str, check: &str) -> Option<String> {
    let v = stack.public_view(number, check).await?;
    v["status"].as_str().map(str::to_owned)
}

async fn closed_order(stack: &Stack, phone: &str) -> (String, String, String) {
    let (status, receipt) = post(
        stack,
        "/api/v1/orders",
        json!({
            "channel": "web_message", "kind": "complaint",
            "requester": {"type": "person", "phone": phone},
            "matter": "夜间施工噪声扰民", "category": "environment.noise", "region_code": "520102",
        }),
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    let number = receipt["number"].as_str().unwrap().to_owned();
    let check = receipt["check_code"].as_str().unwrap().to_owned();
    wait_for("dispatch", WAIT, || async {
        (status_of(stack, &number, &check).await.as_deref() == Some("dispatched")).then_some(())
    })
    .await;
    let sign = json!({"unit_id": "520102-env", "signed_by": "staff-1"});
    assert_eq!(
        post(stack, &format!("/api/v1/orders/{number}/sign"), sign)
            .await
            .0,
        200
    );
    let result = json!({"unit_id": "520102-env", "submitted_by": "staff-1",
        "basis": "噪声污染防治法", "findings": "属实", "reply": "已责令整改"});
    assert_eq!(
        post(stack, &format!("/api/v1/orders/{number}/result"), result)
            .await
            .0,
        200
    );
    wait_for("closure", WAIT, || async {
        (status_of(stack, &number, &check).await.as_deref() == Some("closed")).then_some(())
    })
    .await;
    (
        number,
        check,
        receipt["order_id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_requester_rates_a_closed_order_once_and_the_verdict_is_published() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let (number, check, order_id) = closed_order(&stack, "13700000001").await;
    let path = format!("/api/v1/orders/{number}/satisfaction");

    let (status, problem) = post(
        &stack,
        &path,
        json!({"verdict": "satisfied", "resolved": true, "check_code": "000000"}),
    )
    .await;
    assert_eq!(
        status, 404,
        "a wrong check code looks like an unknown order: {problem}"
    );

    let (status, receipt) = post(
        &stack,
        &path,
        json!({"verdict": "basically_satisfied", "resolved": true, "comment": "处理及时", "check_code": check}),
    )
    .await;
    assert_eq!(status, 200, "{receipt}");
    let (status, _) = post(
        &stack,
        &path,
        json!({"verdict": "unsatisfied", "resolved": false, "check_code": check}),
    )
    .await;
    assert_eq!(status, 409, "one visit per order");

    let event = wait_for("the satisfaction event", WAIT, || async {
        stack
            .all_events()
            .await
            .into_iter()
            .find_map(|(subject, payload)| {
                let env: Value = serde_json::from_str(&payload).ok()?;
                (subject.ends_with("hotline.order.satisfaction_recorded")
                    && env["subject"] == order_id.as_str())
                .then(|| env["data"].clone())
            })
    })
    .await;
    assert_eq!(event["verdict"], "basically_satisfied");
    assert_eq!(event["via"], "online");
    assert!(
        event.get("comment").is_none(),
        "the comment stays in intake"
    );

    // Not closed yet: no visit.
    let (status, open) = post(
        &stack,
        "/api/v1/orders",
        json!({"channel": "web_message", "kind": "help", "requester": {"type": "person", "phone": "13700000002"},
               "matter": "路灯不亮", "region_code": "520102"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = post(
        &stack,
        &format!(
            "/api/v1/orders/{}/satisfaction",
            open["number"].as_str().unwrap()
        ),
        json!({"verdict": "satisfied", "resolved": true, "agent_id": "agent-1"}),
    )
    .await;
    assert_eq!(status, 409);
    stack.stop().await;
}

#[tokio::test]
async fn repeated_harassment_flags_mark_the_requester() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let mut numbers = Vec::new();
    for i in 0..3 {
        let (status, receipt) = post(
            &stack,
            "/api/v1/orders",
            json!({"channel": "phone", "kind": "complaint", "agent_id": "agent-9",
                   "requester": {"type": "person", "phone": "13600000009"},
                   "matter": format!("第{i}次来电"), "region_code": "520102"}),
        )
        .await;
        assert_eq!(status, 201, "{receipt}");
        numbers.push(receipt["number"].as_str().unwrap().to_owned());
    }
    let mut last = Value::Null;
    for (i, number) in numbers.iter().enumerate() {
        let (status, receipt) = post(
            &stack,
            &format!("/api/v1/orders/{number}/harassment-flags"),
            json!({"agent_id": "agent-9", "note": "来电辱骂话务员"}),
        )
        .await;
        assert_eq!(status, 200, "{receipt}");
        assert_eq!(receipt["flags_in_window"], i as i64 + 1);
        last = receipt;
    }
    assert_eq!(last["requester_marked"], true);
    let (status, problem) = post(
        &stack,
        &format!("/api/v1/orders/{}/harassment-flags", numbers[0]),
        json!({"agent_id": "agent-9", "note": "  "}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "note");
    stack.stop().await;
}
