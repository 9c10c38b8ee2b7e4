//! A handling unit's desk (A15, A16): its inbox and an order's page with the sign and
//! result forms. The guard keeps a unit's staff to their own unit's paths; the router
//! checks the order is the unit's.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::dispatch_desk::{UnitOrderQuery, UnitOrderView, UnitOrders, UnitOrdersQuery};
use hotline_contract::rpc::{ResultReceipt, SignCommand, SignReceipt, SubmitResultCommand, verbs};
use serde::Deserialize;

use super::{
    bad_form, beijing, csrf_field, document, esc, html, problem_page, see_other, status_label,
};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, trace_of};

/// `GET /console/units/{unit_id}/orders`: the orders the unit leads or co-handles.
pub async fn inbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(unit_id): Path<String>,
) -> Response {
    let who = Some((&principal, &csrf));
    let query = UnitOrdersQuery {
        unit_id: unit_id.clone(),
    };
    let reply: Result<UnitOrders, Problem> = call(
        &state,
        verbs::ROUTER_UNIT_ORDERS,
        &query,
        &trace_of(&headers),
    )
    .await
    .map_err(call_problem);
    let orders = match reply {
        Ok(orders) => orders,
        Err(problem) => return problem_page(&problem, who),
    };
    let rows: String = orders
        .orders
        .iter()
        .map(|o| {
            format!(
                r#"<tr><td><a href="/console/units/{unit}/orders/{number}">{number}</a></td><td>{role}</td><td><span class="status">{status}</span></td><td>{at}</td></tr>"#,
                unit = esc(&unit_id),
                number = esc(&o.number),
                role = if o.role == "lead" { "主办" } else { "协办" },
                status = esc(&status_label(&o.status)),
                at = beijing(o.dispatched_at),
            )
        })
        .collect();
    let body = if rows.is_empty() {
        "<p>暂无工单。</p>".to_owned()
    } else {
        format!(
            r#"<table id="inbox"><thead><tr><th>工单编号</th><th>承办方式</th><th>状态</th><th>派单时间</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    html(
        StatusCode::OK,
        document(&format!("本单位工单 · {unit_id}"), who, &body),
    )
}

/// `GET /console/units/{unit_id}/orders/{number}`: one order and what the unit can do
/// next.
pub async fn order(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
) -> Response {
    let who = Some((&principal, &csrf));
    let query = UnitOrderQuery {
        number: number.clone(),
        unit_id: unit_id.clone(),
    };
    let reply: Result<UnitOrderView, Problem> = call(
        &state,
        verbs::ROUTER_UNIT_ORDER,
        &query,
        &trace_of(&headers),
    )
    .await
    .map_err(call_problem);
    let view = match reply {
        Ok(view) => view,
        Err(problem) => return problem_page(&problem, who),
    };
    let action = format!(
        "/console/units/{}/orders/{}",
        esc(&unit_id),
        esc(&view.number)
    );
    let field = csrf_field(&csrf);
    let lead = view.role == "lead" && principal.unit_id.as_deref() == Some(unit_id.as_str());
    let next = match view.status.as_str() {
        "dispatched" if lead => format!(
            r#"<h2>签收</h2><form class="stack" method="post" action="{action}/sign">{field}<p>签收后开始计算办理时限。</p><button type="submit" id="sign">签收工单</button></form>"#
        ),
        "signed" if lead && !view.suspended => format!(
            r#"<h2>办理结果</h2><form class="stack" method="post" action="{action}/result">{field}
<label>办理依据<textarea name="basis" required></textarea></label>
<label>核查情况<textarea name="findings" required></textarea></label>
<label>答复内容（办结后向来电人公开）<textarea name="reply" required></textarea></label>
<label>承诺完成日期（可选）<input name="promised_by" type="date"></label>
<button type="submit" id="submit-result">提交办理结果</button></form>"#
        ),
        "result_submitted" => "<p class=\"ok\">办理结果已提交，等待审核。</p>".to_owned(),
        _ => String::new(),
    };
    let body = format!(
        r#"<dl><dt>工单编号</dt><dd>{number}</dd><dt>状态</dt><dd><span class="status" id="order-status">{status}</span>{suspended}</dd><dt>承办方式</dt><dd>{role}</dd><dt>主办单位</dt><dd>{lead_unit}</dd><dt>派单时间</dt><dd>{at}</dd><dt>退回重办</dt><dd>{redo} 次</dd></dl>{next}
<p><a href="/console/units/{unit}/orders">返回本单位工单</a></p>"#,
        number = esc(&view.number),
        status = esc(&status_label(&view.status)),
        suspended = if view.suspended {
            "（已中止）"
        } else {
            ""
        },
        role = if view.role == "lead" {
            "主办"
        } else {
            "协办"
        },
        lead_unit = esc(&view.lead_unit_id),
        at = beijing(view.dispatched_at),
        redo = view.redo_count,
        unit = esc(&unit_id),
    );
    html(
        StatusCode::OK,
        document(&format!("工单 {}", view.number), who, &body),
    )
}

/// `POST …/sign`: sign for the order as the signed-in staff member (A15).
pub async fn sign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
) -> Response {
    let command = SignCommand {
        number: number.clone(),
        unit_id: unit_id.clone(),
        signed_by: principal.principal_id.clone(),
    };
    let reply: Result<SignReceipt, _> =
        call(&state, verbs::ROUTER_SIGN, &command, &trace_of(&headers)).await;
    match reply {
        Ok(_) => see_other(&format!("/console/units/{unit_id}/orders/{number}")),
        Err(e) => problem_page(&call_problem(e), Some((&principal, &csrf))),
    }
}

/// The result form (A16: basis, findings, reply).
#[derive(Debug, Clone, Deserialize)]
pub struct ResultForm {
    pub basis: String,
    pub findings: String,
    pub reply: String,
    #[serde(default)]
    pub promised_by: String,
}

/// `POST …/result`: submit the unit's result (A16).
pub async fn result(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
    form: Result<Form<ResultForm>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(Form(form)) = form else {
        return bad_form(who);
    };
    let promised_by = match form.promised_by.trim() {
        "" => None,
        date => match date.parse() {
            Ok(d) => Some(d),
            Err(_) => return bad_form(who),
        },
    };
    let command = SubmitResultCommand {
        number: number.clone(),
        unit_id: unit_id.clone(),
        submitted_by: principal.principal_id.clone(),
        basis: form.basis,
        findings: form.findings,
        reply: form.reply,
        promised_by,
    };
    let reply: Result<ResultReceipt, _> = call(
        &state,
        verbs::ROUTER_SUBMIT_RESULT,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(_) => see_other(&format!("/console/units/{unit_id}/orders/{number}")),
        Err(e) => problem_page(&call_problem(e), who),
    }
}
