//! Signing in and out of the console, and each role's landing page.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::{bad_form, document, esc, html, problem_box, see_other};
use crate::auth::api::{clear_session_cookies, set_session_cookies};
use crate::auth::guard::{PageCsrf, SESSION_COOKIE, cookie};
use crate::auth::principal::Principal;
use crate::auth::roles::Permission;
use crate::auth::store;
use crate::problem::Problem;
use crate::routes::AppState;

fn login_page(principal_id: &str, problem: Option<&Problem>) -> String {
    let body = format!(
        r#"{}<form class="stack" method="post" action="/console/login">
<label>账号<input name="principal_id" autocomplete="username" value="{}" required></label>
<label>密码<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">登录</button>
</form>"#,
        problem.map(problem_box).unwrap_or_default(),
        esc(principal_id)
    );
    document("工作人员登录", None, &body)
}

/// `GET /console/login`.
pub async fn login_form() -> Response {
    html(StatusCode::OK, login_page("", None))
}

/// The login form.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginForm {
    pub principal_id: String,
    pub password: String,
}

/// `POST /console/login`: the same check and session as `POST /api/v1/session`.
pub async fn login(
    State(state): State<AppState>,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(None);
    };
    let unavailable = |e: store::StoreError| {
        tracing::warn!(error = %e, "account store unavailable");
        super::unavailable()
    };
    let principal =
        match store::check_password(&state.pool, &form.principal_id, &form.password).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                let problem = Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_credentials",
                    "账号或密码错误",
                    "账号或密码错误，或账号已停用",
                );
                return html(
                    StatusCode::UNAUTHORIZED,
                    login_page(&form.principal_id, Some(&problem)),
                );
            }
            Err(e) => return unavailable(e),
        };
    let (secret, csrf, _) =
        match store::open_session(&state.pool, &principal.principal_id, state.auth.session_ttl)
            .await
        {
            Ok(opened) => opened,
            Err(e) => return unavailable(e),
        };
    tracing::info!(role = principal.role.code(), "signed in to the console");
    let mut response = see_other("/console");
    set_session_cookies(&state, &mut response, &secret, &csrf);
    response
}

/// `POST /console/logout`: end the session.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = store::close_session(&state.pool, secret).await
    {
        tracing::warn!(error = %e, "account store unavailable");
        return super::unavailable();
    }
    let mut response = see_other("/console/login");
    clear_session_cookies(&mut response);
    response
}

/// `GET /console`: the desks the signed-in role works at.
pub async fn landing(
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
) -> Response {
    let mut links = Vec::new();
    if principal.can(Permission::RegisterOrder) {
        links.push((
            "/console/intake".to_owned(),
            "来电登记（话务受理）".to_owned(),
        ));
    }
    if principal.can(Permission::RecordSatisfaction) {
        links.push((
            "/console/call-backs".to_owned(),
            "回访登记（办结工单满意度）".to_owned(),
        ));
    }
    if principal.can(Permission::HandleOwnOrders)
        && let Some(unit) = &principal.unit_id
    {
        links.push((
            format!("/console/units/{unit}/orders"),
            "本单位工单（签收、办理、反馈）".to_owned(),
        ));
    }
    if principal.can(Permission::Review) {
        links.push((
            "/console/review".to_owned(),
            "待审核的办理结果（审核要点、退回重办）".to_owned(),
        ));
    }
    if principal.can(Permission::ApproveSendBack) {
        links.push((
            "/console/send-backs".to_owned(),
            "待审批的退回（中心负责人审批）".to_owned(),
        ));
    }
    if principal.can(Permission::ReadMonitor) {
        links.push(("/console/supervision".to_owned(), "督办看板".to_owned()));
    }
    if principal.can(Permission::ReadKpis) {
        links.push(("/console/analytics".to_owned(), "数据看板".to_owned()));
    }
    if principal.can(Permission::ReadDirectory) {
        links.push((
            "/console/admin".to_owned(),
            "系统管理（承办单位、派单目录、派单规则）".to_owned(),
        ));
    }
    if principal.can(Permission::ReadDirectory) {
        links.push((
            "/console/admin/calendar".to_owned(),
            "工作日历（节假日与调休）".to_owned(),
        ));
    }
    if principal.can(Permission::ReadTimeLimits) {
        links.push((
            "/console/policies".to_owned(),
            "办理时限规则（签收与办理时限）".to_owned(),
        ));
    }
    if principal.can(Permission::ManageAccounts) {
        links.push((
            "/console/admin/accounts".to_owned(),
            "账号管理（新建、停用、重置密码）".to_owned(),
        ));
    }
    links.push(("/knowledge".to_owned(), "知识库".to_owned()));
    let items: String = links
        .iter()
        .map(|(href, label)| format!(r#"<li><a href="{}">{}</a></li>"#, esc(href), esc(label)))
        .collect();
    let body = format!(
        r#"<p>您好，{}。当前角色：{}。</p><ul class="links">{items}</ul>"#,
        esc(&principal.display_name),
        esc(principal.role.label())
    );
    html(
        StatusCode::OK,
        document("工作台", Some((&principal, &csrf)), &body),
    )
}
