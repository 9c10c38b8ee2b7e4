#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The router in full, end to end through the gateway (issue 5): direct dispatch,
//! territorial fallback and pre-dispatch consultation deciding a lead and two co-handling
//! units (A12, A14); disputes upheld, redispatched, and escalated to the authority (A13);
//! an extension requested and granted that moves the handling deadline (A14), a result
//! missing a part refused (A16), a sent-back order returning to the same unit (A16), and a
//! unit seeing only its own orders.

use std::time::Duration;

use chrono::Utc;
use hotline_contract::Namespace;
use hotline_contract::events::OrderSentBack;
use hotline_contract::rpc::{OrderDeadlines, OrderDeadlinesQuery, verbs};
use hotline_e2e::{Role, Stack};
use hotline_telemetry::TraceContext;
use hotline_test_support::wait_for;
use serde_json::{Value, json};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);
const ENV: &str = "520102-env";
const HOUSING: &str = "520102-housing";
const MARKET: &str = "520102-market";

/// A registered order as the requester's receipt gives it.
struct Order {
    number: String,
    check: String,
    order_id: Uuid,
}

struct Client<'a> {
    stack: &'a Stack,
    /// Orders registered so far: each comes from another requester about another place,
    /// so none is taken for a repeat (A10.3).
    registered: std::cell::Cell<u32>,
}

impl<'a> Client<'a> {
    fn new(stack: &'a Stack) -> Self {
        Self {
            stack,
            registered: std::cell::Cell::new(0),
        }
    }

    /// POST `body` to `path` as whoever the body says acts: (status, JSON body).
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

    /// GET `path` as the center's dispatcher.
    async fn get(&self, path: &str) -> (u16, Value) {
        let dispatcher = self
            .stack
            .user("dispatcher-1", Role::Dispatcher, None)
            .await;
        self.get_as(&dispatcher, path).await
    }

    async fn get_as(&self, http: &reqwest::Client, path: &str) -> (u16, Value) {
        let r = http.get(self.stack.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// POST that must succeed; its JSON answer.
    async fn ok(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.post(path, body).await;
        assert_eq!(status, 200, "POST {path}: {answer}");
        answer
    }

    /// A web message about `category` in `region`, registered for dispatch.
    async fn register(&self, category: &str, region: &str) -> Order {
        let n = self.registered.get();
        self.registered.set(n + 1);
        let (status, receipt) = self
            .post(
                "/api/v1/orders",
                json!({
                    "channel": "web_message",
                    "kind": "complaint",
                    "requester": {"type": "person", "name": "王五", "phone": format!("1371234567{n}")},
                    "matter": MATTERS[n as usize % MATTERS.len()],
                    "category": category,
                    "region_code": region,
                }),
            )
            .await;
        assert_eq!(status, 201, "{receipt}");
        Order {
            number: receipt["number"].as_str().unwrap().to_owned(),
            check: receipt["check_code"].as_str().unwrap().to_owned(),
            order_id: receipt["order_id"].as_str().unwrap().parse().unwrap(),
        }
    }

    /// The order as `unit` sees it, once the router has it (`None`: refused or not yet).
    async fn unit_view(&self, unit: &str, number: &str) -> (u16, Value) {
        let staff = self
            .stack
            .user(&format!("{unit}-staff"), Role::UnitHandler, Some(unit))
            .await;
        self.get_as(&staff, &format!("/api/v1/units/{unit}/orders/{number}"))
            .await
    }

    /// Wait until `unit` leads the order.
    async fn wait_lead(&self, order: &Order, unit: &str) -> Value {
        wait_for(
            &format!("{} to reach {unit}", order.number),
            WAIT,
            || async {
                let (status, view) = self.unit_view(unit, &order.number).await;
                (status == 200 && view["role"] == "lead").then_some(view)
            },
        )
        .await
    }

    async fn sign(&self, order: &Order, unit: &str) {
        self.ok(
            &format!("/api/v1/orders/{}/sign", order.number),
            json!({"unit_id": unit, "signed_by": format!("{unit}-staff")}),
        )
        .await;
    }

    async fn dispute(&self, order: &Order, unit: &str) -> String {
        let receipt = self
            .ok(
                &format!("/api/v1/orders/{}/disputes", order.number),
                json!({
                    "unit_id": unit,
                    "reason": "not_our_duty",
                    "explanation": "该事项属市场经营活动，不属本单位职责。",
                    "proposed_unit_id": MARKET,
                    "disputed_by": "env-staff-1",
                }),
            )
            .await;
        receipt["dispute_id"].as_str().unwrap().to_owned()
    }

    async fn decide(&self, dispute_id: &str, body: Value) -> (u16, Value) {
        self.post(&format!("/api/v1/disputes/{dispute_id}/decision"), body)
            .await
    }
}

/// Different matters, one per order of a test.
const MATTERS: [&str; 4] = [
    "楼下商铺音响每晚十点后仍大声播放，影响休息。",
    "工地周末凌晨施工，机械轰鸣声很大。",
    "路口井盖破损多日，行人车辆通行危险。",
    "广场舞音箱音量过大，持续到深夜。",
];

fn result(unit: &str) -> Value {
    json!({
        "unit_id": unit,
        "submitted_by": format!("{unit}-staff"),
        "basis": "《中华人民共和国噪声污染防治法》",
        "findings": "现场核查属实，已责令整改。",
        "reply": "您好，您反映的问题已处理。",
    })
}

#[tokio::test]
async fn orders_go_by_rule_by_territory_or_through_consultation_with_co_units_reporting_to_the_lead()
 {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let c = Client::new(&stack);

    // A12: clear duty and jurisdiction → direct dispatch by the rule, which is recorded.
    let direct = c.register("environment.noise", "520102").await;
    let view = c.wait_lead(&direct, ENV).await;
    assert_eq!(view["basis"], "rule");
    assert_eq!(view["rule_id"], "520102:environment.noise");
    assert_eq!(view["rule_version"], 1);

    // A12: no rule, region known → the region's government.
    let territorial = c.register("roads.potholes", "520111").await;
    let view = c.wait_lead(&territorial, "gov-520111").await;
    assert_eq!(view["basis"], "territorial");

    // A12: neither → the consultation queue; the center invites, records views, decides.
    let hard = c.register("roads.potholes", "520000").await;
    let queued = wait_for("the order in the consultation queue", WAIT, || async {
        let (_, queue) = c.get("/api/v1/consultations").await;
        queue["consultations"]
            .as_array()?
            .iter()
            .find(|q| q["number"] == hard.number.as_str())
            .cloned()
    })
    .await;
    assert_eq!(queued["region_code"], "520000");
    let base = format!("/api/v1/orders/{}/consultation", hard.number);
    c.ok(
        &format!("{base}/invitations"),
        json!({"unit_ids": ["520100-transport", HOUSING, MARKET], "invited_by": "center-07"}),
    )
    .await;
    c.ok(
        &format!("{base}/views"),
        json!({"unit_id": "520100-transport", "view": "市政道路养护属本局职责。",
               "within_duties": true, "responded_by": "transport-staff"}),
    )
    .await;
    let (status, problem) = c
        .post(
            &format!("{base}/views"),
            json!({"unit_id": "520102-hrss", "view": "无关。", "within_duties": false,
                   "responded_by": "hrss-staff"}),
        )
        .await;
    assert_eq!(status, 403, "a unit not invited: {problem}");
    let decided = c
        .ok(
            &format!("{base}/decision"),
            json!({"lead_unit_id": "520100-transport", "co_unit_ids": [HOUSING, MARKET],
                   "decided_by": "center-07"}),
        )
        .await;
    assert_eq!(decided["status"], "decided");
    let view = c.wait_lead(&hard, "520100-transport").await;
    assert_eq!(view["basis"], "consultation");
    let co: Vec<&str> = view["co_units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["unit_id"].as_str().unwrap())
        .collect();
    assert_eq!(co, [HOUSING, MARKET]);

    // A14: each co-unit reports its part to the lead unit, which sees the reports.
    for unit in [HOUSING, MARKET] {
        c.ok(
            &format!("/api/v1/orders/{}/co-handling/report", hard.number),
            json!({"unit_id": unit, "report": format!("{unit} 已完成本单位负责部分。"),
                   "reported_by": format!("{unit}-staff")}),
        )
        .await;
    }
    let (_, lead) = c.unit_view("520100-transport", &hard.number).await;
    assert!(
        lead["co_units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["reported_at"].is_string() && u["report"].is_string()),
        "{lead}"
    );
    // The requester sees the order dispatched once the consultation decided.
    wait_for("the public view to show the dispatch", WAIT, || async {
        let v = stack.public_view(&hard.number, &hard.check).await?;
        (v["status"] == "dispatched").then_some(())
    })
    .await;
    stack.stop().await;
}

#[tokio::test]
async fn disputes_are_upheld_redispatched_or_decided_finally_by_the_authority() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let c = Client::new(&stack);

    // Upheld: the unit keeps the order and then signs for it.
    let upheld = c.register("environment.noise", "520102").await;
    c.wait_lead(&upheld, ENV).await;
    let id = c.dispute(&upheld, ENV).await;
    let (status, _) = c
        .post(
            &format!("/api/v1/orders/{}/sign", upheld.number),
            json!({"unit_id": ENV, "signed_by": "staff-1"}),
        )
        .await;
    assert_eq!(status, 409, "no sign-for while the dispute is open");
    let (status, decision) = c
        .decide(
            &id,
            json!({"decider": "center", "outcome": "upheld", "decided_by": "center-07"}),
        )
        .await;
    assert_eq!(status, 200, "{decision}");
    assert_eq!(decision["unit_id"], ENV);
    c.sign(&upheld, ENV).await;

    // Redispatched: the order goes to the market bureau, which signs; the old unit is out.
    let moved = c.register("environment.noise", "520102").await;
    c.wait_lead(&moved, ENV).await;
    let id = c.dispute(&moved, ENV).await;
    let (status, decision) = c
        .decide(
            &id,
            json!({"decider": "center", "outcome": "redispatched", "unit_id": MARKET,
                   "decided_by": "center-07"}),
        )
        .await;
    assert_eq!(status, 200, "{decision}");
    let view = c.wait_lead(&moved, MARKET).await;
    assert_eq!(view["basis"], "dispute");
    let (status, _) = c.unit_view(ENV, &moved.number).await;
    assert_eq!(status, 403, "the old unit no longer sees the order");
    c.sign(&moved, MARKET).await;
    // The deadline-watcher measures the new unit's sign-for from the redispatch; the old
    // unit's clock is cancelled.
    let signs = wait_for("the new unit's sign clock met", WAIT, || async {
        let deadlines = deadlines(&stack, moved.order_id).await;
        let signs: Vec<(String, &str)> = deadlines
            .clocks
            .iter()
            .filter(|k| k.clock == hotline_contract::events::DeadlineClock::Sign)
            .map(|k| (k.unit_id.clone(), state_code(k.state)))
            .collect();
        signs.contains(&(MARKET.to_owned(), "met")).then_some(signs)
    })
    .await;
    assert!(signs.contains(&(ENV.to_owned(), "cancelled")), "{signs:?}");

    // Escalated: the center sends it up; only the authority decides now; its rejection of
    // the dispute is final and marks it improper.
    let escalated = c.register("environment.noise", "520102").await;
    c.wait_lead(&escalated, ENV).await;
    let id = c.dispute(&escalated, ENV).await;
    c.ok(
        &format!("/api/v1/disputes/{id}/escalation"),
        json!({"escalated_by": "center-07"}),
    )
    .await;
    let (status, _) = c
        .decide(
            &id,
            json!({"decider": "center", "outcome": "upheld", "decided_by": "center-07"}),
        )
        .await;
    assert_eq!(status, 409, "the center no longer decides");
    let (status, decision) = c
        .decide(
            &id,
            json!({"decider": "authority", "outcome": "upheld", "decided_by": "authority-3"}),
        )
        .await;
    assert_eq!(status, 200, "{decision}");
    assert_eq!(decision["improper"], true);
    let (_, view) = c.unit_view(ENV, &escalated.number).await;
    let steps: Vec<&str> = view["disputes"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["disputed", "escalated", "upheld", "marked_improper"]
    );

    // A12: of the 3 noise dispatches by the rule, one was changed by a dispute.
    let (_, accuracy) = c.get("/api/v1/dispatch-accuracy").await;
    let rule = accuracy["by_dispatcher"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "rule:520102:environment.noise")
        .unwrap();
    assert_eq!(
        (
            rule["dispatches"].as_i64(),
            rule["changed_after_dispute"].as_i64()
        ),
        (Some(3), Some(1))
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_unit_gets_more_time_answers_completely_and_redoes_a_sent_back_order() {
    let stack = Stack::start().await;
    stack.wait_ready().await;
    let c = Client::new(&stack);
    let order = c.register("environment.noise", "520102").await;
    c.wait_lead(&order, ENV).await;

    // Scope: another unit neither sees nor acts on it.
    let (status, _) = c.unit_view(MARKET, &order.number).await;
    assert_eq!(status, 403);
    let (status, _) = c
        .post(
            &format!("/api/v1/orders/{}/sign", order.number),
            json!({"unit_id": MARKET, "signed_by": "staff-9"}),
        )
        .await;
    assert_eq!(status, 403);
    c.sign(&order, ENV).await;
    let first_due = wait_for("the handling clock", WAIT, || async {
        handling(&deadlines(&stack, order.order_id).await).map(|k| k.due_at)
    })
    .await;

    // A14: interim progress, then an extension asked for and granted by the center.
    c.ok(
        &format!("/api/v1/orders/{}/progress-reports", order.number),
        json!({"unit_id": ENV, "reason_code": "needs_noise_measurement",
               "progress": "已委托检测机构，待出具报告。", "reported_by": "staff-1"}),
    )
    .await;
    let request = c
        .ok(
            &format!("/api/v1/orders/{}/extension-requests", order.number),
            json!({"unit_id": ENV, "extension": {"unit": "working_days", "value": 5},
                   "reason_code": "needs_noise_measurement",
                   "explanation": "检测报告需一周。", "requested_by": "staff-1"}),
        )
        .await;
    let request_id = request["request_id"].as_str().unwrap();
    let decision = c
        .ok(
            &format!("/api/v1/unit-requests/{request_id}/decision"),
            json!({"approve": true, "decided_by": "center-head-02"}),
        )
        .await;
    assert_eq!(decision["kind"], "extension");
    let moved = wait_for("the handling deadline to move", WAIT, || async {
        let clock = handling(&deadlines(&stack, order.order_id).await)?;
        (clock.due_at > first_due).then_some(clock)
    })
    .await;
    assert_eq!(moved.changes.last().unwrap().change, "extended");

    // A16: a result missing a required part is refused, naming the field.
    let mut incomplete = result(ENV);
    incomplete["findings"] = json!("  ");
    let (status, problem) = c
        .post(
            &format!("/api/v1/orders/{}/result", order.number),
            incomplete,
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "findings");
    assert_eq!(problem["errors"][0]["code"], "required");
    assert_eq!(problem["errors"][0]["message"], "必须填写调查核实情况");

    // A16: the complete result; the center sends it back; the same unit redoes it.
    let receipt = c
        .ok(
            &format!("/api/v1/orders/{}/result", order.number),
            result(ENV),
        )
        .await;
    stack
        .publish_as(
            "supervision",
            OrderSentBack {
                order_id: order.order_id,
                unit_id: ENV.to_owned(),
                result_id: receipt["result_id"].as_str().unwrap().parse().unwrap(),
                reason_code: "reply_incomplete".to_owned(),
                sent_back_by: "center-head-02".to_owned(),
                sent_back_at: Utc::now(),
            },
        )
        .await;
    let view = wait_for("the order back with its unit", WAIT, || async {
        let (_, v) = c.unit_view(ENV, &order.number).await;
        (v["status"] == "signed").then_some(v)
    })
    .await;
    assert_eq!(view["redo_count"], 1);
    assert_eq!(view["lead_unit_id"], ENV);
    c.ok(
        &format!("/api/v1/orders/{}/result", order.number),
        result(ENV),
    )
    .await;
    stack.stop().await;
}

/// The order's clocks, from `rpc.deadline-watcher.deadlines`.
async fn deadlines(stack: &Stack, order_id: Uuid) -> OrderDeadlines {
    let client = async_nats::connect(stack.nats.url()).await.unwrap();
    let ns = Namespace::new(stack.namespace.clone()).unwrap();
    hotline_messaging::call(
        &client,
        &ns,
        verbs::DEADLINE_WATCHER_DEADLINES,
        &OrderDeadlinesQuery { order_id },
        &TraceContext::new_root(),
        WAIT,
    )
    .await
    .unwrap()
}

fn handling(d: &OrderDeadlines) -> Option<hotline_contract::rpc::ClockView> {
    d.clocks
        .iter()
        .find(|k| k.clock == hotline_contract::events::DeadlineClock::Handling)
        .cloned()
}

fn state_code(state: hotline_contract::rpc::ClockState) -> &'static str {
    use hotline_contract::rpc::ClockState::*;
    match state {
        Running => "running",
        Paused => "paused",
        Met => "met",
        Cancelled => "cancelled",
        Overdue => "overdue",
    }
}

/// A5, A12: the center maintains the directory and the rules through the gateway; a rule
/// edit takes effect for the next order without a restart; a bad directory file is refused
/// whole, with every fault named; the export is a file the import takes back unchanged.
#[tokio::test]
async fn the_center_edits_a_rule_and_imports_the_directory_through_the_gateway() {
    let stack = Stack::start().await;
    let c = Client::new(&stack);

    // The catalogue names who handles a category, and the seeded rule follows it.
    let (status, catalogue) = c.get("/api/v1/dispatch-catalogue").await;
    assert_eq!(status, 200);
    let consumer = catalogue["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "market.consumer")
        .cloned()
        .unwrap();
    assert_eq!(
        (consumer["line"].as_str(), consumer["level"].as_str()),
        (Some("market"), Some("county"))
    );
    let first = c.register("market.consumer", "520102").await;
    assert_eq!(c.wait_lead(&first, MARKET).await["basis"], "rule");

    // The center moves the rule to the housing bureau (version 2)…
    let stack_ref = &stack;
    let put = |body: Value| {
        let url = stack_ref.url("/api/v1/dispatch-rules/520102:market.consumer");
        async move {
            let http = stack_ref.acting(&body).await;
            let r = http.put(url).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let edit = json!({"category": "market.consumer", "region_code": "520102", "unit_id": HOUSING,
                      "expected_version": 1, "reason": "试点", "edited_by": "center-admin"});
    let (status, saved) = put(edit.clone()).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 2);
    // …and the next order goes there, with no restart.
    let next = c.register("market.consumer", "520102").await;
    c.wait_lead(&next, HOUSING).await;
    // The same edit again is stale: 409; a rule for an unknown unit: 422 naming the field.
    let (status, problem) = put(edit).await;
    assert_eq!(status, 409, "{problem}");
    let (status, problem) = put(
        json!({"category": "market.consumer", "region_code": "520102",
        "unit_id": "no-such-unit", "expected_version": 2, "edited_by": "center-admin"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "unit_id", "{problem}");
    let (_, history) = c
        .get("/api/v1/dispatch-rules/520102:market.consumer/history")
        .await;
    assert_eq!(
        history["versions"].as_array().unwrap().len(),
        2,
        "{history}"
    );

    // Directory import: a street office and a bad record → nothing, every fault named.
    let header =
        "unit_id,name,unit_type,level,region_code,parent_unit_id,line,duties,contacts,active";
    let bad = format!(
        "{header}\n520102016-office,新华路街道办事处,street_office,township,520102016,gov-520102,,,,true\n\
         x,,palace,county,999999,,,,,true\n"
    );
    let (status, problem) = c
        .post(
            "/api/v1/units/import",
            json!({"format": "csv", "data": bad, "imported_by": "center-admin"}),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "records[1].name",
            "records[1].unit_type",
            "records[1].region_code"
        ],
        "{problem}"
    );
    let good = format!(
        "{header}\n520102016-office,新华路街道办事处,street_office,township,520102016,gov-520102,,,值班电话:0851-00000001,true\n"
    );
    let report = c
        .ok(
            "/api/v1/units/import",
            json!({"format": "csv", "data": good, "imported_by": "center-admin"}),
        )
        .await;
    assert_eq!(report["created"], 1, "{report}");
    let (status, export) = c
        .get("/api/v1/units?format=csv&region_code=520102016")
        .await;
    assert_eq!(status, 200, "{export}");
    assert!(
        export["data"]
            .as_str()
            .unwrap()
            .contains("新华路街道办事处"),
        "{export}"
    );
    let (status, problem) = c.get("/api/v1/units?format=xml").await;
    assert_eq!(status, 400, "{problem}");
    stack.stop().await;
}
