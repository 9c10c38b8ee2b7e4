//! The knowledge base through the gateway (issue 4): the seed set is searchable at once; an
//! article goes draft → submitted → approved → published and is then searchable and
//! readable without logging in; an edit is a new version and the old one stays readable; a
//! correction by another unit is reviewed by the owner; expired and unpublished articles
//! are not public; suggestions carry a confidence and feedback is announced; bad input is
//! a 4xx problem, never a 500.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hotline_e2e::{Role, Stack};
use serde_json::{Value, json};

const CENTER: &str = "hotline-center";
const UNIT: &str = "520100-hpf";

struct Api<'a> {
    stack: &'a Stack,
    http: reqwest::Client,
}

impl Api<'_> {
    /// Who makes the request: the editor the body names (`user_id`, `unit_id`, or the
    /// same under `actor`), in the role the endpoint needs; editors' pages are read by a
    /// center reviewer; everything else anonymously.
    async fn client(&self, method: &reqwest::Method, path: &str, body: &Value) -> reqwest::Client {
        let actor = body.get("actor").unwrap_or(body);
        let user = actor["user_id"].as_str();
        let unit = actor["unit_id"].as_str();
        let route = path.split('?').next().unwrap_or(path);
        let editors_page =
            route.ends_with("/history") || route.ends_with("/diff") || route.contains("/versions/");
        if method == reqwest::Method::GET {
            return if route.ends_with("/export") {
                self.stack.user("kb-admin", Role::Administrator, None).await
            } else if editors_page {
                self.stack
                    .user("kb-reader", Role::Reviewer, Some(CENTER))
                    .await
            } else {
                self.http.clone()
            };
        }
        if route.ends_with("/suggest") {
            return self.stack.user("agent-1", Role::Agent, None).await;
        }
        if let Some(agent) = body["agent_id"].as_str() {
            return self.stack.user(agent, Role::Agent, None).await;
        }
        let (Some(user), Some(unit)) = (user, unit) else {
            return self.http.clone();
        };
        let role = if unit != CENTER {
            Role::UnitHandler
        } else if route.ends_with("/import") {
            Role::Administrator
        } else if route.ends_with("/publish") || route.ends_with("/unpublish") {
            Role::CenterHead
        } else if route.ends_with("/review") {
            Role::Reviewer
        } else {
            Role::Agent
        };
        let unit = (role != Role::Administrator).then_some(unit);
        self.stack.user(user, role, unit).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let http = self.client(&reqwest::Method::GET, path, &Value::Null).await;
        let r = http.get(self.stack.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        if status >= 400 {
            let content_type = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(
                content_type.as_deref(),
                Some("application/problem+json"),
                "{status} {path:.80}"
            );
        }
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client(&method, path, body)
            .await
            .request(method, self.stack.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    /// Hit ids of a search.
    async fn search(&self, query: &str) -> Vec<String> {
        let (status, body) = self.get(&format!("/api/v1/knowledge/search?{query}")).await;
        assert_eq!(status, 200, "{body}");
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["article_id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Submit, approve (by another user of the center) and publish `version`.
    async fn review_and_publish(&self, id: &str, version: u64, author_unit: &str) {
        let (status, body) = self
            .post(
                &format!("/api/v1/knowledge/articles/{id}/versions/{version}/submit"),
                &json!({"user_id": if author_unit == CENTER { "center-author" } else { "author" },
                        "unit_id": author_unit}),
            )
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("submitted")),
            "{body}"
        );
        let (status, body) = self
            .post(
                &format!("/api/v1/knowledge/articles/{id}/versions/{version}/review"),
                &json!({"user_id": "reviewer", "unit_id": CENTER, "decision": "approve"}),
            )
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("approved")),
            "{body}"
        );
        let (status, body) = self
            .post(
                &format!("/api/v1/knowledge/articles/{id}/versions/{version}/publish"),
                &json!({"user_id": "publisher", "unit_id": CENTER}),
            )
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("published")),
            "{body}"
        );
    }
}

fn content(title: &str, answer: &str) -> Value {
    json!({
        "title": title,
        "questions": ["公积金提取到账要多久"],
        "answer": answer,
        "category": "housing_fund.withdrawal",
        "region_code": "520100",
        "legal_basis": "《住房公积金管理条例》",
        "tags": ["公积金"]
    })
}

#[tokio::test]
async fn an_article_is_drafted_reviewed_published_searched_revised_and_unpublished() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let api = Api {
        stack: &stack,
        http: reqwest::Client::new(),
    };

    // The seed set is loaded and searchable from the start.
    let hits = api.search("q=社保卡丢了怎么办").await;
    assert_eq!(
        hits.first().map(String::as_str),
        Some("si-card-replace"),
        "{hits:?}"
    );

    // A unit drafts a new article; it is not public yet.
    let (status, receipt) = api
        .post(
            "/api/v1/knowledge/articles",
            &json!({"user_id": "author", "unit_id": UNIT,
                    "content": content("贵阳公积金提取蓝鲸鹦鹉到账时间", "线上提取审核通过后一般在数个工作日内到账。")}),
        )
        .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["version"], 1);
    assert_eq!(receipt["kind"], "original");
    let id = receipt["article_id"].as_str().unwrap().to_owned();
    assert!(api.search("q=蓝鲸鹦鹉").await.is_empty());
    assert_eq!(
        api.get(&format!("/api/v1/knowledge/articles/{id}")).await.0,
        404
    );

    // The author cannot review their own draft.
    api.post(
        &format!("/api/v1/knowledge/articles/{id}/versions/1/submit"),
        &json!({"user_id": "author", "unit_id": UNIT}),
    )
    .await;
    let (status, problem) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/versions/1/review"),
            &json!({"user_id": "author", "unit_id": CENTER, "decision": "approve"}),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    // A rejection needs a reason.
    let (status, _) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/versions/1/review"),
            &json!({"user_id": "reviewer", "unit_id": CENTER, "decision": "reject"}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, body) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/versions/1/review"),
            &json!({"user_id": "reviewer", "unit_id": CENTER, "decision": "approve"}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("approved")),
        "{body}"
    );
    let (status, body) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/versions/1/publish"),
            &json!({"user_id": "publisher", "unit_id": CENTER}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Published: searchable (with the match highlighted), readable, filtered by region.
    let (status, results) = api
        .get("/api/v1/knowledge/search?q=蓝鲸鹦鹉&region=520102")
        .await;
    assert_eq!(status, 200);
    assert_eq!(results["hits"][0]["article_id"], id.as_str());
    assert!(
        results["hits"][0]["title_html"]
            .as_str()
            .unwrap()
            .contains("<em>")
    );
    assert!(
        api.search("q=蓝鲸鹦鹉&region=520300").await.is_empty(),
        "Zunyi is not Guiyang"
    );
    assert!(api.search("q=蓝鲸鹦鹉&category=education").await.is_empty());
    let (status, article) = api.get(&format!("/api/v1/knowledge/articles/{id}")).await;
    assert_eq!((status, article["version"].as_u64()), (200, Some(1)));

    // An edit is a new version; the public still sees version 1 until it is published.
    let (status, receipt) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/versions"),
            &json!({"user_id": "author", "unit_id": UNIT,
                    "content": content("贵阳公积金提取蓝鲸鹦鹉到账时间（修订）", "线上提取审核通过后一般在三个工作日内到账。")}),
        )
        .await;
    assert_eq!(
        (status, receipt["kind"].as_str()),
        (201, Some("revision")),
        "{receipt}"
    );
    assert_eq!(receipt["version"], 2);
    assert_eq!(
        api.get(&format!("/api/v1/knowledge/articles/{id}")).await.1["version"],
        1
    );
    api.review_and_publish(&id, 2, UNIT).await;
    let (_, current) = api.get(&format!("/api/v1/knowledge/articles/{id}")).await;
    assert_eq!(current["version"], 2);
    assert!(current["title"].as_str().unwrap().ends_with("（修订）"));
    let (status, old) = api
        .get(&format!("/api/v1/knowledge/articles/{id}/versions/1"))
        .await;
    assert_eq!(
        (status, old["status"].as_str()),
        (200, Some("retired")),
        "{old}"
    );
    let (status, diff) = api
        .get(&format!("/api/v1/knowledge/articles/{id}/diff?from=1&to=2"))
        .await;
    assert_eq!(status, 200, "{diff}");
    let fields: Vec<&str> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "answer"]);

    // Another unit proposes a correction; the owner reviews it.
    let (status, receipt) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/versions"),
            &json!({"user_id": "other", "unit_id": "520100-hrss",
                    "content": content("贵阳公积金提取蓝鲸鹦鹉到账时间（纠错）", "以管理中心公布的办理时限为准。"),
                    "note": "到账时间以公布的时限为准"}),
        )
        .await;
    assert_eq!(
        (status, receipt["kind"].as_str()),
        (201, Some("correction")),
        "{receipt}"
    );
    api.post(
        &format!("/api/v1/knowledge/articles/{id}/versions/3/submit"),
        &json!({"user_id": "other", "unit_id": "520100-hrss"}),
    )
    .await;
    let (status, body) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/versions/3/review"),
            &json!({"user_id": "owner-editor", "unit_id": UNIT, "decision": "reject", "reason": "原答复已准确"}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("rejected")),
        "{body}"
    );
    let (_, history) = api
        .get(&format!("/api/v1/knowledge/articles/{id}/history"))
        .await;
    let statuses: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["retired", "published", "rejected"]);

    // Feedback on what people saw is recorded and announced for analytics.
    let (status, body) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/versions/2/feedback"),
            &json!({"verdict": "dispatched_anyway", "channel": "phone", "agent_id": "agent-7"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The outbox relay publishes after the commit: wait for it.
    let events = hotline_test_support::wait_for(
        "the feedback event on the stream",
        std::time::Duration::from_secs(30),
        || async {
            let events = stack.all_events().await;
            events
                .iter()
                .any(|(subject, payload)| {
                    subject.ends_with("hotline.knowledge.feedback_recorded")
                        && payload.contains("dispatched_anyway")
                })
                .then_some(events)
        },
    )
    .await;
    assert!(events.iter().any(|(subject, payload)| {
        subject.ends_with("hotline.knowledge.article_published") && payload.contains(&id)
    }));

    // Unpublished: neither readable nor searchable, old versions included.
    let (status, body) = api
        .post(
            &format!("/api/v1/knowledge/articles/{id}/unpublish"),
            &json!({"user_id": "publisher", "unit_id": CENTER, "reason": "政策调整"}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("unpublished")),
        "{body}"
    );
    assert_eq!(
        api.get(&format!("/api/v1/knowledge/articles/{id}")).await.0,
        404
    );
    assert_eq!(
        api.get(&format!("/api/v1/knowledge/articles/{id}/versions/1"))
            .await
            .0,
        404
    );
    assert!(api.search("q=蓝鲸鹦鹉").await.is_empty());
}

#[tokio::test]
async fn an_expired_article_is_neither_searchable_nor_readable() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let api = Api {
        stack: &stack,
        http: reqwest::Client::new(),
    };
    let mut expired = content("旧版犀牛河豚补贴政策", "该政策已于2020年底结束。");
    expired["valid_from"] = json!("2020-01-01");
    expired["valid_until"] = json!("2020-12-31");
    let (status, receipt) = api
        .post(
            "/api/v1/knowledge/articles",
            &json!({"user_id": "center-author", "unit_id": CENTER, "content": expired}),
        )
        .await;
    assert_eq!(status, 201, "{receipt}");
    let id = receipt["article_id"].as_str().unwrap().to_owned();
    api.review_and_publish(&id, 1, CENTER).await;
    assert!(api.search("q=犀牛河豚").await.is_empty());
    assert_eq!(
        api.get(&format!("/api/v1/knowledge/articles/{id}")).await.0,
        404
    );
}

#[tokio::test]
async fn suggestions_carry_a_confidence_and_bad_input_is_a_clear_client_error() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let api = Api {
        stack: &stack,
        http: reqwest::Client::new(),
    };
    let (status, body) = api
        .post(
            "/api/v1/knowledge/suggest",
            &json!({"text": "我的身份证丢了，要怎么补办啊", "region_code": "520102"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let first = &body["suggestions"][0];
    assert_eq!(first["article_id"], "hh-id-lost", "{body}");
    let confidence = first["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));
    assert!(body["auto_answer_threshold"].as_f64().is_some());

    // 10 KB of text (3 bytes a character).
    let long = "社".repeat(10 * 1024 / 3 + 1);
    for (query, field) in [
        ("q=", "q"),
        ("q=%20%20", "q"),
        (&*format!("q={long}"), "q"),
        ("q=%E7%A4%BE%00%E4%BF%9D", "q"),
        ("q=社保&region=110101", "region"),
        ("q=社保&region=abc", "region"),
        ("q=社保&category=社保", "category"),
        ("q=社保&limit=0", "limit"),
        ("q=社保&limit=x", "limit"),
    ] {
        let (status, problem) = api.get(&format!("/api/v1/knowledge/search?{query}")).await;
        assert_eq!(status, 400, "{query:.40}: {problem}");
        assert_eq!(
            problem["errors"][0]["field"], field,
            "{query:.40}: {problem}"
        );
    }
    // Punctuation only: nothing to search for, an empty result.
    assert!(api.search("q=%EF%BC%9F%EF%BC%9F%EF%BC%81").await.is_empty());
    for (path, status) in [
        ("/api/v1/knowledge/articles/no-such-article", 404),
        ("/api/v1/knowledge/articles/NOT%20AN%20ID", 400),
        ("/api/v1/knowledge/articles/si-card-replace/versions/x", 400),
        ("/api/v1/knowledge/articles/si-card-replace/versions/0", 400),
        (
            "/api/v1/knowledge/articles/si-card-replace/diff?from=1",
            400,
        ),
        ("/api/v1/knowledge/export?format=xml", 400),
    ] {
        assert_eq!(api.get(path).await.0, status, "{path}");
    }
    for body in [
        json!({"text": "社保", "region_code": "999999"}),
        json!({"text": long, "region_code": "520102"}),
        json!({"text": "社保\u{0007}", "region_code": "520102"}),
        json!({"text": "", "region_code": "520102"}),
    ] {
        let (status, problem) = api.post("/api/v1/knowledge/suggest", &body).await;
        assert_eq!(status, 422, "{problem}");
    }
    let (status, _) = api
        .post(
            "/api/v1/knowledge/articles",
            &json!({"user_id": "a-editor", "unit_id": UNIT, "content": {"title": "", "answer": "", "category": "x", "region_code": "1"}}),
        )
        .await;
    assert_eq!(status, 422);

    // The endpoints are in the generated OpenAPI document.
    let (status, doc) = api.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/knowledge/search",
        "/api/v1/knowledge/articles/{id}",
        "/api/v1/knowledge/articles/{id}/versions/{n}",
        "/api/v1/knowledge/suggest",
        "/api/v1/knowledge/import",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} not in the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["ArticleView"].is_object());
}

#[tokio::test]
async fn the_base_exports_and_imports_csv_and_json() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let api = Api {
        stack: &stack,
        http: reqwest::Client::new(),
    };
    let (status, export) = api.get("/api/v1/knowledge/export?format=csv").await;
    assert_eq!(status, 200);
    assert!(export["count"].as_u64().unwrap() >= 200);
    let csv = export["data"].as_str().unwrap();
    assert!(csv.starts_with("article_id,title,questions,answer"));

    // Re-importing the same base changes nothing.
    let (status, report) = api
        .post(
            "/api/v1/knowledge/import",
            &json!({"actor": {"user_id": "importer", "unit_id": CENTER}, "format": "csv", "data": csv, "publish": true}),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 0);
    assert_eq!(report["unchanged"], export["count"]);

    let records = json!([{
        "article_id": "test-import-one",
        "title": "导入测试的河马斑马怎么申请",
        "answer": "向户籍地乡镇人民政府申请。",
        "category": "civil_affairs.assistance",
        "region_code": "520000"
    }]);
    let (status, report) = api
        .post(
            "/api/v1/knowledge/import",
            &json!({"actor": {"user_id": "importer", "unit_id": CENTER}, "format": "json",
                    "data": records.to_string(), "publish": true}),
        )
        .await;
    assert_eq!(
        (status, report["created"].as_u64()),
        (200, Some(1)),
        "{report}"
    );
    assert_eq!(
        api.search("q=河马斑马").await.first().map(String::as_str),
        Some("test-import-one")
    );
    let (status, _) = api
        .post(
            "/api/v1/knowledge/import",
            &json!({"actor": {"user_id": "someone", "unit_id": UNIT}, "format": "json", "data": "[]"}),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_web_message_consultation_the_base_answers_confidently_is_answered_at_once() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let http = reqwest::Client::new();
    let submit = |matter: &str, phone: &str| {
        let body = json!({"channel": "web_message", "kind": "consultation",
            "requester": {"type": "person", "phone": phone},
            "matter": matter, "region_code": "520102"});
        let request = http.post(stack.url("/api/v1/orders")).json(&body);
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()
        }
    };

    // A9.2: the knowledge base is sure: answered directly, with the article and version.
    let receipt = submit("身份证丢了怎么补办？", "13700001111").await;
    assert_eq!(receipt["disposition"], "answered_directly", "{receipt}");
    let order_id = receipt["order_id"].as_str().unwrap().to_owned();
    let answered = hotline_test_support::wait_for(
        "the order.answered event",
        std::time::Duration::from_secs(20),
        || async {
            stack
                .all_events()
                .await
                .into_iter()
                .find(|(subject, payload)| {
                    subject.ends_with("hotline.order.answered") && payload.contains(&order_id)
                })
        },
    )
    .await;
    let event: Value = serde_json::from_str(&answered.1).unwrap();
    assert_eq!(event["data"]["article_id"], "hh-id-lost");
    assert_eq!(event["data"]["article_version"], 1);
    assert_eq!(event["data"]["answered_by"], "rule:knowledge-auto-answer");

    // Not sure: dispatched to a unit as before.
    let receipt = submit(
        "小区旁边那块空地以后打算建什么，能不能公示一下规划",
        "13700002222",
    )
    .await;
    assert_eq!(receipt["disposition"], "dispatched", "{receipt}");
}
