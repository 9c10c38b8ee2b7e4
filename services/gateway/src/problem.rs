//! RFC 9457 problem details (`application/problem+json`) for every error the API returns.
//! Services reply with a typed [`RpcError`]; this is the one place that maps it to HTTP.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hotline_contract::rpc::{FieldError, RpcError, RpcErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem detail document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (`/problems/<code>`).
    #[serde(rename = "type")]
    pub problem_type: Box<str>,
    pub title: Box<str>,
    pub status: u16,
    pub detail: String,
    /// Field-level errors of a validation failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The permission the caller lacks (401/403 refusals by the access guard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<Box<str>>,
    /// With a 409: the id of what stands in the request's way (the send-back proposal
    /// already waiting for approval, the order's unsettled dispute), so the caller can go
    /// on from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting_id: Option<Box<str>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("/problems/{code}").into(),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            permission: None,
            conflicting_id: None,
        }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "请求内容有误",
                "请按字段错误修改后重新提交",
            )
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "服务暂时不可用",
            detail,
        )
    }
}

impl From<RpcError> for Problem {
    fn from(e: RpcError) -> Self {
        let status =
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (code, title) = match e.code {
            RpcErrorCode::InvalidRequest => ("invalid_request", "请求内容有误"),
            RpcErrorCode::NotFound => ("not_found", "未找到"),
            RpcErrorCode::Conflict => ("conflict", "当前状态下不能执行该操作"),
            RpcErrorCode::Forbidden => ("forbidden", "没有权限"),
            RpcErrorCode::Unavailable => ("unavailable", "服务暂时不可用"),
            RpcErrorCode::Internal => ("internal", "内部错误"),
        };
        Self {
            errors: e.fields,
            conflicting_id: e.conflicting_id.map(String::into_boxed_str),
            ..Self::new(status, code, title, e.message)
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}
