//! Errors in the GeoReport v2 format: a JSON array of `{"code", "description"}` with the
//! matching HTTP status, one entry per problem, each naming the field at fault.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hotline_contract::rpc::{FieldError, RpcError, RpcErrorCode};
use hotline_messaging::CallError;
use serde::Serialize;
use utoipa::ToSchema;

/// One entry of an Open311 error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorEntry {
    /// The HTTP status, repeated (GeoReport v2).
    pub code: u16,
    /// What went wrong, in Chinese, beginning with the field at fault.
    pub description: String,
}

/// An Open311 error: its status and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Error {
    pub status: StatusCode,
    pub entries: Vec<ErrorEntry>,
}

impl Open311Error {
    /// One problem.
    pub fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self::many(status, [description.into()])
    }

    /// Several problems of the same status.
    pub fn many(status: StatusCode, descriptions: impl IntoIterator<Item = String>) -> Self {
        let code = status.as_u16();
        Self {
            status,
            entries: descriptions
                .into_iter()
                .map(|description| ErrorEntry { code, description })
                .collect(),
        }
    }

    /// 400 naming `field`.
    pub fn bad(field: &str, message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, format!("{field}：{message}"))
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "服务暂时不可用，请稍后重试",
        )
    }

    /// Only JSON is served (GeoReport v2 makes XML the default; see docs/open311.md).
    pub fn json_only() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "format：本接口只支持 JSON 格式，请使用 .json 后缀",
        )
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        (self.status, Json(self.entries)).into_response()
    }
}

/// A field of our registration as the Open311 client named it.
pub fn open311_field(field: &str) -> &str {
    match field {
        "matter" => "description",
        "requester.phone" => "phone",
        "requester.name" => "last_name",
        "address" => "address_string",
        "category" => "service_code",
        "kind" => "kind",
        other => other,
    }
}

/// Validation failures of our own services, each renamed to the Open311 field.
pub fn field_errors(status: StatusCode, fields: &[FieldError]) -> Open311Error {
    Open311Error::many(
        status,
        fields
            .iter()
            .map(|f| format!("{}：{}", open311_field(&f.field), f.message)),
    )
}

impl From<RpcError> for Open311Error {
    fn from(e: RpcError) -> Self {
        let status = match e.code {
            RpcErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
            RpcErrorCode::NotFound => StatusCode::NOT_FOUND,
            RpcErrorCode::Conflict => StatusCode::CONFLICT,
            RpcErrorCode::Forbidden => StatusCode::FORBIDDEN,
            RpcErrorCode::Unavailable | RpcErrorCode::Internal => {
                return Self::unavailable();
            }
        };
        if e.fields.is_empty() {
            Self::new(status, e.message)
        } else {
            field_errors(status, &e.fields)
        }
    }
}

impl From<CallError> for Open311Error {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Rpc(e) => e.into(),
            CallError::Unavailable(reason) => {
                tracing::warn!(%reason, "service call failed");
                Self::unavailable()
            }
            CallError::Decode(reason) => {
                tracing::error!(%reason, "service reply could not be decoded");
                Self::unavailable()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intake_field_names_come_back_as_the_open311_names() {
        let fields = [
            FieldError {
                field: "requester.phone".to_owned(),
                code: "invalid_format".to_owned(),
                message: "电话号码格式不正确".to_owned(),
            },
            FieldError {
                field: "matter".to_owned(),
                code: "required".to_owned(),
                message: "必须填写诉求内容".to_owned(),
            },
        ];
        let error = field_errors(StatusCode::BAD_REQUEST, &fields);
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        let texts: Vec<&str> = error
            .entries
            .iter()
            .map(|e| e.description.as_str())
            .collect();
        assert_eq!(
            texts,
            ["phone：电话号码格式不正确", "description：必须填写诉求内容"]
        );
        assert!(error.entries.iter().all(|e| e.code == 400));
    }

    #[test]
    fn a_service_outage_is_a_503_without_its_reason() {
        let error =
            Open311Error::from(RpcError::new(RpcErrorCode::Internal, "db down at 10.0.0.3"));
        assert_eq!(error.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!error.entries[0].description.contains("10.0.0.3"));
    }
}
