#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Open311 GeoReport v2 facade (issue 10, docs/open311.md), by HTTP as a 311 client
//! would use it: list services, post a form-encoded request, read it back.

use std::time::Duration;

use hotline_e2e::Stack;
use hotline_test_support::wait_for;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

fn request_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("jurisdiction_id", "guizhou.12345.gov.cn"),
        ("service_code", "environment.noise"),
        ("lat", "26.5783"),
        ("long", "106.7135"),
        ("address_string", "贵阳市南明区花果园某小区"),
        (
            "description",
            "小区旁工地夜间施工，噪声扰民，希望有关部门处理。",
        ),
        ("first_name", "三"),
        ("last_name", "张"),
        ("phone", "13812345678"),
        ("email", "zhang@example.com"),
    ]
}

/// An Open311 error array: every entry carries `status` as its code; the descriptions.
async fn open311_error(response: reqwest::Response, status: u16) -> Vec<String> {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    let entries = body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"));
    assert!(!entries.is_empty(), "{body}");
    entries
        .iter()
        .map(|e| {
            assert_eq!(e["code"], status, "{body}");
            e["description"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn names(descriptions: &[String], field: &str) -> bool {
    descriptions
        .iter()
        .any(|d| d.starts_with(&format!("{field}：")))
}

#[tokio::test]
async fn a_311_client_lists_services_posts_a_request_and_follows_it() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let http = reqwest::Client::new();

    // Services: the dispatch catalogue, with Chinese names.
    let r = http
        .get(stack.url("/open311/v2/services.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let services: Value = r.json().await.unwrap();
    let noise = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "environment.noise")
        .unwrap_or_else(|| panic!("environment.noise not listed: {services}"));
    assert_eq!(noise["service_name"], "噪声污染");
    assert_eq!(noise["metadata"], false);
    assert_eq!(noise["type"], "realtime");
    assert_eq!(noise["group"], "environment");
    let r = http
        .get(stack.url("/open311/v2/services/environment.noise.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let definition: Value = r.json().await.unwrap();
    assert_eq!(
        definition,
        json!({"service_code": "environment.noise", "attributes": []})
    );
    let r = http
        .get(stack.url("/open311/v2/services/no.such.service.json"))
        .send()
        .await
        .unwrap();
    assert!(names(&open311_error(r, 404).await, "service_code"));

    // A request, form-encoded as GeoReport v2 posts it.
    let r = http
        .post(stack.url("/open311/v2/requests.json"))
        .form(&request_form())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let created: Value = r.json().await.unwrap();
    let created = &created[0];
    let number = created["service_request_id"].as_str().unwrap().to_owned();
    let check = created["check_code"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("520102"),
        "county read from the address: {number}"
    );
    assert!(
        created["service_notice"]
            .as_str()
            .unwrap()
            .contains("查询码")
    );
    assert!(created["account_id"].is_null() && created["token"].is_null());

    // It is an order like any other: our own progress query shows it with the check code.
    let view = wait_for("the order to be dispatched", WAIT, || async {
        let v = stack.public_view(&number, &check).await?;
        (v["status"] == "dispatched").then_some(v)
    })
    .await;
    assert_eq!(view["channel"], "web_message");

    // By id alone: open, the service and dates, nothing personal and not the matter.
    let r = http
        .get(stack.url(&format!("/open311/v2/requests/{number}.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let read: Value = serde_json::from_str(&text).unwrap();
    let read = &read[0];
    assert_eq!(read["service_request_id"], number.as_str());
    assert_eq!(read["status"], "open");
    assert_eq!(read["status_notes"], "已派单");
    assert_eq!(read["service_code"], "environment.noise");
    assert_eq!(read["service_name"], "噪声污染");
    assert!(
        read["requested_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    for personal in [
        "13812345678",
        "张",
        "噪声扰民",
        "花果园",
        "26.5783",
        "example.com",
    ] {
        assert!(!text.contains(personal), "{personal:?} in {text}");
    }
    for absent in ["description", "address", "lat", "long", "media_url"] {
        assert!(read.get(absent).is_none(), "{absent} in {text}");
    }

    // With the check code the same answer (the reply comes once closed); a wrong code is
    // a 404 that does not say which part was wrong.
    let r = http
        .get(stack.url(&format!(
            "/open311/v2/requests/{number}.json?check_code={check}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let wrong = if check == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = http
        .get(stack.url(&format!(
            "/open311/v2/requests/{number}.json?check_code={wrong}"
        )))
        .send()
        .await
        .unwrap();
    assert!(names(&open311_error(r, 404).await, "service_request_id"));

    // The list lookup by ids: known ones only.
    let r = http
        .get(stack.url(&format!(
            "/open311/v2/requests.json?service_request_id={number},5201020000000000"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listed: Value = r.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["service_request_id"], number.as_str());
    let r = http
        .get(stack.url("/open311/v2/requests.json?status=open"))
        .send()
        .await
        .unwrap();
    assert!(names(&open311_error(r, 400).await, "service_request_id"));

    stack.stop().await;
}

#[tokio::test]
async fn bad_requests_get_open311_errors_naming_the_field() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let http = reqwest::Client::new();
    let post = |form: Vec<(&'static str, &'static str)>| {
        http.post(stack.url("/open311/v2/requests.json"))
            .form(&form)
            .send()
    };
    let without = |field: &str| -> Vec<(&'static str, &'static str)> {
        request_form()
            .into_iter()
            .filter(|(k, _)| *k != field)
            .collect()
    };

    let r = post(without("service_code")).await.unwrap();
    assert!(names(&open311_error(r, 400).await, "service_code"));

    let no_place: Vec<_> = request_form()
        .into_iter()
        .filter(|(k, _)| !["lat", "long", "address_string"].contains(k))
        .collect();
    let r = post(no_place).await.unwrap();
    let errors = open311_error(r, 400).await;
    assert!(names(&errors, "lat/long, address_string"), "{errors:?}");

    // Optional in GeoReport v2, required by our intake (A11).
    let r = post(without("phone")).await.unwrap();
    assert!(names(&open311_error(r, 400).await, "phone"));

    let mut unknown = without("service_code");
    unknown.push(("service_code", "no.such.service"));
    let r = post(unknown).await.unwrap();
    assert!(names(&open311_error(r, 404).await, "service_code"));

    let mut elsewhere = without("jurisdiction_id");
    elsewhere.push(("jurisdiction_id", "chicago.gov"));
    let r = post(elsewhere).await.unwrap();
    assert!(names(&open311_error(r, 404).await, "jurisdiction_id"));

    // Intake's own checks come back under the Open311 field names.
    let mut bad_phone = without("phone");
    bad_phone.push(("phone", "12"));
    let r = post(bad_phone).await.unwrap();
    assert!(names(&open311_error(r, 400).await, "phone"));

    // JSON bodies are accepted too; numbers may be numbers.
    let r = http
        .post(stack.url("/open311/v2/requests.json"))
        .json(&json!({
            "service_code": "environment.noise",
            "lat": 26.5783,
            "long": 106.7135,
            "region_code": "520102",
            "description": "夜间施工噪声",
            "phone": "13812345678",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // Unknown ids, XML.
    let r = http
        .get(stack.url("/open311/v2/requests/5201020000000000.json"))
        .send()
        .await
        .unwrap();
    assert!(names(&open311_error(r, 404).await, "service_request_id"));
    let r = http
        .get(stack.url("/open311/v2/services.xml"))
        .send()
        .await
        .unwrap();
    assert!(names(&open311_error(r, 400).await, "format"));

    stack.stop().await;
}
