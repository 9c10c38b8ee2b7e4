//! The people the load tool plays, through the public API as staff use it: the unit's
//! handler (sign, answer, answer again, dispute), the center's dispatcher (decides a
//! dispute), the reviewer and the head (checklist, acceptance, send-back and its
//! approval). Each step is retried while the system answers 5xx or cannot be reached (a
//! fault being injected), as staff would try again.

use std::time::{Duration, Instant};

use hotline_contract::supervision_desk::ReviewItem;
use serde_json::{Value, json};

/// How long a step is retried.
const PATIENCE: Duration = Duration::from_secs(90);

/// The account ids the tool acts as.
pub const DISPATCHER: &str = "load-dispatcher";
pub const REVIEWER: &str = "load-reviewer";
pub const HEAD: &str = "load-head";

/// The unit's staff account for `unit`.
pub fn unit_staff(unit: &str) -> String {
    format!("load-{unit}")
}

/// POSTs `body` until the answer is neither a 5xx, a 429, a failed connection nor one of
/// `also_retry` (a step the system is not ready for yet), or [`PATIENCE`] ran out. The
/// last status and body.
async fn post(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
    also_retry: &[u16],
) -> (u16, Value) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, answer) = match client.post(url).json(body).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.json().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        };
        let retry = status == 0 || status >= 500 || status == 429 || also_retry.contains(&status);
        if !retry || Instant::now() > deadline {
            return (status, answer);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The staff account `id` (made, or there already) and a client signed in with a new API
/// token of it, each request retried like a staff step (the gateway may be down for a
/// fault; a lost answer to the account's creation comes back as 409 on the retry). `None`
/// when the gateway refused or [`PATIENCE`] ran out.
pub async fn account(
    base: &str,
    admin_token: &str,
    id: &str,
    role: crate::Role,
    unit: Option<&str>,
) -> Option<reqwest::Client> {
    let admin = crate::bearer_client(admin_token);
    let account = json!({"principal_id": id, "display_name": id, "role": role, "unit_id": unit});
    let (status, _) = post(&admin, &format!("{base}/api/v1/accounts"), &account, &[]).await;
    if status != 201 && status != 409 {
        return None;
    }
    let token = json!({"principal_id": id, "name": "load"});
    let (status, issued) = post(&admin, &format!("{base}/api/v1/tokens"), &token, &[]).await;
    let secret = issued["token"].as_str().filter(|_| status == 201)?;
    Some(crate::bearer_client(secret))
}

fn result_body(unit: &str) -> Value {
    json!({
        "unit_id": unit, "submitted_by": unit_staff(unit),
        "basis": "相关法律法规及政策规定",
        "findings": "经核查，情况属实，已安排处理。",
        "reply": "您反映的问题已处理，感谢您的监督。",
    })
}

/// The unit's staff: sign, then a complete result (a 409 means the step was done).
pub async fn work_order(client: reqwest::Client, base: String, number: String, unit: String) {
    let sign = json!({"unit_id": unit, "signed_by": unit_staff(&unit)});
    post(
        &client,
        &format!("{base}/api/v1/orders/{number}/sign"),
        &sign,
        &[],
    )
    .await;
    let result = format!("{base}/api/v1/orders/{number}/result");
    post(&client, &result, &result_body(&unit), &[]).await;
}

/// The unit answers a sent-back order again (A16). The router learns of the send-back
/// from supervision's event, so until it has, the result is refused with 409.
pub async fn answer_again(client: reqwest::Client, base: String, number: String, unit: String) {
    let result = format!("{base}/api/v1/orders/{number}/result");
    post(&client, &result, &result_body(&unit), &[409]).await;
}

/// The unit disputes the dispatch (A13) naming `proposed`; the dispatcher redispatches
/// the order there.
pub async fn dispute(
    unit_client: reqwest::Client,
    dispatcher: reqwest::Client,
    base: String,
    number: String,
    unit: String,
    proposed: String,
) {
    let body = json!({
        "unit_id": unit,
        "reason": "not_our_duty",
        "explanation": "该事项不属本单位职责，请改派属地政府。",
        "proposed_unit_id": proposed,
        "disputed_by": unit_staff(&unit),
    });
    let url = format!("{base}/api/v1/orders/{number}/disputes");
    // A 409 names the dispute already open (ours, when the first answer was lost).
    let (status, receipt) = post(&unit_client, &url, &body, &[]).await;
    let id = match status {
        200 => receipt["dispute_id"].as_str(),
        409 => receipt["conflicting_id"].as_str(),
        _ => None,
    };
    let Some(id) = id else {
        return; // the run's invariants report the order as never redispatched
    };
    let decision = json!({"decider": "center", "outcome": "redispatched", "unit_id": proposed,
                          "decided_by": DISPATCHER});
    post(
        &dispatcher,
        &format!("{base}/api/v1/disputes/{id}/decision"),
        &decision,
        &[],
    )
    .await;
}

/// The reviewer on the order's result (A16): the checklist, then acceptance (the order
/// closes), or, when `send_back`, a failed item and a send-back the head approves. The
/// result reaches supervision by its own event, so until it has, the checklist is refused
/// (404 before the first result, 409 while the sent-back one is still recorded).
pub async fn review(
    reviewer: reqwest::Client,
    head: reqwest::Client,
    base: String,
    order_id: uuid::Uuid,
    send_back: bool,
) {
    let failing = if send_back {
        &["reply_answers_matter"][..]
    } else {
        &[]
    };
    let items: Vec<Value> = ReviewItem::ALL
        .iter()
        .map(|item| json!({"item": item.code(), "passed": !failing.contains(&item.code())}))
        .collect();
    let checklist = json!({"items": items, "poor_handling": false,
                           "recorded_by": REVIEWER, "role": "reviewer"});
    let url = |step: &str| format!("{base}/api/v1/reviews/{order_id}/{step}");
    let (status, _) = post(&reviewer, &url("checklist"), &checklist, &[404, 409]).await;
    if status != 200 {
        return;
    }
    if !send_back {
        let accept = json!({"accepted_by": REVIEWER, "role": "reviewer"});
        post(&reviewer, &url("acceptance"), &accept, &[]).await;
        return;
    }
    let proposal = json!({"reason_code": "reply_incomplete",
                          "reasons": "答复未说明处理结果，未回应诉求。",
                          "failed_items": failing,
                          "proposed_by": REVIEWER, "role": "reviewer"});
    // A 409 names the proposal already waiting (ours, when the first answer was lost).
    let (status, proposal) = post(&reviewer, &url("send-backs"), &proposal, &[]).await;
    let id = match status {
        200 => proposal["proposal_id"].as_str(),
        409 => proposal["conflicting_id"].as_str(),
        _ => None,
    };
    let Some(id) = id else {
        return;
    };
    let approval = json!({"approved_by": HEAD, "role": "head"});
    post(
        &head,
        &format!("{base}/api/v1/send-backs/{id}/approval"),
        &approval,
        &[],
    )
    .await;
}
