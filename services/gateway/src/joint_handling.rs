//! Joint handling with a partner hotline over HTTP (A8: 联动): the center marks an order
//! for joint handling with 110/119/120/122, a utility or a sub-center hotline, and reads
//! the log of both sides' steps. Each handler translates only: path and JSON body in, one
//! `rpc.emergency-bridge.start_joint_handling` / `joint_handling` request out, the reply
//! as JSON or problem+json (a bad body: 400/422 naming the fields; an unknown order: 404;
//! already joint with that partner or closed: 409).
//!
//! Until logins come (issue 10) the acting staff member is a body field.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use hotline_contract::joint::{
    JointHandlingLog, JointHandlingQuery, JointHandlingStarted, JointLogStep, JointPartner,
    JointSide, StartJointHandling,
};
use hotline_contract::rpc::verbs;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::problem::Problem;
use crate::routes::{AppState, ask, parse_json, trace_of};

/// The joint-handling part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(start_joint_handling, joint_handling),
    components(schemas(
        JointHandlingRequest,
        JointHandlingStarted,
        JointHandlingLog,
        JointPartner,
        JointLogStep,
        JointSide
    )),
    tags((name = "joint-handling", description = "联动处置：与110/119/120/122、公用事业及分中心热线联动办理工单，双方办理步骤均有记录"))
)]
pub struct JointHandlingDoc;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new().route(
        "/api/v1/orders/{number}/joint-handling",
        get(joint_handling).post(start_joint_handling),
    )
}

/// Start joint handling of the order with a partner hotline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JointHandlingRequest {
    /// 合作热线代码：110、119、120、122、95598、12315 等
    pub partner_code: String,
    /// 发起人（中心工作人员）
    pub started_by: String,
    /// 联动事由及需对方协助的事项（发送给对方热线，勿含个人信息）
    pub reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/joint-handling",
    params(("number" = String, Path, description = "工单编号")),
    request_body = JointHandlingRequest,
    responses(
        (status = 200, description = "已发起联动，对方热线已收到通知", body = JointHandlingStarted),
        (status = 400, description = "请求体无法读取", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "未找到该工单", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "已与该热线联动，或工单已办结", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误（errors 逐项列出，如未登记的热线代码）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "joint-handling"
)]
pub async fn start_joint_handling(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<JointHandlingStarted>, Problem> {
    let trace = trace_of(&headers);
    let body: JointHandlingRequest = parse_json(body)?;
    let command = StartJointHandling {
        number,
        partner_code: body.partner_code,
        started_by: body.started_by,
        reason: body.reason,
    };
    ask(
        &state,
        verbs::EMERGENCY_BRIDGE_START_JOINT_HANDLING,
        &command,
        &trace,
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{number}/joint-handling",
    params(("number" = String, Path, description = "工单编号")),
    responses(
        (status = 200, description = "联动的合作热线及双方办理步骤（按时间先后）", body = JointHandlingLog),
        (status = 404, description = "未找到该工单", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "joint-handling"
)]
pub async fn joint_handling(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Json<JointHandlingLog>, Problem> {
    ask(
        &state,
        verbs::EMERGENCY_BRIDGE_JOINT_HANDLING,
        &JointHandlingQuery { number },
        &trace_of(&headers),
    )
    .await
}
