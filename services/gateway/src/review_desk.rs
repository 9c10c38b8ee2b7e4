//! Supervision's desks over HTTP (issue 7): the reviewers work from the review queue,
//! record their checklist and the call-back to the requester, accept a result (the order
//! closes and is archived; the archive is readable) or propose sending it back, which the
//! center's head approves (A16, two people); supervision cases are opened by hand, the
//! supervised unit reports its rectification and the head closes the case (A17, A18). Each
//! handler translates only: path, query and JSON body in, one `rpc.supervision.*` request
//! out, the typed reply back as JSON or problem+json (validation failures: 422 with field
//! errors; an unparseable query string: 400).
//!
//! Until logins come (issue 10) the acting person and their role (`reviewer`, `head`) are
//! body fields; supervision checks the role against the step (403 otherwise; the proposer
//! of a send-back cannot approve it).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use hotline_contract::events::{SupervisionLevel, SupervisionMeasure};
use hotline_contract::rpc::verbs;
use hotline_contract::supervision_desk::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use crate::problem::Problem;
use crate::routes::{AppState, ask, bad_parameters, param_error, parse_json, trace_of};

/// The review and case desks' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(review_queue, record_checklist, record_call_back, archive, accept_result, propose_send_back, approve_send_back, open_case, report_rectification, close_case),
    components(schemas(
        ReviewQueue,
        ReviewQueueItem,
        ReviewQueueStatus,
        ChecklistRequest,
        CheckEntry,
        ReviewItem,
        RecordedCheck,
        ReviewChecklist,
        CallBackRequest,
        CallBack,
        CallBackReceipt,
        ArchiveRecord,
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
    tags((name = "supervision", description = "督办：待审核队列、审核清单、回访、结果审核与归档、退回（双人审批）、督办案件与整改"))
)]
pub struct ReviewDeskDoc;

/// The desks' routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/review/queue", get(review_queue))
        .route("/api/v1/review/archive/{number}", get(archive))
        .route(
            "/api/v1/reviews/{order_id}/checklist",
            post(record_checklist),
        )
        .route(
            "/api/v1/reviews/{order_id}/call-backs",
            post(record_call_back),
        )
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
        (status = 200, description = "办理结果已通过审核，工单办结并归档", body = ResultAcceptance),
        (status = 404, description = "该工单没有办理结果", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "结果不在待审核状态，或有待批准的退回提议", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "审核清单未全部记录或有不通过的项目（errors 逐项列出）", body = Problem, content_type = "application/problem+json"),
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
    /// 未通过的审核项：须列明审核清单中记录为不通过的全部项目
    #[serde(default)]
    pub failed_items: Vec<ReviewItem>,
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
        (status = 422, description = "请求内容有误（如未列明审核清单中不通过的项目，或列了通过的项目）", body = Problem, content_type = "application/problem+json"),
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
            failed_items: b.failed_items,
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

/// The review queue's query string.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQueueParams {
    /// 状态，目前只有 `pending`（待审核，默认）
    pub status: Option<ReviewQueueStatus>,
    /// 每页条数，1 到 200，默认 50
    pub limit: Option<u32>,
    /// 上一页返回的 `next_after`
    pub after: Option<String>,
}

/// The reviewers' work queue (A16): results waiting for review, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/review/queue",
    params(ReviewQueueParams),
    responses(
        (status = 200, description = "待审核的办理结果，按提交时间从早到晚", body = ReviewQueue),
        (status = 400, description = "查询字符串无法解析", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "limit 超出范围或 after 无法识别（errors 列出）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn review_queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<ReviewQueueParams>, QueryRejection>,
) -> Result<Json<ReviewQueue>, Problem> {
    let Query(params) = params.map_err(|_| {
        bad_parameters(vec![param_error(
            "query",
            "invalid_format",
            "查询字符串无法解析（status 只能为 pending，limit 须为正整数）",
        )])
    })?;
    let query = ReviewQueueQuery {
        status: params.status.unwrap_or_default(),
        limit: params.limit,
        after: params.after,
    };
    ask(
        &state,
        verbs::SUPERVISION_REVIEW_QUEUE,
        &query,
        &trace_of(&headers),
    )
    .await
}

/// A reviewer records checklist items for the result under review (A16).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistRequest {
    /// 审核项：依据、时间、调查情况、答复合理、答复切题、承办单位
    pub items: Vec<CheckEntry>,
    /// 审核人认为办理质量差（与回访“不满意”同时成立时自动立督办案件）
    #[serde(default)]
    pub poor_handling: Option<bool>,
    pub recorded_by: String,
    pub role: CenterRole,
}

#[utoipa::path(
    post,
    path = "/api/v1/reviews/{order_id}/checklist",
    params(("order_id" = Uuid, Path, description = "工单ID")),
    request_body = ChecklistRequest,
    responses(
        (status = 200, description = "审核清单已记录；case_id 为因此立案的督办案件", body = ReviewChecklist),
        (status = 404, description = "该工单没有办理结果", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "结果不在待审核状态", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误（重复的项目、说明过长或含电话号码）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn record_checklist(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReviewChecklist>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::SUPERVISION_RECORD_CHECKLIST,
        |b: ChecklistRequest| RecordChecklistCommand {
            order_id,
            items: b.items,
            poor_handling: b.poor_handling,
            recorded_by: b.recorded_by,
            role: b.role,
        },
    )
    .await
}

/// A reviewer records a call-back to the requester (A16). No personal data.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBackRequest {
    /// 是否联系上群众
    pub reached: bool,
    /// 核实情况（联系上时必填；不得含电话号码）
    #[serde(default)]
    pub verified: String,
    /// 群众评价：满意、基本满意、不满意（联系上时必填）
    #[serde(default)]
    pub verdict: Option<hotline_contract::vocabulary::SatisfactionVerdict>,
    pub called_by: String,
    pub role: CenterRole,
}

#[utoipa::path(
    post,
    path = "/api/v1/reviews/{order_id}/call-backs",
    params(("order_id" = Uuid, Path, description = "工单ID")),
    request_body = CallBackRequest,
    responses(
        (status = 200, description = "回访已记录；case_id 为因此立案的督办案件", body = CallBackReceipt),
        (status = 404, description = "该工单没有办理结果", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "结果不在待审核状态", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误（缺少评价、未联系上却有评价、核实情况含电话号码）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn record_call_back(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(order_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CallBackReceipt>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::SUPERVISION_RECORD_CALL_BACK,
        |b: CallBackRequest| RecordCallBackCommand {
            order_id,
            reached: b.reached,
            verified: b.verified,
            verdict: b.verdict,
            called_by: b.called_by,
            role: b.role,
        },
    )
    .await
}

/// The archive record of a closed order (A16), by its number (or order id).
#[utoipa::path(
    get,
    path = "/api/v1/review/archive/{number}",
    params(("number" = String, Path, description = "工单编号（也可用工单ID）")),
    responses(
        (status = 200, description = "归档记录（不可更改）", body = ArchiveRecord),
        (status = 404, description = "未找到该工单的归档记录", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "supervision"
)]
pub async fn archive(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Json<ArchiveRecord>, Problem> {
    ask(
        &state,
        verbs::SUPERVISION_ARCHIVE,
        &ArchiveQuery { number },
        &trace_of(&headers),
    )
    .await
}
