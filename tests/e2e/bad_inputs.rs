#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Bad registrations through the public API, one table of cases (A3 channels, A11
//! registration): every one is refused with a 4xx problem+json naming the field at fault,
//! none stores an order, and no service panics or logs an error over any of them.
//!
//! Each case is sent from its own loopback address (127.0.1.N; all of 127/8 is loopback
//! on Linux), so the gateway's per-client submission limit, which the stack runs with its
//! defaults, does not interfere, and one case cannot pass because an earlier one used up
//! a shared budget.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use hotline_e2e::Stack;
use serde_json::{Value, json};

/// The gateway's default body limit (`[gateway] max_body_bytes`).
const GATEWAY_BODY_LIMIT: usize = 64 * 1024;

/// A valid web message; each case breaks exactly one thing about it.
fn order() -> Value {
    json!({
        "channel": "web_message",
        "kind": "complaint",
        "requester": {"type": "person", "name": "李四", "phone": "13912345678"},
        "matter": "小区门口道路破损，雨天积水严重，请有关部门修复。",
        "category": "urban.roads",
        "region_code": "520103",
        "address": "云岩区某路口",
    })
}

/// One bad request and what the gateway must say about it.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    status: u16,
    /// The field the problem names, and its code; `None` for whole-request problems
    /// (too large) that have no field list.
    field: Option<(&'static str, &'static str)>,
}

fn edit(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = order();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn without(path: &[&str]) -> Vec<u8> {
    edit(|v| {
        let (last, parents) = path.split_last().unwrap();
        let mut at = v;
        for p in parents {
            at = &mut at[*p];
        }
        at.as_object_mut().unwrap().remove(*last);
    })
}

/// The order with the string at `path` holding `bytes` as they are (not JSON-escaped,
/// not necessarily UTF-8).
fn raw(path: &[&str], bytes: &[u8]) -> Vec<u8> {
    let body = edit(|v| {
        let mut at = v;
        for p in path {
            at = &mut at[*p];
        }
        *at = json!("@@");
    });
    let marker = b"@@";
    let i = body.windows(2).position(|w| w == marker).unwrap();
    let mut out = body[..i].to_vec();
    out.extend_from_slice(bytes);
    out.extend_from_slice(&body[i + 2..]);
    out
}

fn case(name: &'static str, body: Vec<u8>, field: &'static str, code: &'static str) -> Case {
    Case {
        name,
        body,
        status: 422,
        field: Some((field, code)),
    }
}

fn cases() -> Vec<Case> {
    let township = "520103019"; // 大营路街道, a township-level code of the catalogue
    vec![
        // Missing required fields.
        case("missing matter", without(&["matter"]), "matter", "required"),
        case(
            "missing phone",
            without(&["requester", "phone"]),
            "requester.phone",
            "required",
        ),
        case(
            "missing region code",
            without(&["region_code"]),
            "region_code",
            "required",
        ),
        case(
            "missing channel",
            without(&["channel"]),
            "channel",
            "required",
        ),
        case("missing kind", without(&["kind"]), "kind", "required"),
        case(
            "missing requester",
            without(&["requester"]),
            "requester",
            "required",
        ),
        case(
            "blank matter",
            edit(|v| v["matter"] = json!("   \n ")),
            "matter",
            "required",
        ),
        // Over-long fields.
        case(
            "matter over 4000 characters",
            edit(|v| v["matter"] = json!("字".repeat(4001))),
            "matter",
            "too_long",
        ),
        case(
            "name over 50 characters",
            edit(|v| v["requester"]["name"] = json!("名".repeat(51))),
            "requester.name",
            "too_long",
        ),
        case(
            "address over 200 characters",
            edit(|v| v["address"] = json!("址".repeat(201))),
            "address",
            "too_long",
        ),
        case(
            "category over 64 characters",
            edit(|v| v["category"] = json!("a".repeat(65))),
            "category",
            "too_long",
        ),
        // Only a signed-in agent registers in an agent's name (issue 10): the gateway
        // refuses an anonymous body naming one before intake sees it.
        Case {
            name: "agent id from an anonymous caller",
            body: edit(|v| {
                v["channel"] = json!("phone");
                v["agent_id"] = json!("a".repeat(65));
            }),
            status: 401,
            field: None,
        },
        // Control characters and NUL bytes.
        case(
            "NUL in matter",
            edit(|v| v["matter"] = json!("道路\u{0}破损")),
            "matter",
            "nul_byte",
        ),
        case(
            "bell in name",
            edit(|v| v["requester"]["name"] = json!("李\u{7}四")),
            "requester.name",
            "control_character",
        ),
        case(
            "escape in address",
            edit(|v| v["address"] = json!("云岩区\u{1b}[31m")),
            "address",
            "control_character",
        ),
        case(
            "line break in name",
            edit(|v| v["requester"]["name"] = json!("李\n四")),
            "requester.name",
            "control_character",
        ),
        case(
            "raw unescaped control byte in matter",
            raw(&["matter"], b"a\x01b"),
            "matter",
            "control_character",
        ),
        // Invalid UTF-8 in the raw body.
        case(
            "invalid UTF-8 in matter",
            raw(&["matter"], b"\xff\xfe"),
            "matter",
            "invalid_encoding",
        ),
        case(
            "truncated UTF-8 sequence in name",
            raw(&["requester", "name"], b"\xe6\x9d"),
            "requester.name",
            "invalid_encoding",
        ),
        case(
            "invalid UTF-8 in address",
            raw(&["address"], b"\xc0\xaf"),
            "address",
            "invalid_encoding",
        ),
        // Not JSON at all.
        case("not JSON", b"{not json".to_vec(), "body", "invalid_json"),
        case("empty body", Vec::new(), "body", "invalid_json"),
        case(
            "truncated JSON",
            serde_json::to_vec(&order()).unwrap()[..40].to_vec(),
            "body",
            "invalid_json",
        ),
        case(
            "a JSON string instead of an object",
            b"\"please fix the road\"".to_vec(),
            "body",
            "invalid_type",
        ),
        // Wrong JSON types.
        case(
            "phone as a number",
            edit(|v| v["requester"]["phone"] = json!(13912345678u64)),
            "requester.phone",
            "invalid_type",
        ),
        case(
            "confidential as a string",
            edit(|v| v["confidential"] = json!("yes")),
            "confidential",
            "invalid_type",
        ),
        case(
            "matter as an array",
            edit(|v| v["matter"] = json!(["道路", "破损"])),
            "matter",
            "invalid_type",
        ),
        case(
            "requester as a string",
            edit(|v| v["requester"] = json!("李四")),
            "requester",
            "invalid_type",
        ),
        // Unknown fields (the contract denies them).
        case(
            "unknown top-level field",
            edit(|v| v["priority"] = json!("high")),
            "priority",
            "unknown_field",
        ),
        case(
            "unknown requester field",
            edit(|v| v["requester"]["email"] = json!("li@example.com")),
            "requester.email",
            "unknown_field",
        ),
        // Values outside their set.
        case(
            "channel fax",
            edit(|v| v["channel"] = json!("fax")),
            "channel",
            "invalid_value",
        ),
        case(
            "kind praise",
            edit(|v| v["kind"] = json!("praise")),
            "kind",
            "invalid_value",
        ),
        case(
            "requester type robot",
            edit(|v| v["requester"]["type"] = json!("robot")),
            "requester.type",
            "invalid_value",
        ),
        case(
            "urgency as a number",
            edit(|v| v["urgency"] = json!(3)),
            "urgency",
            "invalid_value",
        ),
        // Malformed phones.
        case(
            "phone too short",
            edit(|v| v["requester"]["phone"] = json!("13912")),
            "requester.phone",
            "invalid_format",
        ),
        case(
            "phone with letters",
            edit(|v| v["requester"]["phone"] = json!("139abcd5678")),
            "requester.phone",
            "invalid_format",
        ),
        case(
            "foreign phone",
            edit(|v| v["requester"]["phone"] = json!("+1 202 555 0100")),
            "requester.phone",
            "invalid_format",
        ),
        // Identity numbers.
        case(
            "resident number with a wrong check digit",
            edit(|v| v["requester"]["id_number"] = json!("110105194912310021")),
            "requester.id_number",
            "invalid_check_digit",
        ),
        case(
            "resident number born on 30 February",
            edit(|v| v["requester"]["id_number"] = json!("52010319990230123X")),
            "requester.id_number",
            "invalid_date",
        ),
        case(
            "resident number of 17 characters",
            edit(|v| v["requester"]["id_number"] = json!("52010319900307123")),
            "requester.id_number",
            "invalid_format",
        ),
        case(
            "credit code with a wrong check character",
            edit(|v| {
                v["requester"]["type"] = json!("legal_person");
                v["requester"]["id_number"] = json!("91350100M000100Y44");
            }),
            "requester.id_number",
            "invalid_check_digit",
        ),
        // Regions.
        case(
            "region outside Guizhou",
            edit(|v| v["region_code"] = json!("110101")),
            "region_code",
            "unknown",
        ),
        case(
            "5-digit region",
            edit(|v| v["region_code"] = json!("52010")),
            "region_code",
            "invalid_format",
        ),
        case(
            "township 9-digit code",
            edit(|v| v["region_code"] = json!(township)),
            "region_code",
            "invalid_format",
        ),
        // Impossible times.
        case(
            "requested in the future",
            edit(|v| v["requested_at"] = json!("2099-01-01T00:00:00+08:00")),
            "requested_at",
            "in_future",
        ),
        case(
            "requested over a year ago",
            edit(|v| v["requested_at"] = json!("2020-01-01T00:00:00Z")),
            "requested_at",
            "too_old",
        ),
        case(
            "requested on 30 February",
            edit(|v| v["requested_at"] = json!("2026-02-30T10:00:00Z")),
            "requested_at",
            "invalid_value",
        ),
        case(
            "requested at a time that is not a time",
            edit(|v| v["requested_at"] = json!("yesterday")),
            "requested_at",
            "invalid_value",
        ),
        // Channel rules (A3).
        case(
            "phone channel without an agent",
            edit(|v| v["channel"] = json!("phone")),
            "agent_id",
            "required",
        ),
        case(
            "online chat without an agent",
            edit(|v| v["channel"] = json!("online_chat")),
            "agent_id",
            "required",
        ),
        Case {
            name: "web message naming an agent, anonymously",
            body: edit(|v| v["agent_id"] = json!("agent-7")),
            status: 401,
            field: None,
        },
        // Too large for the gateway.
        Case {
            name: "body over the gateway limit",
            body: edit(|v| v["matter"] = json!("a".repeat(GATEWAY_BODY_LIMIT + 1024))),
            status: 413,
            field: None,
        },
    ]
}

/// Every panic in the process (any service's thread), as text.
fn record_panics() -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        sink.lock().unwrap().push(info.to_string());
        previous(info);
    }));
    seen
}

#[tokio::test]
async fn every_bad_registration_is_refused_with_its_field_and_stores_nothing() {
    let panics = record_panics();
    let stack = Stack::start().await;
    stack.wait_ready().await;
    assert!(
        stack.logs.contents().contains("gateway ready"),
        "this test reads the logs, so it must own the process's log capture"
    );

    let cases = cases();
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let source = IpAddr::V4(Ipv4Addr::new(127, 0, 1, u8::try_from(i + 1).unwrap()));
        let http = reqwest::Client::builder()
            .local_address(source)
            .build()
            .unwrap();
        let r = http
            .post(stack.url("/api/v1/orders"))
            .header("content-type", "application/json")
            .body(case.body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: no answer: {e}", case.name));
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let problem: Value = r.json().await.unwrap_or(Value::Null);

        let fields = hotline_e2e::problem_fields(&problem);
        let expected: Vec<(String, String)> = case
            .field
            .iter()
            .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
            .collect();
        let ok = status == case.status
            && (400..500).contains(&status)
            && content_type == "application/problem+json"
            && problem["status"] == status
            && fields == expected;
        if !ok {
            failures.push(format!(
                "{}: got {status} {content_type} {fields:?}, expected {} {expected:?}; {problem}",
                case.name, case.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Nothing was stored.
    let pool = stack.db.pool().await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM intake.orders")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0, "no bad registration stored an order");

    // No panic anywhere, no error logged by the services that handled the requests.
    assert!(
        panics.lock().unwrap().is_empty(),
        "{:?}",
        panics.lock().unwrap()
    );
    let errors: Vec<_> = stack
        .logs
        .json_lines()
        .into_iter()
        .filter(|l| l.get("level").and_then(Value::as_str) == Some("ERROR"))
        .filter(|l| {
            let target = l.get("target").and_then(Value::as_str).unwrap_or_default();
            let text = serde_json::to_string(l).unwrap().to_lowercase();
            target.starts_with("hotline_gateway")
                || target.starts_with("hotline_intake")
                || text.contains("panic")
        })
        .collect();
    assert!(errors.is_empty(), "error lines: {errors:?}");

    // The count above can see an order: the valid original is accepted and counted.
    let r = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 2, 1)))
        .build()
        .unwrap()
        .post(stack.url("/api/v1/orders"))
        .json(&order())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(count().await, 1);
    stack.stop().await;
}
