//! The versioned public API (`/api/v1`). Handlers only translate: HTTP in, a request to the
//! owning service out (intake over its internal HTTP API for registration, NATS
//! request/reply for the rest), the typed reply back as JSON or problem+json. No business
//! rule lives here.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::Namespace;
use hotline_contract::rpc::{
    self, FieldError, ProgressQuery, ProgressView, RegisterOrder, RegistrationReceipt,
    ResultReceipt, RpcErrorCode, RpcReply, SignCommand, SignReceipt, SubmitResultCommand,
};
use hotline_messaging::CallError;
use hotline_telemetry::{TRACEPARENT, TraceContext};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use utoipa::{IntoParams, ToSchema};

use crate::problem::Problem;

/// What every handler needs.
#[derive(Debug, Clone)]
pub struct AppState {
    pub nats: async_nats::Client,
    pub namespace: Namespace,
    pub http: reqwest::Client,
    pub intake_url: String,
    pub timeout: Duration,
    /// The gateway's own schema: accounts, sessions, API tokens.
    pub pool: sqlx::PgPool,
    pub auth: crate::auth::AuthSettings,
}

/// A unit signs for an order (A15).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    pub unit_id: String,
    pub signed_by: String,
}

/// A unit submits its result (A16: basis, time, findings, reply).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultRequest {
    pub unit_id: String,
    pub submitted_by: String,
    pub basis: String,
    pub findings: String,
    pub reply: String,
    pub promised_by: Option<NaiveDate>,
}

/// Query string of the public progress query.
#[derive(Debug, Clone, Deserialize, IntoParams)]
pub struct ProgressParams {
    /// The check code given with the order number at registration.
    pub check_code: Option<String>,
}

pub(crate) fn trace_of(headers: &HeaderMap) -> TraceContext {
    TraceContext::parse_or_new(headers.get(TRACEPARENT).and_then(|v| v.to_str().ok()))
}

pub(crate) fn parse_json<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Problem> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                status,
                "payload_too_large",
                "请求体过大",
                "请求体超过允许的大小",
            )
        } else {
            Problem::new(
                status,
                "bad_body",
                "请求体无法读取",
                "请求体无法读取，请重新提交",
            )
        }
    })?;
    hotline_service_kit::json_body::decode(&body).map_err(|e| Problem::invalid(vec![e]))
}

/// Ask the service behind `verb` and turn its typed reply into JSON or a problem.
pub(crate) async fn ask<Req: Serialize, Resp: DeserializeOwned>(
    state: &AppState,
    verb: (&str, &str),
    request: &Req,
    trace: &TraceContext,
) -> Result<Json<Resp>, Problem> {
    call(state, verb, request, trace)
        .await
        .map(Json)
        .map_err(call_problem)
}

/// Ask the service behind `verb` on the gateway's connection, within its timeout.
pub(crate) async fn call<Req: Serialize, Resp: DeserializeOwned>(
    state: &AppState,
    verb: (&str, &str),
    request: &Req,
    trace: &TraceContext,
) -> Result<Resp, CallError> {
    hotline_messaging::call(
        &state.nats,
        &state.namespace,
        verb,
        request,
        trace,
        state.timeout,
    )
    .await
}

pub(crate) fn call_problem(error: CallError) -> Problem {
    match error {
        CallError::Rpc(e) => e.into(),
        CallError::Unavailable(reason) => {
            tracing::warn!(%reason, "service call failed");
            Problem::unavailable("服务暂时不可用，请稍后重试")
        }
        CallError::Decode(reason) => {
            tracing::error!(%reason, "service reply could not be decoded");
            Problem::unavailable("服务暂时不可用，请稍后重试")
        }
    }
}

/// Submit a request (web message) or register one as an agent (A3, A11).
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    request_body = RegisterOrder,
    responses(
        (status = 201, description = "已受理：工单编号和查询码", body = RegistrationReceipt),
        (status = 413, description = "请求体过大", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误（errors 列出每个字段的问题）", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "提交过于频繁（见 Retry-After）", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "暂时无法受理", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "orders"
)]
pub async fn register_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<RegistrationReceipt>), Problem> {
    let trace = trace_of(&headers);
    let span = hotline_telemetry::event_span("gateway", "register_order", &trace, None);
    async move {
        let input: RegisterOrder = parse_json(body)?;
        let receipt = intake_register(&state, &input, &trace).await?;
        Ok((StatusCode::CREATED, Json(receipt)))
    }
    .instrument(span)
    .await
}

/// Register `input` with intake over its internal HTTP API (so the public can submit even
/// while the bus is down); the API and the console's forms both come through here.
pub(crate) async fn intake_register(
    state: &AppState,
    input: &RegisterOrder,
    trace: &TraceContext,
) -> Result<RegistrationReceipt, Problem> {
    let url = format!(
        "{}/internal/v1/orders",
        state.intake_url.trim_end_matches('/')
    );
    let response = state
        .http
        .post(url)
        .header(TRACEPARENT, trace.child().to_string())
        .json(input)
        .timeout(state.timeout)
        .send()
        .await
        .map_err(|error| {
            tracing::warn!(%error, "intake unreachable");
            Problem::unavailable("暂时无法受理，请稍后重试")
        })?;
    let reply: RpcReply<RegistrationReceipt> = response.json().await.map_err(|error| {
        tracing::error!(%error, "intake reply could not be decoded");
        Problem::unavailable("暂时无法受理，请稍后重试")
    })?;
    match reply {
        RpcReply::Ok(receipt) => {
            tracing::info!(order_id = %receipt.order_id, number = %receipt.number, "order accepted");
            Ok(receipt)
        }
        RpcReply::Error(e) => Err(e.into()),
    }
}

/// Public progress query: order number plus check code (A11).
#[utoipa::path(
    get,
    path = "/api/v1/orders/{number}",
    params(("number" = String, Path, description = "工单编号"), ProgressParams),
    responses(
        (status = 200, description = "工单进度", body = ProgressView),
        (status = 404, description = "未找到（编号或查询码不符）", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "缺少查询码", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "查询过于频繁（见 Retry-After）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "orders"
)]
pub async fn progress(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(params): Query<ProgressParams>,
) -> Result<Json<ProgressView>, Problem> {
    let trace = trace_of(&headers);
    let check_code = params
        .check_code
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            Problem::invalid(vec![FieldError {
                field: "check_code".to_owned(),
                code: "required".to_owned(),
                message: "查询进度需要提供查询码".to_owned(),
            }])
        })?;
    let query = ProgressQuery { number, check_code };
    ask(&state, rpc::verbs::INTAKE_PROGRESS, &query, &trace).await
}

/// A handling unit signs for an order dispatched to it (A15).
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/sign",
    params(("number" = String, Path, description = "工单编号")),
    request_body = SignRequest,
    responses(
        (status = 200, description = "已签收", body = SignReceipt),
        (status = 403, description = "工单未派给本单位", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "未找到", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "当前状态不能签收", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "units"
)]
pub async fn sign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SignReceipt>, Problem> {
    let trace = trace_of(&headers);
    let req: SignRequest = parse_json(body)?;
    let command = SignCommand {
        number,
        unit_id: req.unit_id,
        signed_by: req.signed_by,
    };
    ask(&state, rpc::verbs::ROUTER_SIGN, &command, &trace).await
}

/// A handling unit submits its result (A16).
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/result",
    params(("number" = String, Path, description = "工单编号")),
    request_body = ResultRequest,
    responses(
        (status = 200, description = "已提交办理结果", body = ResultReceipt),
        (status = 403, description = "工单未派给本单位", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "当前状态不能提交", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "办理结果不完整", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "units"
)]
pub async fn submit_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ResultReceipt>, Problem> {
    let trace = trace_of(&headers);
    let req: ResultRequest = parse_json(body)?;
    let command = SubmitResultCommand {
        number,
        unit_id: req.unit_id,
        submitted_by: req.submitted_by,
        basis: req.basis,
        findings: req.findings,
        reply: req.reply,
        promised_by: req.promised_by,
    };
    ask(&state, rpc::verbs::ROUTER_SUBMIT_RESULT, &command, &trace).await
}

/// The satisfaction visit after closing (回访): an agent's callback record, or the
/// requester online with the check code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SatisfactionRequest {
    pub verdict: hotline_contract::vocabulary::SatisfactionVerdict,
    pub resolved: bool,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub check_code: Option<String>,
}

/// Record the requester's verdict on a closed order.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/satisfaction",
    params(("number" = String, Path, description = "工单编号")),
    request_body = SatisfactionRequest,
    responses(
        (status = 200, description = "已记录回访结果", body = rpc::SatisfactionReceipt),
        (status = 404, description = "未找到（编号或查询码不符）", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "未办结或已回访", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "orders"
)]
pub async fn record_satisfaction(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<rpc::SatisfactionReceipt>, Problem> {
    let trace = trace_of(&headers);
    let req: SatisfactionRequest = parse_json(body)?;
    let command = rpc::RecordSatisfaction {
        number,
        verdict: req.verdict,
        resolved: req.resolved,
        comment: req.comment,
        agent_id: req.agent_id,
        check_code: req.check_code,
    };
    ask(
        &state,
        rpc::verbs::INTAKE_RECORD_SATISFACTION,
        &command,
        &trace,
    )
    .await
}

/// An agent flags abusive contact (A24).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HarassmentRequest {
    pub agent_id: String,
    pub note: String,
}

/// Flag harassment of staff on an order (A24); repeated flags mark the requester.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/harassment-flags",
    params(("number" = String, Path, description = "工单编号")),
    request_body = HarassmentRequest,
    responses(
        (status = 200, description = "已记录", body = rpc::HarassmentReceipt),
        (status = 404, description = "未找到", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "agents"
)]
pub async fn flag_harassment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<rpc::HarassmentReceipt>, Problem> {
    let trace = trace_of(&headers);
    let req: HarassmentRequest = parse_json(body)?;
    let command = rpc::FlagHarassment {
        number,
        agent_id: req.agent_id,
        note: req.note,
    };
    ask(&state, rpc::verbs::INTAKE_FLAG_HARASSMENT, &command, &trace).await
}

/// Earlier orders a request may repeat (A10.3), for the agent registering it.
#[utoipa::path(
    post,
    path = "/api/v1/repeat-candidates",
    request_body = rpc::RepeatCandidatesQuery,
    responses(
        (status = 200, description = "可能重复的工单，按相似度排序", body = Vec<rpc::RepeatCandidateView>),
        (status = 422, description = "请求内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "agents"
)]
pub async fn repeat_candidates(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<rpc::RepeatCandidateView>>, Problem> {
    let trace = trace_of(&headers);
    let query: rpc::RepeatCandidatesQuery = parse_json(body)?;
    ask(&state, rpc::verbs::INTAKE_REPEAT_CANDIDATES, &query, &trace).await
}

/// Query string of the due-instant query. Every value arrives as text and is parsed here,
/// so a malformed one is named in a 400; the rules about them (exactly one of
/// `working_days` and `hours`, their ranges) are the deadline-watcher's.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueParams {
    /// When the clock starts, RFC 3339, e.g. `2026-09-30T10:00:00+08:00` (in a URL the `+`
    /// is written `%2B`; an unescaped `+` that arrives as a space is accepted too).
    #[param(value_type = String, format = DateTime, required = true)]
    pub from: Option<String>,
    /// "Within N working days" on the official calendar (1–3650).
    #[param(value_type = Option<u32>)]
    pub working_days: Option<String>,
    /// "Within N hours": calendar hours, holidays included (1–8784).
    #[param(value_type = Option<u32>)]
    pub hours: Option<String>,
}

/// When a time limit runs out on the official working-day calendar (A15, R-A15.2).
#[utoipa::path(
    get,
    path = "/api/v1/calendar/due",
    params(DueParams),
    responses(
        (status = 200, description = "到期时间", body = rpc::DueAnswer),
        (status = 400, description = "查询参数有误（errors 列出每个参数的问题：from 无法解析，working_days 与 hours 缺少或同时给出，数值超出范围）", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "计算需要的年度没有工作日历数据（type /problems/calendar_year_missing，detail 写明年份）", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "服务暂时不可用", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "calendar"
)]
pub async fn calendar_due(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<DueParams>, QueryRejection>,
) -> Result<Json<rpc::DueAnswer>, Problem> {
    let trace = trace_of(&headers);
    let Query(params) = params.map_err(|_| {
        bad_parameters(vec![param_error(
            "query",
            "invalid_format",
            "查询字符串无法解析",
        )])
    })?;
    let mut errors = Vec::new();
    let from = required(
        &mut errors,
        "from",
        params.from.as_deref(),
        parse_instant,
        "起算时间 from 须为 RFC 3339 格式，如 2026-09-30T10:00:00+08:00",
    );
    let working_days = optional(
        &mut errors,
        "working_days",
        params.working_days.as_deref(),
        |text| text.parse().ok(),
        "工作日数 working_days 须为正整数",
    );
    let hours = optional(
        &mut errors,
        "hours",
        params.hours.as_deref(),
        |text| text.parse().ok(),
        "小时数 hours 须为正整数",
    );
    let (Some(from), Some(working_days), Some(hours)) = (from, working_days, hours) else {
        return Err(bad_parameters(errors));
    };
    let query = rpc::DueQuery {
        from,
        working_days,
        hours,
    };
    call(&state, rpc::verbs::DEADLINE_WATCHER_DUE, &query, &trace)
        .await
        .map(Json)
        .map_err(query_problem)
}

/// Every day of a year on the official working-day calendar: working or not, the holiday it
/// belongs to, adjusted working days (调休).
#[utoipa::path(
    get,
    path = "/api/v1/calendar/{year}",
    params(("year" = i32, Path, description = "年份，如 2026")),
    responses(
        (status = 200, description = "该年每一天", body = rpc::CalendarYear),
        (status = 400, description = "年份不是数字", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "该年度没有工作日历数据（type /problems/calendar_year_missing）", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "服务暂时不可用", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "calendar"
)]
pub async fn calendar_year(
    State(state): State<AppState>,
    headers: HeaderMap,
    year: Result<Path<String>, PathRejection>,
) -> Result<Json<rpc::CalendarYear>, Problem> {
    let trace = trace_of(&headers);
    let year = year
        .ok()
        .and_then(|Path(year)| year.parse().ok())
        .ok_or_else(|| {
            bad_parameters(vec![param_error(
                "year",
                "invalid_format",
                "年份 year 须为数字，如 2026",
            )])
        })?;
    let query = rpc::CalendarQuery { year };
    call(
        &state,
        rpc::verbs::DEADLINE_WATCHER_CALENDAR,
        &query,
        &trace,
    )
    .await
    .map(Json)
    .map_err(query_problem)
}

/// 400 for query parameters the request got wrong, each named in `errors`. A malformed
/// query string is a bad request as such, unlike a JSON body that decodes but fails
/// validation (422).
pub(crate) fn bad_parameters(errors: Vec<FieldError>) -> Problem {
    Problem {
        errors,
        ..Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "查询参数有误",
            "请按参数错误修改后重试",
        )
    }
}

pub(crate) fn param_error(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// Parses the required parameter `field`; on failure records why and returns `None`.
fn required<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    invalid: &str,
) -> Option<T> {
    match text.filter(|t| !t.is_empty()) {
        None => {
            errors.push(param_error(field, "required", invalid));
            None
        }
        Some(text) => parse(text).or_else(|| {
            errors.push(param_error(field, "invalid_format", invalid));
            None
        }),
    }
}

/// Parses the optional parameter `field`: `Some(None)` when absent, `None` (with the reason
/// recorded) when present but malformed.
fn optional<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    invalid: &str,
) -> Option<Option<T>> {
    match text {
        None => Some(None),
        Some(text) => parse(text).map(Some).or_else(|| {
            errors.push(param_error(field, "invalid_format", invalid));
            None
        }),
    }
}

/// An RFC 3339 instant. A `+` written unescaped in a URL arrives as a space; in the offset
/// position it can only have been a `+`, so it is read as one.
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let parse = |t: &str| DateTime::parse_from_rfc3339(t).ok();
    parse(text)
        .or_else(|| {
            let split = text.len().checked_sub(6)?;
            let (time, offset) = text.split_at_checked(split)?;
            let offset = offset.strip_prefix(' ')?;
            parse(&format!("{time}+{offset}"))
        })
        .map(|at| at.with_timezone(&Utc))
}

/// A service's refusal of a query-string request: its validation failures name a query
/// parameter, so they are a 400 like the gateway's own parsing failures; a calendar year
/// without data gets its own problem type (404, naming the year).
fn query_problem(error: CallError) -> Problem {
    match error {
        CallError::Rpc(e) if e.code == RpcErrorCode::InvalidRequest => bad_parameters(e.fields),
        CallError::Rpc(e)
            if e.fields
                .iter()
                .any(|f| f.code == rpc::CALENDAR_YEAR_MISSING) =>
        {
            Problem {
                errors: e.fields,
                ..Problem::new(
                    StatusCode::NOT_FOUND,
                    rpc::CALENDAR_YEAR_MISSING,
                    "没有该年度的工作日历",
                    e.message,
                )
            }
        }
        other => call_problem(other),
    }
}

/// The query string, or a 400 naming it.
pub(crate) fn query<T>(params: Result<Query<T>, QueryRejection>) -> Result<T, Problem> {
    params.map(|Query(p)| p).map_err(|_| {
        bad_parameters(vec![param_error(
            "query",
            "invalid_format",
            "查询字符串无法解析",
        )])
    })
}

/// A JSON body that is the service's request as it is, passed on.
pub(crate) async fn forward<
    Req: serde::de::DeserializeOwned + Serialize,
    Resp: serde::de::DeserializeOwned,
>(
    state: &AppState,
    headers: &HeaderMap,
    verb: (&str, &str),
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Resp>, Problem> {
    let trace = trace_of(headers);
    let request: Req = parse_json(body)?;
    ask(state, verb, &request, &trace).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_read_in_rfc_3339_with_its_offset() {
        let expected = "2026-09-30T02:00:00Z".parse::<DateTime<Utc>>().ok();
        assert_eq!(parse_instant("2026-09-30T10:00:00+08:00"), expected);
        assert_eq!(parse_instant("2026-09-30T02:00:00Z"), expected);
        // The `+` of an unescaped offset arrives as a space.
        assert_eq!(parse_instant("2026-09-30T10:00:00 08:00"), expected);
        for bad in [
            "",
            "2026-09-30",
            "tomorrow",
            "2026-09-30T10:00:00",
            " 08:00",
            "中文中文中文",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_malformed_parameter_is_named_and_absent_optional_ones_are_fine() {
        let mut errors = Vec::new();
        let count = |t: &str| t.parse::<u32>().ok();
        assert_eq!(optional(&mut errors, "hours", None, count, "m"), Some(None));
        assert_eq!(
            optional(&mut errors, "hours", Some("24"), count, "m"),
            Some(Some(24))
        );
        assert!(errors.is_empty());
        assert_eq!(optional(&mut errors, "hours", Some("-1"), count, "m"), None);
        assert_eq!(
            optional(&mut errors, "working_days", Some(""), count, "m"),
            None
        );
        assert_eq!(
            required(&mut errors, "from", None, parse_instant, "m"),
            None
        );
        let named: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("hours", "invalid_format"),
                ("working_days", "invalid_format"),
                ("from", "required")
            ]
        );
    }
}
