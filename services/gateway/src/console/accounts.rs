//! Accounts (账号管理, issue 10): the administrator lists the accounts, creates one with
//! its role and, for a unit's staff, its unit (A13: a unit handler acts for one unit only),
//! switches one off (its sessions end and its tokens are revoked), and sets a new password
//! (argon2id like every password; the account's sessions end). The same checks and store
//! as `/api/v1/accounts` ([`crate::auth::api::account_errors`], [`crate::auth::store`]);
//! no password is ever shown or logged.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{bad_form, csrf_field, document, esc, html, problem_box, see_other};
use crate::auth::api::{AccountRequest, account_errors, no_such_account, password_errors};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::auth::roles::Role;
use crate::auth::store::{self, AccountView, NewAccount, StoreError};
use crate::problem::Problem;
use crate::routes::AppState;

/// The new-account form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub principal_id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub password: String,
}

impl AccountForm {
    /// The account to create, or the problem naming the bad fields (pure).
    pub fn account(&self) -> Result<NewAccount, Problem> {
        let Some(role) = Role::parse(self.role.trim()) else {
            return Err(Problem::invalid(vec![hotline_contract::rpc::FieldError {
                field: "role".to_owned(),
                code: "invalid_value".to_owned(),
                message: "请选择角色".to_owned(),
            }]));
        };
        let unit = Some(self.unit_id.trim().to_owned()).filter(|u| !u.is_empty());
        let request = AccountRequest {
            principal_id: self.principal_id.trim().to_owned(),
            display_name: self.display_name.clone(),
            role,
            unit_id: unit.clone(),
            password: Some(self.password.clone()),
        };
        let errors = account_errors(&request);
        if !errors.is_empty() {
            return Err(Problem::invalid(errors));
        }
        Ok(NewAccount {
            principal_id: request.principal_id,
            display_name: request.display_name.trim().to_owned(),
            role,
            // Only a unit's staff are scoped to a unit.
            unit_id: unit.filter(|_| role.is_unit_scoped()),
            password: request.password,
        })
    }
}

/// The new-password form.
#[derive(Debug, Clone, Deserialize)]
pub struct PasswordForm {
    pub password: String,
}

/// The accounts table with each active person's forms, and the new-account form (pure).
pub fn page_body(
    accounts: &[AccountView],
    csrf: &PageCsrf,
    form: &AccountForm,
    notice: &str,
) -> String {
    let field = csrf_field(csrf);
    let rows: String = accounts
        .iter()
        .map(|a| {
            let id = esc(&a.principal_id);
            let actions = if !a.active {
                r#"<span class="muted">已停用</span>"#.to_owned()
            } else {
                let reset = if a.kind == "person" {
                    format!(
                        r#"<form class="rule" method="post" action="/console/admin/accounts/{id}/password">{field}<input type="password" name="password" autocomplete="new-password" placeholder="新密码" required><button type="submit">重置密码</button></form>"#
                    )
                } else {
                    String::new()
                };
                format!(
                    r#"{reset}<form class="inline" method="post" action="/console/admin/accounts/{id}/deactivation">{field}<button type="submit">停用</button></form>"#
                )
            };
            format!(
                r#"<tr id="account-{id}"><td>{id}</td><td>{name}</td><td>{role}</td><td>{unit}</td><td>{kind}</td><td>{actions}</td></tr>"#,
                name = esc(&a.display_name),
                role = esc(a.role.label()),
                unit = esc(a.unit_id.as_deref().unwrap_or("—")),
                kind = if a.kind == "person" { "人员" } else { "系统" },
            )
        })
        .collect();
    let roles: String = Role::ALL
        .iter()
        .map(|r| {
            format!(
                r#"<option value="{code}"{selected}>{label}</option>"#,
                code = r.code(),
                label = esc(r.label()),
                selected = if form.role == r.code() {
                    " selected"
                } else {
                    ""
                },
            )
        })
        .collect();
    format!(
        r#"{notice}<table id="accounts"><thead><tr><th>登录名</th><th>姓名</th><th>角色</th><th>所属单位</th><th>类型</th><th>操作</th></tr></thead><tbody>{rows}</tbody></table>
<h2>新建账号</h2><form class="stack" method="post" action="/console/admin/accounts" id="account-form">{field}
<label>登录名<input name="principal_id" value="{pid}" autocomplete="off" required></label>
<label>姓名<input name="display_name" value="{name}" required></label>
<label>角色<select name="role">{roles}</select></label>
<label>所属单位（承办单位工作人员必填）<input name="unit_id" value="{unit}"></label>
<label>初始密码<input type="password" name="password" autocomplete="new-password" required></label>
<p class="muted">密码至少10个字符，须包含大写字母、小写字母、数字、符号中的至少三类。</p>
<button type="submit" id="create-account">创建账号</button></form>"#,
        pid = esc(&form.principal_id),
        name = esc(&form.display_name),
        unit = esc(&form.unit_id),
    )
}

fn store_unavailable(e: StoreError) -> Problem {
    tracing::warn!(error = %e, "account store unavailable");
    Problem::unavailable("暂时无法处理账号请求，请稍后重试")
}

/// The accounts page again with `problem` above `form`, answered with the problem's status.
async fn render_problem(
    state: &AppState,
    who: (&Principal, &PageCsrf),
    form: &AccountForm,
    problem: &Problem,
) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    render(state, who, status, form, &problem_box(problem)).await
}

/// The page, with `notice` above the table and `form` refilled.
async fn render(
    state: &AppState,
    (principal, csrf): (&Principal, &PageCsrf),
    status: StatusCode,
    form: &AccountForm,
    notice: &str,
) -> Response {
    let who = Some((principal, csrf));
    match store::list_accounts(&state.pool).await {
        Ok(accounts) => html(
            status,
            document("账号管理", who, &page_body(&accounts, csrf, form, notice)),
        ),
        Err(e) => super::problem_page(&store_unavailable(e), who),
    }
}

/// `GET /console/admin/accounts`.
pub async fn page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
) -> Response {
    render(
        &state,
        (&principal, &csrf),
        StatusCode::OK,
        &AccountForm::default(),
        "",
    )
    .await
}

/// `POST /console/admin/accounts`: create the account.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    form: Result<Form<AccountForm>, FormRejection>,
) -> Response {
    let who = (&principal, &csrf);
    let Ok(Form(form)) = form else {
        return bad_form(Some(who));
    };
    let problem = match form.account() {
        Ok(account) => match store::create_account(&state.pool, &account).await {
            Ok(()) => {
                tracing::info!(by = %principal.principal_id, role = account.role.code(), "account created in the console");
                let notice = format!(
                    r#"<p class="ok" id="account-done">账号 {} 已创建。</p>"#,
                    esc(&account.principal_id)
                );
                return render(
                    &state,
                    who,
                    StatusCode::CREATED,
                    &AccountForm::default(),
                    &notice,
                )
                .await;
            }
            Err(StoreError::Exists) => Problem::new(
                StatusCode::CONFLICT,
                "account_exists",
                "账号已存在",
                "该登录名已被使用",
            ),
            Err(e) => store_unavailable(e),
        },
        Err(problem) => problem,
    };
    // The password is never sent back.
    let refill = AccountForm {
        password: String::new(),
        ..form
    };
    render_problem(&state, who, &refill, &problem).await
}

/// `POST /console/admin/accounts/{principal_id}/deactivation`: switch the account off.
pub async fn deactivate(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(principal_id): Path<String>,
) -> Response {
    let who = (&principal, &csrf);
    let problem = match store::deactivate(&state.pool, &principal_id).await {
        Ok(()) => {
            state.auth.tokens.forget_principal(&principal_id);
            tracing::info!(by = %principal.principal_id, "account deactivated in the console");
            return see_other("/console/admin/accounts");
        }
        Err(StoreError::NoSuchAccount) => no_such_account(),
        Err(e) => store_unavailable(e),
    };
    render_problem(&state, who, &AccountForm::default(), &problem).await
}

/// `POST /console/admin/accounts/{principal_id}/password`: set a new password.
pub async fn reset_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(principal_id): Path<String>,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let who = (&principal, &csrf);
    let Ok(Form(form)) = form else {
        return bad_form(Some(who));
    };
    let errors = password_errors(&form.password);
    let problem = if errors.is_empty() {
        match store::reset_password(&state.pool, &principal_id, &form.password).await {
            Ok(()) => {
                tracing::info!(by = %principal.principal_id, "password reset in the console");
                let notice = format!(
                    r#"<p class="ok" id="account-done">账号 {} 的密码已重置，其登录会话已结束。</p>"#,
                    esc(&principal_id)
                );
                return render(
                    &state,
                    who,
                    StatusCode::OK,
                    &AccountForm::default(),
                    &notice,
                )
                .await;
            }
            Err(StoreError::NoSuchAccount) => no_such_account(),
            Err(e) => store_unavailable(e),
        }
    } else {
        Problem::invalid(errors)
    };
    render_problem(&state, who, &AccountForm::default(), &problem).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(role: &str, unit: &str, password: &str) -> AccountForm {
        AccountForm {
            principal_id: "zhang.san".into(),
            display_name: " 张三 ".into(),
            role: role.into(),
            unit_id: unit.into(),
            password: password.into(),
        }
    }

    #[test]
    fn a_unit_handler_needs_a_unit_and_others_are_not_scoped() {
        let a = form("unit_handler", " 520102-env ", "Strong-Passw0rd")
            .account()
            .unwrap();
        assert_eq!(a.unit_id.as_deref(), Some("520102-env"));
        assert_eq!(a.display_name, "张三");
        let refused = form("unit_handler", "", "Strong-Passw0rd")
            .account()
            .unwrap_err();
        assert_eq!(refused.errors[0].field, "unit_id");
        let agent = form("agent", "520102-env", "Strong-Passw0rd")
            .account()
            .unwrap();
        assert_eq!(agent.unit_id, None);
    }

    #[test]
    fn bad_roles_and_weak_passwords_are_named() {
        assert_eq!(
            form("root", "", "x").account().unwrap_err().errors[0].field,
            "role"
        );
        let weak = form("agent", "", "short").account().unwrap_err();
        assert!(weak.errors.iter().any(|e| e.field == "password"));
    }

    #[test]
    fn the_page_never_echoes_a_password() {
        let html = page_body(
            &[],
            &PageCsrf("t".into()),
            &form("agent", "", "Secret-Passw0rd"),
            "",
        );
        assert!(!html.contains("Secret-Passw0rd"));
        assert!(html.contains(r#"value="agent" selected"#));
    }
}
