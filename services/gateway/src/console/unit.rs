//! A handling unit's desk (A13–A16): its inbox and an order's page with the deadline
//! countdowns (from the deadline-watcher's clocks), the sign and result forms, and the
//! further forms of [`super::unit_forms`] (dispute, progress, extension, suspension,
//! co-handling report). The guard keeps a unit's staff to their own unit's paths; the
//! router checks the order is the unit's.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::dispatch_desk::{UnitOrderQuery, UnitOrderView, UnitOrders, UnitOrdersQuery};
use hotline_contract::rpc::{
    ClockState, ClockView, OrderDeadlines, OrderDeadlinesQuery, ResultReceipt, SignCommand,
    SignReceipt, SubmitResultCommand, verbs,
};
use serde::Deserialize;
use uuid::Uuid;

use super::countdown::{clock_label, countdown_span, due_time};
use super::unit_forms::{co_report_form, dispute_form, done_box, handling_forms};
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
    let now = chrono::Utc::now();
    // One after the other: local RPCs of a millisecond or two each.
    let mut due = Vec::new();
    for o in orders.orders.iter().take(INBOX_COUNTDOWNS) {
        due.push(next_due(&state, &headers, &unit_id, &o.number).await);
    }
    let rows: String = orders
        .orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let countdown = match due.get(i).and_then(Option::as_ref) {
                Some(clock) => format!(
                    "{label}：{span}",
                    label = clock_label(clock.clock),
                    span = countdown_span(clock, now),
                ),
                None => "—".to_owned(),
            };
            format!(
                r#"<tr><td><a href="/console/units/{unit}/orders/{number}">{number}</a></td><td>{role}</td><td><span class="status">{status}</span></td><td>{countdown}</td><td>{at}</td></tr>"#,
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
            r#"<table id="inbox"><thead><tr><th>工单编号</th><th>承办方式</th><th>状态</th><th>时限</th><th>派单时间</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    html(
        StatusCode::OK,
        document(&format!("本单位工单 · {unit_id}"), who, &body),
    )
}

/// How many inbox lines get a countdown (two service calls each; the newest first).
const INBOX_COUNTDOWNS: usize = 30;

/// The unit's nearest running clock of an order (A15): the order's id from the router's
/// unit view, its clocks from the deadline-watcher. None when either cannot say.
async fn next_due(
    state: &AppState,
    headers: &HeaderMap,
    unit_id: &str,
    number: &str,
) -> Option<ClockView> {
    let trace = trace_of(headers);
    let query = UnitOrderQuery {
        number: number.to_owned(),
        unit_id: unit_id.to_owned(),
    };
    let view: UnitOrderView = call(state, verbs::ROUTER_UNIT_ORDER, &query, &trace)
        .await
        .ok()?;
    let deadlines: OrderDeadlines = call(
        state,
        verbs::DEADLINE_WATCHER_DEADLINES,
        &OrderDeadlinesQuery {
            order_id: view.order_id,
        },
        &trace,
    )
    .await
    .ok()?;
    deadlines
        .clocks
        .iter()
        .filter(|c| {
            c.unit_id == unit_id && matches!(c.state, ClockState::Running | ClockState::Overdue)
        })
        .min_by_key(|c| c.due_at)
        .cloned()
}

/// The order page's query: which form just succeeded.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderPageQuery {
    #[serde(default)]
    pub done: Option<String>,
}

/// The order's clocks as a table with countdowns (A15, A17); a note when the
/// deadline-watcher cannot be asked (the page still works).
async fn clocks(state: &AppState, headers: &HeaderMap, order_id: Uuid) -> String {
    let reply: Result<OrderDeadlines, _> = call(
        state,
        verbs::DEADLINE_WATCHER_DEADLINES,
        &OrderDeadlinesQuery { order_id },
        &trace_of(headers),
    )
    .await;
    let Ok(deadlines) = reply else {
        return r#"<p class="muted">办理时限暂时无法查询。</p>"#.to_owned();
    };
    if deadlines.clocks.is_empty() {
        return String::new();
    }
    let now = chrono::Utc::now();
    let rows: String = deadlines
        .clocks
        .iter()
        .map(|c| {
            format!(
                r#"<tr><td>{label}</td><td>{unit}</td><td>{due}</td><td>{span}</td></tr>"#,
                label = clock_label(c.clock),
                unit = esc(&c.unit_id),
                due = due_time(c.due_at),
                span = countdown_span(c, now),
            )
        })
        .collect();
    format!(
        r#"<h2>办理时限</h2><table id="clocks"><thead><tr><th>时限</th><th>单位</th><th>截止时间</th><th>剩余</th></tr></thead><tbody>{rows}</tbody></table>"#
    )
}

/// `GET /console/units/{unit_id}/orders/{number}`: one order, its deadlines and what the
/// unit can do next.
pub async fn order(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
    Query(page): Query<OrderPageQuery>,
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
    let own = principal.unit_id.as_deref() == Some(unit_id.as_str());
    let lead = view.role == "lead" && own;
    let open_dispute = view
        .disputes
        .iter()
        .any(|d| d.status == "open" || d.status == "escalated");
    let co_reported = view
        .co_units
        .iter()
        .any(|c| c.unit_id == unit_id && c.reported_at.is_some());
    let next = match view.status.as_str() {
        "dispatched" if lead => format!(
            r#"<h2>签收</h2><form class="stack" method="post" action="{action}/sign">{field}<p>签收后开始计算办理时限。</p><button type="submit" id="sign">签收工单</button></form>{dispute}"#,
            dispute = if open_dispute {
                r#"<p class="muted">已提出异议，等待中心协调。</p>"#.to_owned()
            } else {
                dispute_form(&action, &field)
            },
        ),
        "signed" if lead && !view.suspended => format!(
            r#"<h2>办理结果</h2><form class="stack" method="post" action="{action}/result">{field}
<label>办理依据<textarea name="basis" required></textarea></label>
<label>核查情况<textarea name="findings" required></textarea></label>
<label>答复内容（办结后向来电人公开）<textarea name="reply" required></textarea></label>
<label>承诺完成日期（可选）<input name="promised_by" type="date"></label>
<button type="submit" id="submit-result">提交办理结果</button></form>{more}"#,
            more = handling_forms(&action, &field),
        ),
        "result_submitted" => "<p class=\"ok\">办理结果已提交，等待审核。</p>".to_owned(),
        _ => String::new(),
    };
    let next = if own && view.role != "lead" && !co_reported && view.status != "result_submitted" {
        co_report_form(&action, &field)
    } else {
        next
    };
    let clocks = clocks(&state, &headers, view.order_id).await;
    let co_units: String = view
        .co_units
        .iter()
        .map(|c| {
            format!(
                "<li>{}：{}</li>",
                esc(&c.unit_id),
                c.report
                    .as_deref()
                    .map_or_else(|| "尚未报送".to_owned(), esc)
            )
        })
        .collect();
    let co_units = if co_units.is_empty() {
        String::new()
    } else {
        format!(r#"<h2>协办单位</h2><ul id="co-units">{co_units}</ul>"#)
    };
    let body = format!(
        r#"{done}<dl><dt>工单编号</dt><dd>{number}</dd><dt>状态</dt><dd><span class="status" id="order-status">{status}</span>{suspended}</dd><dt>承办方式</dt><dd>{role}</dd><dt>主办单位</dt><dd>{lead_unit}</dd><dt>派单时间</dt><dd>{at}</dd><dt>退回重办</dt><dd id="redo-count">{redo} 次</dd></dl>{clocks}{co_units}{next}
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
        done = done_box(page.done.as_deref()),
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
