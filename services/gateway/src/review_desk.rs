//! Supervision's desks over HTTP (issue 7): the center's reviewers propose sending a result
//! back and the center's head approves (A16, two people); supervision cases are opened by
//! hand, the supervised unit reports its rectification and the head closes the case (A17,
//! A18). Each handler translates only: path and JSON body in, one `rpc.supervision.*`
//! request out, the typed reply back as JSON or problem+json.
//!
//! Until logins come (issue 10) the acting person and their role (`reviewer`, `head`) are
//! body fields; supervision checks the role against the step (403 otherwise; the proposer
//! of a send-back cannot approve it).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use hotline_contract::events::{SupervisionLevel, SupervisionMeasure};
use hotline_contract::rpc::verbs;
use hotline_contract::supervision_desk::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use crate::problem::Problem;
use crate::routes::{AppState, ask, parse_json, trace_of};

/// The review and case desks' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(accept_result, propose_send_back, approve_send_back, open_case, report_rectification, close_case),
    components(schemas(
        AcceptRequest,
        ResultAcceptance,
        SendBackRequest,
        ApprovalRequest,
        RectificationRequest,
        ClosureRequest,
        OpenCaseCommand,
        CenterRole,
        SendBackProposal,
        SendBackApproval,
        SendBackOutcome,
        CaseReceipt,
        SupervisionMeasure,
        SupervisionLevel
    )),
    tags((name = "supervision", description = "督办：结果审核、退回（双人审批）、督办案件与整改"))
)]
pub struct ReviewDeskDoc;

/// The desks' routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route("/api/v1/reviews/{order_id}/acceptance", post(accept_result))
        .route(
            "/api/v1/reviews/{order_id}/send-backs",
            post(propose_send_back),
        )
        .route(
            "/api/v1/send-backs/{proposal_id}/approval",
            post(approve_send_back),
        )
        .route("/api/v1/supervision/cases", post(open_case))
        .route(
            "/api/v1/supervision/cases/{case_id}/rectification",
            post(report_rectification),
        )
        .route(
            "/api/v1/supervision/cases/{case_id}/closure",
            post(close_case),
        )
}

async fn forward<B, C, R>(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    verb: (&str, &str),
    command: impl FnOnce(B) -> C,
) -> Result<Json<R>, Problem>
where
    B: DeserializeOwned,
    C: Serialize,
    R: DeserializeOwned,
{
    let trace = trace_of(headers);
    let body: B = parse_json(body)?;
    ask(state, verb, &command(body), &trace).await
}

/// A reviewer accepts the result under review (A16).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub accepted_by: String,
    pub role: CenterRole,
}

#[utoipa::path(
    post,
    path = "/api/v1/reviews/{order_id}/acceptance",
    params(("order_id" = Uuid, Path, description = "工单ID")),
    request_body = AcceptRequest,
    responses(
        (status = 200, description = "办理结果已通过审核，工单办结", body = ResultAcceptance),
        (status = 404, description = "该工单没有办理结果", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "结果不在待审核状态", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn accept_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ResultAcceptance>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::SUPERVISION_ACCEPT_RESULT,
        |b: AcceptRequest| AcceptResultCommand {
            order_id,
            accepted_by: b.accepted_by,
            role: b.role,
        },
    )
    .await
}

/// A reviewer proposes sending the result under review back (A16).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBackRequest {
    /// 退回原因代码，如 `reply_incomplete`
    pub reason_code: String,
    /// 退回理由
    pub reasons: String,
    pub proposed_by: String,
    pub role: CenterRole,
}

#[utoipa::path(
    post,
    path = "/api/v1/reviews/{order_id}/send-backs",
    params(("order_id" = Uuid, Path, description = "工单ID")),
    request_body = SendBackRequest,
    responses(
        (status = 200, description = "退回提议已提交，待中心负责人批准", body = SendBackProposal),
        (status = 404, description = "该工单没有办理结果", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "结果不在待审核状态或已有提议", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn propose_send_back(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SendBackProposal>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::SUPERVISION_PROPOSE_SEND_BACK,
        |b: SendBackRequest| ProposeSendBackCommand {
            order_id,
            reason_code: b.reason_code,
            reasons: b.reasons,
            proposed_by: b.proposed_by,
            role: b.role,
        },
    )
    .await
}

/// The center's head approves a proposed send-back (not the proposer).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    pub approved_by: String,
    pub role: CenterRole,
}

#[utoipa::path(
    post,
    path = "/api/v1/send-backs/{proposal_id}/approval",
    params(("proposal_id" = Uuid, Path, description = "退回提议ID")),
    request_body = ApprovalRequest,
    responses(
        (status = 200, description = "已批准：退回承办单位，或第二次退回时转为督办案件", body = SendBackApproval),
        (status = 403, description = "非中心负责人，或提议人本人批准", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "未找到该退回提议", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "该提议已处理", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn approve_send_back(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(proposal_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SendBackApproval>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::SUPERVISION_APPROVE_SEND_BACK,
        |b: ApprovalRequest| ApproveSendBackCommand {
            proposal_id,
            approved_by: b.approved_by,
            role: b.role,
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/supervision/cases",
    request_body = OpenCaseCommand,
    responses(
        (status = 200, description = "督办案件已立案", body = CaseReceipt),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn open_case(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CaseReceipt>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::SUPERVISION_OPEN_CASE,
        |b: OpenCaseCommand| b,
    )
    .await
}

/// The supervised unit reports its rectification (A18).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationRequest {
    pub unit_id: String,
    /// 整改情况
    pub report: String,
    pub reported_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/supervision/cases/{case_id}/rectification",
    params(("case_id" = Uuid, Path, description = "督办案件ID")),
    request_body = RectificationRequest,
    responses(
        (status = 200, description = "整改情况已报送", body = CaseReceipt),
        (status = 403, description = "督办案件不属于本单位", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "未找到该督办案件", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "案件已结案", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn report_rectification(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(case_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CaseReceipt>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::SUPERVISION_REPORT_RECTIFICATION,
        |b: RectificationRequest| ReportRectificationCommand {
            case_id,
            unit_id: b.unit_id,
            report: b.report,
            reported_by: b.reported_by,
        },
    )
    .await
}

/// The center's head closes a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureRequest {
    pub closed_by: String,
    pub role: CenterRole,
}

#[utoipa::path(
    post,
    path = "/api/v1/supervision/cases/{case_id}/closure",
    params(("case_id" = Uuid, Path, description = "督办案件ID")),
    request_body = ClosureRequest,
    responses(
        (status = 200, description = "已结案", body = CaseReceipt),
        (status = 403, description = "非中心负责人", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "未找到该督办案件", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "案件已结案", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn close_case(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(case_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CaseReceipt>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::SUPERVISION_CLOSE_CASE,
        |b: ClosureRequest| CloseCaseCommand {
            case_id,
            closed_by: b.closed_by,
            role: b.role,
        },
    )
    .await
}
