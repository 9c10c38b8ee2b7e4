#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hot spots end to end (A17.4): twenty residents of one street complain through the
//! gateway about the same uncollected rubbish, and twenty others about twenty unrelated
//! matters of the same district. Intake's scan (every second here) finds one hot spot, the
//! street's, and not the unrelated orders; supervision reports it to the district's
//! government with the units involved and the share of orders dispatched without a clear
//! unit; the report is read through the gateway. One complainant writes their name and
//! phone number into the matter: neither reaches any event or log (checked by
//! `Stack::stop`).

use std::time::Duration;

use hotline_e2e::{Adjust, Stack};
use hotline_test_support::wait_for;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);
use hotline_test_support::hotspot_matters as samples;

async fn register(
    http: &reqwest::Client,
    stack: &Stack,
    matter: &str,
    phone: &str,
    category: Option<&str>,
) -> String {
    let mut body = json!({
        "channel": "web_message",
        "kind": "complaint",
        "requester": {"type": "person", "phone": phone},
        "matter": matter,
        "region_code": "520102",
    });
    if let Some(category) = category {
        body["category"] = json!(category);
    }
    let r = http
        .post(stack.url("/api/v1/orders"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let receipt: Value = r.json().await.unwrap();
    receipt["number"].as_str().unwrap().to_owned()
}

async fn get(http: &reqwest::Client, stack: &Stack, path: &str) -> (u16, Value) {
    let r = http.get(stack.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_street_of_similar_complaints_is_a_hot_spot_reported_to_the_district_and_unrelated_ones_are_not()
 {
    let stack = Stack::start_adjusted(
        Adjust::default()
            .gateway(|g| g.gateway.submit_per_minute = 0)
            .intake(|i| i.intake.hotspot_scan_interval_secs = 1),
    )
    .await;
    stack.wait_ready().await;
    let http = reqwest::Client::new();

    let mut street = Vec::new();
    for (i, matter) in samples("street").iter().enumerate() {
        // One complainant writes their name and number into the matter (A21 test).
        let matter = if i == 5 {
            format!("我是张三，电话13812345678，{matter}")
        } else {
            (*matter).to_owned()
        };
        // Eight name the public-facilities category (a rule names the unit); twelve name
        // none (the district government organises the handling: an unclear unit, A12.3).
        let category = (i < 8).then_some("utilities.public_facilities");
        street.push(
            register(
                &http,
                &stack,
                &matter,
                &format!("139{:08}", 1000 + i),
                category,
            )
            .await,
        );
    }
    let mut unrelated = Vec::new();
    for (i, matter) in samples("unrelated").iter().enumerate() {
        unrelated.push(register(&http, &stack, matter, &format!("137{:08}", 2000 + i), None).await);
    }

    // The scan runs every second; the report follows once every order is dispatched.
    let report = wait_for("the street's hot spot to be reported", WAIT, || async {
        let (status, list) = get(&http, &stack, "/api/v1/hotspots").await;
        assert_eq!(status, 200, "{list}");
        let items = list["items"].as_array().unwrap();
        let report = items.first()?.clone();
        let units_known = report["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["unit_id"].is_string());
        (report["order_count"] == 20 && units_known).then_some(report)
    })
    .await;

    let (_, list) = get(&http, &stack, "/api/v1/hotspots").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let mut numbers: Vec<String> = report["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].as_str().unwrap().to_owned())
        .collect();
    numbers.sort();
    street.sort();
    assert_eq!(numbers, street);
    assert!(unrelated.iter().all(|n| !numbers.contains(n)));
    // 新华路街道 of 南明区: a township's hot spot goes to its county's government.
    assert_eq!(report["region_code"], "520102016");
    assert_eq!(report["region_level"], "township");
    assert_eq!(report["addressed_to"], "gov-520102");
    assert_eq!(report["requesters"], 20);
    let keywords: Vec<&str> = report["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(keywords.contains(&"清运"), "{keywords:?}");
    assert!(keywords.iter().all(|k| !k.contains("张三")));
    assert_eq!(report["unclear_orders"], 12);
    assert_eq!(report["unclear_share"], 0.6);
    let units = report["units"].as_array().unwrap();
    assert_eq!(units.len(), 2, "{units:?}");
    assert_eq!(units[0]["unit_id"], "gov-520102");
    assert_eq!(units[0]["orders"], 12);
    assert_eq!(units[1]["orders"], 8);
    let trend_total: u64 = report["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["orders"].as_u64().unwrap())
        .sum();
    assert_eq!(trend_total, 20);

    // One report by id; an unknown or malformed id is refused.
    let id = report["hotspot_id"].as_str().unwrap();
    let (status, one) = get(&http, &stack, &format!("/api/v1/hotspots/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["hotspot_id"], id);
    assert_eq!(one["order_count"], 20);
    let (status, _) = get(
        &http,
        &stack,
        "/api/v1/hotspots/0193a000-0000-7000-8000-000000000000",
    )
    .await;
    assert_eq!(status, 404);
    let (status, problem) = get(&http, &stack, "/api/v1/hotspots/not-a-uuid").await;
    assert_eq!(status, 400, "{problem}");
    let (status, problem) = get(&http, &stack, "/api/v1/hotspots?limit=0&region_code=52").await;
    assert_eq!(status, 422, "{problem}");
    // Filtered by another county: nothing.
    let (status, other) = get(&http, &stack, "/api/v1/hotspots?region_code=520103").await;
    assert_eq!(status, 200);
    assert!(other["items"].as_array().unwrap().is_empty());

    stack.stop().await;
}
