#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Bulletins through the gateway (issue 9, A18): orders registered through the public API
//! and dispatched by the router; `POST /api/v1/bulletins` makes this month's bulletin,
//! tiered from the router's real unit directory; `GET /api/v1/bulletins` lists it and
//! `GET /api/v1/bulletins/{id}` serves it as JSON, as HTML (text/html under a CSP that
//! allows inline styles only, with its SVG charts) and as CSV. Bad parameters get a
//! problem+json naming the parameter; an unknown bulletin a 404. The published event, like
//! every event, carries no personal data (checked by `Stack::stop`).

use std::time::Duration;

use chrono::{Datelike, Utc};
use hotline_e2e::{Role, Stack};
use hotline_test_support::wait_for;
use serde_json::{Value, json};

#[tokio::test]
async fn a_bulletin_made_on_demand_is_served_as_json_html_and_csv() {
    let stack = Stack::start().await;
    // An analyst reads the KPIs and asks for the bulletin (citizens may read it).
    let http = stack.user("analyst-1", Role::Analyst, None).await;
    let from = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    for n in 0..3 {
        let r = http
            .post(stack.url("/api/v1/orders"))
            .json(&json!({
                "channel": "web_message", "kind": "complaint",
                "requester": {"type": "person", "name": "赵六", "phone": format!("1391234561{n}")},
                "matter": format!("第{n}号商铺销售过期食品，请核查处理。"),
                "category": "market.consumer", "region_code": "520102",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let to = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let kpis = reqwest::Url::parse_with_params(
        &stack.url("/api/v1/kpis"),
        &[("from", from.as_str()), ("to", to.as_str())],
    )
    .unwrap();
    wait_for(
        "the three orders dispatched",
        Duration::from_secs(60),
        || {
            let (http, url) = (http.clone(), kpis.clone());
            async move {
                let report: Value = http.get(url).send().await.ok()?.json().await.ok()?;
                (report["rows"][0]["counts"]["dispatched"].as_i64()? == 3).then_some(())
            }
        },
    )
    .await;

    // This month (Asia/Shanghai).
    let today = (Utc::now() + chrono::Duration::hours(8)).date_naive();
    let month = today.with_day(1).unwrap().to_string();
    let made = http
        .post(stack.url("/api/v1/bulletins"))
        .json(&json!({"kind": "month", "period_start": month}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status().as_u16(), 201);
    let location = made.headers()["location"].to_str().unwrap().to_owned();
    let summary: Value = made.json().await.unwrap();
    let id = summary["bulletin_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/bulletins/{id}"));
    assert_eq!(summary["trigger"], "demand");
    assert_eq!(summary["complete"], false);
    assert!(summary["registered"].as_i64().unwrap() >= 3, "{summary}");

    let list: Value = http
        .get(stack.url("/api/v1/bulletins?kind=month"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list["bulletins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["bulletin_id"] == id.as_str()),
        "{list}"
    );

    let json_doc = http
        .get(stack.url(&format!("/api/v1/bulletins/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(json_doc.headers()["content-type"], "application/json");
    let bulletin: Value = json_doc.json().await.unwrap();
    // The router answered: tiers from its directory.
    assert_eq!(bulletin["tiering"], "directory", "{bulletin}");
    let tiers = bulletin["tiers"].as_array().unwrap();
    assert!(!tiers.is_empty(), "{bulletin}");
    assert!(
        tiers.iter().all(|t| t["key"] != "unlisted"),
        "every dispatched unit is in the directory: {bulletin}"
    );

    let html = http
        .get(stack.url(&format!("/api/v1/bulletins/{id}?format=html")))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status().as_u16(), 200);
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        html.headers()["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    );
    let page = html.text().await.unwrap();
    assert!(page.contains("<svg class=\"chart scores\""));
    assert!(page.contains("<svg class=\"chart trend\""));
    assert!(!page.contains("<script"));

    let csv = http
        .get(stack.url(&format!("/api/v1/bulletins/{id}?format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.text().await.unwrap().contains("档次,名次,单位"));

    // Bad input: problem+json naming the parameter; an unknown bulletin: 404.
    for (method_post, path, body, status, field) in [
        (false, "/api/v1/bulletins?kind=daily", None, 400, "kind"),
        (false, "/api/v1/bulletins?limit=0", None, 422, "limit"),
        (
            false,
            &format!("/api/v1/bulletins/{id}?format=pdf") as &str,
            None,
            400,
            "format",
        ),
        (
            false,
            "/api/v1/bulletins/not-a-uuid",
            None,
            400,
            "bulletin_id",
        ),
        (
            true,
            "/api/v1/bulletins",
            Some(
                json!({"kind": "month", "period_start": format!("{}-{:02}-02", today.year(), today.month())}),
            ),
            422,
            "period_start",
        ),
    ] {
        let request = if method_post {
            http.post(stack.url(path)).json(&body.unwrap())
        } else {
            http.get(stack.url(path))
        };
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{path}: {problem}");
    }
    let missing = http
        .get(stack.url("/api/v1/bulletins/01936a1e-0000-7000-8000-000000000000?format=html"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    stack.stop().await;
}
