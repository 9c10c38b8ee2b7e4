//! Intake's internal HTTP API, called by the gateway.
//!
//! Registration is HTTP rather than NATS request/reply on purpose: a citizen's request must
//! be accepted (committed to Postgres, HTTP 201) even while the bus is down; the outbox
//! delivers the event once NATS is back. Bodies are the same [`RpcReply`] JSON as on NATS,
//! so the gateway maps errors one way.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use hotline_contract::rpc::{FieldError, RegisterOrder, RegistrationReceipt, RpcError, RpcReply};
use hotline_telemetry::{TRACEPARENT, TraceContext};
use tracing::Instrument;

use crate::registration::Registrar;

/// Largest registration body accepted.
pub const MAX_BODY: usize = 64 * 1024;

pub fn router(registrar: Registrar) -> Router {
    Router::new()
        .route("/internal/v1/orders", post(register))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(registrar)
}

async fn register(State(registrar): State<Registrar>, headers: HeaderMap, body: Bytes) -> Response {
    let trace = TraceContext::parse_or_new(headers.get(TRACEPARENT).and_then(|v| v.to_str().ok()));
    let span = hotline_telemetry::event_span("intake", "register", &trace, None);
    async move {
        let result = match serde_json::from_slice::<RegisterOrder>(&body) {
            Ok(input) => registrar.register(input, &trace).await,
            Err(e) => Err(RpcError::invalid(vec![FieldError {
                field: "body".to_owned(),
                code: "invalid_json".to_owned(),
                message: format!("请求体无法解析：{e}"),
            }])),
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
