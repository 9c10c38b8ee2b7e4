//! Category suggestion through the gateway (A12, issue 5 item 3): the dispatcher's console
//! posts an order text and gets ranked categories with a confidence and the model's
//! training size; bad input is a 422 problem+json naming each field in Chinese; the text
//! (possibly personal data) appears in no log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hotline_e2e::{Role, Stack};
use serde_json::{Value, json};

/// A text that names a person, as a matter may: it must not reach any log.
const TEXT: &str = "我叫王秀英，社保卡丢了，钱包一起丢的，现在咋整";

async fn post(stack: &Stack, body: &Value) -> (u16, String, Value) {
    let r = stack
        .user("agent-1", Role::Agent, None)
        .await
        .post(stack.url("/api/v1/category-suggestions"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, r.json().await.unwrap())
}

fn fields(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let message = e["message"].as_str().unwrap();
            // Chinese, for the person at the console.
            assert!(!message.is_ascii(), "{message}");
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

#[tokio::test]
async fn the_dispatcher_gets_ranked_categories_and_bad_input_is_refused_by_field() {
    let stack = Stack::start().await;
    stack.wait_ready().await;

    let (status, _, reply) = post(&stack, &json!({"text": TEXT, "k": 3})).await;
    assert_eq!(status, 200, "{reply}");
    let suggestions = reply["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 3);
    assert_eq!(suggestions[0]["category"], "social_insurance.card");
    let confidences: Vec<f64> = suggestions
        .iter()
        .map(|s| s["confidence"].as_f64().unwrap())
        .collect();
    assert!(confidences.windows(2).all(|w| w[0] >= w[1]));
    assert!(confidences.iter().all(|c| *c > 0.0 && *c <= 1.0));
    assert_eq!(reply["model"]["seed_examples"], 215);
    assert_eq!(reply["model"]["categories"], 81);
    assert!(reply["model"]["version"].as_u64().unwrap() >= 1);

    // k defaults to 3; a region code is accepted.
    let (status, _, reply) = post(
        &stack,
        &json!({"text": "小区停水两天了，自来水什么时候恢复", "region_code": "520102"}),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["suggestions"].as_array().unwrap().len(), 3);
    assert_eq!(reply["suggestions"][0]["category"], "utilities.water");

    // Nothing the model knows: no suggestion rather than a guess.
    let (status, _, reply) = post(&stack, &json!({"text": "你好", "k": 5})).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["suggestions"], json!([]));

    let too_long = "字".repeat(4001);
    let cases = [
        (
            json!({"text": "  ", "k": 3}),
            vec![pair("text", "required")],
        ),
        (json!({"text": too_long}), vec![pair("text", "too_long")]),
        (
            json!({"text": TEXT, "k": 0}),
            vec![pair("k", "out_of_range")],
        ),
        (
            json!({"text": TEXT, "k": 11}),
            vec![pair("k", "out_of_range")],
        ),
        (
            json!({"text": "", "k": 99, "region_code": "999999"}),
            vec![
                pair("text", "required"),
                pair("k", "out_of_range"),
                pair("region_code", "unknown"),
            ],
        ),
        (json!({"k": 3}), vec![pair("text", "required")]),
        (
            json!({"text": TEXT, "k": -1}),
            vec![pair("k", "invalid_value")],
        ),
        (
            json!({"text": TEXT, "extra": 1}),
            vec![pair("extra", "unknown_field")],
        ),
    ];
    for (body, expected) in cases {
        let (status, content_type, problem) = post(&stack, &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(fields(&problem), expected, "{problem}");
    }

    // A21: the text is in no service's log.
    let logs = stack.logs.contents();
    assert!(logs.contains("gateway ready"));
    assert!(!logs.contains("王秀英"));
    assert!(!logs.contains("社保卡丢了"));
}
