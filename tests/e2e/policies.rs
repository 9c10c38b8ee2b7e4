//! The time-limit policies through the gateway (A15, issue 10): the center's head reads
//! them (`GET /api/v1/policies`), the administrator writes a new version
//! (`POST /api/v1/policies/{policy_id}`) as the signed-in principal, a bad limit is refused
//! as problem+json naming the field, a stale version as a conflict, and everyone else is
//! refused naming the missing permission. The supervision board's near-due list
//! (`GET /api/v1/near-due`) answers the head. The deadline-watcher answers over NATS.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hotline_e2e::{Role, Stack, problem_fields};
use serde_json::{Value, json};

async fn send(client: &reqwest::Client, request: reqwest::RequestBuilder) -> (u16, String, Value) {
    let r = client.execute(request.build().unwrap()).await.unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_head_reads_the_policies_and_only_the_administrator_writes_a_new_version() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let head = stack.user("policy-head", Role::CenterHead, None).await;
    let admin = stack.user("policy-admin", Role::Administrator, None).await;
    let analyst = stack.user("policy-analyst", Role::Analyst, None).await;
    let list_url = stack.url("/api/v1/policies");
    let edit_url = stack.url("/api/v1/policies/handling-suggestion-normal");

    let (status, _, list) = send(&head, head.get(&list_url)).await;
    assert_eq!(status, 200, "{list}");
    let policies = list["policies"].as_array().unwrap();
    let sign = policies.iter().find(|p| p["policy_id"] == "sign").unwrap();
    assert_eq!(sign["limit"], json!({"unit": "working_days", "value": 1}));
    assert_eq!(sign["clock"], "sign");
    let suggestion = policies
        .iter()
        .find(|p| p["policy_id"] == "handling-suggestion-normal")
        .unwrap();
    assert_eq!(suggestion["version"], 1);
    assert_eq!(
        (&suggestion["kind"], &suggestion["urgency"]),
        (&json!("suggestion"), &json!("normal"))
    );

    // Reading needs read_time_limits; writing manage_time_limits (the administrator).
    let (status, _, refusal) = send(&analyst, analyst.get(&list_url)).await;
    assert_eq!(
        (status, &refusal["permission"]),
        (403, &json!("read_time_limits"))
    );
    let six_days = json!({
        "expected_version": 1,
        "limit": {"unit": "working_days", "value": 6},
        "reason": "省级规定调整",
    });
    let (status, _, refusal) = send(&head, head.post(&edit_url).json(&six_days)).await;
    assert_eq!(
        (status, &refusal["permission"]),
        (403, &json!("manage_time_limits"))
    );

    // Bad limits are refused naming the field, before anything is written.
    let zero = json!({"expected_version": 1, "limit": {"unit": "working_days", "value": 0}, "reason": "x"});
    let (status, content_type, problem) = send(&admin, admin.post(&edit_url).json(&zero)).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(
        problem_fields(&problem),
        [("limit.value".to_owned(), "out_of_range".to_owned())]
    );
    let weeks =
        json!({"expected_version": 1, "limit": {"unit": "weeks", "value": 1}, "reason": "x"});
    let (status, content_type, problem) = send(&admin, admin.post(&edit_url).json(&weeks)).await;
    assert_eq!(
        (status, content_type.as_str()),
        (422, "application/problem+json"),
        "{problem}"
    );
    let (status, _, problem) = send(
        &admin,
        admin
            .post(stack.url("/api/v1/policies/sign"))
            .json(&json!({"expected_version": 1, "limit": {"unit": "working_days", "value": 3}, "reason": "x"})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        problem_fields(&problem),
        [("limit".to_owned(), "exceeds_a15".to_owned())]
    );
    // Nobody else's name.
    let mut as_other = six_days.clone();
    as_other["edited_by"] = json!("someone-else");
    let (status, _, problem) = send(&admin, admin.post(&edit_url).json(&as_other)).await;
    assert_eq!(
        (status, &problem["type"]),
        (403, &json!("/problems/actor_mismatch"))
    );

    // The administrator's edit: version 2, recorded with who and why.
    let (status, _, saved) = send(&admin, admin.post(&edit_url).json(&six_days)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["limit"]["value"], 6);
    assert_eq!(saved["created_by"], "policy-admin");
    assert_eq!(saved["reason"], "省级规定调整");
    let (_, _, list) = send(&head, head.get(&list_url)).await;
    let versions: Vec<&Value> = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["policy_id"] == "handling-suggestion-normal")
        .map(|p| &p["version"])
        .collect();
    assert_eq!(versions, [&json!(2)], "one active version, the new one");

    // The same edit against version 1 again: changed meanwhile.
    let (status, _, problem) = send(&admin, admin.post(&edit_url).json(&six_days)).await;
    assert_eq!(status, 409, "{problem}");
    let (status, _, _) = send(
        &admin,
        admin
            .post(stack.url("/api/v1/policies/no-such-policy"))
            .json(&six_days),
    )
    .await;
    assert_eq!(status, 404);

    // The supervision board's near-due list (A17) is the center's and the authority's.
    let (status, _, near) = send(&head, head.get(stack.url("/api/v1/near-due"))).await;
    assert_eq!(status, 200, "{near}");
    assert!(
        near["clocks"].is_array() && near["until"].is_string(),
        "{near}"
    );
    let (status, _, problem) = send(&head, head.get(stack.url("/api/v1/near-due?limit=0"))).await;
    assert_eq!(
        problem_fields(&problem),
        [("limit".to_owned(), "out_of_range".to_owned())],
        "{status}"
    );
    stack.stop().await;
}
