//! The router's desks over HTTP (issue 5): units dispute orders, report progress and
//! co-handling parts, ask for more time or a suspension, and see their orders; the center
//! decides disputes and requests, assigns co-handling units and runs the pre-dispatch
//! consultation; the authority decides escalated disputes; dispatch accuracy for the
//! center's dashboard. Each handler translates only: path and JSON body in, one
//! `rpc.router.*` request out, the typed reply back as JSON or problem+json.
//!
//! Until logins come (issue 10) the acting unit and the staff member are body fields; the
//! router checks the unit against the order's assignment (a unit sees and acts on its own
//! orders only, 403 otherwise).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use hotline_contract::dispatch_desk::*;
use hotline_contract::events::{
    DisputeDecider, DisputeOutcome, DisputeReason, SuspensionReason, TimeLimit,
};
use hotline_contract::rpc::verbs;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use crate::problem::Problem;
use crate::routes::{AppState, ask, parse_json, trace_of};

/// The desks' part of the OpenAPI document (merged into the gateway's).
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        dispute,
        decide_dispute,
        escalate_dispute,
        assign_co_handling,
        report_co_handling,
        report_progress,
        request_extension,
        request_suspension,
        decide_request,
        resume,
        unit_order,
        unit_orders,
        consultations,
        invite,
        record_view,
        decide_consultation,
        dispatch_accuracy
    ),
    components(schemas(
        DisputeRequest,
        DisputeDecisionRequest,
        EscalationRequest,
        CoHandlingRequest,
        CoHandlingReportRequest,
        ProgressRequest,
        ExtensionRequest,
        SuspensionRequest,
        RequestDecisionRequest,
        ResumeRequest,
        InvitationRequest,
        ViewRequest,
        ConsultationDecisionRequest
    )),
    tags(
        (name = "disputes", description = "异议（退单）：承办单位提出，中心协调，主管部门裁定"),
        (name = "center", description = "12345中心：协办指派、延期与挂起审批、派单前会商、派单准确率")
    )
)]
pub struct UnitDeskDoc;

/// Decode the body, build the router command and ask the router.
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

/// A unit disputes an order dispatched to it (A13).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    pub unit_id: String,
    pub reason: DisputeReason,
    /// 异议理由
    pub explanation: String,
    #[serde(default)]
    pub proposed_unit_id: Option<String>,
    pub disputed_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/disputes",
    params(("number" = String, Path, description = "工单编号")),
    request_body = DisputeRequest,
    responses(
        (status = 200, description = "异议已提交", body = DisputeReceipt),
        (status = 403, description = "工单未派给本单位", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "已签收或已有异议", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "disputes"
)]
pub async fn dispute(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DisputeReceipt>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::ROUTER_DISPUTE,
        |b: DisputeRequest| DisputeCommand {
            number,
            unit_id: b.unit_id,
            reason: b.reason,
            explanation: b.explanation,
            proposed_unit_id: b.proposed_unit_id,
            disputed_by: b.disputed_by,
        },
    )
    .await
}

/// The center (an open dispute) or the authority (an escalated one) decides (A13).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeDecisionRequest {
    pub decider: DisputeDecider,
    pub outcome: DisputeOutcome,
    /// The new unit, for `redispatched`.
    #[serde(default)]
    pub unit_id: Option<String>,
    pub decided_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/disputes/{dispute_id}/decision",
    params(("dispute_id" = Uuid, Path, description = "异议编号")),
    request_body = DisputeDecisionRequest,
    responses(
        (status = 200, description = "已裁定", body = DisputeDecision),
        (status = 404, description = "未找到", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "该异议当前不能由此方裁定", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "disputes"
)]
pub async fn decide_dispute(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(dispute_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DisputeDecision>, Problem> {
    let verb = verbs::ROUTER_DECIDE_DISPUTE;
    forward(&state, &headers, body, verb, |b: DisputeDecisionRequest| {
        DecideDisputeCommand {
            dispute_id,
            decider: b.decider,
            outcome: b.outcome,
            unit_id: b.unit_id,
            decided_by: b.decided_by,
        }
    })
    .await
}

/// The center sends a dispute to the authority.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationRequest {
    pub escalated_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/disputes/{dispute_id}/escalation",
    params(("dispute_id" = Uuid, Path, description = "异议编号")),
    request_body = EscalationRequest,
    responses(
        (status = 200, description = "已提交主管部门", body = EscalationReceipt),
        (status = 404, description = "未找到", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "该异议已处理或已提交", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "disputes"
)]
pub async fn escalate_dispute(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(dispute_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EscalationReceipt>, Problem> {
    let verb = verbs::ROUTER_ESCALATE_DISPUTE;
    forward(&state, &headers, body, verb, |b: EscalationRequest| {
        EscalateDisputeCommand {
            dispute_id,
            escalated_by: b.escalated_by,
        }
    })
    .await
}

/// The center assigns co-handling units (A14).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoHandlingRequest {
    pub unit_ids: Vec<String>,
    pub assigned_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/co-handling",
    params(("number" = String, Path, description = "工单编号")),
    request_body = CoHandlingRequest,
    responses(
        (status = 200, description = "已指派协办单位", body = CoHandlingReceipt),
        (status = 409, description = "主办单位或已是协办单位", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "center"
)]
pub async fn assign_co_handling(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CoHandlingReceipt>, Problem> {
    let verb = verbs::ROUTER_ASSIGN_CO_HANDLING;
    forward(&state, &headers, body, verb, |b: CoHandlingRequest| {
        AssignCoHandlingCommand {
            number,
            unit_ids: b.unit_ids,
            assigned_by: b.assigned_by,
        }
    })
    .await
}

/// A co-handling unit reports its part to the lead unit (A14).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoHandlingReportRequest {
    pub unit_id: String,
    pub report: String,
    pub reported_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/co-handling/report",
    params(("number" = String, Path, description = "工单编号")),
    request_body = CoHandlingReportRequest,
    responses(
        (status = 200, description = "已报送主办单位", body = ReportReceipt),
        (status = 403, description = "本单位不是协办单位", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "已报送", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "units"
)]
pub async fn report_co_handling(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportReceipt>, Problem> {
    let verb = verbs::ROUTER_REPORT_CO_HANDLING;
    forward(
        &state,
        &headers,
        body,
        verb,
        |b: CoHandlingReportRequest| ReportCoHandlingCommand {
            number,
            unit_id: b.unit_id,
            report: b.report,
            reported_by: b.reported_by,
        },
    )
    .await
}

/// A unit that cannot finish in time reports why and its interim progress (A14).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressRequest {
    pub unit_id: String,
    pub reason_code: String,
    pub progress: String,
    pub reported_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/progress-reports",
    params(("number" = String, Path, description = "工单编号")),
    request_body = ProgressRequest,
    responses(
        (status = 200, description = "已报送阶段性办理情况", body = ReportReceipt),
        (status = 403, description = "工单未派给本单位", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "未签收或已办结", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "units"
)]
pub async fn report_progress(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReportReceipt>, Problem> {
    let verb = verbs::ROUTER_REPORT_PROGRESS;
    forward(&state, &headers, body, verb, |b: ProgressRequest| {
        ReportProgressCommand {
            number,
            unit_id: b.unit_id,
            reason_code: b.reason_code,
            progress: b.progress,
            reported_by: b.reported_by,
        }
    })
    .await
}

/// A unit asks the center for more time (A14).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    pub unit_id: String,
    pub extension: TimeLimit,
    pub reason_code: String,
    pub explanation: String,
    pub requested_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/extension-requests",
    params(("number" = String, Path, description = "工单编号")),
    request_body = ExtensionRequest,
    responses(
        (status = 200, description = "延期申请已提交", body = UnitRequestReceipt),
        (status = 403, description = "工单未派给本单位", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "已有申请待审批，或工单状态不允许", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "units"
)]
pub async fn request_extension(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UnitRequestReceipt>, Problem> {
    let verb = verbs::ROUTER_REQUEST_EXTENSION;
    forward(&state, &headers, body, verb, |b: ExtensionRequest| {
        RequestExtensionCommand {
            number,
            unit_id: b.unit_id,
            extension: b.extension,
            reason_code: b.reason_code,
            explanation: b.explanation,
            requested_by: b.requested_by,
        }
    })
    .await
}

/// A unit asks the center to suspend the handling (挂起).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspensionRequest {
    pub unit_id: String,
    pub reason: SuspensionReason,
    pub explanation: String,
    pub requested_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/suspension-requests",
    params(("number" = String, Path, description = "工单编号")),
    request_body = SuspensionRequest,
    responses(
        (status = 200, description = "挂起申请已提交", body = UnitRequestReceipt),
        (status = 403, description = "工单未派给本单位", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "已挂起或已有申请待审批", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "units"
)]
pub async fn request_suspension(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UnitRequestReceipt>, Problem> {
    let verb = verbs::ROUTER_REQUEST_SUSPENSION;
    forward(&state, &headers, body, verb, |b: SuspensionRequest| {
        RequestSuspensionCommand {
            number,
            unit_id: b.unit_id,
            reason: b.reason,
            explanation: b.explanation,
            requested_by: b.requested_by,
        }
    })
    .await
}

/// The center approves or refuses a unit's request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestDecisionRequest {
    pub approve: bool,
    pub decided_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/unit-requests/{request_id}/decision",
    params(("request_id" = Uuid, Path, description = "申请编号")),
    request_body = RequestDecisionRequest,
    responses(
        (status = 200, description = "已审批", body = RequestDecision),
        (status = 404, description = "未找到", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "已审批", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "center"
)]
pub async fn decide_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(request_id): Path<Uuid>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RequestDecision>, Problem> {
    let verb = verbs::ROUTER_DECIDE_REQUEST;
    forward(&state, &headers, body, verb, |b: RequestDecisionRequest| {
        DecideRequestCommand {
            request_id,
            approve: b.approve,
            decided_by: b.decided_by,
        }
    })
    .await
}

/// The center ends a suspension.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeRequest {
    pub resumed_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/resumption",
    params(("number" = String, Path, description = "工单编号")),
    request_body = ResumeRequest,
    responses(
        (status = 200, description = "已恢复办理", body = ResumeReceipt),
        (status = 409, description = "工单未挂起", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "center"
)]
pub async fn resume(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ResumeReceipt>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::ROUTER_RESUME,
        |b: ResumeRequest| ResumeCommand {
            number,
            resumed_by: b.resumed_by,
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/units/{unit_id}/orders/{number}",
    params(
        ("unit_id" = String, Path, description = "单位编号"),
        ("number" = String, Path, description = "工单编号")
    ),
    responses(
        (status = 200, description = "本单位主办或协办的工单", body = UnitOrderView),
        (status = 403, description = "工单未派给本单位", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "未找到", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "units"
)]
pub async fn unit_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((unit_id, number)): Path<(String, String)>,
) -> Result<Json<UnitOrderView>, Problem> {
    let query = UnitOrderQuery { number, unit_id };
    ask(
        &state,
        verbs::ROUTER_UNIT_ORDER,
        &query,
        &trace_of(&headers),
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/units/{unit_id}/orders",
    params(("unit_id" = String, Path, description = "单位编号")),
    responses((status = 200, description = "本单位主办或协办的工单，最新的在前", body = UnitOrders)),
    tag = "units"
)]
pub async fn unit_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(unit_id): Path<String>,
) -> Result<Json<UnitOrders>, Problem> {
    let query = UnitOrdersQuery { unit_id };
    ask(
        &state,
        verbs::ROUTER_UNIT_ORDERS,
        &query,
        &trace_of(&headers),
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/consultations",
    responses((status = 200, description = "待会商的工单", body = ConsultationQueue)),
    tag = "center"
)]
pub async fn consultations(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ConsultationQueue>, Problem> {
    let verb = verbs::ROUTER_CONSULTATIONS;
    ask(
        &state,
        verb,
        &ConsultationQueueQuery {},
        &trace_of(&headers),
    )
    .await
}

/// The center invites candidate units to a consultation (A12).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    pub unit_ids: Vec<String>,
    pub invited_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/consultation/invitations",
    params(("number" = String, Path, description = "工单编号")),
    request_body = InvitationRequest,
    responses(
        (status = 200, description = "已邀请", body = ConsultationReceipt),
        (status = 404, description = "该工单不在会商中", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "center"
)]
pub async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ConsultationReceipt>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::ROUTER_INVITE,
        |b: InvitationRequest| InviteUnitsCommand {
            number,
            unit_ids: b.unit_ids,
            invited_by: b.invited_by,
        },
    )
    .await
}

/// An invited unit gives its view (A12).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewRequest {
    pub unit_id: String,
    pub view: String,
    pub within_duties: bool,
    pub responded_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/consultation/views",
    params(("number" = String, Path, description = "工单编号")),
    request_body = ViewRequest,
    responses(
        (status = 200, description = "意见已记录", body = ConsultationReceipt),
        (status = 403, description = "本单位未被邀请", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "units"
)]
pub async fn record_view(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ConsultationReceipt>, Problem> {
    forward(
        &state,
        &headers,
        body,
        verbs::ROUTER_RECORD_VIEW,
        |b: ViewRequest| RecordViewCommand {
            number,
            unit_id: b.unit_id,
            view: b.view,
            within_duties: b.within_duties,
            responded_by: b.responded_by,
        },
    )
    .await
}

/// The center decides the lead and co-handling units (A12, A14).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationDecisionRequest {
    pub lead_unit_id: String,
    #[serde(default)]
    pub co_unit_ids: Vec<String>,
    pub decided_by: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/consultation/decision",
    params(("number" = String, Path, description = "工单编号")),
    request_body = ConsultationDecisionRequest,
    responses(
        (status = 200, description = "已确定主办与协办单位并派单", body = ConsultationReceipt),
        (status = 404, description = "该工单不在会商中", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "center"
)]
pub async fn decide_consultation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ConsultationReceipt>, Problem> {
    let verb = verbs::ROUTER_DECIDE_CONSULTATION;
    forward(
        &state,
        &headers,
        body,
        verb,
        |b: ConsultationDecisionRequest| DecideConsultationCommand {
            number,
            lead_unit_id: b.lead_unit_id,
            co_unit_ids: b.co_unit_ids,
            decided_by: b.decided_by,
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/dispatch-accuracy",
    responses((status = 200, description = "派单准确率（未因异议改派的派单占比）", body = DispatchAccuracy)),
    tag = "center"
)]
pub async fn dispatch_accuracy(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<DispatchAccuracy>, Problem> {
    let verb = verbs::ROUTER_DISPATCH_ACCURACY;
    ask(&state, verb, &DispatchAccuracyQuery {}, &trace_of(&headers)).await
}

/// The desks' routes (merged into the gateway's router).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/orders/{number}/disputes", post(dispute))
        .route(
            "/api/v1/disputes/{dispute_id}/decision",
            post(decide_dispute),
        )
        .route(
            "/api/v1/disputes/{dispute_id}/escalation",
            post(escalate_dispute),
        )
        .route(
            "/api/v1/orders/{number}/co-handling",
            post(assign_co_handling),
        )
        .route(
            "/api/v1/orders/{number}/co-handling/report",
            post(report_co_handling),
        )
        .route(
            "/api/v1/orders/{number}/progress-reports",
            post(report_progress),
        )
        .route(
            "/api/v1/orders/{number}/extension-requests",
            post(request_extension),
        )
        .route(
            "/api/v1/orders/{number}/suspension-requests",
            post(request_suspension),
        )
        .route(
            "/api/v1/unit-requests/{request_id}/decision",
            post(decide_request),
        )
        .route("/api/v1/orders/{number}/resumption", post(resume))
        .route("/api/v1/units/{unit_id}/orders", get(unit_orders))
        .route("/api/v1/units/{unit_id}/orders/{number}", get(unit_order))
        .route("/api/v1/consultations", get(consultations))
        .route(
            "/api/v1/orders/{number}/consultation/invitations",
            post(invite),
        )
        .route(
            "/api/v1/orders/{number}/consultation/views",
            post(record_view),
        )
        .route(
            "/api/v1/orders/{number}/consultation/decision",
            post(decide_consultation),
        )
        .route("/api/v1/dispatch-accuracy", get(dispatch_accuracy))
}
