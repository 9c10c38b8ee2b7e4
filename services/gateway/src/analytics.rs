//! Analytics over HTTP (issue 9; A18, A20): the KPI report of the orders registered in a
//! period, sliced by unit, region (with roll-up), kind, channel or category. The
//! definitions are published in `docs/kpis.md`. `GET /api/v1/kpis` asks `rpc.analytics.kpis`;
//! `GET /api/v1/monitor` (A20 dynamic monitoring: stage counts, stuck orders, today vs last
//! week) asks `rpc.analytics.monitor`, after checking its parameters here.
//! `GET /api/v1/staff-assessment` (A19: per agent and per reviewer) asks
//! `rpc.analytics.staff_assessment`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use hotline_contract::analytics::{
    KpiQuery, KpiReport, KpiSlice, MonitorQuery, MonitorReport, MonitorRollup, StaffAssessment,
    StaffAssessmentQuery,
};
use hotline_contract::rpc::verbs;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::problem::Problem;
use crate::routes::{AppState, ask, bad_parameters, param_error, query, trace_of};

/// The analytics part of the OpenAPI document (merged into the gateway's).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(kpis, monitor, staff_assessment),
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

/// The staff assessment's period.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffAssessmentParams {
    /// Start of the period (RFC 3339), inclusive: acts from then.
    pub from: String,
    /// End of the period (RFC 3339), exclusive; at most a year after `from`.
    pub to: String,
}

/// A19: every agent's and reviewer's assessment over `[from, to)` (definitions in
/// `docs/kpis.md`, "Staff assessment (A19)"), by user id.
#[utoipa::path(
    get,
    path = "/api/v1/staff-assessment",
    params(StaffAssessmentParams),
    responses(
        (status = 200, description = "人员考核", body = StaffAssessment),
        (status = 400, description = "查询参数有误", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "期间有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "analytics"
)]
pub async fn staff_assessment(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<StaffAssessmentParams>, QueryRejection>,
) -> Result<Json<StaffAssessment>, Problem> {
    let params = query(params)?;
    let request = StaffAssessmentQuery {
        from: instant("from", &params.from)?,
        to: instant("to", &params.to)?,
    };
    ask(
        &state,
        verbs::ANALYTICS_STAFF_ASSESSMENT,
        &request,
        &trace_of(&headers),
    )
    .await
}

/// The monitor's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonitorParams {
    /// Only orders in this division (6-digit GB/T 2260 code).
    pub region_code: Option<String>,
    /// `prefecture` or `county`: also the counts per division.
    pub rollup: Option<String>,
    /// How many stuck orders to list, 1..=500 (default 50).
    pub stuck_limit: Option<String>,
}

/// The monitor request, or the problem with its parameters: unreadable ones → 400,
/// well-formed but impossible ones (a region code that is not 6 digits, a limit out of
/// range) → 422.
fn monitor_request(params: MonitorParams) -> Result<MonitorQuery, Problem> {
    let rollup = match params.rollup.as_deref() {
        None => None,
        Some("prefecture") => Some(MonitorRollup::Prefecture),
        Some("county") => Some(MonitorRollup::County),
        Some(_) => {
            return Err(bad_parameters(vec![param_error(
                "rollup",
                "invalid_format",
                "rollup 只能是 prefecture 或 county",
            )]));
        }
    };
    let stuck_limit = match params.stuck_limit.as_deref() {
        None => None,
        Some(text) => Some(text.parse::<u32>().map_err(|_| {
            bad_parameters(vec![param_error(
                "stuck_limit",
                "invalid_format",
                "stuck_limit 须为整数",
            )])
        })?),
    };
    let mut errors = Vec::new();
    if let Some(code) = params.region_code.as_deref()
        && (code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()))
    {
        errors.push(param_error(
            "region_code",
            "invalid",
            "行政区划代码须为6位数字",
        ));
    }
    if stuck_limit.is_some_and(|n| !(1..=500).contains(&n)) {
        errors.push(param_error(
            "stuck_limit",
            "out_of_range",
            "stuck_limit 须在 1 到 500 之间",
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    Ok(MonitorQuery {
        region_code: params.region_code,
        rollup,
        stuck_limit,
    })
}

/// Dynamic monitoring (A20): orders at each stage now, the stuck ones oldest first, and
/// today's registrations against the same weekday last week (`docs/kpis.md`).
#[utoipa::path(
    get,
    path = "/api/v1/monitor",
    params(MonitorParams),
    responses(
        (status = 200, description = "动态监测", body = MonitorReport),
        (status = 400, description = "查询参数有误", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "区划或条数有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "analytics"
)]
pub async fn monitor(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<MonitorParams>, QueryRejection>,
) -> Result<Json<MonitorReport>, Problem> {
    let request = monitor_request(query(params)?)?;
    ask(
        &state,
        verbs::ANALYTICS_MONITOR,
        &request,
        &trace_of(&headers),
    )
    .await
}

/// The analytics routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/kpis", axum::routing::get(kpis))
        .route("/api/v1/monitor", axum::routing::get(monitor))
        .route(
            "/api/v1/staff-assessment",
            axum::routing::get(staff_assessment),
        )
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    fn params(region: Option<&str>, rollup: Option<&str>, limit: Option<&str>) -> MonitorParams {
        MonitorParams {
            region_code: region.map(str::to_owned),
            rollup: rollup.map(str::to_owned),
            stuck_limit: limit.map(str::to_owned),
        }
    }

    #[test]
    fn a_bad_region_is_a_422_problem_naming_the_field() {
        let problem = monitor_request(params(Some("5201"), None, None)).unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].field, "region_code");
        let response = problem.into_response();
        assert_eq!(response.status().as_u16(), 422);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let limit = monitor_request(params(None, None, Some("0"))).unwrap_err();
        assert_eq!(
            (limit.status, limit.errors[0].field.as_str()),
            (422, "stuck_limit")
        );
    }

    #[test]
    fn unreadable_parameters_are_a_400() {
        for (p, field) in [
            (params(None, Some("city"), None), "rollup"),
            (params(None, None, Some("many")), "stuck_limit"),
        ] {
            let problem = monitor_request(p).unwrap_err();
            assert_eq!(
                (problem.status, problem.errors[0].field.as_str()),
                (400, field)
            );
        }
    }

    #[test]
    fn good_parameters_make_the_request() {
        let query = monitor_request(params(Some("520100"), Some("county"), Some("20"))).unwrap();
        assert_eq!(
            query,
            MonitorQuery {
                region_code: Some("520100".to_owned()),
                rollup: Some(MonitorRollup::County),
                stuck_limit: Some(20),
            }
        );
        assert_eq!(
            monitor_request(params(None, None, None)).unwrap(),
            MonitorQuery::default()
        );
    }
}
