//! Category suggestion over HTTP (A12, issue 5 item 3): the dispatcher's console sends the
//! order text and gets the most likely categories of the dispatch catalogue, to confirm or
//! overrule. The handler only translates: JSON body in, `rpc.intake.suggest_category` out
//! (intake keeps the matter and the model), the typed reply back as JSON or problem+json.
//! Intake checks the fields (text 1–4000 characters as for a matter, `k` 1–10, a known
//! region code) and names every bad one in Chinese (422).
//!
//! The text may hold personal data (A21): nothing here logs it, and a reply never echoes it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use hotline_contract::category::{
    CategoryModelInfo, CategorySuggestion, CategorySuggestions, SuggestCategoryQuery,
};
use hotline_contract::rpc::verbs;
use utoipa::OpenApi;

use crate::problem::Problem;
use crate::routes::{AppState, ask, parse_json, trace_of};

/// Category suggestion's part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(suggest_category),
    components(schemas(
        SuggestCategoryQuery,
        CategorySuggestions,
        CategorySuggestion,
        CategoryModelInfo
    )),
    tags((name = "dispatch", description = "派单：分类建议（由派单员确认）"))
)]
pub struct CategoryDoc;

/// The route.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/api/v1/category-suggestions",
        axum::routing::post(suggest_category),
    )
}

/// The most likely categories for an order text, best first, with the model's confidence
/// and what it was trained on (A12: the dispatcher confirms).
#[utoipa::path(
    post,
    path = "/api/v1/category-suggestions",
    request_body = SuggestCategoryQuery,
    responses(
        (status = 200, description = "分类建议（按可能性排序；文本中没有可识别的内容时为空）", body = CategorySuggestions),
        (status = 422, description = "请求内容有误（errors 列出每个字段的问题）", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "暂时无法给出建议", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "dispatch"
)]
pub async fn suggest_category(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CategorySuggestions>, Problem> {
    let trace = trace_of(&headers);
    let query: SuggestCategoryQuery = parse_json(body)?;
    ask(&state, verbs::INTAKE_SUGGEST_CATEGORY, &query, &trace).await
}
