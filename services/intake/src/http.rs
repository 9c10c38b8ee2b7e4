//! Intake's internal HTTP API, called by the gateway.
//!
//! Registration is HTTP rather than NATS request/reply on purpose: a citizen's request must
//! be accepted (committed to Postgres, HTTP 201) even while the bus is down; the outbox
//! delivers the event once NATS is back. Bodies are the same [`RpcReply`] JSON as on NATS,
//! so the gateway maps errors one way.
//!
//! A body that does not decode is answered with field-level errors naming the JSON path
//! (`requester.phone`: wrong type), the same mapping as the gateway's `json_body` module:
//! the gateway decodes first, so its callers see that one; this copy serves direct callers
//! of the internal API. (Both belong in a shared crate once one owns request decoding.)

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use hotline_contract::rpc::{FieldError, RegisterOrder, RegistrationReceipt, RpcError, RpcReply};
use hotline_telemetry::{TRACEPARENT, TraceContext};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::registration::Registrar;

/// Largest registration body accepted. Larger than the gateway's public limit (64 KiB)
/// because the gateway re-encodes what it accepted, and JSON escapes (`\u0001` for one
/// control character) can make the same order up to six times longer.
pub const MAX_BODY: usize = 512 * 1024;

/// `POST /internal/v1/orders`: register an order (A11).
pub fn router(registrar: Registrar) -> Router {
    Router::new()
        .route("/internal/v1/orders", post(register))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(registrar)
}

async fn register(
    State(registrar): State<Registrar>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let trace = TraceContext::parse_or_new(headers.get(TRACEPARENT).and_then(|v| v.to_str().ok()));
    let span = hotline_telemetry::event_span("intake", "register", &trace, None);
    async move {
        // Every answer is an `RpcReply`, even for a body too large to read, so the gateway
        // always has a typed error to map.
        let decoded = match body {
            Ok(bytes) => decode::<RegisterOrder>(&bytes),
            Err(rejection) => Err(FieldError {
                field: hotline_service_kit::json_body::BODY.to_owned(),
                code: if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    "too_large".to_owned()
                } else {
                    "unreadable".to_owned()
                },
                message: "请求体过大或无法读取".to_owned(),
            }),
        };
        let result = match decoded {
            Ok(input) => registrar.register(input, &trace).await,
            Err(e) => Err(RpcError::invalid(vec![e])),
        };
        reply(result)
    }
    .instrument(span)
    .await
}

fn reply(result: Result<RegistrationReceipt, RpcError>) -> Response {
    let status = match &result {
        Ok(_) => StatusCode::CREATED,
        Err(e) => {
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    (status, Json(RpcReply::from(result))).into_response()
}

/// Decode a body as the gateway does: one shared mapping to field-level errors.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FieldError> {
    hotline_service_kit::json_body::decode(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"{"channel": "web_message", "kind": "help",
        "requester": {"type": "person", "phone": "13812345678"},
        "matter": "停电", "region_code": "520102"}"#;

    fn error_of(body: &[u8]) -> (String, String) {
        let e = decode::<RegisterOrder>(body).unwrap_err();
        (e.field, e.code)
    }

    #[test]
    fn decoding_errors_name_the_field_like_the_gateway_does() {
        assert!(decode::<RegisterOrder>(ORDER.as_bytes()).is_ok());
        let wrong_type = ORDER.replace(r#""13812345678""#, "13812345678");
        assert_eq!(
            error_of(wrong_type.as_bytes()),
            ("requester.phone".into(), "invalid_type".into())
        );
        let missing = ORDER.replace(r#""matter": "停电", "#, "");
        assert_eq!(
            error_of(missing.as_bytes()),
            ("matter".into(), "required".into())
        );
        let unknown = ORDER.replace(r#""kind": "help""#, r#""kind": "help", "x": 1"#);
        assert_eq!(
            error_of(unknown.as_bytes()),
            ("x".into(), "unknown_field".into())
        );
        let mut bad_utf8 = ORDER.replace("停电", "\u{1}").into_bytes();
        let at = bad_utf8.iter().position(|b| *b == 1).unwrap();
        bad_utf8.splice(at..=at, [0xc3, 0x28]);
        assert_eq!(
            error_of(&bad_utf8),
            ("matter".into(), "invalid_encoding".into())
        );
        assert_eq!(
            error_of(b"{not json"),
            ("body".into(), "invalid_json".into())
        );
    }
}
