#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Supervision end to end through the gateway (issue 7): a result sent back on two
//! people's word (A16: proposed by a reviewer, refused when the proposer approves, approved
//! by the head, the order back at the same unit); an overdue handling clock opening a
//! supervision case that climbs the ladder while the rectification is late (A17); a
//! dispute the authority finds improper opening a case (A13, A17); the trail intact (A23);
//! a result found in the review queue, checked item by item, called back and accepted,
//! the order closed and its archive record readable (A16); an unsatisfied requester with
//! poor handling opening a case (A17).
//!
//! The overdue facts are published as the deadline-watcher would (waiting for a real
//! working-day limit to pass is impractical); everything else goes through the services.

use std::time::Duration;

use chrono::Utc;
use hotline_contract::events::{DeadlineClock, DeadlineOverdue};
use hotline_e2e::{Role, Stack};
use hotline_test_support::wait_for;
use serde_json::{Value, json};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);
const ENV: &str = "520102-env";
const MARKET: &str = "520102-market";

/// Different matters, one per order of a test (no repeat linking, A10.3).
const MATTERS: [&str; 3] = [
    "楼下商铺音响每晚十点后仍大声播放，影响休息。",
    "工地周末凌晨施工，机械轰鸣声很大。",
    "广场舞音箱音量过大，持续到深夜。",
];

struct Order {
    number: String,
    check: String,
    order_id: Uuid,
}

struct Client<'a> {
    stack: &'a Stack,
    registered: std::cell::Cell<usize>,
}

impl<'a> Client<'a> {
    fn new(stack: &'a Stack) -> Self {
        Self {
            stack,
            registered: std::cell::Cell::new(0),
        }
    }

    /// POST as whoever the body says acts.
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .stack
            .acting(&body)
            .await
            .post(self.stack.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// GET as the reviewer.
    async fn get(&self, path: &str) -> (u16, Value) {
        let reviewer = self.stack.user("reviewer-02", Role::Reviewer, None).await;
        let r = reviewer.get(self.stack.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.post(path, body).await;
        assert_eq!(status, 200, "POST {path}: {answer}");
        answer
    }

    async fn unit_view(&self, unit: &str, number: &str) -> Value {
        let staff = self
            .stack
            .user(&format!("{unit}-staff"), Role::UnitHandler, Some(unit))
            .await;
        let r = staff
            .get(
                self.stack
                    .url(&format!("/api/v1/units/{unit}/orders/{number}")),
            )
            .send()
            .await
            .unwrap();
        r.json().await.unwrap_or(Value::Null)
    }

    /// A noise complaint in 520102: the router's rule sends it to the environment bureau.
    async fn register(&self) -> Order {
        let n = self.registered.get();
        self.registered.set(n + 1);
        let (status, receipt) = self
            .post(
                "/api/v1/orders",
                json!({
                    "channel": "web_message",
                    "kind": "complaint",
                    "requester": {"type": "person", "name": "王五", "phone": format!("1381234560{n}")},
                    "matter": MATTERS[n % MATTERS.len()],
                    "category": "environment.noise",
                    "region_code": "520102",
                }),
            )
            .await;
        assert_eq!(status, 201, "{receipt}");
        let order = Order {
            number: receipt["number"].as_str().unwrap().to_owned(),
            check: receipt["check_code"].as_str().unwrap().to_owned(),
            order_id: receipt["order_id"].as_str().unwrap().parse().unwrap(),
        };
        wait_for("the order to reach its unit", WAIT, || async {
            let view = self.unit_view(ENV, &order.number).await;
            (view["role"] == "lead").then_some(())
        })
        .await;
        order
    }

    async fn submit_result(&self, order: &Order) {
        self.ok(
            &format!("/api/v1/orders/{}/result", order.number),
            json!({
                "unit_id": ENV,
                "submitted_by": "staff-1",
                "basis": "《中华人民共和国噪声污染防治法》",
                "findings": "已到现场查看。",
                "reply": "您好，已处理。",
            }),
        )
        .await;
    }

    /// An order registered, signed for and answered by its unit.
    async fn signed_with_result(&self) -> Order {
        let order = self.register().await;
        self.ok(
            &format!("/api/v1/orders/{}/sign", order.number),
            json!({"unit_id": ENV, "signed_by": "staff-1"}),
        )
        .await;
        self.submit_result(&order).await;
        order
    }

    /// Wait until the order's result is in the review queue; the queue item.
    async fn queued(&self, order: &Order) -> Value {
        wait_for("the result in the review queue", WAIT, || async {
            let (status, queue) = self
                .get("/api/v1/review/queue?status=pending&limit=200")
                .await;
            assert_eq!(status, 200, "{queue}");
            queue["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["number"] == order.number.as_str())
                .cloned()
        })
        .await
    }

    /// Record the reviewer's checklist: every item, those in `failing` failed.
    async fn checklist(&self, order: &Order, failing: &[&str], poor_handling: bool) -> Value {
        let items: Vec<Value> = [
            "basis_cited",
            "time_given",
            "findings_present",
            "reply_plausible",
            "reply_answers_matter",
            "right_unit",
        ]
        .into_iter()
        .map(|item| json!({"item": item, "passed": !failing.contains(&item)}))
        .collect();
        self.ok(
            &format!("/api/v1/reviews/{}/checklist", order.order_id),
            json!({"items": items, "poor_handling": poor_handling,
                   "recorded_by": "reviewer-02", "role": "reviewer"}),
        )
        .await
    }

    /// Check the result (the reply does not answer the matter) and propose a send-back
    /// citing it, once the result waits for a reviewer.
    async fn propose(&self, order: &Order, by: &str) -> Value {
        self.queued(order).await;
        self.checklist(order, &["reply_answers_matter"], false)
            .await;
        self.ok(
            &format!("/api/v1/reviews/{}/send-backs", order.order_id),
            json!({"reason_code": "reply_incomplete",
                   "reasons": "答复未说明处理结果，未回应诉求。",
                   "failed_items": ["reply_answers_matter"],
                   "proposed_by": by, "role": if by.starts_with("center-head") { "head" } else { "reviewer" }}),
        )
        .await
    }

    /// Every event on `subject` (un-namespaced suffix) about `order_id`, as JSON.
    async fn events(&self, subject: &str, order_id: Uuid) -> Vec<Value> {
        let id = order_id.to_string();
        self.stack
            .all_events()
            .await
            .into_iter()
            .filter(|(s, payload)| s.ends_with(subject) && payload.contains(&id))
            .map(|(_, payload)| serde_json::from_str(&payload).unwrap())
            .collect()
    }

    async fn wait_event(
        &self,
        subject: &str,
        order_id: Uuid,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        wait_for(&format!("{subject} for {order_id}"), WAIT, || async {
            self.events(subject, order_id)
                .await
                .into_iter()
                .find(|e| matches(&e["data"]))
        })
        .await
    }
}

async fn stack() -> Stack {
    // Every result waits for a reviewer (no automatic acceptance of complete results).
    let stack =
        Stack::start_configured(|_| {}, |s| s.supervision.auto_accept_complete = false).await;
    stack.wait_ready().await;
    stack
}

#[tokio::test]
async fn a_send_back_is_proposed_refused_to_its_proposer_approved_by_the_head_and_the_order_returns()
 {
    let stack = stack().await;
    let c = Client::new(&stack);
    let order = c.signed_with_result().await;

    let proposal = c.propose(&order, "center-head-01").await;
    assert_eq!(proposal["unit_id"], ENV);
    let proposal_id = proposal["proposal_id"].as_str().unwrap();
    let approval = format!("/api/v1/send-backs/{proposal_id}/approval");

    // Two people (A16): the proposer cannot approve, even as the head; nor a reviewer.
    let (status, problem) = c
        .post(
            &approval,
            json!({"approved_by": "center-head-01", "role": "head"}),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(
        problem["detail"],
        "退回须由提议人以外的负责人批准（双人审批）"
    );
    let (status, _) = c
        .post(
            &approval,
            json!({"approved_by": "reviewer-02", "role": "reviewer"}),
        )
        .await;
    assert_eq!(status, 403);

    let approved = c
        .ok(
            &approval,
            json!({"approved_by": "center-head-02", "role": "head"}),
        )
        .await;
    assert_eq!(approved["outcome"], "sent_back");
    // Approved once: a second approval is a conflict.
    let (status, _) = c
        .post(
            &approval,
            json!({"approved_by": "center-head-03", "role": "head"}),
        )
        .await;
    assert_eq!(status, 409);

    // The router returns the order to the same unit, to redo.
    let view = wait_for("the order back with its unit", WAIT, || async {
        let v = c.unit_view(ENV, &order.number).await;
        (v["status"] == "signed" && v["redo_count"] == 1).then_some(v)
    })
    .await;
    assert_eq!(view["lead_unit_id"], ENV);
    let sent_back = c
        .wait_event("order.sent_back", order.order_id, |_| true)
        .await;
    assert_eq!(sent_back["data"]["sent_back_by"], "center-head-02");
    assert!(
        stack
            .public_view(&order.number, &order.check)
            .await
            .is_some()
    );

    // The redo fails the review again: a supervision case, not a third round.
    c.submit_result(&order).await;
    wait_for("the redo to wait for a reviewer", WAIT, || async {
        let v = c.unit_view(ENV, &order.number).await;
        (v["status"] == "result_submitted").then_some(())
    })
    .await;
    let second = c.propose(&order, "reviewer-02").await;
    let approved = c
        .ok(
            &format!(
                "/api/v1/send-backs/{}/approval",
                second["proposal_id"].as_str().unwrap()
            ),
            json!({"approved_by": "center-head-02", "role": "head"}),
        )
        .await;
    assert_eq!(approved["outcome"], "case_opened");
    let opened = c
        .wait_event("supervision.case_opened", order.order_id, |_| true)
        .await;
    assert_eq!(opened["data"]["reason_code"], "second_send_back");
    assert_eq!(opened["data"]["case_id"], approved["case_id"]);
    assert_eq!(c.events("order.sent_back", order.order_id).await.len(), 1);

    stack.stop().await;
}

#[tokio::test]
async fn an_overdue_unit_is_supervised_escalated_while_it_does_not_rectify_and_an_improper_dispute_opens_a_case()
 {
    let stack = stack().await;
    let c = Client::new(&stack);
    let order = c.register().await;

    // A17: the handling limit passed (as the deadline-watcher announces it).
    stack
        .publish_as(
            "deadline-watcher",
            DeadlineOverdue {
                order_id: order.order_id,
                clock: DeadlineClock::Handling,
                unit_id: ENV.to_owned(),
                case_id: None,
                due_at: Utc::now(),
                detected_at: Utc::now(),
            },
        )
        .await;
    let opened = c
        .wait_event("supervision.case_opened", order.order_id, |_| true)
        .await;
    assert_eq!(opened["data"]["measure"], "notice");
    assert_eq!(opened["data"]["reason_code"], "overdue_handling");
    assert_eq!(opened["source"], "/hotline/supervision");
    let case_id: Uuid = opened["data"]["case_id"].as_str().unwrap().parse().unwrap();

    // Still not rectified after the notice: up the ladder, one rung per overdue report.
    for to in ["coordination", "interview", "authority"] {
        stack
            .publish_as(
                "deadline-watcher",
                DeadlineOverdue {
                    order_id: order.order_id,
                    clock: DeadlineClock::Rectification,
                    unit_id: ENV.to_owned(),
                    case_id: Some(case_id),
                    due_at: Utc::now(),
                    detected_at: Utc::now(),
                },
            )
            .await;
        let escalated = c
            .wait_event("supervision.case_escalated", order.order_id, |d| {
                d["to"] == to
            })
            .await;
        assert_eq!(escalated["data"]["case_id"], case_id.to_string());
    }

    // The unit finally reports; the head closes the case (a reviewer may not).
    let report = c
        .ok(
            &format!("/api/v1/supervision/cases/{case_id}/rectification"),
            json!({"unit_id": ENV, "report": "已完成整改并答复群众。", "reported_by": "staff-1"}),
        )
        .await;
    assert_eq!(report["level"], "authority");
    let (status, _) = c
        .post(
            &format!("/api/v1/supervision/cases/{case_id}/rectification"),
            json!({"unit_id": MARKET, "report": "x", "reported_by": "staff-9"}),
        )
        .await;
    assert_eq!(status, 403, "another unit does not report for this case");
    let (status, _) = c
        .post(
            &format!("/api/v1/supervision/cases/{case_id}/closure"),
            json!({"closed_by": "reviewer-02", "role": "reviewer"}),
        )
        .await;
    assert_eq!(status, 403);
    c.ok(
        &format!("/api/v1/supervision/cases/{case_id}/closure"),
        json!({"closed_by": "center-head-02", "role": "head"}),
    )
    .await;
    c.wait_event("supervision.case_closed", order.order_id, |_| true)
        .await;

    // A13/A17: the authority rejects a dispute as improper: a case against the unit.
    let disputed = c.register().await;
    let dispute = c
        .ok(
            &format!("/api/v1/orders/{}/disputes", disputed.number),
            json!({"unit_id": ENV, "reason": "not_our_duty",
                   "explanation": "该事项属市场经营活动，不属本单位职责。",
                   "proposed_unit_id": MARKET, "disputed_by": "env-staff-1"}),
        )
        .await;
    let dispute_id = dispute["dispute_id"].as_str().unwrap();
    c.ok(
        &format!("/api/v1/disputes/{dispute_id}/escalation"),
        json!({"escalated_by": "center-07"}),
    )
    .await;
    let decision = c
        .ok(
            &format!("/api/v1/disputes/{dispute_id}/decision"),
            json!({"decider": "authority", "outcome": "upheld", "decided_by": "authority-3"}),
        )
        .await;
    assert_eq!(decision["improper"], true);
    let opened = c
        .wait_event("supervision.case_opened", disputed.order_id, |_| true)
        .await;
    assert_eq!(opened["data"]["reason_code"], "improper_dispute");
    assert_eq!(opened["data"]["unit_id"], ENV);

    stack.stop().await;
}

#[tokio::test]
async fn a_result_checked_item_by_item_and_called_back_is_accepted_closed_and_archived() {
    let stack = stack().await;
    let c = Client::new(&stack);
    let order = c.signed_with_result().await;

    // A16: the reviewers' queue shows the result with its completeness checklist.
    let item = c.queued(&order).await;
    assert_eq!(item["unit_id"], ENV);
    assert_eq!(item["kind"], "complaint");
    assert_eq!(item["checklist"]["reply_given"], true);
    let acceptance = format!("/api/v1/reviews/{}/acceptance", order.order_id);
    let accept = json!({"accepted_by": "reviewer-02", "role": "reviewer"});

    // Not accepted before every item of the reviewer's checklist passed.
    let (status, problem) = c.post(&acceptance, accept.clone()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"].as_array().unwrap().len(), 6);
    assert_eq!(problem["errors"][0]["field"], "checklist.basis_cited");

    // The call-back: no phone number may be recorded.
    let call_backs = format!("/api/v1/reviews/{}/call-backs", order.order_id);
    let (status, problem) = c
        .post(
            &call_backs,
            json!({"reached": true, "verified": "群众留言可打13812345600联系",
                   "verdict": "satisfied", "called_by": "reviewer-02", "role": "reviewer"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["code"], "personal_data");
    c.ok(
        &call_backs,
        json!({"reached": true, "verified": "群众确认夜间噪声已停止",
               "verdict": "satisfied", "called_by": "reviewer-02", "role": "reviewer"}),
    )
    .await;
    let checklist = c.checklist(&order, &[], false).await;
    assert_eq!(checklist["all_passed"], true);
    let accepted = c.ok(&acceptance, accept).await;

    let closed = c.wait_event("order.closed", order.order_id, |_| true).await;
    assert_eq!(closed["data"]["closed_by"], "reviewer-02");
    let (status, record) = c
        .get(&format!("/api/v1/review/archive/{}", order.number))
        .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["number"], order.number.as_str());
    assert_eq!(record["decision"], "accepted");
    assert_eq!(record["decided_by"], "reviewer-02");
    assert_eq!(record["decided_at"], accepted["accepted_at"]);
    assert_eq!(record["review_checklist"].as_array().unwrap().len(), 6);
    assert_eq!(record["call_backs"][0]["verdict"], "satisfied");
    assert_eq!(record["result_checklist"]["findings_given"], true);
    assert_eq!(record["trail_hash"].as_str().unwrap().len(), 64);
    // Gone from the queue; an unknown number has no archive.
    let (_, queue) = c.get("/api/v1/review/queue").await;
    assert!(
        !queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["number"] == order.number.as_str())
    );
    let (status, _) = c.get("/api/v1/review/archive/5201029999999999").await;
    assert_eq!(status, 404);
    let (status, _) = c.get("/api/v1/review/queue?limit=0").await;
    assert_eq!(status, 422);
    stack.assert_no_personal_data().await;
    stack.stop().await;
}

#[tokio::test]
async fn an_unsatisfied_requester_and_poor_handling_open_a_supervision_case() {
    let stack = stack().await;
    let c = Client::new(&stack);
    let order = c.signed_with_result().await;
    c.queued(&order).await;

    let receipt = c
        .ok(
            &format!("/api/v1/reviews/{}/call-backs", order.order_id),
            json!({"reached": true, "verified": "群众称噪声问题依旧，单位未到现场",
                   "verdict": "unsatisfied", "called_by": "reviewer-02", "role": "reviewer"}),
        )
        .await;
    assert!(receipt.get("case_id").is_none(), "{receipt}");
    // A17: the reviewer judges the handling poor: a case against the unit.
    let checklist = c
        .checklist(&order, &["findings_present", "reply_answers_matter"], true)
        .await;
    let case_id = checklist["case_id"].as_str().expect("a case opened");
    let opened = c
        .wait_event("supervision.case_opened", order.order_id, |_| true)
        .await;
    assert_eq!(opened["data"]["case_id"], case_id);
    assert_eq!(opened["data"]["reason_code"], "unsatisfied_poor_handling");
    assert_eq!(opened["data"]["unit_id"], ENV);
    stack.assert_no_personal_data().await;
    stack.stop().await;
}
