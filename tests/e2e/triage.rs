//! Triage through the gateway (A9, A10): one test per disposition, asserting the event
//! published and what the public progress query shows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use hotline_e2e::{Role, Stack};
use hotline_test_support::wait_for;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn phone_call(kind: &str, matter: &str, triage: Value) -> Value {
    json!({
        "channel": "phone", "kind": kind, "agent_id": "agent-007",
        "requester": {"type": "person", "name": "李四", "phone": "13987654321"},
        "matter": matter, "region_code": "520102",
        "triage": triage,
    })
}

async fn submit(stack: &Stack, body: &Value) -> Value {
    let r = stack
        .acting(body)
        .await
        .post(stack.url("/api/v1/orders"))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn public_status(stack: &Stack, receipt: &Value) -> Value {
    stack
        .public_view(
            receipt["number"].as_str().unwrap(),
            receipt["check_code"].as_str().unwrap(),
        )
        .await
        .expect("the public view answers 200")
}

/// The events about one order published so far: (subject without namespace, data).
async fn events_about(stack: &Stack, order_id: &str) -> Vec<(String, Value)> {
    let prefix = format!("{}.", stack.namespace);
    stack
        .all_events()
        .await
        .into_iter()
        .filter_map(|(subject, payload)| {
            let env: Value = serde_json::from_str(&payload).ok()?;
            (env["subject"] == order_id).then(|| {
                (
                    subject.trim_start_matches(&prefix).to_owned(),
                    env["data"].clone(),
                )
            })
        })
        .collect()
}

async fn wait_for_event(stack: &Stack, order_id: &str, subject: &str) -> Value {
    wait_for(&format!("{subject} for {order_id}"), WAIT, || async {
        events_about(stack, order_id)
            .await
            .into_iter()
            .find(|(s, _)| s == subject)
            .map(|(_, data)| data)
    })
    .await
}

async fn subjects_about(stack: &Stack, order_id: &str) -> Vec<String> {
    events_about(stack, order_id)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

#[tokio::test]
async fn a_consultation_answered_from_the_knowledge_base_is_closed_at_once() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let receipt = submit(
        &stack,
        &phone_call(
            "consultation",
            "小微企业社保补贴怎么申请？",
            json!({"disposition": "answer", "article_id": "kb-social-insurance-subsidy", "article_version": 3}),
        ),
    )
    .await;
    assert_eq!(receipt["disposition"], "answered_directly");
    let order_id = receipt["order_id"].as_str().unwrap();
    let answered = wait_for_event(&stack, order_id, "hotline.order.answered").await;
    assert_eq!(answered["article_id"], "kb-social-insurance-subsidy");
    assert_eq!(answered["article_version"], 3);
    assert_eq!(answered["answered_by"], "agent-007");
    assert_eq!(answered["registration"]["kind"], "consultation");
    assert_eq!(
        subjects_about(&stack, order_id).await,
        ["hotline.order.answered"],
        "never dispatched"
    );
    let view = public_status(&stack, &receipt).await;
    assert_eq!(view["status"], "answered_directly");
    stack.stop().await;
}

#[tokio::test]
async fn an_agent_transfers_an_emergency_to_119() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let receipt = submit(
        &stack,
        &phone_call(
            "help",
            "仓库冒出浓烟",
            json!({"disposition": "transfer", "partner_code": "119"}),
        ),
    )
    .await;
    assert_eq!(receipt["disposition"], "transfer_requested");
    let order_id = receipt["order_id"].as_str().unwrap();
    let transfer = wait_for_event(
        &stack,
        order_id,
        "hotline.order.transfer_requested.emergency",
    )
    .await;
    assert_eq!(transfer["partner_code"], "119");
    assert_eq!(transfer["emergency"], true);
    assert_eq!(transfer["requested_by"], "agent-007");
    assert_eq!(
        public_status(&stack, &receipt).await["status"],
        "transfer_requested"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_web_message_about_a_fire_tells_the_requester_to_call_119_and_is_transferred() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let receipt = submit(
        &stack,
        &json!({
            "channel": "web_message", "kind": "help",
            "requester": {"type": "person", "phone": "13987654321"},
            "matter": "我家楼下的餐馆着火了！", "region_code": "520102",
        }),
    )
    .await;
    assert_eq!(receipt["disposition"], "transfer_requested");
    assert!(
        receipt["notice"].as_str().unwrap().contains("119"),
        "{receipt}"
    );
    let order_id = receipt["order_id"].as_str().unwrap();
    let transfer = wait_for_event(
        &stack,
        order_id,
        "hotline.order.transfer_requested.emergency",
    )
    .await;
    assert_eq!(transfer["partner_code"], "119");
    assert_eq!(transfer["requested_by"], "rule:emergency-keywords");
    stack.stop().await;
}

#[tokio::test]
async fn a_matter_for_the_courts_is_closed_with_the_route_told() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let receipt = submit(
        &stack,
        &phone_call(
            "complaint",
            "要求法院改判合同纠纷案件",
            json!({"disposition": "redirect", "reason": "litigation"}),
        ),
    )
    .await;
    assert_eq!(receipt["disposition"], "redirected");
    assert!(
        receipt["notice"].as_str().unwrap().contains("诉讼"),
        "{receipt}"
    );
    let order_id = receipt["order_id"].as_str().unwrap();
    let redirected = wait_for_event(&stack, order_id, "hotline.order.redirected").await;
    assert_eq!(redirected["reason"], "litigation");
    assert_eq!(
        public_status(&stack, &receipt).await["status"],
        "redirected"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_repeat_without_new_facts_is_linked_and_one_with_new_facts_is_dispatched_as_a_follow_up()
{
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let first = submit(
        &stack,
        &phone_call(
            "complaint",
            "小区路灯坏了一个月",
            json!({"disposition": "dispatch"}),
        ),
    )
    .await;
    let first_id = first["order_id"].as_str().unwrap();
    let first_number = first["number"].as_str().unwrap();

    let repeat = submit(
        &stack,
        &phone_call(
            "complaint",
            "还是路灯的事，问问进度",
            json!({"disposition": "repeat", "earlier_number": first_number, "new_facts": false}),
        ),
    )
    .await;
    assert_eq!(repeat["disposition"], "repeat_linked");
    assert!(
        repeat["notice"].as_str().unwrap().contains(first_number),
        "{repeat}"
    );
    let linked = wait_for_event(
        &stack,
        repeat["order_id"].as_str().unwrap(),
        "hotline.order.repeat_linked",
    )
    .await;
    assert_eq!(linked["earlier_order_id"], first_id);
    assert_eq!(linked["earlier_number"], first_number);
    assert_eq!(
        public_status(&stack, &repeat).await["status"],
        "repeat_linked"
    );

    let follow_up = submit(
        &stack,
        &phone_call(
            "complaint",
            "路灯修好后又坏了，还漏电",
            json!({"disposition": "repeat", "earlier_number": first_number, "new_facts": true}),
        ),
    )
    .await;
    assert_eq!(follow_up["disposition"], "dispatched");
    let follow_up_id = follow_up["order_id"].as_str().unwrap();
    let registered = wait_for_event(&stack, follow_up_id, "hotline.order.registered").await;
    assert_eq!(registered["follow_up_of"], first_id);
    wait_for_event(&stack, follow_up_id, "hotline.order.dispatched").await;

    let agent = stack.user("agent-007", Role::Agent, None).await;
    let unknown = agent
        .post(stack.url("/api/v1/orders"))
        .json(&phone_call(
            "complaint",
            "x",
            json!({"disposition": "repeat", "earlier_number": "5201029901010001", "new_facts": false}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 422);
    let problem: Value = unknown.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "triage.earlier_number");
    stack.stop().await;
}

#[tokio::test]
async fn a_web_message_posted_again_by_the_same_requester_is_linked_and_agents_see_candidates() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let message = json!({
        "channel": "web_message", "kind": "complaint",
        "requester": {"type": "person", "phone": "13911112222"},
        "matter": "花果园小区旁工地每天晚上施工到凌晨两点，噪音太大，无法休息。",
        "category": "environment.noise", "region_code": "520102",
    });
    let first = submit(&stack, &message).await;
    assert_eq!(first["disposition"], "dispatched");
    let again = submit(&stack, &message).await;
    assert_eq!(again["disposition"], "repeat_linked", "{again}");
    let linked = wait_for_event(
        &stack,
        again["order_id"].as_str().unwrap(),
        "hotline.order.repeat_linked",
    )
    .await;
    assert_eq!(linked["earlier_number"], first["number"]);
    assert_eq!(linked["decided_by"], "rule:repeat-auto-link");

    // An agent taking a call about the same matter sees the earlier order as a candidate.
    let agent = stack.user("agent-007", Role::Agent, None).await;
    let r = agent
        .post(stack.url("/api/v1/repeat-candidates"))
        .json(&json!({"phone": "13911112222", "region_code": "520102",
                      "matter": "花果园工地晚上施工太吵了，到凌晨还在施工"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let candidates: Value = r.json().await.unwrap();
    assert_eq!(candidates[0]["number"], first["number"], "{candidates}");
    assert_eq!(candidates[0]["same_requester"], true);

    // A different matter from someone else is not linked.
    let other = submit(
        &stack,
        &json!({"channel": "web_message", "kind": "help",
                "requester": {"type": "person", "phone": "13933334444"},
                "matter": "观山湖区某小区停水两天了", "region_code": "520115"}),
    )
    .await;
    assert_eq!(other["disposition"], "dispatched");
    stack.stop().await;
}

#[tokio::test]
async fn secrets_and_privacy_are_explained_and_unlawful_demands_are_met_with_persuasion() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    for (reason, told) in [
        ("state_secret", "国家秘密"),
        ("trade_secret", "商业秘密"),
        ("personal_privacy", "个人隐私"),
        ("unlawful", "劝导"),
    ] {
        let receipt = submit(
            &stack,
            &phone_call(
                "suggestion",
                "……",
                json!({"disposition": "redirect", "reason": reason}),
            ),
        )
        .await;
        assert_eq!(receipt["disposition"], "redirected");
        assert!(
            receipt["notice"].as_str().unwrap().contains(told),
            "{reason}: {receipt}"
        );
        let order_id = receipt["order_id"].as_str().unwrap();
        let redirected = wait_for_event(&stack, order_id, "hotline.order.redirected").await;
        assert_eq!(redirected["reason"], reason);
        assert_eq!(
            public_status(&stack, &receipt).await["status"],
            "redirected"
        );
    }
    stack.stop().await;
}
