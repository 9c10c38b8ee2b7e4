//! The public calendar through the gateway (issue 6, "Query"): when a time limit runs out
//! (`GET /api/v1/calendar/due`) and a year of the official calendar
//! (`GET /api/v1/calendar/{year}`), answered by the deadline-watcher over NATS, with bad
//! input refused as problem+json naming the parameter and a year without data refused
//! naming the year. No login is needed for either.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use hotline_e2e::{Stack, problem_fields};
use serde_json::Value;

async fn get(stack: &Stack, path: &str) -> (u16, Option<String>, Value) {
    let r = reqwest::get(stack.url(path)).await.unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, content_type, r.json().await.unwrap_or(Value::Null))
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// `(field, code)` of the errors a problem lists.
type Named = Vec<(String, String)>;

#[tokio::test]
async fn a_due_instant_is_counted_across_national_day_and_hours_run_straight_through() {
    let stack = Stack::start().await;
    stack.wait_ready().await;

    // Wednesday 2026-09-30 10:00 in Guizhou. The 2026 schedule has October 1–7 off and
    // Thursday October 8 worked, so "within 1 working day" ends at 00:00 on October 9.
    let (status, _, answer) = get(
        &stack,
        "/api/v1/calendar/due?from=2026-09-30T10:00:00%2B08:00&working_days=1",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(instant(&answer["due_at"]), at("2026-10-09T00:00:00+08:00"));
    assert_eq!(instant(&answer["from"]), at("2026-09-30T10:00:00+08:00"));
    assert_eq!(answer["rule"], "working_days");
    assert_eq!(answer["n"], 1);
    assert_eq!(answer["last_working_day"], "2026-10-08");

    // The same with the `+` left unescaped (it arrives as a space) and a UTC instant.
    for from in ["2026-09-30T10:00:00+08:00", "2026-09-30T02:00:00Z"] {
        let (status, _, again) = get(
            &stack,
            &format!("/api/v1/calendar/due?from={from}&working_days=1"),
        )
        .await;
        assert_eq!(status, 200, "{from}: {again}");
        assert_eq!(again["due_at"], answer["due_at"], "{from}");
    }

    // Hours are calendar hours: the holiday does not stop them.
    let (status, _, answer) = get(
        &stack,
        "/api/v1/calendar/due?from=2026-09-30T10:00:00%2B08:00&hours=24",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(instant(&answer["due_at"]), at("2026-10-01T10:00:00+08:00"));
    assert_eq!(answer["rule"], "hours");
    assert_eq!(answer["n"], 24);

    stack.stop().await;
}

#[tokio::test]
async fn a_year_lists_every_day_with_its_holidays_and_adjusted_working_days() {
    let stack = Stack::start().await;
    stack.wait_ready().await;

    let (status, _, year) = get(&stack, "/api/v1/calendar/2026").await;
    assert_eq!(status, 200, "{year}");
    assert_eq!(year["year"], 2026);
    let days = year["days"].as_array().unwrap();
    assert_eq!(days.len(), 365);
    let day = |date: &str| days.iter().find(|d| d["date"] == date).unwrap().clone();

    // Saturday October 10 is worked to make up for National Day.
    let october_10 = day("2026-10-10");
    assert_eq!(october_10["working"], true);
    assert_eq!(october_10["adjusted_working_day"], true);
    assert_eq!(october_10["holiday"], "国庆节");
    for date in ["2026-10-01", "2026-10-07"] {
        let off = day(date);
        assert_eq!(off["working"], false, "{date}");
        assert_eq!(off["holiday"], "国庆节", "{date}");
    }
    assert_eq!(day("2026-10-08")["working"], true);
    let sunday = day("2026-10-11");
    assert_eq!(sunday["working"], false);
    assert!(sunday.get("holiday").is_none(), "{sunday}");
    let working = days.iter().filter(|d| d["working"] == true).count();
    assert_eq!(year["working_days"], working);

    stack.stop().await;
}

#[tokio::test]
async fn bad_calendar_queries_are_refused_naming_the_parameter() {
    let stack = Stack::start().await;
    stack.wait_ready().await;

    let pair = |code: &str| {
        vec![
            ("working_days".to_owned(), code.to_owned()),
            ("hours".to_owned(), code.to_owned()),
        ]
    };
    let one = |field: &str, code: &str| vec![(field.to_owned(), code.to_owned())];
    let from = "from=2026-11-27T10:00:00%2B08:00";
    let cases: Vec<(&str, String, Named)> = vec![
        (
            "unparseable from",
            "/api/v1/calendar/due?from=tomorrow&working_days=1".to_owned(),
            one("from", "invalid_format"),
        ),
        (
            "from without an offset",
            "/api/v1/calendar/due?from=2026-11-27T10:00:00&working_days=1".to_owned(),
            one("from", "invalid_format"),
        ),
        (
            "missing from",
            "/api/v1/calendar/due?working_days=1".to_owned(),
            one("from", "required"),
        ),
        (
            "neither working days nor hours",
            format!("/api/v1/calendar/due?{from}"),
            pair("one_required"),
        ),
        (
            "both working days and hours",
            format!("/api/v1/calendar/due?{from}&working_days=1&hours=24"),
            pair("mutually_exclusive"),
        ),
        (
            "working days not a number",
            format!("/api/v1/calendar/due?{from}&working_days=abc"),
            one("working_days", "invalid_format"),
        ),
        (
            "negative hours",
            format!("/api/v1/calendar/due?{from}&hours=-3"),
            one("hours", "invalid_format"),
        ),
        (
            "zero working days",
            format!("/api/v1/calendar/due?{from}&working_days=0"),
            one("working_days", "out_of_range"),
        ),
        (
            "too many working days",
            format!("/api/v1/calendar/due?{from}&working_days=3651"),
            one("working_days", "out_of_range"),
        ),
        (
            "too many hours",
            format!("/api/v1/calendar/due?{from}&hours=100000"),
            one("hours", "out_of_range"),
        ),
        (
            "a year that is not a number",
            "/api/v1/calendar/twenty-twenty-six".to_owned(),
            one("year", "invalid_format"),
        ),
    ];
    for (name, path, expected) in cases {
        let (status, content_type, problem) = get(&stack, &path).await;
        assert_eq!(status, 400, "{name}: {problem}");
        assert_eq!(
            content_type.as_deref(),
            Some("application/problem+json"),
            "{name}"
        );
        assert_eq!(problem["type"], "/problems/invalid_parameter", "{name}");
        assert_eq!(problem["status"], 400, "{name}");
        assert_eq!(problem_fields(&problem), expected, "{name}: {problem}");
    }

    stack.stop().await;
}

#[tokio::test]
async fn a_year_without_calendar_data_is_refused_naming_the_year_never_guessed() {
    let stack = Stack::start().await;
    stack.wait_ready().await;

    // The embedded calendar covers 2024–2026. Thursday 2026-12-31: the next working day is
    // in 2027, so the due instant cannot be computed yet.
    for path in [
        "/api/v1/calendar/2027",
        "/api/v1/calendar/due?from=2026-12-31T10:00:00%2B08:00&working_days=1",
    ] {
        let (status, content_type, problem) = get(&stack, path).await;
        assert_eq!(status, 404, "{path}: {problem}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        assert_eq!(problem["type"], "/problems/calendar_year_missing", "{path}");
        assert!(
            problem["detail"].as_str().unwrap().contains("2027"),
            "{path}: {problem}"
        );
        assert_eq!(
            problem_fields(&problem),
            [("year".to_owned(), "calendar_year_missing".to_owned())]
        );
    }
    // December 30 + 1 working day ends at 00:00 on January 1, 2027: computable.
    let (status, _, answer) = get(
        &stack,
        "/api/v1/calendar/due?from=2026-12-30T10:00:00%2B08:00&working_days=1",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(instant(&answer["due_at"]), at("2027-01-01T00:00:00+08:00"));

    // Both routes are in the OpenAPI document.
    let (status, _, doc) = get(&stack, "/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["paths"]["/api/v1/calendar/due"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/calendar/{year}"]["get"].is_object());

    stack.stop().await;
}
