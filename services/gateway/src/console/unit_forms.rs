//! The unit desk's further forms on an order's page (A13–A15): dispute (异议/退回) before
//! signing, a progress report (阶段性进展), an extension request (延期申请) or a suspension
//! request (挂起申请) while handling, and a co-handling unit's report (协办报送) to the
//! lead unit. Each posts one `rpc.router.*` command, the same the JSON API sends, with the
//! acting unit from the path (the guard keeps unit staff to their own unit) and the actor
//! from the session; the router checks the order is the unit's and its state. On success
//! the order's page is shown again with a confirmation (`?done=<form>`).

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hotline_contract::dispatch_desk::{
    DisputeCommand, DisputeReceipt, ReportCoHandlingCommand, ReportProgressCommand, ReportReceipt,
    RequestExtensionCommand, RequestSuspensionCommand, UnitRequestReceipt,
};
use hotline_contract::events::{DisputeReason, LimitUnit, SuspensionReason, TimeLimit};
use hotline_contract::rpc::verbs;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{bad_form, esc, problem_page, see_other};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::routes::{AppState, call, call_problem, trace_of};

/// The reasons a unit may give for slow progress or more time (codes the router stores).
pub const DELAY_REASONS: [(&str, &str); 4] = [
    ("complex_matter", "情况复杂，需进一步核查"),
    ("multi_department", "涉及多个部门，需协调"),
    ("awaiting_materials", "等待相关材料或检测结果"),
    ("other", "其他原因"),
];

/// `<option>`s of a select.
fn options(items: &[(&str, &str)]) -> String {
    items
        .iter()
        .map(|(code, label)| format!(r#"<option value="{}">{}</option>"#, esc(code), esc(label)))
        .collect()
}

/// The dispute form, for the lead unit before it signs (A13).
pub fn dispute_form(action: &str, field: &str) -> String {
    format!(
        r#"<h2>提出异议（退回）</h2><form class="stack" method="post" action="{action}/dispute" id="dispute-form">{field}
<label>异议原因<select name="reason">{reasons}</select></label>
<label>异议理由<textarea name="explanation" required></textarea></label>
<label>建议承办单位编号（可选）<input name="proposed_unit_id"></label>
<button type="submit" id="dispute">提交异议</button></form>"#,
        reasons = options(&[
            ("not_our_duty", "不属于本单位职责"),
            ("not_our_territory", "不属于本单位辖区"),
            ("handled_elsewhere", "已由其他单位办理"),
        ]),
    )
}

/// The forms of a lead unit handling a signed order (A14).
pub fn handling_forms(action: &str, field: &str) -> String {
    let delay = options(&DELAY_REASONS);
    format!(
        r#"<h2>报送阶段性进展</h2><form class="stack" method="post" action="{action}/progress" id="progress-form">{field}
<label>原因<select name="reason_code">{delay}</select></label>
<label>目前进展<textarea name="progress" required></textarea></label>
<button type="submit" id="report-progress">报送进展</button></form>
<h2>申请延期</h2><form class="stack" method="post" action="{action}/extension" id="extension-form">{field}
<label>延期时长<input name="value" type="number" min="1" max="60" value="5" required></label>
<label>单位<select name="unit"><option value="working_days">个工作日</option><option value="hours">小时</option></select></label>
<label>延期原因<select name="reason_code">{delay}</select></label>
<label>说明<textarea name="explanation" required></textarea></label>
<button type="submit" id="request-extension">提交延期申请</button></form>
<h2>申请挂起</h2><form class="stack" method="post" action="{action}/suspension" id="suspension-form">{field}
<label>挂起原因<select name="reason">{reasons}</select></label>
<label>说明<textarea name="explanation" required></textarea></label>
<button type="submit" id="request-suspension">提交挂起申请</button></form>"#,
        reasons = options(&[
            ("awaiting_requester", "等待来电人补充情况或材料"),
            ("awaiting_appraisal", "等待检验、检测、鉴定"),
            ("awaiting_other_procedure", "等待其他法定程序"),
        ]),
    )
}

/// The co-handling unit's report form (A14).
pub fn co_report_form(action: &str, field: &str) -> String {
    format!(
        r#"<h2>协办报送</h2><form class="stack" method="post" action="{action}/co-report" id="co-report-form">{field}
<label>协办情况（报送主办单位）<textarea name="report" required></textarea></label>
<button type="submit" id="co-report">报送主办单位</button></form>"#
    )
}

/// The confirmation shown after a form succeeded.
pub fn done_box(done: Option<&str>) -> String {
    let text = match done {
        Some("dispute") => "异议已提交，等待中心协调。",
        Some("progress") => "阶段性进展已报送。",
        Some("extension") => "延期申请已提交，等待中心审批。",
        Some("suspension") => "挂起申请已提交，等待中心审批。",
        Some("co-report") => "协办情况已报送主办单位。",
        _ => return String::new(),
    };
    format!(r#"<p class="ok" id="done">{text}</p>"#)
}

/// Read the form, send `command(form)` to the router, and show the order again.
async fn act<F, C, R>(
    state: &AppState,
    headers: &HeaderMap,
    who: (&Principal, &PageCsrf),
    (unit_id, number): (&str, &str),
    form: Result<Form<F>, FormRejection>,
    (verb, done): ((&str, &str), &str),
    command: impl FnOnce(F) -> Result<C, ()>,
) -> Response
where
    F: DeserializeOwned,
    C: Serialize,
    R: DeserializeOwned,
{
    let Ok(Form(form)) = form else {
        return bad_form(Some(who));
    };
    let Ok(command) = command(form) else {
        return bad_form(Some(who));
    };
    let reply: Result<R, _> = call(state, verb, &command, &trace_of(headers)).await;
    match reply {
        Ok(_) => see_other(&format!(
            "/console/units/{unit_id}/orders/{number}?done={done}"
        )),
        Err(e) => problem_page(&call_problem(e), Some(who)),
    }
}

/// The dispute form's fields.
#[derive(Debug, Clone, Deserialize)]
pub struct DisputeForm {
    pub reason: DisputeReason,
    pub explanation: String,
    #[serde(default)]
    pub proposed_unit_id: String,
}

/// `POST …/{number}/dispute` (A13).
pub async fn dispute(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
    form: Result<Form<DisputeForm>, FormRejection>,
) -> Response {
    let by = principal.principal_id.clone();
    let (u, n) = (unit_id.clone(), number.clone());
    act::<_, _, DisputeReceipt>(
        &state,
        &headers,
        (&principal, &csrf),
        (&unit_id, &number),
        form,
        (verbs::ROUTER_DISPUTE, "dispute"),
        |f: DisputeForm| {
            Ok(DisputeCommand {
                number: n,
                unit_id: u,
                reason: f.reason,
                explanation: f.explanation,
                proposed_unit_id: Some(f.proposed_unit_id.trim().to_owned())
                    .filter(|p| !p.is_empty()),
                disputed_by: by,
            })
        },
    )
    .await
}

/// The progress form's fields.
#[derive(Debug, Clone, Deserialize)]
pub struct ProgressForm {
    pub reason_code: String,
    pub progress: String,
}

/// `POST …/{number}/progress` (A14).
pub async fn progress(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
    form: Result<Form<ProgressForm>, FormRejection>,
) -> Response {
    let by = principal.principal_id.clone();
    let (u, n) = (unit_id.clone(), number.clone());
    act::<_, _, ReportReceipt>(
        &state,
        &headers,
        (&principal, &csrf),
        (&unit_id, &number),
        form,
        (verbs::ROUTER_REPORT_PROGRESS, "progress"),
        |f: ProgressForm| {
            Ok(ReportProgressCommand {
                number: n,
                unit_id: u,
                reason_code: f.reason_code,
                progress: f.progress,
                reported_by: by,
            })
        },
    )
    .await
}

/// The extension form's fields.
#[derive(Debug, Clone, Deserialize)]
pub struct ExtensionForm {
    pub value: String,
    pub unit: LimitUnit,
    pub reason_code: String,
    pub explanation: String,
}

/// `POST …/{number}/extension` (A14).
pub async fn extension(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
    form: Result<Form<ExtensionForm>, FormRejection>,
) -> Response {
    let by = principal.principal_id.clone();
    let (u, n) = (unit_id.clone(), number.clone());
    act::<_, _, UnitRequestReceipt>(
        &state,
        &headers,
        (&principal, &csrf),
        (&unit_id, &number),
        form,
        (verbs::ROUTER_REQUEST_EXTENSION, "extension"),
        |f: ExtensionForm| {
            let value = f.value.trim().parse::<u32>().map_err(|_| ())?;
            Ok(RequestExtensionCommand {
                number: n,
                unit_id: u,
                extension: TimeLimit {
                    unit: f.unit,
                    value,
                },
                reason_code: f.reason_code,
                explanation: f.explanation,
                requested_by: by,
            })
        },
    )
    .await
}

/// The suspension form's fields.
#[derive(Debug, Clone, Deserialize)]
pub struct SuspensionForm {
    pub reason: SuspensionReason,
    pub explanation: String,
}

/// `POST …/{number}/suspension`.
pub async fn suspension(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
    form: Result<Form<SuspensionForm>, FormRejection>,
) -> Response {
    let by = principal.principal_id.clone();
    let (u, n) = (unit_id.clone(), number.clone());
    act::<_, _, UnitRequestReceipt>(
        &state,
        &headers,
        (&principal, &csrf),
        (&unit_id, &number),
        form,
        (verbs::ROUTER_REQUEST_SUSPENSION, "suspension"),
        |f: SuspensionForm| {
            Ok(RequestSuspensionCommand {
                number: n,
                unit_id: u,
                reason: f.reason,
                explanation: f.explanation,
                requested_by: by,
            })
        },
    )
    .await
}

/// The co-handling report's fields.
#[derive(Debug, Clone, Deserialize)]
pub struct CoReportForm {
    pub report: String,
}

/// `POST …/{number}/co-report` (A14).
pub async fn co_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path((unit_id, number)): Path<(String, String)>,
    form: Result<Form<CoReportForm>, FormRejection>,
) -> Response {
    let by = principal.principal_id.clone();
    let (u, n) = (unit_id.clone(), number.clone());
    act::<_, _, ReportReceipt>(
        &state,
        &headers,
        (&principal, &csrf),
        (&unit_id, &number),
        form,
        (verbs::ROUTER_REPORT_CO_HANDLING, "co-report"),
        |f: CoReportForm| {
            Ok(ReportCoHandlingCommand {
                number: n,
                unit_id: u,
                report: f.report,
                reported_by: by,
            })
        },
    )
    .await
}
