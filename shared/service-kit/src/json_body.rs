//! Decoding a JSON request body into field-level errors (RFC 9457 `errors[]`).
//!
//! serde_json alone says "invalid type: integer `5`, expected a string at line 1 column 40";
//! a caller fixing a form needs "`requester.phone`: 应为字符串". The body is therefore
//! decoded through `serde_path_to_error`, which records the path of the value being read
//! when the error struck, and the error is mapped to the same [`FieldError`] shape intake
//! uses for its own validation: missing fields (`required`), unknown fields
//! (`unknown_field`, the contract types deny them), values outside an enum or unparsable
//! (`invalid_value`), wrong JSON types (`invalid_type`), invalid UTF-8 inside a string
//! (`invalid_encoding`), raw control characters inside a string (`control_character`).
//! Only a body that is not JSON at all is reported on the field `body` (`invalid_json`).
//!
//! serde reports these cases with fixed English phrases (`missing field`, `unknown
//! variant` ...); they are serde's stable `de::Error` wording, and a phrase this module does
//! not know still yields a field error (`invalid_value`), never a 500. The gateway and
//! intake's internal API both decode with it, so a caller gets the same errors from either.

use hotline_contract::rpc::FieldError;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// The name used for the body as a whole (not JSON, wrong top-level type).
pub const BODY: &str = "body";

/// Decode `body` as JSON into `T`, or say which field is wrong and how.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, FieldError> {
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
    use hotline_contract::rpc::RegisterOrder;
    use serde_json::{Value, json};

    fn order() -> Value {
        json!({
            "channel": "web_message",
            "kind": "complaint",
            "requester": {"type": "person", "name": "张三", "phone": "13812345678"},
            "matter": "噪声扰民",
            "region_code": "520102",
        })
    }

    fn error_of(body: &[u8]) -> (String, String) {
        let e = decode::<RegisterOrder>(body).unwrap_err();
        (e.field, e.code)
    }

    fn error_with(edit: impl FnOnce(&mut Value)) -> (String, String) {
        let mut v = order();
        edit(&mut v);
        error_of(&serde_json::to_vec(&v).unwrap())
    }

    fn pair(field: &str, code: &str) -> (String, String) {
        (field.to_owned(), code.to_owned())
    }

    #[test]
    fn a_complete_order_decodes() {
        let body = serde_json::to_vec(&order()).unwrap();
        assert!(decode::<RegisterOrder>(&body).is_ok());
    }

    #[test]
    fn missing_fields_are_named_with_their_path() {
        assert_eq!(
            error_with(|v| {
                v.as_object_mut().unwrap().remove("matter");
            }),
            pair("matter", "required")
        );
        assert_eq!(
            error_with(|v| {
                v["requester"].as_object_mut().unwrap().remove("type");
            }),
            pair("requester.type", "required")
        );
    }

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        assert_eq!(
            error_with(|v| v["colour"] = json!("red")),
            pair("colour", "unknown_field")
        );
        assert_eq!(
            error_with(|v| v["requester"]["age"] = json!(30)),
            pair("requester.age", "unknown_field")
        );
    }

    #[test]
    fn wrong_types_and_unknown_values_name_the_field() {
        assert_eq!(
            error_with(|v| v["requester"]["phone"] = json!(13812345678u64)),
            pair("requester.phone", "invalid_type")
        );
        assert_eq!(
            error_with(|v| v["confidential"] = json!("yes")),
            pair("confidential", "invalid_type")
        );
        assert_eq!(
            error_with(|v| v["requester"] = json!("张三")),
            pair("requester", "invalid_type")
        );
        let e = {
            let mut v = order();
            v["channel"] = json!("fax");
            decode::<RegisterOrder>(&serde_json::to_vec(&v).unwrap()).unwrap_err()
        };
        assert_eq!(
            (e.field.as_str(), e.code.as_str()),
            ("channel", "invalid_value")
        );
        assert!(e.message.contains("web_message"), "{}", e.message);
        assert_eq!(
            error_with(|v| v["kind"] = json!(5)),
            pair("kind", "invalid_value")
        );
        assert_eq!(
            error_with(|v| v["requested_at"] = json!("2026-02-30T10:00:00Z")),
            pair("requested_at", "invalid_value")
        );
    }

    #[test]
    fn invalid_utf8_inside_a_string_names_the_field() {
        let body = serde_json::to_vec(&order()).unwrap();
        let text = String::from_utf8(body).unwrap();
        let mut bytes = text.replace("噪声扰民", "\u{1}").into_bytes();
        let at = bytes.iter().position(|b| *b == 1).unwrap();
        bytes.splice(at..=at, [0xff, 0xfe]);
        assert_eq!(error_of(&bytes), pair("matter", "invalid_encoding"));
        bytes.splice(at..at + 2, [0x01]);
        assert_eq!(error_of(&bytes), pair("matter", "control_character"));
    }

    #[test]
    fn a_body_that_is_not_json_is_reported_on_the_body() {
        assert_eq!(error_of(b"{not json"), pair("body", "invalid_json"));
        assert_eq!(
            error_of(b"{\"matter\": \"abc"),
            pair("body", "invalid_json")
        );
        assert_eq!(error_of(b""), pair("body", "invalid_json"));
        assert_eq!(error_of(b"\"an order\""), pair("body", "invalid_type"));

        let mut trailing = serde_json::to_vec(&order()).unwrap();
        trailing.extend_from_slice(b" {}");
        assert_eq!(error_of(&trailing), pair("body", "invalid_json"));
    }

    #[test]
    fn a_huge_unknown_key_is_echoed_only_in_part() {
        let (field, code) = error_with(|v| v["k".repeat(10_000)] = json!(1));
        assert_eq!(code, "unknown_field");
        assert_eq!(field.chars().count(), MAX_FIELD_PATH + 1);
    }

    #[test]
    fn messages_are_chinese_and_hide_serde_wording() {
        let mut v = order();
        v["requester"]["phone"] = json!(5);
        let e = decode::<RegisterOrder>(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(e.message, "类型错误：应为字符串");
    }
}
