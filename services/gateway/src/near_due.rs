//! The clocks about to run out, over HTTP (A17, issue 10: the supervision board shows the
//! near-due orders): `GET /api/v1/near-due` asks `rpc.deadline-watcher.near_due` for the
//! running clocks due by the end of the next working day, soonest first. Figures and order
//! numbers only, no personal data; for the center and the authority (`read_monitor`).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use hotline_contract::rpc::{NearDue, NearDueQuery, verbs};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::problem::Problem;
use crate::routes::{AppState, ask, query, trace_of};

/// The near-due part of the OpenAPI document (merged into the gateway's).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(near_due),
    tags((name = "deadlines", description = "办理时限：临近到期的工单（督办看板）"))
)]
pub struct NearDueDoc;

/// `?limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearDueParams {
    /// At most this many clocks (default 200, at most 500).
    pub limit: Option<u32>,
}

/// The running clocks due by the end of the next working day (A15 calendar), soonest first.
#[utoipa::path(
    get,
    path = "/api/v1/near-due",
    params(NearDueParams),
    responses(
        (status = 200, description = "临近到期的计时", body = NearDue),
        (status = 400, description = "查询参数有误", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "条数超出范围", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "deadlines"
)]
pub async fn near_due(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<NearDueParams>, QueryRejection>,
) -> Result<Json<NearDue>, Problem> {
    let params = query(params)?;
    ask(
        &state,
        verbs::DEADLINE_WATCHER_NEAR_DUE,
        &NearDueQuery {
            limit: params.limit,
        },
        &trace_of(&headers),
    )
    .await
}

/// The near-due route.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/api/v1/near-due", axum::routing::get(near_due))
}
