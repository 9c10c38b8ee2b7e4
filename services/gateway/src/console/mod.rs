//! The browser: the public site (write a message, track an order, search the knowledge
//! base) and the staff console (sign in, register a call, a unit's inbox and order forms,
//! the review desk, the boards), server-rendered HTML in Chinese (issue 10).
//!
//! Pages call the same services the JSON API calls, through the same helpers
//! (`routes::call`, `routes::intake_register`): no business rule lives here. Access is
//! declared in `auth::endpoints::PAGES` and enforced by the guard, which redirects an
//! anonymous visitor of a staff page to `/console/login` and checks the form's CSRF token.
//! All text from users and services is escaped by [`esc`]; pages get their own
//! Content-Security-Policy (same-origin styles, scripts and forms only).
//!
//! - [`public`]: `/`, `/message`, `/track`, `/knowledge`.
//! - [`staff`]: `/console/login`, `/console/logout`, `/console`.
//! - [`unit`]: a unit's inbox and order page with the deadlines, sign and result forms;
//!   [`unit_forms`]: dispute, progress, extension, suspension, co-handling report;
//!   [`countdown`]: the deadline countdowns (pure).
//! - [`desk`]: the agent's intake form and the review queue; [`review`]: one result's
//!   checklist, acceptance and send-back, and the head's approval; [`review_call_back`]:
//!   the reviewer's call-back to the requester; [`send_backs`]: the
//!   head's list of send-backs awaiting approval.
//! - [`call_back`]: the satisfaction call-back (回访) of a closed order.
//! - [`board`]: the supervision board (with [`near_due`]: the clocks running out by the
//!   end of the next working day; [`cases`]: the open supervision cases and escalations)
//!   and the analytics dashboard.
//! - [`admin`]: units, catalogue and dispatch rules (new rules and rule edits);
//!   [`accounts`]: accounts (create with role and unit, disable, reset password);
//!   [`calendar`]: the official working-day calendar's loaded years and holidays;
//!   [`policies`]: the time-limit policies, and the administrator's new versions.

pub mod accounts;
pub mod admin;
pub mod board;
pub mod calendar;
pub mod call_back;
pub mod cases;
pub mod countdown;
pub mod desk;
pub mod near_due;
pub mod policies;
pub mod public;
pub mod review;
pub mod review_call_back;
pub mod send_backs;
pub mod staff;
pub mod unit;
pub mod unit_forms;
pub mod unit_import;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use chrono::{DateTime, FixedOffset, Utc};

use crate::auth::decide::Refusal;
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::problem::Problem;
use crate::routes::AppState;

/// The pages' policy: everything from the gateway itself, nothing from elsewhere.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

const CSS: &str = include_str!("console.css");
const JS: &str = include_str!("console.js");

/// Every page; `submit`, `query` and `login` are the public form posts and the tracking
/// page, behind the same per-client limits as their API counterparts.
pub fn routes(
    submit: MethodRouter<AppState>,
    query: MethodRouter<AppState>,
    login: MethodRouter<AppState>,
) -> Router<AppState> {
    Router::new()
        .route("/", get(public::home))
        .route("/static/console.css", get(css))
        .route("/static/console.js", get(js))
        .route("/message", get(public::message_form).merge(submit))
        .route("/track", query)
        .route("/knowledge", get(public::knowledge))
        .route("/console/login", get(staff::login_form).merge(login))
        .route("/console/logout", post(staff::logout))
        .route("/console", get(staff::landing))
        .route("/console/intake", get(desk::intake_form).post(desk::intake))
        .route("/console/units/{unit_id}/orders", get(unit::inbox))
        .route("/console/units/{unit_id}/orders/{number}", get(unit::order))
        .route(
            "/console/units/{unit_id}/orders/{number}/sign",
            post(unit::sign),
        )
        .route(
            "/console/units/{unit_id}/orders/{number}/result",
            post(unit::result),
        )
        .route("/console/review", get(desk::review_queue))
        .route("/console/review/{order_id}/acceptance", post(desk::accept))
        // Issue 10, item 3: the unit desk's further forms, the review desk and the head's
        // approval.
        .route(
            "/console/units/{unit_id}/orders/{number}/dispute",
            post(unit_forms::dispute),
        )
        .route(
            "/console/units/{unit_id}/orders/{number}/progress",
            post(unit_forms::progress),
        )
        .route(
            "/console/units/{unit_id}/orders/{number}/extension",
            post(unit_forms::extension),
        )
        .route(
            "/console/units/{unit_id}/orders/{number}/suspension",
            post(unit_forms::suspension),
        )
        .route(
            "/console/units/{unit_id}/orders/{number}/co-report",
            post(unit_forms::co_report),
        )
        .route("/console/review/{order_id}", get(review::page))
        .route(
            "/console/review/{order_id}/checklist",
            post(review::checklist),
        )
        .route(
            "/console/review/{order_id}/send-back",
            post(review::send_back),
        )
        .route(
            "/console/review/{order_id}/call-back",
            post(review_call_back::record),
        )
        .route("/console/send-backs", get(send_backs::list))
        .route(
            "/console/call-backs",
            get(call_back::page).post(call_back::record),
        )
        .route("/console/send-backs/{proposal_id}", get(review::proposal))
        .route("/console/supervision", get(board::supervision))
        .route("/console/analytics", get(board::analytics))
        .route("/console/admin", get(admin::page))
        .route("/console/admin/rules", post(admin::create_rule))
        .route("/console/admin/rules/{rule_id}", post(admin::save_rule))
        .route("/console/admin/units/import", post(unit_import::import))
        .route("/console/admin/calendar", get(calendar::page))
        .route("/console/policies", get(policies::page))
        .route("/console/policies/{policy_id}", post(policies::save))
        .route(
            "/console/admin/accounts",
            get(accounts::page).post(accounts::create),
        )
        .route(
            "/console/admin/accounts/{principal_id}/deactivation",
            post(accounts::deactivate),
        )
        .route(
            "/console/admin/accounts/{principal_id}/password",
            post(accounts::reset_password),
        )
        .route(
            "/console/send-backs/{proposal_id}/approval",
            post(review::approve),
        )
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// Escape text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A time as the hotline's people read it: Beijing time, to the minute.
pub fn beijing(at: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => at
            .with_timezone(&offset)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The Beijing date of an instant.
pub fn beijing_date(at: DateTime<Utc>) -> chrono::NaiveDate {
    match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => at.with_timezone(&offset).date_naive(),
        None => at.date_naive(),
    }
}

/// The hidden field that carries the session's CSRF token in a staff form.
pub fn csrf_field(csrf: &PageCsrf) -> String {
    format!(
        r#"<input type="hidden" name="csrf_token" value="{}">"#,
        esc(&csrf.0)
    )
}

/// A whole page: `title` and `body` (already escaped HTML), with the staff bar when
/// someone is signed in.
pub fn document(title: &str, who: Option<(&Principal, &PageCsrf)>, body: &str) -> String {
    let bar = match who {
        Some((p, csrf)) => format!(
            r#"<nav class="bar"><a href="/console">工作台</a><span>{name}（{role}{unit}）</span><form method="post" action="/console/logout">{field}<button type="submit">退出登录</button></form></nav>"#,
            name = esc(&p.display_name),
            role = esc(p.role.label()),
            unit = p
                .unit_id
                .as_deref()
                .map(|u| format!(" · {}", esc(u)))
                .unwrap_or_default(),
            field = csrf_field(csrf),
        ),
        None => r#"<nav class="bar"><a href="/">12345 热线首页</a><a href="/message">我要留言</a><a href="/track">进度查询</a><a href="/knowledge">知识库</a></nav>"#.to_owned(),
    };
    format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - 12345 政务服务便民热线</title>
<link rel="stylesheet" href="/static/console.css">
<script src="/static/console.js" defer></script>
</head>
<body>
{bar}
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#,
        title = esc(title),
    )
}

/// The HTML response with the pages' CSP.
pub fn html(status: StatusCode, document: String) -> Response {
    let mut response = (status, document).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    response
}

/// 303 to `location` (after a form post, or to the login page).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// A problem from a service as a page: its title, detail and field errors.
pub fn problem_page(problem: &Problem, who: Option<(&Principal, &PageCsrf)>) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
    html(status, document(&problem.title, who, &problem_box(problem)))
}

/// The problem as a box to show above a form.
pub fn problem_box(problem: &Problem) -> String {
    let errors: String = problem
        .errors
        .iter()
        .map(|e| format!("<li>{}：{}</li>", esc(&e.field), esc(&e.message)))
        .collect();
    let list = if errors.is_empty() {
        String::new()
    } else {
        format!("<ul>{errors}</ul>")
    };
    format!(
        r#"<div class="problem" role="alert"><strong>{}</strong><p>{}</p>{list}</div>"#,
        esc(&problem.title),
        esc(&problem.detail)
    )
}

/// The guard's refusal of a page: anonymous → the login page; otherwise a refusal page
/// naming what is missing (the same words as the API's problem).
pub fn refused(refusal: &Refusal) -> Response {
    if matches!(refusal, Refusal::AuthenticationRequired(_)) {
        return see_other("/console/login");
    }
    let (title, detail) = match refusal {
        Refusal::PermissionMissing { role, needed } => (
            "没有权限",
            format!(
                "当前角色「{}」没有权限{}",
                role.label(),
                needed
                    .iter()
                    .map(|p| format!("「{}」", p.label()))
                    .collect::<Vec<_>>()
                    .join("或")
            ),
        ),
        Refusal::UnitScope { own_unit, .. } => (
            "无权查看其他单位的工单",
            format!("只能查看和办理本单位（{own_unit}）的工单"),
        ),
        _ => ("没有权限", "请求与登录身份不符".to_owned()),
    };
    let body = format!(
        r#"<div class="problem refusal" role="alert"><strong>{}</strong><p>{}</p></div><p><a href="/console">返回工作台</a></p>"#,
        esc(title),
        esc(&detail)
    );
    html(StatusCode::FORBIDDEN, document(title, None, &body))
}

/// A staff form posted without the session's CSRF token.
pub fn csrf_refused() -> Response {
    let body = r#"<div class="problem" role="alert"><strong>页面已失效</strong><p>表单缺少或带有错误的防伪令牌，请刷新页面后重新提交。</p></div>"#;
    html(StatusCode::FORBIDDEN, document("页面已失效", None, body))
}

/// The account store could not be reached.
pub fn unavailable() -> Response {
    problem_page(&Problem::unavailable("暂时无法核验身份，请稍后重试"), None)
}

/// A form larger than the gateway accepts.
pub fn too_large() -> Response {
    problem_page(
        &Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "提交内容过大",
            "提交的内容超过允许的大小",
        ),
        None,
    )
}

/// A form that could not be read (a field missing or malformed).
pub fn bad_form(who: Option<(&Principal, &PageCsrf)>) -> Response {
    problem_page(
        &Problem::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            "表单无法读取",
            "表单内容不完整或格式不对，请返回修改后重新提交",
        ),
        who,
    )
}

/// Label of an order status code from a service (the code itself when unknown).
pub fn status_label(code: &str) -> String {
    hotline_contract::vocabulary::OrderStatus::from_code(code)
        .map_or_else(|| code.to_owned(), |s| s.label_zh().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("噪声扰民"), "噪声扰民");
    }

    #[test]
    fn anonymous_staff_page_redirects_to_login() {
        let r = refused(&Refusal::AuthenticationRequired(vec![]));
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some("/console/login")
        );
    }

    #[test]
    fn beijing_time_is_utc_plus_eight() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T16:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        assert_eq!(at.map(beijing).as_deref(), Some("2026-03-02 00:30"));
    }
}
