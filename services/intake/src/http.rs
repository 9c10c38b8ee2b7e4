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
use serde_json::error::Category;
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
                field: BODY.to_owned(),
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

// ---- request decoding (kept in step with the gateway's `json_body`) ----

/// The name used for the body as a whole (not JSON, wrong top-level type).
const BODY: &str = "body";

/// Decode `body` as JSON into `T`, or say which field is wrong and how.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FieldError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| bounded(field_error(path_of(e.path()), e.inner())))?;
    // Trailing characters after the document.
    de.end().map_err(|e| field_error(None, &e))?;
    Ok(value)
}

/// Longest field path echoed back: an unknown key is the caller's text, of any length.
const MAX_FIELD_PATH: usize = 128;

fn bounded(mut error: FieldError) -> FieldError {
    if let Some((cut, _)) = error.field.char_indices().nth(MAX_FIELD_PATH) {
        error.field.truncate(cut);
        error.field.push('…');
    }
    error
}

/// Map one serde_json error, struck while reading the value at `at` (`None`: the
/// document itself).
fn field_error(at: Option<String>, error: &serde_json::Error) -> FieldError {
    let text = error.to_string();
    let message = strip_position(&text);
    let in_string = |code: &str, text: &str| FieldError {
        field: at.clone().unwrap_or_else(|| BODY.to_owned()),
        code: code.to_owned(),
        message: text.to_owned(),
    };
    match error.classify() {
        Category::Data => data_error(at.clone(), message),
        // Inside a string value: the field is known, the text is bad.
        Category::Syntax if at.is_some() && message == "invalid unicode code point" => {
            in_string("invalid_encoding", "必须是有效的UTF-8文本")
        }
        Category::Syntax if at.is_some() && message.starts_with("control character") => {
            in_string("control_character", "不能包含未转义的控制字符")
        }
        // A token this field cannot take: a number where an enum's name belongs, or a
        // malformed literal (`tru`).
        Category::Syntax if at.is_some() => {
            in_string("invalid_value", "取值无效：不是此项允许的JSON值")
        }
        Category::Syntax | Category::Eof | Category::Io => FieldError {
            field: BODY.to_owned(),
            code: "invalid_json".to_owned(),
            message: match (error.line(), error.column()) {
                (0, _) => "请求体不是有效的JSON".to_owned(),
                (line, column) => format!("请求体不是有效的JSON（第{line}行第{column}列）"),
            },
        },
    }
}

/// A type mismatch, a missing or unknown field, a value outside its set.
fn data_error(at: Option<String>, message: &str) -> FieldError {
    let join = |name: &str| match &at {
        Some(parent) => format!("{parent}.{name}"),
        None => name.to_owned(),
    };
    let here = || at.clone().unwrap_or_else(|| BODY.to_owned());
    let (field, code, text) = if let Some(name) = quoted_after(message, "missing field `") {
        (join(name), "required", "此项必须填写".to_owned())
    } else if let Some(name) = quoted_after(message, "unknown field `") {
        // The path already ends with the unknown key.
        let field = match &at {
            Some(path) if path.ends_with(name) => path.clone(),
            _ => join(name),
        };
        (field, "unknown_field", "不允许的字段".to_owned())
    } else if let Some(name) = quoted_after(message, "duplicate field `") {
        (join(name), "duplicate_field", "字段重复".to_owned())
    } else if message.starts_with("unknown variant `") {
        let allowed = message
            .split_once("expected one of ")
            .or_else(|| message.split_once("expected "))
            .map(|(_, list)| list.replace('`', "").replace(", ", "、"));
        let text = match allowed {
            Some(list) => format!("取值无效，可选值：{list}"),
            None => "取值无效".to_owned(),
        };
        (here(), "invalid_value", text)
    } else if let Some(expected) = message
        .strip_prefix("invalid type: ")
        .and_then(|m| m.split_once(", expected "))
        .map(|(_, e)| e)
    {
        (
            here(),
            "invalid_type",
            format!("类型错误：{}", type_zh(expected)),
        )
    } else if CHRONO_MESSAGES.contains(&message) {
        (
            here(),
            "invalid_value",
            "日期时间无效，应为RFC 3339格式的真实时间，如2026-11-27T10:00:00+08:00".to_owned(),
        )
    } else {
        (here(), "invalid_value", "取值无效".to_owned())
    };
    FieldError {
        field,
        code: code.to_owned(),
        message: text,
    }
}

/// chrono's parse errors (`ParseErrorKind`), reported for a timestamp that is not one.
const CHRONO_MESSAGES: [&str; 6] = [
    "input is out of range",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
];

fn type_zh(expected: &str) -> &'static str {
    if expected.contains("string") || expected.contains("char") {
        "应为字符串"
    } else if expected.contains("bool") {
        "应为布尔值（true或false）"
    } else if expected.starts_with('u') || expected.starts_with('i') || expected.contains("int") {
        "应为整数"
    } else if expected.contains("struct") || expected.contains("map") {
        "应为对象"
    } else if expected.contains("sequence") || expected.contains("tuple") {
        "应为数组"
    } else {
        "类型不符"
    }
}

/// `requester.phone`, or `None` for the document itself. The path stops before a segment
/// serde could not name (a key that did not parse).
fn path_of(path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let mut text = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Segment::Unknown => break,
        }
    }
    (!text.is_empty()).then_some(text)
}

/// The text between `prefix` and the next backtick.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name)
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    }
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
