//! The router's directory over HTTP (issue 5; A5, A9, A12): export and import the unit
//! directory as CSV or JSON, read the dispatch catalogue, list, edit and trace dispatch
//! rules. Each handler translates only: query or body in, one `rpc.router.*` request out,
//! the typed reply back as JSON or problem+json. A rule edit takes effect for the next
//! order dispatched.
//!
//! Until accounts come (issue 10) the staff member is a body field (`imported_by`,
//! `edited_by`); these are the center administrator's endpoints.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use hotline_contract::directory::{
    Catalogue, CatalogueQuery, ExportData, ExportUnits, ImportUnits, RuleHistory, RuleHistoryQuery,
    RuleView, Rules, RulesQuery, SaveRuleCommand, TransferFormat, UnitImportReport,
};
use hotline_contract::rpc::verbs;
use hotline_contract::vocabulary::RequestKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::problem::Problem;
use crate::routes::{
    AppState, ask, bad_parameters, forward, param_error, parse_json, query, trace_of,
};

/// The directory's part of the OpenAPI document (merged into the gateway's).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(export_units, import_units, catalogue, rules, save_rule, rule_history),
    components(schemas(RuleRequest)),
    tags((name = "directory", description = "承办单位名录、派单目录与派单规则（热线中心维护）"))
)]
pub struct DirectoryDoc;

/// Filters of the directory export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitExportParams {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Units of this division and every division inside it.
    pub region_code: Option<String>,
    pub unit_type: Option<String>,
    /// `true`: deactivated units too.
    pub include_inactive: Option<bool>,
}

fn format_of(format: Option<&str>) -> Result<TransferFormat, Problem> {
    match format {
        None | Some("json") => Ok(TransferFormat::Json),
        Some("csv") => Ok(TransferFormat::Csv),
        Some(_) => Err(bad_parameters(vec![param_error(
            "format",
            "invalid_format",
            "format 只能是 json 或 csv",
        )])),
    }
}

/// Export the unit directory (A5).
#[utoipa::path(
    get,
    path = "/api/v1/units",
    params(UnitExportParams),
    responses(
        (status = 200, description = "名录文件（data 字段）", body = ExportData),
        (status = 400, description = "查询参数有误", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "未知的行政区划", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "directory"
)]
pub async fn export_units(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<UnitExportParams>, QueryRejection>,
) -> Result<Json<ExportData>, Problem> {
    let params = query(params)?;
    let request = ExportUnits {
        format: format_of(params.format.as_deref())?,
        region_code: params.region_code,
        unit_type: params.unit_type,
        include_inactive: params.include_inactive.unwrap_or(false),
    };
    ask(
        &state,
        verbs::ROUTER_EXPORT_UNITS,
        &request,
        &trace_of(&headers),
    )
    .await
}

/// Import units from a CSV or JSON file: all records or none (A5).
#[utoipa::path(
    post,
    path = "/api/v1/units/import",
    request_body = ImportUnits,
    responses(
        (status = 200, description = "导入结果", body = UnitImportReport),
        (status = 422, description = "文件有误（errors 列出 records[n].字段）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "directory"
)]
pub async fn import_units(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UnitImportReport>, Problem> {
    forward::<ImportUnits, _>(&state, &headers, verbs::ROUTER_IMPORT_UNITS, body).await
}

/// The dispatch catalogue (派单目录, A9/A12): each category and who is responsible.
#[utoipa::path(
    get,
    path = "/api/v1/dispatch-catalogue",
    responses((status = 200, description = "派单目录", body = Catalogue)),
    tag = "directory"
)]
pub async fn catalogue(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Catalogue>, Problem> {
    ask(
        &state,
        verbs::ROUTER_CATALOGUE,
        &CatalogueQuery {},
        &trace_of(&headers),
    )
    .await
}

/// Rules by category, territory or unit (paged by rule id).
#[utoipa::path(
    get,
    path = "/api/v1/dispatch-rules",
    params(
        ("category" = Option<String>, Query, description = "类别代码"),
        ("region_code" = Option<String>, Query, description = "规则覆盖的行政区划"),
        ("unit_id" = Option<String>, Query, description = "承办单位"),
        ("limit" = Option<u32>, Query, description = "每页条数（默认 200，最多 1000）"),
        ("after" = Option<String>, Query, description = "上一页最后的规则编号"),
    ),
    responses(
        (status = 200, description = "派单规则", body = Rules),
        (status = 400, description = "查询参数有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "directory"
)]
pub async fn rules(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<RulesQuery>, QueryRejection>,
) -> Result<Json<Rules>, Problem> {
    let request = query(params)?;
    ask(&state, verbs::ROUTER_RULES, &request, &trace_of(&headers)).await
}

/// A rule as the center writes it; the rule id is in the path.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub category: String,
    pub region_code: String,
    #[serde(default)]
    pub kind: Option<RequestKind>,
    pub unit_id: String,
    #[serde(default)]
    pub priority: i32,
    #[serde(default = "active")]
    pub active: bool,
    /// 修改理由
    #[serde(default)]
    pub reason: Option<String>,
    /// The version being edited; absent to create the rule.
    #[serde(default)]
    pub expected_version: Option<i32>,
    pub edited_by: String,
}

fn active() -> bool {
    true
}

/// Create a rule or write its next version (A12); effective for the next order.
#[utoipa::path(
    put,
    path = "/api/v1/dispatch-rules/{rule_id}",
    params(("rule_id" = String, Path, description = "规则编号，如 520102:market.consumer")),
    request_body = RuleRequest,
    responses(
        (status = 200, description = "规则已保存（新版本）", body = RuleView),
        (status = 404, description = "要修改的规则不存在", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "规则已被他人修改，或已存在", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "directory"
)]
pub async fn save_rule(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(rule_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RuleView>, Problem> {
    let b: RuleRequest = parse_json(body)?;
    let command = SaveRuleCommand {
        rule_id,
        category: b.category,
        region_code: b.region_code,
        kind: b.kind,
        unit_id: b.unit_id,
        priority: b.priority,
        active: b.active,
        reason: b.reason,
        expected_version: b.expected_version,
        edited_by: b.edited_by,
    };
    ask(
        &state,
        verbs::ROUTER_SAVE_RULE,
        &command,
        &trace_of(&headers),
    )
    .await
}

/// Every version of a rule, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/dispatch-rules/{rule_id}/history",
    params(("rule_id" = String, Path, description = "规则编号")),
    responses(
        (status = 200, description = "规则的各个版本", body = RuleHistory),
        (status = 404, description = "规则不存在", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "directory"
)]
pub async fn rule_history(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(rule_id): Path<String>,
) -> Result<Json<RuleHistory>, Problem> {
    ask(
        &state,
        verbs::ROUTER_RULE_HISTORY,
        &RuleHistoryQuery { rule_id },
        &trace_of(&headers),
    )
    .await
}

/// The directory's routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post, put};
    axum::Router::new()
        .route("/api/v1/units", get(export_units))
        .route("/api/v1/units/import", post(import_units))
        .route("/api/v1/dispatch-catalogue", get(catalogue))
        .route("/api/v1/dispatch-rules", get(rules))
        .route("/api/v1/dispatch-rules/{rule_id}", put(save_rule))
        .route(
            "/api/v1/dispatch-rules/{rule_id}/history",
            get(rule_history),
        )
}
