#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The KPI report through the gateway (issue 9): orders registered through the public API
//! are counted in the cohort of their period, sliced by county, and bad parameters get a
//! problem+json naming the parameter.

use std::time::Duration;

use chrono::Utc;
use hotline_e2e::{Role, Stack};
use hotline_test_support::wait_for;
use serde_json::{Value, json};

#[tokio::test]
async fn registered_orders_appear_in_the_kpis_of_their_period() {
    let stack = Stack::start().await;
    let http = reqwest::Client::new();
    let analyst = stack.user("analyst-1", Role::Analyst, None).await;
    let from = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    for (n, region) in ["520102", "520102", "520103"].iter().enumerate() {
        let r = http
            .post(stack.url("/api/v1/orders"))
            .json(&json!({
                "channel": "web_message", "kind": "complaint",
                "requester": {"type": "person", "name": "赵六", "phone": format!("1391234560{n}")},
                "matter": format!("第{n}号商铺销售过期食品，请核查处理。"),
                "category": "market.consumer", "region_code": region,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let to = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let url = reqwest::Url::parse_with_params(
        &stack.url("/api/v1/kpis"),
        &[
            ("from", from.as_str()),
            ("to", to.as_str()),
            ("slice", "county"),
        ],
    )
    .unwrap();
    let report: Value = wait_for(
        "the three orders dispatched in the KPIs",
        Duration::from_secs(60),
        || {
            let (http, url) = (analyst.clone(), url.clone());
            async move {
                let report: Value = http.get(url).send().await.ok()?.json().await.ok()?;
                let rows = report["rows"].as_array()?;
                let dispatched: i64 = rows
                    .iter()
                    .map(|r| r["counts"]["dispatched"].as_i64().unwrap_or(0))
                    .sum();
                (dispatched == 3).then_some(report)
            }
        },
    )
    .await;
    let rows = report["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["520102", "520103"]);
    assert_eq!(rows[0]["counts"]["registered"], 2);
    assert_eq!(rows[0]["dispatch_accuracy"], 1.0);
    assert_eq!(rows[0]["response_rate"], 0.0, "{report}");
    assert!(
        rows[0]["satisfaction_rate"].is_null(),
        "nothing to measure yet: {report}"
    );

    // Citizens do not read the KPIs; analysts do.
    let refused = http.get(url.clone()).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let bad = analyst
        .get(stack.url("/api/v1/kpis?from=yesterday&to=today"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "from", "{problem}");
    let backwards = reqwest::Url::parse_with_params(
        &stack.url("/api/v1/kpis"),
        &[("from", to.as_str()), ("to", from.as_str())],
    )
    .unwrap();
    let bad = analyst.get(backwards).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 422);
    stack.stop().await;
}
