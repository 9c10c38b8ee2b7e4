//! The center's desks: the agent's intake form (A9, A11) and the review queue (A16).

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::rpc::{self, TriageInput};
use hotline_contract::supervision_desk::{
    AcceptResultCommand, CenterRole, ResultAcceptance, ReviewQueue, ReviewQueueQuery,
};
use hotline_contract::vocabulary::Channel;
use uuid::Uuid;

use super::public::RequestForm;
use super::{
    bad_form, beijing, csrf_field, document, esc, html, problem_box, problem_page, see_other,
};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::auth::roles::Role;
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, intake_register, trace_of};

fn intake_page(csrf: &PageCsrf, form: &RequestForm, problem: Option<&Problem>) -> String {
    format!(
        r#"{problem}<form class="stack" method="post" action="/console/intake" data-assist>{field}
{fields}
<div id="assist" aria-live="polite"></div>
<button type="submit" id="register">登记并派单</button>
</form>"#,
        problem = problem.map(problem_box).unwrap_or_default(),
        field = csrf_field(csrf),
        fields = form.fields(),
    )
}

/// `GET /console/intake`: the agent registers a call.
pub async fn intake_form(
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
) -> Response {
    let body = intake_page(&csrf, &RequestForm::default(), None);
    html(
        StatusCode::OK,
        document("来电登记", Some((&principal, &csrf)), &body),
    )
}

/// `POST /console/intake`: register the call as the signed-in agent, triaged for dispatch
/// (A9.3); intake checks the request and the router dispatches it.
pub async fn intake(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    form: Result<Form<RequestForm>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(Form(form)) = form else {
        return bad_form(who);
    };
    let registered = match form.register(Channel::Phone) {
        Ok(mut input) => {
            input.agent_id = Some(principal.principal_id.clone());
            input.triage = Some(TriageInput::Dispatch);
            intake_register(&state, &input, &trace_of(&headers)).await
        }
        Err(problem) => Err(problem),
    };
    match registered {
        Ok(receipt) => {
            let body = format!(
                r#"<div class="ok" role="status">已登记。请将工单编号和查询码告知来电人。</div>
<dl><dt>工单编号</dt><dd id="order-number">{number}</dd><dt>查询码</dt><dd id="check-code">{code}</dd><dt>登记时间</dt><dd>{at}</dd></dl>
<p><a href="/console/intake">继续登记</a></p>"#,
                number = esc(&receipt.number),
                code = esc(&receipt.check_code),
                at = beijing(receipt.registered_at),
            );
            html(StatusCode::CREATED, document("已登记", who, &body))
        }
        Err(problem) => {
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let body = intake_page(&csrf, &form, Some(&problem));
            html(status, document("来电登记", who, &body))
        }
    }
}

/// `GET /console/review`: results waiting for review, oldest first, with the acceptance
/// form (the checklist and the send-back proposal are on the API for now).
pub async fn review_queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
) -> Response {
    let who = Some((&principal, &csrf));
    let query = ReviewQueueQuery {
        status: Default::default(),
        limit: None,
        after: None,
    };
    let reply: Result<ReviewQueue, Problem> = call(
        &state,
        rpc::verbs::SUPERVISION_REVIEW_QUEUE,
        &query,
        &trace_of(&headers),
    )
    .await
    .map_err(call_problem);
    let queue = match reply {
        Ok(queue) => queue,
        Err(problem) => return problem_page(&problem, who),
    };
    let field = csrf_field(&csrf);
    let rows: String = queue
        .items
        .iter()
        .map(|item| {
            let action = if let Some(proposal) = item.proposal_id {
                format!(r#"<a href="/console/send-backs/{proposal}">退回提议待批准</a>"#)
            } else if item.send_back_pending {
                "退回提议待批准".to_owned()
            } else {
                format!(
                    r#"<a href="/console/review/{id}">审核</a> <form class="inline" method="post" action="/console/review/{id}/acceptance">{field}<button type="submit">审核通过</button></form>"#,
                    id = item.order_id
                )
            };
            format!(
                r#"<tr><td><a href="/console/review/{id}">{number}</a></td><td>{unit}</td><td>{kind}</td><td>{at}</td><td>{action}</td></tr>"#,
                id = item.order_id,
                number = esc(item.number.as_deref().unwrap_or("—")),
                unit = esc(&item.unit_id),
                kind = item.kind.map_or("—", |k| k.label_zh()),
                at = beijing(item.submitted_at),
            )
        })
        .collect();
    let body = if rows.is_empty() {
        "<p>暂无待审核的办理结果。</p>".to_owned()
    } else {
        format!(
            r#"<table id="review-queue"><thead><tr><th>工单编号</th><th>承办单位</th><th>类型</th><th>提交时间</th><th>操作</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    html(StatusCode::OK, document("待审核", who, &body))
}

/// `POST /console/review/{order_id}/acceptance`: accept the result (A16) in the
/// signed-in person's capacity (reviewer or head).
pub async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(order_id): Path<String>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(order_id) = order_id.parse::<Uuid>() else {
        return bad_form(who);
    };
    let command = AcceptResultCommand {
        order_id,
        accepted_by: principal.principal_id.clone(),
        role: if principal.role == Role::CenterHead {
            CenterRole::Head
        } else {
            CenterRole::Reviewer
        },
    };
    let reply: Result<ResultAcceptance, _> = call(
        &state,
        rpc::verbs::SUPERVISION_ACCEPT_RESULT,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(_) => see_other("/console/review"),
        Err(e) => problem_page(&call_problem(e), who),
    }
}
