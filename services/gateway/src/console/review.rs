//! The review desk (A16): one result under review with the reviewer's checklist, the
//! acceptance, and the send-back proposal with its reasons; then the center head's approval
//! of the send-back (中心负责人审批). Each form posts one `rpc.supervision.*` command, the
//! same the JSON API sends, in the signed-in person's capacity (reviewer or head, from the
//! session, never from the form). Supervision enforces the rules: acceptance needs every
//! checklist item passed, a send-back cites exactly the failed items, the proposer cannot
//! approve their own proposal, a third round becomes a supervision case.
//!
//! The form parsing and the checklist's rendering are pure ([`checks_from_form`],
//! [`checklist_form`]); the handlers only call and render.

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::rpc::verbs;
use hotline_contract::supervision_desk::{
    ApproveSendBackCommand, CenterRole, CheckEntry, ProposeSendBackCommand, REVIEW_QUEUE_MAX_LIMIT,
    RecordChecklistCommand, ReviewChecklist, ReviewItem, ReviewQueue, ReviewQueueItem,
    ReviewQueueQuery, SendBackApproval, SendBackOutcome, SendBackProposal,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{bad_form, beijing, csrf_field, document, esc, html, problem_page, see_other};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::auth::roles::{Permission, Role};
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, trace_of};

/// What a reviewer may give as the send-back's reason code (carried by `order.sent_back`).
pub const SEND_BACK_REASONS: [(&str, &str); 5] = [
    ("reply_incomplete", "答复内容不完整"),
    ("basis_missing", "缺少办理依据"),
    ("findings_missing", "核查情况不清"),
    ("reply_not_responsive", "答复未回应诉求"),
    ("wrong_unit", "承办单位不正确"),
];

/// The capacity the signed-in person acts in at the center's desk.
pub fn center_role(principal: &Principal) -> CenterRole {
    if principal.role == Role::CenterHead {
        CenterRole::Head
    } else {
        CenterRole::Reviewer
    }
}

/// The checklist entries a posted form records: `item.<code>` = `pass` / `fail` (blank:
/// not recorded now), `note.<code>` optional. Unknown fields are ignored; an unknown
/// value is an error (the form offers only the two).
pub fn checks_from_form(fields: &[(String, String)]) -> Result<Vec<CheckEntry>, String> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    let mut entries = Vec::new();
    for item in ReviewItem::ALL {
        let passed = match value(&format!("item.{}", item.code())) {
            None | Some("") => continue,
            Some("pass") => true,
            Some("fail") => false,
            Some(other) => return Err(format!("item.{}: {other}", item.code())),
        };
        let note = value(&format!("note.{}", item.code()))
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        entries.push(CheckEntry { item, passed, note });
    }
    Ok(entries)
}

/// The failed items a send-back form cites (`failed` repeated, one per item).
pub fn failed_from_form(fields: &[(String, String)]) -> Result<Vec<ReviewItem>, String> {
    fields
        .iter()
        .filter(|(k, _)| k == "failed")
        .map(|(_, v)| ReviewItem::from_code(v).ok_or_else(|| format!("failed: {v}")))
        .collect()
}

/// The checklist form, each item with its state as recorded (when known).
pub fn checklist_form(action: &str, field: &str, recorded: Option<&ReviewChecklist>) -> String {
    let rows: String = ReviewItem::ALL
        .iter()
        .map(|item| {
            let state = recorded.and_then(|c| c.items.iter().find(|r| r.item == *item));
            let (pass, fail) = match state.map(|r| r.passed) {
                Some(true) => (" checked", ""),
                Some(false) => ("", " checked"),
                None => ("", ""),
            };
            let status = match state.map(|r| r.passed) {
                Some(true) => r#"<span class="status">已通过</span>"#,
                Some(false) => r#"<span class="status overdue">未通过</span>"#,
                None => r#"<span class="muted">未记录</span>"#,
            };
            format!(
                r#"<fieldset class="check"><legend>{label} {status}</legend><label class="inline"><input type="radio" name="item.{code}" value="pass"{pass}> 通过</label> <label class="inline"><input type="radio" name="item.{code}" value="fail"{fail}> 不通过</label><input name="note.{code}" value="{note}" placeholder="说明（可选，勿填写电话号码）"></fieldset>"#,
                label = esc(item.label_zh()),
                code = item.code(),
                note = esc(state.and_then(|r| r.note.as_deref()).unwrap_or("")),
            )
        })
        .collect();
    format!(
        r#"<h2>审核要点</h2><form class="stack" method="post" action="{action}/checklist" id="checklist-form">{field}{rows}
<label class="inline"><input type="checkbox" name="poor_handling" value="on"> 办理质量差（转入督办）</label>
<button type="submit" id="record-checklist">保存审核记录</button></form>"#
    )
}

/// The send-back form, with the items recorded as failed checked.
fn send_back_form(action: &str, field: &str, recorded: Option<&ReviewChecklist>) -> String {
    let failed: String = ReviewItem::ALL
        .iter()
        .map(|item| {
            let checked = recorded
                .is_some_and(|c| c.items.iter().any(|r| r.item == *item && !r.passed));
            format!(
                r#"<label class="inline"><input type="checkbox" name="failed" value="{code}"{checked}> {label}</label>"#,
                code = item.code(),
                label = esc(item.label_zh()),
                checked = if checked { " checked" } else { "" },
            )
        })
        .collect();
    let reasons: String = SEND_BACK_REASONS
        .iter()
        .map(|(code, label)| format!(r#"<option value="{code}">{label}</option>"#))
        .collect();
    format!(
        r#"<h2>退回重办（报中心负责人审批）</h2><form class="stack" method="post" action="{action}/send-back" id="send-back-form">{field}
<label>退回原因<select name="reason_code">{reasons}</select></label>
<fieldset class="check"><legend>未通过的审核要点</legend>{failed}</fieldset>
<label>退回理由<textarea name="reasons" required></textarea></label>
<button type="submit" id="propose-send-back">提出退回</button></form>"#
    )
}

/// The result under review, from the review queue (none when it is no longer there).
async fn queue_item(
    state: &AppState,
    headers: &HeaderMap,
    order_id: Uuid,
) -> Result<Option<ReviewQueueItem>, Problem> {
    let query = ReviewQueueQuery {
        status: Default::default(),
        limit: Some(REVIEW_QUEUE_MAX_LIMIT),
        after: None,
    };
    let queue: ReviewQueue = call(
        state,
        verbs::SUPERVISION_REVIEW_QUEUE,
        &query,
        &trace_of(headers),
    )
    .await
    .map_err(call_problem)?;
    Ok(queue.items.into_iter().find(|i| i.order_id == order_id))
}

/// The review page of one result, with the checklist as just recorded (if any).
async fn review_page(
    state: &AppState,
    headers: &HeaderMap,
    (principal, csrf): (&Principal, &PageCsrf),
    order_id: Uuid,
    recorded: Option<&ReviewChecklist>,
    notice: &str,
) -> Response {
    let who = Some((principal, csrf));
    let item = match queue_item(state, headers, order_id).await {
        Ok(Some(item)) => item,
        Ok(None) => {
            let body = r#"<p class="problem">该办理结果已不在待审核队列中（已审核或已退回）。</p><p><a href="/console/review">返回待审核</a></p>"#;
            return html(StatusCode::NOT_FOUND, document("审核办理结果", who, body));
        }
        Err(problem) => return problem_page(&problem, who),
    };
    let field = csrf_field(csrf);
    let action = format!("/console/review/{order_id}");
    let parts = item.checklist.as_ref().map_or_else(
        || "—".to_owned(),
        |c| {
            let yes = |b: bool| if b { "有" } else { "缺" };
            format!(
                "办理依据：{}；核查情况：{}；答复：{}{}",
                yes(c.basis_given),
                yes(c.findings_given),
                yes(c.reply_given),
                c.promised_by
                    .map(|d| format!("；承诺办结：{d}"))
                    .unwrap_or_default()
            )
        },
    );
    let case = recorded
        .and_then(|c| c.case_id)
        .map(|case| {
            format!(
                r#"<p class="problem" id="case-opened">群众不满意且办理质量差，已立督办案件（{case}）。</p>"#
            )
        })
        .unwrap_or_default();
    let summary = recorded.map_or_else(String::new, |c| {
        if c.all_passed {
            r#"<p class="ok" id="checklist-state">审核要点全部通过，可以审核通过。</p>"#.to_owned()
        } else {
            let missing: Vec<&str> = c.missing.iter().map(|i| i.label_zh()).collect();
            format!(
                r#"<p class="problem" id="checklist-state">尚有未通过或未记录的审核要点{}</p>"#,
                if missing.is_empty() {
                    String::new()
                } else {
                    format!("（未记录：{}）", esc(&missing.join("、")))
                }
            )
        }
    });
    let decide = if item.send_back_pending {
        r#"<p class="muted" id="send-back-pending">退回提议已提交，等待中心负责人审批。</p>"#
            .to_owned()
    } else {
        format!(
            r#"<h2>审核通过</h2><form class="stack" method="post" action="{action}/acceptance">{field}<p>审核要点全部通过后方可审核通过，工单随即办结归档。</p><button type="submit" id="accept">审核通过</button></form>{send_back}"#,
            send_back = send_back_form(&action, &field, recorded),
        )
    };
    let body = format!(
        r#"{notice}{case}{summary}<dl><dt>工单编号</dt><dd id="review-number">{number}</dd><dt>承办单位</dt><dd>{unit}</dd><dt>类型</dt><dd>{kind}</dd><dt>提交时间</dt><dd>{at}</dd><dt>办理结果要素</dt><dd>{parts}</dd></dl>{checklist}{call_back}{decide}<p><a href="/console/review">返回待审核</a></p>"#,
        number = esc(item.number.as_deref().unwrap_or("—")),
        unit = esc(&item.unit_id),
        kind = item.kind.map_or("—", |k| k.label_zh()),
        at = beijing(item.submitted_at),
        parts = esc(&parts),
        checklist = checklist_form(&action, &field, recorded),
        call_back = super::review_call_back::form(&action, &field),
    );
    html(StatusCode::OK, document("审核办理结果", who, &body))
}

/// What the review page says after a call-back (see [`super::review_call_back`]).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReviewNotice {
    #[serde(default)]
    pub call_back: Option<String>,
    #[serde(default)]
    pub case: Option<String>,
}

/// `GET /console/review/{order_id}`: the result under review.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(order_id): Path<String>,
    notice: Result<Query<ReviewNotice>, QueryRejection>,
) -> Response {
    let Ok(order_id) = order_id.parse::<Uuid>() else {
        return bad_form(Some((&principal, &csrf)));
    };
    let notice = notice.map(|Query(n)| n).unwrap_or_default();
    let notice = super::review_call_back::notice(
        notice.case.as_deref(),
        notice.call_back.as_deref() == Some("recorded"),
    );
    review_page(
        &state,
        &headers,
        (&principal, &csrf),
        order_id,
        None,
        &notice,
    )
    .await
}

/// `POST /console/review/{order_id}/checklist`: record the checked items (A16) and show
/// the page with the checklist as supervision now holds it.
pub async fn checklist(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(order_id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let (Ok(order_id), Ok(Form(fields))) = (order_id.parse::<Uuid>(), form) else {
        return bad_form(who);
    };
    let Ok(items) = checks_from_form(&fields) else {
        return bad_form(who);
    };
    let poor = fields
        .iter()
        .any(|(k, v)| k == "poor_handling" && v == "on");
    let command = RecordChecklistCommand {
        order_id,
        items,
        poor_handling: poor.then_some(true),
        recorded_by: principal.principal_id.clone(),
        role: center_role(&principal),
    };
    let reply: Result<ReviewChecklist, _> = call(
        &state,
        verbs::SUPERVISION_RECORD_CHECKLIST,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(recorded) => {
            review_page(
                &state,
                &headers,
                (&principal, &csrf),
                order_id,
                Some(&recorded),
                "",
            )
            .await
        }
        Err(e) => problem_page(&call_problem(e), who),
    }
}

/// `POST /console/review/{order_id}/send-back`: propose sending the result back (A16);
/// the proposal's page follows, where the head approves.
pub async fn send_back(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(order_id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let (Ok(order_id), Ok(Form(fields))) = (order_id.parse::<Uuid>(), form) else {
        return bad_form(who);
    };
    let Ok(failed_items) = failed_from_form(&fields) else {
        return bad_form(who);
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let command = ProposeSendBackCommand {
        order_id,
        reason_code: field("reason_code"),
        reasons: field("reasons"),
        failed_items,
        proposed_by: principal.principal_id.clone(),
        role: center_role(&principal),
    };
    let reply: Result<SendBackProposal, _> = call(
        &state,
        verbs::SUPERVISION_PROPOSE_SEND_BACK,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(proposal) => see_other(&format!("/console/send-backs/{}", proposal.proposal_id)),
        Err(e) => problem_page(&call_problem(e), who),
    }
}

/// `GET /console/send-backs/{proposal_id}`: the proposal with its order (from the
/// pending list); the head's approval form while it waits.
pub async fn proposal(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(proposal_id): Path<String>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(proposal_id) = proposal_id.parse::<Uuid>() else {
        return bad_form(who);
    };
    // Supervision unreachable: the form still shows; the approval itself will say.
    let found = super::send_backs::pending(&state, &headers)
        .await
        .map(|items| {
            items
                .into_iter()
                .find(|i| i.proposal_id == Some(proposal_id))
        });
    let details = match &found {
        Ok(Some(item)) => format!(
            r#"<dl><dt>工单编号</dt><dd id="proposal-number">{number}</dd><dt>承办单位</dt><dd>{unit}</dd><dt>类型</dt><dd>{kind}</dd><dt>办理结果提交时间</dt><dd>{at}</dd></dl>"#,
            number = esc(item.number.as_deref().unwrap_or("—")),
            unit = esc(&item.unit_id),
            kind = item.kind.map_or("—", |k| k.label_zh()),
            at = beijing(item.submitted_at),
        ),
        Ok(None) => {
            let body = r#"<p class="problem" id="proposal-gone">该退回提议已审批或不存在。</p><p><a href="/console/send-backs">待审批的退回</a></p>"#;
            return html(StatusCode::NOT_FOUND, document("退回审批", who, body));
        }
        Err(_) => String::new(),
    };
    let action = if principal.can(Permission::ApproveSendBack) {
        format!(
            r#"<form class="stack" method="post" action="/console/send-backs/{proposal_id}/approval">{field}<p>批准后工单退回原承办单位重办；已退回过的工单转为督办案件。提议人不能批准自己的提议。</p><button type="submit" id="approve-send-back">批准退回</button></form>"#,
            field = csrf_field(&csrf),
        )
    } else {
        r#"<p class="muted">退回提议需经中心负责人审批。请将本页链接告知中心负责人。</p>"#
            .to_owned()
    };
    let body = format!(
        r#"<p class="ok" id="proposal">退回提议 <code id="proposal-id">{proposal_id}</code> 等待中心负责人审批。</p>{details}{action}<p><a href="/console/review">返回待审核</a></p>"#
    );
    html(StatusCode::OK, document("退回审批", who, &body))
}

/// `POST /console/send-backs/{proposal_id}/approval`: the head approves (A16).
pub async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(proposal_id): Path<String>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(proposal_id) = proposal_id.parse::<Uuid>() else {
        return bad_form(who);
    };
    let command = ApproveSendBackCommand {
        proposal_id,
        approved_by: principal.principal_id.clone(),
        role: center_role(&principal),
    };
    let reply: Result<SendBackApproval, _> = call(
        &state,
        verbs::SUPERVISION_APPROVE_SEND_BACK,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(approval) => {
            let outcome = match approval.outcome {
                SendBackOutcome::SentBack => "已批准，工单退回原承办单位重办。".to_owned(),
                SendBackOutcome::CaseOpened => format!(
                    "已批准。该工单此前已退回过，已转为督办案件{}。",
                    approval
                        .case_id
                        .map(|c| format!("（{c}）"))
                        .unwrap_or_default()
                ),
            };
            let body = format!(
                r#"<p class="ok" id="approval">{}</p><p>批准时间：{}</p><p><a href="/console/review">返回待审核</a></p>"#,
                esc(&outcome),
                beijing(approval.approved_at)
            );
            html(StatusCode::OK, document("退回审批", who, &body))
        }
        Err(e) => problem_page(&call_problem(e), who),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn checklist_form_fields_become_entries_in_checklist_order() {
        let form = fields(&[
            ("csrf_token", "x"),
            ("item.right_unit", "pass"),
            ("item.basis_cited", "fail"),
            ("note.basis_cited", " 未引用法规 "),
            ("item.time_given", ""),
        ]);
        let entries = checks_from_form(&form).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].item, ReviewItem::BasisCited);
        assert!(!entries[0].passed);
        assert_eq!(entries[0].note.as_deref(), Some("未引用法规"));
        assert_eq!(entries[1].item, ReviewItem::RightUnit);
        assert!(entries[1].passed);
    }

    #[test]
    fn unknown_values_are_refused() {
        assert!(checks_from_form(&fields(&[("item.right_unit", "maybe")])).is_err());
        assert!(failed_from_form(&fields(&[("failed", "no_such_item")])).is_err());
        assert_eq!(
            failed_from_form(&fields(&[("failed", "basis_cited"), ("reasons", "x")])).unwrap(),
            vec![ReviewItem::BasisCited]
        );
    }

    #[test]
    fn the_form_shows_every_item_and_what_was_recorded() {
        let page = checklist_form("/console/review/x", "", None);
        for item in ReviewItem::ALL {
            assert!(page.contains(&format!("name=\"item.{}\"", item.code())));
        }
        assert!(!page.contains("checked"));
    }
}
