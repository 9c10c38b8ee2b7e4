//! Administration (系统管理, A5, A12): the unit directory, the published dispatch
//! catalogue and the dispatch rules, read through the same RPCs as `GET /api/v1/units`,
//! `/api/v1/dispatch-catalogue` and `/api/v1/dispatch-rules`; a rule is edited (priority,
//! unit, active, with a reason) through `rpc.router.save_rule` with the version the editor
//! saw, so a rule changed meanwhile is refused (409) instead of overwritten; a new rule is
//! created through the same RPC without a version (a rule id in use is refused). Those who
//! manage the directory import units here too ([`super::unit_import`]).

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::directory::{
    Catalogue, CatalogueQuery, ExportUnits, RuleView, Rules, RulesQuery, SaveRuleCommand,
    UnitRecord,
};
use hotline_contract::knowledge::{ExportData, TransferFormat};
use hotline_contract::rpc::verbs;
use hotline_contract::vocabulary::RequestKind;
use serde::Deserialize;

use super::{bad_form, csrf_field, document, esc, html, problem_page, see_other};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::auth::roles::Permission;
use crate::routes::{AppState, call, call_problem, trace_of};

/// The most rows a list shows (the directory and the rules are long: narrow by region).
pub const MAX_ROWS: usize = 100;

/// The page's filter.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AdminParams {
    #[serde(default)]
    pub region_code: Option<String>,
}

/// "N of M shown" under a list that was cut at [`MAX_ROWS`].
fn cut_note(total: usize) -> String {
    if total > MAX_ROWS {
        format!(r#"<p class="muted">共 {total} 条，显示前 {MAX_ROWS} 条；请按区域代码筛选。</p>"#)
    } else {
        format!(r#"<p class="muted">共 {total} 条。</p>"#)
    }
}

/// `GET /console/admin?region_code=`: units, catalogue and rules (the rules with edit
/// forms for those who may manage them).
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Query(params): Query<AdminParams>,
) -> Response {
    let region = params
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let who = Some((&principal, &csrf));
    let trace = trace_of(&headers);
    let export = ExportUnits {
        format: TransferFormat::Json,
        region_code: region.clone(),
        unit_type: None,
        include_inactive: true,
    };
    let units: Result<ExportData, _> =
        call(&state, verbs::ROUTER_EXPORT_UNITS, &export, &trace).await;
    let units: Vec<UnitRecord> = match units {
        Ok(data) => serde_json::from_str(&data.data).unwrap_or_default(),
        Err(e) => return problem_page(&call_problem(e), who),
    };
    let catalogue: Option<Catalogue> =
        call(&state, verbs::ROUTER_CATALOGUE, &CatalogueQuery {}, &trace)
            .await
            .ok();
    let rules: Option<Rules> = if principal.can(Permission::ReadDispatchRules) {
        let query = RulesQuery {
            category: None,
            region_code: region.clone(),
            unit_id: None,
            limit: Some(1000),
            after: None,
        };
        call(&state, verbs::ROUTER_RULES, &query, &trace).await.ok()
    } else {
        None
    };
    let unit_rows: String = units
        .iter()
        .take(MAX_ROWS)
        .map(|u| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&u.unit_id),
                esc(&u.name),
                esc(&u.unit_type),
                esc(&u.region_code),
                esc(&u.duties.join("；")),
                if u.active { "启用" } else { "停用" },
            )
        })
        .collect();
    let catalogue_rows: String = catalogue
        .as_ref()
        .map(|c| {
            c.entries
                .iter()
                .take(MAX_ROWS)
                .map(|e| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(&e.category),
                        esc(&e.name),
                        esc(&e.level),
                        esc(&e.unit_type)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let editable = principal.can(Permission::ManageDispatchRules);
    let field = csrf_field(&csrf);
    let rules_section = match &rules {
        None => String::new(),
        Some(rules) => {
            let rows: String = rules
                .rules
                .iter()
                .take(MAX_ROWS)
                .map(|r| rule_row(r, editable, &field))
                .collect();
            let create = if editable {
                new_rule_form(&field)
            } else {
                String::new()
            };
            format!(
                r#"<h2>派单规则</h2>{create}<table id="rules"><thead><tr><th>规则</th><th>类别</th><th>区域</th><th>承办单位</th><th>优先级</th><th>状态</th><th>版本</th><th>修改</th></tr></thead><tbody>{rows}</tbody></table>{note}"#,
                note = cut_note(rules.rules.len()),
            )
        }
    };
    let body = format!(
        r#"<form class="filters" method="get" action="/console/admin"><label>区域代码<input name="region_code" value="{region_value}" inputmode="numeric" maxlength="6"></label><button type="submit">筛选</button></form>
<h2>承办单位</h2><table id="units"><thead><tr><th>编号</th><th>名称</th><th>类型</th><th>区域</th><th>职责</th><th>状态</th></tr></thead><tbody>{unit_rows}</tbody></table>{unit_note}
{unit_import}<p class="muted">批量导入与导出（接口）：<code>/api/v1/units/import</code>、<code>/api/v1/units?format=csv</code>。</p>
<h2>派单目录</h2><table id="catalogue"><thead><tr><th>类别</th><th>名称</th><th>层级</th><th>单位类型</th></tr></thead><tbody>{catalogue_rows}</tbody></table>{catalogue_note}
{rules_section}"#,
        region_value = esc(region.as_deref().unwrap_or("")),
        unit_import = if principal.can(Permission::ManageDirectory) {
            super::unit_import::form(&field)
        } else {
            String::new()
        },
        unit_note = cut_note(units.len()),
        catalogue_note = cut_note(catalogue.as_ref().map_or(0, |c| c.entries.len())),
    );
    html(StatusCode::OK, document("系统管理", who, &body))
}

fn rule_row(r: &RuleView, editable: bool, field: &str) -> String {
    let edit = if editable {
        format!(
            r#"<form class="inline rule" method="post" action="/console/admin/rules/{id}">{field}<input type="hidden" name="expected_version" value="{version}"><input name="unit_id" value="{unit}" aria-label="承办单位"><input name="priority" type="number" value="{priority}" aria-label="优先级"><select name="active" aria-label="状态"><option value="true"{on}>启用</option><option value="false"{off}>停用</option></select><input name="reason" placeholder="修改原因" required><button type="submit">保存</button></form>"#,
            id = esc(&r.rule_id),
            version = r.version,
            unit = esc(&r.unit_id),
            priority = r.priority,
            on = if r.active { " selected" } else { "" },
            off = if r.active { "" } else { " selected" },
        )
    } else {
        String::new()
    };
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{edit}</td></tr>",
        esc(&r.rule_id),
        esc(&r.category),
        esc(&r.region_code),
        esc(&r.unit_id),
        r.priority,
        if r.active { "启用" } else { "停用" },
        r.version,
    )
}

/// The new-rule form (A12): category, region, optional request kind, unit, priority.
fn new_rule_form(field: &str) -> String {
    let kinds: String = [
        RequestKind::Consultation,
        RequestKind::Help,
        RequestKind::Complaint,
        RequestKind::Report,
        RequestKind::Suggestion,
    ]
    .iter()
    .map(|k| format!(r#"<option value="{}">{}</option>"#, k.code(), k.label_zh()))
    .collect();
    format!(
        r#"<details><summary>新建派单规则</summary><form class="stack" method="post" action="/console/admin/rules" id="new-rule-form">{field}
<label>规则编号<input name="rule_id" required placeholder="如 noise-520102"></label>
<label>类别<input name="category" required placeholder="如 environment.noise"></label>
<label>区域代码<input name="region_code" required inputmode="numeric" maxlength="12"></label>
<label>诉求类型（可选）<select name="kind"><option value="">不限</option>{kinds}</select></label>
<label>承办单位<input name="unit_id" required></label>
<label>优先级<input name="priority" type="number" value="0"></label>
<label>新建原因<input name="reason" required></label>
<button type="submit" id="create-rule">新建规则</button></form></details>"#
    )
}

/// The new-rule form as posted.
#[derive(Debug, Clone, Deserialize)]
pub struct NewRuleForm {
    pub rule_id: String,
    pub category: String,
    pub region_code: String,
    #[serde(default)]
    pub kind: String,
    pub unit_id: String,
    #[serde(default)]
    pub priority: i32,
    pub reason: String,
}

impl NewRuleForm {
    /// The command creating the rule (pure): no expected version, so a rule that exists
    /// already is refused by the router; `None` for a kind the form does not offer.
    pub fn command(&self, edited_by: &str) -> Option<SaveRuleCommand> {
        let kind = match self.kind.trim() {
            "" => None,
            code => Some(RequestKind::from_code(code)?),
        };
        Some(SaveRuleCommand {
            rule_id: self.rule_id.trim().to_owned(),
            category: self.category.trim().to_owned(),
            region_code: self.region_code.trim().to_owned(),
            kind,
            unit_id: self.unit_id.trim().to_owned(),
            priority: self.priority,
            active: true,
            reason: Some(self.reason.trim().to_owned()).filter(|r| !r.is_empty()),
            expected_version: None,
            edited_by: edited_by.to_owned(),
        })
    }
}

/// `POST /console/admin/rules`: a new dispatch rule (A12), effective for the next order.
pub async fn create_rule(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    form: Result<Form<NewRuleForm>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Some(command) = form
        .ok()
        .and_then(|Form(f)| f.command(&principal.principal_id))
    else {
        return bad_form(who);
    };
    let reply: Result<RuleView, _> = call(
        &state,
        verbs::ROUTER_SAVE_RULE,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(rule) => see_other(&format!(
            "/console/admin?region_code={}",
            rule.region_code.chars().take(6).collect::<String>()
        )),
        Err(e) => problem_page(&call_problem(e), who),
    }
}

/// The rule edit form.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleForm {
    pub expected_version: i32,
    pub unit_id: String,
    pub priority: i32,
    pub active: bool,
    pub reason: String,
}

/// `POST /console/admin/rules/{rule_id}`: the rule's next version (A12).
pub async fn save_rule(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(rule_id): Path<String>,
    form: Result<Form<RuleForm>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(Form(form)) = form else {
        return bad_form(who);
    };
    let trace = trace_of(&headers);
    let query = RulesQuery {
        category: None,
        region_code: None,
        unit_id: None,
        limit: Some(1000),
        after: None,
    };
    let current: Result<Rules, _> = call(&state, verbs::ROUTER_RULES, &query, &trace).await;
    let current = match current {
        Ok(rules) => rules.rules.into_iter().find(|r| r.rule_id == rule_id),
        Err(e) => return problem_page(&call_problem(e), who),
    };
    let Some(current) = current else {
        return bad_form(who);
    };
    let command = SaveRuleCommand {
        rule_id,
        category: current.category,
        region_code: current.region_code,
        kind: current.kind,
        unit_id: form.unit_id.trim().to_owned(),
        priority: form.priority,
        active: form.active,
        reason: Some(form.reason),
        expected_version: Some(form.expected_version),
        edited_by: principal.principal_id.clone(),
    };
    let reply: Result<RuleView, _> = call(&state, verbs::ROUTER_SAVE_RULE, &command, &trace).await;
    match reply {
        Ok(_) => see_other("/console/admin"),
        Err(e) => problem_page(&call_problem(e), who),
    }
}
