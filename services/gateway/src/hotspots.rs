//! Hot-spot reports over HTTP (A17.4): the reports supervision made to the governments on
//! clusters of similar orders, readable by anyone (reports are published). Each handler
//! translates only: query or path in, one `rpc.supervision.hotspots` / `hotspot` request
//! out, the reply as JSON or problem+json (a bad parameter: 400 or 422 with field errors;
//! an unknown hot spot: 404).
//!
//! The reports carry order numbers, units, counts and shared keywords; never a matter's
//! text or anything about a requester (`docs/hotspots.md`).

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use hotline_contract::events::{
    DayCount, HotspotLevel, HotspotReportOrder, HotspotUnit, SupervisionHotspotReported,
};
use hotline_contract::hotspot::{HotspotQuery, HotspotReports, HotspotsQuery};
use hotline_contract::rpc::verbs;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

use crate::problem::Problem;
use crate::routes::{AppState, ask, bad_parameters, param_error, trace_of};

/// The hot-spot reports' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(hotspots, hotspot),
    components(schemas(
        HotspotReports,
        SupervisionHotspotReported,
        HotspotReportOrder,
        HotspotUnit,
        HotspotLevel,
        DayCount
    )),
    tags((name = "hotspots", description = "热点难点问题：同一地区相似诉求的聚集，报告同级人民政府（公开）"))
)]
pub struct HotspotsDoc;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/v1/hotspots", get(hotspots))
        .route("/api/v1/hotspots/{hotspot_id}", get(hotspot))
}

/// `GET /api/v1/hotspots` parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotspotsParams {
    /// 县级区划代码（6位）：只列该县（含其乡镇街道）的热点
    pub region_code: Option<String>,
    /// 条数，1–200，默认50
    pub limit: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/v1/hotspots",
    params(HotspotsParams),
    responses(
        (status = 200, description = "各热点的最新报告：职责不清的工单占比高者在前，其次工单多者", body = HotspotReports),
        (status = 400, description = "查询字符串无法解析", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "参数有误（errors 逐项列出）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "hotspots"
)]
pub async fn hotspots(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<HotspotsParams>, QueryRejection>,
) -> Result<Json<HotspotReports>, Problem> {
    let Query(params) = params.map_err(|_| {
        bad_parameters(vec![param_error(
            "query",
            "invalid_format",
            "查询字符串无法解析（limit 须为正整数）",
        )])
    })?;
    let query = HotspotsQuery {
        region_code: params.region_code,
        limit: params.limit,
    };
    ask(
        &state,
        verbs::SUPERVISION_HOTSPOTS,
        &query,
        &trace_of(&headers),
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/hotspots/{hotspot_id}",
    params(("hotspot_id" = Uuid, Path, description = "热点ID")),
    responses(
        (status = 200, description = "该热点的最新报告", body = SupervisionHotspotReported),
        (status = 400, description = "热点ID无法解析", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "未找到该热点", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "hotspots"
)]
pub async fn hotspot(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<SupervisionHotspotReported>, Problem> {
    let Path(hotspot_id) = path.map_err(|_| {
        bad_parameters(vec![param_error(
            "hotspot_id",
            "invalid_format",
            "热点ID应为UUID",
        )])
    })?;
    ask(
        &state,
        verbs::SUPERVISION_HOTSPOT,
        &HotspotQuery { hotspot_id },
        &trace_of(&headers),
    )
    .await
}
