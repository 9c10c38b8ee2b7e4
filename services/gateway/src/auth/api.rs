//! Signing in and out, and the administration of accounts and API tokens.
//!
//! `POST /api/v1/session` checks the login name and password and sets the session cookie
//! (`HttpOnly`, `SameSite=Strict`, `Secure` unless configured off for plain-HTTP local
//! runs) and a readable CSRF cookie; the reply carries the CSRF token too, for scripts.
//! Administrators create accounts (people with a password, systems without), switch them
//! off, and issue and revoke API tokens; a token is shown once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hotline_contract::rpc::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::guard::{CSRF_COOKIE, SESSION_COOKIE, cookie};
use super::principal::Principal;
use super::roles::Role;
use super::secrets;
use super::store::{self, AccountView, NewAccount, StoreError};
use crate::problem::Problem;
use crate::routes::{AppState, parse_json};

/// The accounts' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(login, whoami, logout, list_accounts, create_account, deactivate, reset_password, issue_token, revoke_token),
    components(schemas(LoginRequest, SessionView, Principal, AccountRequest, AccountView, PasswordReset, TokenRequest, TokenIssued, Role)),
    tags((name = "accounts", description = "登录、账号与接口令牌"))
)]
pub struct AccountsDoc;

/// Login name and password.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub principal_id: String,
    pub password: String,
}

/// The signed-in caller and, after login, the CSRF token for unsafe requests.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    pub principal: Principal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

#[utoipa::path(
    post, path = "/api/v1/session", request_body = LoginRequest,
    responses(
        (status = 200, description = "已登录（设置会话 Cookie）", body = SessionView),
        (status = 401, description = "账号或密码错误", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "尝试过于频繁", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "accounts"
)]
pub async fn login(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let req: LoginRequest = parse_json(body)?;
    let principal = store::check_password(&state.pool, &req.principal_id, &req.password)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "账号或密码错误",
                "账号或密码错误，或账号已停用",
            )
        })?;
    let (secret, csrf, expires_at) =
        store::open_session(&state.pool, &principal.principal_id, state.auth.session_ttl)
            .await
            .map_err(unavailable)?;
    tracing::info!(role = principal.role.code(), "signed in");
    let view = SessionView {
        principal,
        csrf_token: Some(csrf.clone()),
        expires_at: Some(expires_at),
    };
    let mut response = Json(view).into_response();
    set_session_cookies(&state, &mut response, &secret, &csrf);
    Ok(response)
}

/// Set the session cookie (`HttpOnly`) and the readable CSRF cookie on `response`; the API
/// login and the console's login form both sign in through here.
pub fn set_session_cookies(state: &AppState, response: &mut Response, secret: &str, csrf: &str) {
    let max_age = state.auth.session_ttl.num_seconds().max(0);
    let secure = if state.auth.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let session_cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    let csrf_cookie =
        format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict; Max-Age={max_age}{secure}");
    for c in [session_cookie, csrf_cookie] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

#[utoipa::path(
    get, path = "/api/v1/session",
    responses(
        (status = 200, description = "当前登录身份", body = SessionView),
        (status = 401, description = "未登录", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "accounts"
)]
pub async fn whoami(Extension(principal): Extension<Principal>) -> Json<SessionView> {
    Json(SessionView {
        principal,
        csrf_token: None,
        expires_at: None,
    })
}

#[utoipa::path(
    delete, path = "/api/v1/session",
    responses((status = 204, description = "已退出登录")),
    tag = "accounts"
)]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        store::close_session(&state.pool, secret)
            .await
            .map_err(unavailable)?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    clear_session_cookies(&mut response);
    Ok(response)
}

/// Expire the session and CSRF cookies (after the session was closed).
pub fn clear_session_cookies(response: &mut Response) {
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        if let Ok(v) = HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0")) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// A new account. Without a password it is a system account (API tokens only).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRequest {
    /// Login name: 3–64 of `a-z 0-9 . _ -`.
    pub principal_id: String,
    pub display_name: String,
    pub role: Role,
    /// Required for `unit_handler`: the unit the account acts for.
    #[serde(default)]
    pub unit_id: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[utoipa::path(
    get, path = "/api/v1/accounts",
    responses((status = 200, description = "全部账号", body = [AccountView])),
    tag = "accounts"
)]
pub async fn list_accounts(
    State(state): State<AppState>,
) -> Result<Json<Vec<AccountView>>, Problem> {
    store::list_accounts(&state.pool)
        .await
        .map(Json)
        .map_err(unavailable)
}

#[utoipa::path(
    post, path = "/api/v1/accounts", request_body = AccountRequest,
    responses(
        (status = 201, description = "已创建"),
        (status = 409, description = "账号已存在", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "accounts"
)]
pub async fn create_account(
    State(state): State<AppState>,
    Extension(admin): Extension<Principal>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, Problem> {
    let req: AccountRequest = parse_json(body)?;
    let errors = account_errors(&req);
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let account = NewAccount {
        principal_id: req.principal_id,
        display_name: req.display_name.trim().to_owned(),
        role: req.role,
        unit_id: req.unit_id.filter(|u| !u.trim().is_empty()),
        password: req.password,
    };
    match store::create_account(&state.pool, &account).await {
        Ok(()) => {
            tracing::info!(by = %admin.principal_id, role = account.role.code(), "account created");
            Ok(StatusCode::CREATED)
        }
        Err(StoreError::Exists) => Err(Problem::new(
            StatusCode::CONFLICT,
            "account_exists",
            "账号已存在",
            "该登录名已被使用",
        )),
        Err(e) => Err(unavailable(e)),
    }
}

/// Field errors of a new account (empty when it is acceptable).
pub fn account_errors(req: &AccountRequest) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut err = |field: &str, code: &str, message: &str| {
        errors.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
        });
    };
    let id = &req.principal_id;
    let id_ok = (3..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !id_ok {
        err(
            "principal_id",
            "invalid_value",
            "登录名须为3至64位小写字母、数字或 . _ -",
        );
    }
    let name = req.display_name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        err("display_name", "invalid_value", "姓名须为1至64个字符");
    }
    let has_unit = req.unit_id.as_deref().is_some_and(|u| !u.trim().is_empty());
    if req.role.is_unit_scoped() && !has_unit {
        err("unit_id", "required", "承办单位工作人员须指定所属单位");
    }
    if let Some(problem) = req.password.as_deref().and_then(secrets::password_problem) {
        err("password", "weak_password", &problem);
    }
    errors
}

#[utoipa::path(
    post, path = "/api/v1/accounts/{principal_id}/deactivation",
    params(("principal_id" = String, Path, description = "登录名")),
    responses(
        (status = 204, description = "已停用（会话结束，令牌吊销）"),
        (status = 404, description = "无此账号", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "accounts"
)]
pub async fn deactivate(
    State(state): State<AppState>,
    Path(principal_id): Path<String>,
) -> Result<StatusCode, Problem> {
    match store::deactivate(&state.pool, &principal_id).await {
        Ok(()) => {
            state.auth.tokens.forget_principal(&principal_id);
            Ok(StatusCode::NO_CONTENT)
        }
        Err(StoreError::NoSuchAccount) => Err(no_such_account()),
        Err(e) => Err(unavailable(e)),
    }
}

/// A new password for a person's account, set by the administrator.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub password: String,
}

/// Field errors of a new password (empty when it is acceptable).
pub fn password_errors(password: &str) -> Vec<FieldError> {
    secrets::password_problem(password)
        .map(|message| FieldError {
            field: "password".to_owned(),
            code: "weak_password".to_owned(),
            message,
        })
        .into_iter()
        .collect()
}

#[utoipa::path(
    post, path = "/api/v1/accounts/{principal_id}/password",
    params(("principal_id" = String, Path, description = "登录名")),
    request_body = PasswordReset,
    responses(
        (status = 204, description = "密码已重置（该账号的会话结束）"),
        (status = 404, description = "无此账号、账号已停用或为系统账号", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "密码不符合要求", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "accounts"
)]
pub async fn reset_password(
    State(state): State<AppState>,
    Extension(admin): Extension<Principal>,
    Path(principal_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, Problem> {
    let req: PasswordReset = parse_json(body)?;
    let errors = password_errors(&req.password);
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    match store::reset_password(&state.pool, &principal_id, &req.password).await {
        Ok(()) => {
            tracing::info!(by = %admin.principal_id, "password reset");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(StoreError::NoSuchAccount) => Err(no_such_account()),
        Err(e) => Err(unavailable(e)),
    }
}

/// A token for an account (a partner's or another system's, or a person's script).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub principal_id: String,
    /// What the token is for, e.g. `12315分中心接口`.
    pub name: String,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The new token: shown this once, never again.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenIssued {
    pub token_id: Uuid,
    pub token: String,
}

#[utoipa::path(
    post, path = "/api/v1/tokens", request_body = TokenRequest,
    responses(
        (status = 201, description = "令牌（仅显示一次）", body = TokenIssued),
        (status = 404, description = "无此账号或账号已停用", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "accounts"
)]
pub async fn issue_token(
    State(state): State<AppState>,
    Extension(admin): Extension<Principal>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<TokenIssued>), Problem> {
    let req: TokenRequest = parse_json(body)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Problem::invalid(vec![FieldError {
            field: "name".to_owned(),
            code: "invalid_value".to_owned(),
            message: "令牌用途须为1至100个字符".to_owned(),
        }]));
    }
    match store::issue_token(
        &state.pool,
        &req.principal_id,
        name,
        req.expires_at,
        &admin.principal_id,
    )
    .await
    {
        Ok((token_id, token)) => Ok((StatusCode::CREATED, Json(TokenIssued { token_id, token }))),
        Err(StoreError::NoSuchAccount) => Err(no_such_account()),
        Err(e) => Err(unavailable(e)),
    }
}

#[utoipa::path(
    delete, path = "/api/v1/tokens/{token_id}",
    params(("token_id" = Uuid, Path, description = "令牌ID")),
    responses(
        (status = 204, description = "已吊销"),
        (status = 404, description = "无此有效令牌", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "accounts"
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(token_id): Path<String>,
) -> Result<StatusCode, Problem> {
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "未找到",
            "没有这个有效令牌",
        )
    };
    let token_id = Uuid::parse_str(&token_id).map_err(|_| not_found())?;
    match store::revoke_token(&state.pool, token_id).await {
        Ok(true) => {
            state.auth.tokens.forget_token(token_id);
            Ok(StatusCode::NO_CONTENT)
        }
        Ok(false) => Err(not_found()),
        Err(e) => Err(unavailable(e)),
    }
}

/// The accounts' routes; `login` is `POST` [`login`] behind the login rate limit.
pub fn routes(login: axum::routing::MethodRouter<AppState>) -> axum::Router<AppState> {
    use axum::routing::{delete, get, post};
    axum::Router::new()
        .route("/api/v1/session", login.get(whoami).delete(logout))
        .route("/api/v1/accounts", get(list_accounts).post(create_account))
        .route(
            "/api/v1/accounts/{principal_id}/deactivation",
            post(deactivate),
        )
        .route(
            "/api/v1/accounts/{principal_id}/password",
            post(reset_password),
        )
        .route("/api/v1/tokens", post(issue_token))
        .route("/api/v1/tokens/{token_id}", delete(revoke_token))
}

pub(crate) fn no_such_account() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "未找到",
        "没有这个账号，或账号已停用",
    )
}

fn unavailable(e: StoreError) -> Problem {
    tracing::warn!(error = %e, "account store unavailable");
    Problem::unavailable("暂时无法处理账号请求，请稍后重试")
}
