#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A14 end to end: an approved extension moves the handling deadline, and the requester's
//! public view shows the new expected completion date (A11).
//!
//! The router's approval workflow for extension requests is issue 5; until it exists this
//! test publishes the approval (`order.extension_granted`) as the router will.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline_contract::events::{LimitUnit, OrderExtensionGranted, TimeLimit};
use hotline_e2e::{Role, Stack};
use hotline_test_support::wait_for;
use hotline_workday::Calendar;
use serde_json::{Value, json};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);

fn completion(v: &Value) -> Option<DateTime<Utc>> {
    v["expected_completion_at"].as_str()?.parse().ok()
}

#[tokio::test]
async fn an_extension_moves_the_expected_completion_date_the_requester_sees() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let http = reqwest::Client::new();
    let r = http
        .post(stack.url("/api/v1/orders"))
        .json(&json!({
            "channel": "web_message",
            "kind": "complaint",
            "requester": {"type": "person", "name": "李四", "phone": "13912345678"},
            "matter": "小区旁工地夜间施工，噪声扰民，希望有关部门处理。",
            "category": "environment.noise",
            "region_code": "520102",
            "address": "南明区花果园某小区",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let receipt: Value = r.json().await.unwrap();
    let number = receipt["number"].as_str().unwrap().to_owned();
    let check = receipt["check_code"].as_str().unwrap().to_owned();
    let order_id: Uuid = receipt["order_id"].as_str().unwrap().parse().unwrap();

    wait_for("the order to be dispatched", WAIT, || async {
        let v = stack.public_view(&number, &check).await?;
        (v["status"] == "dispatched").then_some(())
    })
    .await;
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
    let first_due = wait_for("an expected completion date", WAIT, || async {
        completion(&stack.public_view(&number, &check).await?)
    })
    .await;

    // The center approves 5 more working days.
    let five = TimeLimit {
        unit: LimitUnit::WorkingDays,
        value: 5,
    };
    stack
        .publish_as(
            "router",
            OrderExtensionGranted {
                order_id,
                unit_id: "520102-env".to_owned(),
                extension_id: Uuid::now_v7(),
                extension: five,
                reason_code: "needs_site_survey".to_owned(),
                approved_by: "center-head-02".to_owned(),
                granted_at: Utc::now(),
            },
        )
        .await;
    let moved = wait_for("the expected completion date to move", WAIT, || async {
        completion(&stack.public_view(&number, &check).await?).filter(|due| *due != first_due)
    })
    .await;
    let expected = Calendar::official()
        .add_working_days(first_due - chrono::TimeDelta::seconds(1), 5)
        .unwrap();
    assert_eq!(
        moved, expected,
        "five working days after the day it was due"
    );
    stack.stop().await;
}
