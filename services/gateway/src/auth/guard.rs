//! The guard: a middleware on every route that finds the endpoint's declaration, works
//! out who is calling (API token or session cookie), refuses what the caller may not do,
//! and fills the request's identity fields from the caller (`super::decide`).
//!
//! Public endpoints without bindings are let through without looking at credentials (the
//! citizen's progress query costs no database read). Everything else reads the
//! credentials: a bearer token that is wrong, expired or revoked is a 401 (never treated
//! as anonymous); a session cookie that has expired is anonymous, so a public page still
//! works, and a 401 where a permission is needed. Requests made with the session cookie
//! and an unsafe method must carry the session's CSRF token in `X-CSRF-Token`.

use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;

use super::decide::{self, Refusal};
use super::endpoints::{self, Access};
use super::principal::{Credential, Principal};
use super::store;
use super::token_cache::TokenCache;
use crate::problem::Problem;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hotline_session";
/// The cookie the console's script reads the CSRF token from.
pub const CSRF_COOKIE: &str = "hotline_csrf";
/// The header unsafe requests made with the session cookie carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What the guard needs.
#[derive(Debug, Clone)]
pub struct AuthState {
    pub pool: PgPool,
    /// Live tokens seen within the last seconds (see [`super::token_cache`]).
    pub tokens: TokenCache,
    /// Largest body the guard reads to bind identity fields.
    pub max_body_bytes: usize,
}

/// The middleware (a `route_layer`, so the matched route is known).
pub async fn enforce(State(auth): State<AuthState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let Some(endpoint) = endpoints::lookup(&method, &route) else {
        if let Some(page) = endpoints::lookup_page(&method, &route) {
            return enforce_page(&auth, page, request, next).await;
        }
        tracing::error!(%method, %route, "endpoint without an access declaration: refused");
        return Problem::new(
            StatusCode::FORBIDDEN,
            "endpoint_not_declared",
            "接口未声明访问权限",
            "该接口尚未声明访问权限，已拒绝访问",
        )
        .into_response();
    };
    if endpoint.access == Access::Public && endpoint.bindings.is_empty() {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let principal = match authenticate(&auth, &parts.headers, &method).await {
        Ok(p) => p,
        Err(response) => return *response,
    };
    if let Err(refusal) = decide::authorize(endpoint, principal.as_ref()) {
        return refused(refusal);
    }
    let params: Vec<(String, String)> = {
        use axum::extract::FromRequestParts;
        match RawPathParams::from_request_parts(&mut parts, &()).await {
            Ok(raw) => raw
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    if let Err(refusal) = decide::check_path(endpoint, principal.as_ref(), &params) {
        return refused(refusal);
    }
    let body = if decide::binds_body(endpoint) && method != Method::GET {
        let bytes = match to_bytes(body, auth.max_body_bytes).await {
            Ok(b) => b,
            Err(_) => {
                return Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "请求体过大",
                    "请求体超过允许的大小",
                )
                .into_response();
            }
        };
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(mut map)) => {
                if let Err(refusal) = decide::bind_body(endpoint, principal.as_ref(), &mut map) {
                    return refused(refusal);
                }
                let bound = serde_json::to_vec(&map).unwrap_or_else(|_| bytes.to_vec());
                parts.headers.remove(header::CONTENT_LENGTH);
                Body::from(bound)
            }
            // Not a JSON object: the handler says precisely what is wrong with it.
            _ => Body::from(bytes),
        }
    } else {
        body
    };
    let mut request = Request::from_parts(parts, body);
    if let Some(p) = principal {
        request.extensions_mut().insert(p);
    }
    next.run(request).await
}

/// The guard for the HTML pages (`endpoints::PAGES`): the same decision as for the API,
/// by session cookie only. Anonymous on a staff page → redirect to the login page; a
/// refusal → an HTML page naming the missing permission or the unit scope. Unsafe
/// requests to staff pages carry the session's CSRF token in the form field `csrf_token`
/// (or the `X-CSRF-Token` header). Public pages read no credential.
async fn enforce_page(
    auth: &AuthState,
    endpoint: &'static endpoints::Endpoint,
    request: Request,
    next: Next,
) -> Response {
    if endpoint.access == Access::Public {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let found = match cookie(&parts.headers, SESSION_COOKIE) {
        Some(secret) => match store::session(&auth.pool, secret).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "account store unavailable");
                return crate::console::unavailable();
            }
        },
        None => None,
    };
    let (principal, csrf) = match found {
        Some((p, c)) => (Some(p), c),
        None => (None, String::new()),
    };
    if let Err(refusal) = decide::authorize(endpoint, principal.as_ref()) {
        return crate::console::refused(&refusal);
    }
    let params: Vec<(String, String)> = {
        use axum::extract::FromRequestParts;
        match RawPathParams::from_request_parts(&mut parts, &()).await {
            Ok(raw) => raw
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    if let Err(refusal) = decide::check_path(endpoint, principal.as_ref(), &params) {
        return crate::console::refused(&refusal);
    }
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let body = if safe {
        body
    } else {
        let Ok(bytes) = to_bytes(body, auth.max_body_bytes).await else {
            return crate::console::too_large();
        };
        let from_header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let sent = from_header.or_else(|| form_field(&bytes, "csrf_token"));
        if !super::secrets::same(sent.unwrap_or_default(), &csrf) {
            return crate::console::csrf_refused();
        }
        Body::from(bytes)
    };
    let mut request = Request::from_parts(parts, body);
    if let Some(p) = principal {
        request.extensions_mut().insert(p);
    }
    request.extensions_mut().insert(PageCsrf(csrf));
    next.run(request).await
}

/// The session's CSRF token, for the forms a staff page renders.
#[derive(Debug, Clone)]
pub struct PageCsrf(pub String);

/// The raw value of `name` in an `application/x-www-form-urlencoded` body (the CSRF token
/// is base64url, which form encoding leaves as it is).
fn form_field<'a>(body: &'a [u8], name: &str) -> Option<&'a str> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The caller, from a bearer token or the session cookie (with its CSRF check).
async fn authenticate(
    auth: &AuthState,
    headers: &HeaderMap,
    method: &Method,
) -> Result<Option<Principal>, Box<Response>> {
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        let value = authorization.to_str().unwrap_or_default();
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return Err(Box::new(unauthorized(
                "unsupported_authorization",
                "不支持的认证方式",
                "请使用 Authorization: Bearer <令牌>，或登录控制台",
            )));
        };
        return match live_token(&auth.pool, &auth.tokens, token.trim()).await {
            Ok(Some(p)) => Ok(Some(p)),
            Ok(None) => Err(Box::new(unauthorized(
                "invalid_token",
                "令牌无效",
                "令牌无效、已过期或已被吊销",
            ))),
            Err(e) => Err(Box::new(store_unavailable(&e))),
        };
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let (principal, csrf) = match store::session(&auth.pool, secret).await {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(None),
        Err(e) => return Err(Box::new(store_unavailable(&e))),
    };
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !super::secrets::same(sent, &csrf) {
            return Err(Box::new(
                Problem::new(
                    StatusCode::FORBIDDEN,
                    "csrf_token_invalid",
                    "缺少或错误的防伪令牌",
                    "使用登录会话提交的请求须在 X-CSRF-Token 头中带上登录时取得的防伪令牌",
                )
                .into_response(),
            ));
        }
    }
    debug_assert_eq!(principal.credential, Credential::Session);
    Ok(Some(principal))
}

/// The principal of a live token: from the cache when it was seen live within its
/// `ttl`, else from the store (and then cached).
async fn live_token(
    pool: &PgPool,
    tokens: &TokenCache,
    token: &str,
) -> Result<Option<Principal>, store::StoreError> {
    let digest = super::secrets::digest(token);
    if let Some(live) = tokens.get(&digest, Instant::now()) {
        return Ok(Some(live.principal));
    }
    let Some(live) = store::token(pool, &digest).await? else {
        return Ok(None);
    };
    let principal = live.principal.clone();
    tokens.put(digest, live, Instant::now(), chrono::Utc::now());
    Ok(Some(principal))
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn unauthorized(code: &str, title: &str, detail: &str) -> Response {
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, code, title, detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer realm=\"12345\""),
    );
    response
}

fn store_unavailable(e: &store::StoreError) -> Response {
    tracing::warn!(error = %e, "account store unavailable");
    Problem::unavailable("暂时无法核验身份，请稍后重试").into_response()
}

/// The refusal as problem+json: 401 without a caller, 403 with one; the missing
/// permission is named in the `permission` member and in the text, with the roles that
/// hold it.
pub fn refused(refusal: Refusal) -> Response {
    let forbidden = |code: &str, title: &str, detail: String| {
        Problem::new(StatusCode::FORBIDDEN, code, title, detail)
    };
    let problem = match refusal {
        Refusal::AuthenticationRequired(needed) => {
            let detail = format!("请先登录：该操作需要权限{}", describe(&needed));
            let mut problem = Problem::new(
                StatusCode::UNAUTHORIZED,
                "authentication_required",
                "需要登录",
                detail,
            );
            problem.permission = needed.first().map(|p| p.code().into());
            let mut response = problem.into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"12345\""),
            );
            return response;
        }
        Refusal::PermissionMissing { role, needed } => {
            let detail = format!("当前角色「{}」没有权限{}", role.label(), describe(&needed));
            let mut problem = forbidden("permission_missing", "没有权限", detail);
            problem.permission = needed.first().map(|p| p.code().into());
            problem
        }
        Refusal::UnitScope { field, own_unit } => forbidden(
            "unit_scope",
            "超出本单位范围",
            format!("只能办理本单位（{own_unit}）的工单：{field} 指向了其他单位"),
        ),
        Refusal::ActorMismatch { field } => forbidden(
            "actor_mismatch",
            "身份不符",
            format!("请求中的 {field} 与登录身份不符：只能以本人名义操作"),
        ),
        Refusal::CapacityMismatch { field, expected } => forbidden(
            "role_mismatch",
            "角色不符",
            format!("请求中的 {field} 与登录角色不符：应为 {expected}"),
        ),
    };
    problem.into_response()
}

/// 「批准退回重办」(approve_send_back)；拥有该权限的角色：中心负责人
fn describe(needed: &[super::roles::Permission]) -> String {
    let names: Vec<String> = needed
        .iter()
        .map(|p| format!("「{}」({})", p.label(), p.code()))
        .collect();
    let mut holders: Vec<&str> = needed
        .iter()
        .flat_map(|p| p.holders())
        .map(|r| r.label())
        .collect();
    holders.dedup();
    format!(
        "{}；拥有该权限的角色：{}",
        names.join("或"),
        holders.join("、")
    )
}
