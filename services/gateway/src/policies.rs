//! The time-limit policies over HTTP (A15, issue 10): `GET /api/v1/policies` lists the
//! active version of every policy, `POST /api/v1/policies/{policy_id}` writes a policy's
//! next version with a new limit. Each handler translates only: one
//! `rpc.deadline-watcher.*` request out, the typed reply back as JSON or problem+json. The
//! deadline-watcher validates the edit (limit at least 1, sane units, A15's 1-working-day
//! ceiling for signing), refuses a stale `expected_version` (409), and applies the new
//! limit to clocks started afterwards only.
//!
//! Reading is for the center's head, the authority and the administrator; editing for
//! the administrator, and `edited_by` is the signed-in principal (bound by the guard).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use hotline_contract::events::TimeLimit;
use hotline_contract::policies::{Policies, PoliciesQuery, PolicyView, SavePolicyCommand};
use hotline_contract::rpc::verbs;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::problem::Problem;
use crate::routes::{AppState, ask, parse_json, trace_of};

/// The policies' part of the OpenAPI document (merged into the gateway's).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list, save),
    components(schemas(PolicyRequest)),
    tags((name = "policies", description = "办理时限规则（第十五条；按版本修改，只对此后开始的计时生效）"))
)]
pub struct PoliciesDoc;

/// The active time-limit policies, by clock and policy id.
#[utoipa::path(
    get,
    path = "/api/v1/policies",
    responses((status = 200, description = "现行的时限规则", body = Policies)),
    tag = "policies"
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Policies>, Problem> {
    ask(
        &state,
        verbs::DEADLINE_WATCHER_POLICIES,
        &PoliciesQuery {},
        &trace_of(&headers),
    )
    .await
}

/// A policy edit as the administrator writes it; the policy id is in the path.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    /// The active version the editor saw.
    pub expected_version: i32,
    /// The new limit: `{"unit": "working_days" | "hours", "value": n}`.
    pub limit: TimeLimit,
    /// A new basis (where the limit comes from); absent: unchanged.
    #[serde(default)]
    pub basis: Option<String>,
    /// Whether the clock stops while the order is suspended; absent: unchanged.
    #[serde(default)]
    pub stops_when_suspended: Option<bool>,
    /// 修改理由 (required).
    pub reason: String,
    /// The signed-in administrator (filled in when absent).
    pub edited_by: String,
}

/// Write the policy's next version (the current one is deactivated); clocks started from
/// now on count the new limit, running clocks keep theirs.
#[utoipa::path(
    post,
    path = "/api/v1/policies/{policy_id}",
    params(("policy_id" = String, Path, description = "时限规则编号，如 handling-complaint-normal")),
    request_body = PolicyRequest,
    responses(
        (status = 200, description = "新版本已生效", body = PolicyView),
        (status = 404, description = "时限规则不存在", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "时限规则已被他人修改（expected_version 不是现行版本）", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误（时限须大于 0、单位合理、签收不超过 1 个工作日、须填理由）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "policies"
)]
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(policy_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PolicyView>, Problem> {
    let b: PolicyRequest = parse_json(body)?;
    let command = SavePolicyCommand {
        policy_id,
        expected_version: b.expected_version,
        limit: b.limit,
        basis: b.basis,
        stops_when_suspended: b.stops_when_suspended,
        reason: b.reason,
        edited_by: b.edited_by,
    };
    ask(
        &state,
        verbs::DEADLINE_WATCHER_SAVE_POLICY,
        &command,
        &trace_of(&headers),
    )
    .await
}

/// The policies' routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/policies", get(list))
        .route("/api/v1/policies/{policy_id}", post(save))
}
