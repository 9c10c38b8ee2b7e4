//! Analytics over HTTP (issue 9; A18, A20): the KPI report of the orders registered in a
//! period, sliced by unit, region (with roll-up), kind, channel or category. The
//! definitions are published in `docs/kpis.md`. One handler: query string in, one
//! `rpc.analytics.kpis` request out.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use hotline_contract::analytics::{KpiQuery, KpiReport, KpiSlice};
use hotline_contract::rpc::verbs;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::problem::Problem;
use crate::routes::{AppState, ask, bad_parameters, param_error, query, trace_of};

/// The analytics part of the OpenAPI document (merged into the gateway's).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(kpis),
    tags((name = "analytics", description = "统计分析：考核指标（定义见 docs/kpis.md）"))
)]
pub struct AnalyticsDoc;

/// The report's period and slice.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiParams {
    /// Start of the period (RFC 3339), inclusive: orders registered from then.
    pub from: String,
    /// End of the period (RFC 3339), exclusive; at most a year after `from`.
    pub to: String,
    /// `all` (default), `unit`, `province`, `prefecture`, `county`, `kind`, `channel`, `category`.
    pub slice: Option<String>,
    /// Only orders in this division (6-digit GB/T 2260 code).
    pub region_code: Option<String>,
}

fn instant(field: &str, text: &str) -> Result<DateTime<Utc>, Problem> {
    text.parse::<DateTime<Utc>>().map_err(|_| {
        bad_parameters(vec![param_error(
            field,
            "invalid_format",
            "时间须为 RFC 3339 格式，如 2026-03-01T00:00:00+08:00",
        )])
    })
}

/// The KPIs of the orders registered in `[from, to)`, per slice.
#[utoipa::path(
    get,
    path = "/api/v1/kpis",
    params(KpiParams),
    responses(
        (status = 200, description = "考核指标", body = KpiReport),
        (status = 400, description = "查询参数有误", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "期间或区划有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "analytics"
)]
pub async fn kpis(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<KpiParams>, QueryRejection>,
) -> Result<Json<KpiReport>, Problem> {
    let params = query(params)?;
    let slice = match params.slice.as_deref() {
        None => KpiSlice::All,
        Some(text) => serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .map_err(|_| {
                bad_parameters(vec![param_error(
                    "slice",
                    "invalid_format",
                    "slice 只能是 all、unit、province、prefecture、county、kind、channel 或 category",
                )])
            })?,
    };
    let request = KpiQuery {
        from: instant("from", &params.from)?,
        to: instant("to", &params.to)?,
        slice,
        region_code: params.region_code,
    };
    ask(&state, verbs::ANALYTICS_KPIS, &request, &trace_of(&headers)).await
}

/// The analytics routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/api/v1/kpis", axum::routing::get(kpis))
}
