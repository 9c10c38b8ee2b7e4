#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One order through the whole system, by HTTP as a citizen and a unit would do it.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use hotline_e2e::{Role, Stack};
use hotline_test_support::wait_for;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

fn web_message() -> Value {
    json!({
        "channel": "web_message",
        "kind": "complaint",
        "requester": {"type": "person", "name": "张三", "phone": "13812345678"},
        "matter": "小区旁工地夜间施工，噪声扰民，希望有关部门处理。",
        "category": "environment.noise",
        "region_code": "520102",
        "address": "南明区花果园某小区",
    })
}

#[tokio::test]
async fn an_order_goes_from_registration_to_closed_and_is_one_trace_across_services() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let http = reqwest::Client::new();

    // A citizen writes a web message.
    let r = http
        .post(stack.url("/api/v1/orders"))
        .json(&web_message())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let receipt: Value = r.json().await.unwrap();
    let number = receipt["number"].as_str().unwrap().to_owned();
    let check = receipt["check_code"].as_str().unwrap().to_owned();
    let order_id = receipt["order_id"].as_str().unwrap().to_owned();
    assert!(number.starts_with("520102"), "{number}");

    // The router dispatches it by the category rule; the deadline-watcher sets the sign
    // deadline, which the public view shows.
    let view = wait_for(
        "the order to be dispatched with a sign deadline",
        WAIT,
        || async {
            let v = stack.public_view(&number, &check).await?;
            (v["status"] == "dispatched" && !v["sign_due_at"].is_null()).then_some(v)
        },
    )
    .await;
    assert_eq!(view["status_label"], "已派单");

    // The unit signs and submits its result, signed in as one of its staff.
    let unit = stack
        .user("staff-17", Role::UnitHandler, Some("520102-env"))
        .await;
    let r = unit
        .post(stack.url(&format!("/api/v1/orders/{number}/sign")))
        .json(&json!({"unit_id": "520102-env", "signed_by": "staff-17"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // A15: signing starts the handling clock; the public sees the expected completion date.
    wait_for(
        "the order to be signed with an expected completion date",
        WAIT,
        || async {
            let v = stack.public_view(&number, &check).await?;
            (v["status"] == "signed" && !v["expected_completion_at"].is_null()).then_some(())
        },
    )
    .await;
    let r = unit
        .post(stack.url(&format!("/api/v1/orders/{number}/result")))
        .json(&json!({
            "unit_id": "520102-env",
            "submitted_by": "staff-17",
            "basis": "《中华人民共和国噪声污染防治法》第四十三条",
            "findings": "经现场核查，噪声来自夜间违规施工。",
            "reply": "已责令施工单位停止夜间施工，并将加强巡查。",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // Supervision accepts the complete result; the order closes; the public sees it.
    let view = wait_for("the order to be closed", WAIT, || async {
        let v = stack.public_view(&number, &check).await?;
        (v["status"] == "closed").then_some(v)
    })
    .await;
    assert_eq!(
        view["reply"], "已责令施工单位停止夜间施工，并将加强巡查。",
        "the unit's reply is shown once closed"
    );
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

    // Analytics counted it.
    let pool = stack.db.pool().await;
    wait_for("analytics to record the closure", WAIT, || async {
        let closed: Option<bool> = sqlx::query_scalar(
            "SELECT closed_at IS NOT NULL FROM analytics.order_facts WHERE order_id = $1::uuid",
        )
        .bind(&order_id)
        .fetch_optional(&pool)
        .await
        .ok()?;
        (closed == Some(true)).then_some(())
    })
    .await;

    // A wrong check code reveals nothing.
    assert_eq!(stack.public_view(&number, "000000x").await, None);
    // A11: the last 4 digits of the requester's phone work as well; other digits do not.
    let by_phone = stack.public_view(&number, "5678").await.unwrap();
    assert_eq!(by_phone["status"], "closed");
    assert_eq!(stack.public_view(&number, "1234").await, None);

    // Personal data stays in intake's vault: not in any log line, not in any event.
    let personal = ["13812345678", "张三", "花果园"];
    let logs = stack.logs.contents();
    for item in personal {
        assert!(!logs.contains(item), "{item:?} appeared in the logs");
    }
    for (subject, payload) in stack.all_events().await {
        for item in personal {
            assert!(
                !payload.contains(item),
                "{item:?} appeared in an event on {subject}"
            );
        }
    }

    // Every log line about this order carries one trace id, across all services.
    let lines = stack.logs.json_lines();
    let about_order: Vec<_> = lines
        .iter()
        .filter(|l| serde_json::to_string(l).unwrap().contains(&order_id))
        .collect();
    let traces: HashSet<&str> = about_order
        .iter()
        .filter_map(|l| l.get("trace_id").and_then(Value::as_str))
        .collect();
    let services: BTreeSet<&str> = about_order
        .iter()
        .filter_map(|l| l.get("service").and_then(Value::as_str))
        .collect();
    assert_eq!(traces.len(), 1, "one trace for the order, got {traces:?}");
    assert!(
        about_order.iter().all(|l| l.get("trace_id").is_some()),
        "every line about the order names its trace"
    );
    for service in [
        "gateway",
        "intake",
        "router",
        "deadline-watcher",
        "supervision",
        "analytics",
    ] {
        assert!(
            services.contains(service),
            "{service} logged about the order: {services:?}"
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn bad_requests_get_specific_problem_details() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let http = reqwest::Client::new();

    let mut bad = web_message();
    bad["requester"]["phone"] = json!("12345");
    bad["region_code"] = json!("999999");
    let r = http
        .post(stack.url("/api/v1/orders"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    let fields: BTreeSet<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, BTreeSet::from(["requester.phone", "region_code"]));

    let r = http
        .post(stack.url("/api/v1/orders"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "body");

    let r = http
        .get(stack.url("/api/v1/orders/5201022611270001"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "the check code is required");

    let r = http
        .get(stack.url("/api/v1/orders/5201022611270001?check_code=123456"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let unit = stack
        .user("staff-x", Role::UnitHandler, Some("520102-env"))
        .await;
    let r = unit
        .post(stack.url("/api/v1/orders/5201022611270001/sign"))
        .json(&json!({"unit_id": "520102-env"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = http
        .get(stack.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["paths"]["/api/v1/orders"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/orders/{number}/result"]["post"].is_object());
    stack.stop().await;
}
