//! Validation of a registration (A11): every field checked, every problem reported at
//! once with the field's path, a machine code and a Chinese message the caller can show.

use chrono::{DateTime, Duration, Utc};
use hotline_contract::rpc::{FieldError, RegisterOrder};
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_reference::Regions;

use super::phone::Phone;

/// Upper bounds on free text, in characters.
pub const MAX_MATTER: usize = 4000;
pub const MAX_NAME: usize = 50;
pub const MAX_ADDRESS: usize = 200;
pub const MAX_CATEGORY: usize = 64;
pub const MAX_AGENT_ID: usize = 64;

/// Clock skew tolerated for a `requested_at` slightly in the future.
const FUTURE_SKEW: Duration = Duration::minutes(5);

/// A registration that passed every check, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRegistration {
    pub channel: Channel,
    pub kind: RequestKind,
    pub requester_type: RequesterType,
    pub name: Option<String>,
    pub phone: Phone,
    pub matter: String,
    pub category: Option<String>,
    pub region_code: String,
    pub address: Option<String>,
    pub confidential: bool,
    pub urgency: Urgency,
    pub requested_at: DateTime<Utc>,
    pub agent_id: Option<String>,
}

/// Check `input` against the rules; `now` is the registration time.
pub fn validate(
    input: RegisterOrder,
    regions: &Regions,
    now: DateTime<Utc>,
) -> Result<ValidRegistration, Vec<FieldError>> {
    let mut errors = Vec::new();

    let matter = required_text(&mut errors, "matter", Some(&input.matter), MAX_MATTER, true);
    let name = optional_text(
        &mut errors,
        "requester.name",
        input.requester.name.as_deref(),
        MAX_NAME,
    );
    let address = optional_text(
        &mut errors,
        "address",
        input.address.as_deref(),
        MAX_ADDRESS,
    );

    let phone = match input.requester.phone.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(err("requester.phone", "required", "必须填写联系电话"));
            None
        }
        Some(raw) => match Phone::parse(raw) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(err("requester.phone", "invalid_format", &e.to_string()));
                None
            }
        },
    };

    let region_code = input.region_code.trim().to_owned();
    if region_code.is_empty() {
        errors.push(err("region_code", "required", "必须填写诉求所在地区划代码"));
    } else if region_code.len() != 6 || !region_code.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(err(
            "region_code",
            "invalid_format",
            "区划代码应为6位数字（GB/T 2260）",
        ));
    } else if !regions.is_known_region(&region_code) {
        errors.push(err(
            "region_code",
            "unknown",
            "区划代码不在贵州省行政区划目录中",
        ));
    }

    let category = match input.category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) if c.chars().count() > MAX_CATEGORY => {
            errors.push(err("category", "too_long", "分类代码过长"));
            None
        }
        Some(c)
            if !c
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)) =>
        {
            errors.push(err(
                "category",
                "invalid_format",
                "分类代码只能包含小写字母、数字和 . _ -",
            ));
            None
        }
        Some(c) => Some(c.to_owned()),
    };

    let agent_id = optional_text(
        &mut errors,
        "agent_id",
        input.agent_id.as_deref(),
        MAX_AGENT_ID,
    );
    match (input.channel, &agent_id) {
        (Channel::Phone | Channel::OnlineChat, None) => errors.push(err(
            "agent_id",
            "required",
            "电话和在线客服渠道必须记录登记的话务员",
        )),
        (Channel::WebMessage, Some(_)) => errors.push(err(
            "agent_id",
            "not_allowed",
            "网上留言由诉求人本人提交，不能填写话务员",
        )),
        _ => {}
    }

    let requested_at = input.requested_at.unwrap_or(now);
    if requested_at > now + FUTURE_SKEW {
        errors.push(err("requested_at", "in_future", "诉求时间不能晚于当前时间"));
    } else if requested_at < now - Duration::days(366) {
        errors.push(err("requested_at", "too_old", "诉求时间不能早于一年前"));
    }

    match (errors.is_empty(), phone, matter) {
        (true, Some(phone), Some(matter)) => Ok(ValidRegistration {
            channel: input.channel,
            kind: input.kind,
            requester_type: input.requester.requester_type,
            name,
            phone,
            matter,
            category,
            region_code,
            address,
            confidential: input.confidential,
            urgency: input.urgency,
            requested_at,
            agent_id,
        }),
        _ => Err(errors),
    }
}

fn err(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// Text that must be present: trimmed, bounded, no control characters (line breaks and
/// tabs allowed in multi-line fields).
fn required_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    max: usize,
    multiline: bool,
) -> Option<String> {
    let value = value.map(str::trim).unwrap_or("");
    if value.is_empty() {
        errors.push(err(field, "required", "此项必须填写"));
        return None;
    }
    checked_text(errors, field, value, max, multiline)
}

fn optional_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    match value.map(str::trim) {
        None | Some("") => None,
        Some(v) => checked_text(errors, field, v, max, false),
    }
}

fn checked_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Option<String> {
    if value.contains('\0') {
        errors.push(err(field, "nul_byte", "不能包含空字符（NUL）"));
        return None;
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        errors.push(err(field, "control_character", "不能包含控制字符"));
        return None;
    }
    if value.chars().count() > max {
        errors.push(FieldError {
            field: field.to_owned(),
            code: "too_long".to_owned(),
            message: format!("不能超过{max}个字符"),
        });
        return None;
    }
    Some(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_contract::rpc::RequesterInput;

    fn input() -> RegisterOrder {
        RegisterOrder {
            channel: Channel::WebMessage,
            kind: RequestKind::Complaint,
            requester: RequesterInput {
                requester_type: RequesterType::Person,
                name: Some("张三".to_owned()),
                phone: Some("13812345678".to_owned()),
            },
            matter: "小区夜间施工噪声扰民".to_owned(),
            category: Some("environment.noise".to_owned()),
            region_code: "520102".to_owned(),
            address: Some("南明区某小区".to_owned()),
            confidential: false,
            urgency: Urgency::Normal,
            requested_at: None,
            agent_id: None,
        }
    }

    fn regions() -> Regions {
        Regions::bundled().unwrap()
    }

    fn codes(r: Result<ValidRegistration, Vec<FieldError>>) -> Vec<(String, String)> {
        r.unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn a_complete_web_message_is_valid() {
        let v = validate(input(), &regions(), Utc::now()).unwrap();
        assert_eq!(v.phone.as_str(), "13812345678");
        assert_eq!(v.region_code, "520102");
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut i = input();
        i.matter = "  ".to_owned();
        i.requester.phone = Some("12345".to_owned());
        i.region_code = "110101".to_owned();
        i.category = Some("Bad Category".to_owned());
        let got = codes(validate(i, &regions(), Utc::now()));
        assert_eq!(
            got,
            vec![
                ("matter".into(), "required".into()),
                ("requester.phone".into(), "invalid_format".into()),
                ("region_code".into(), "unknown".into()),
                ("category".into(), "invalid_format".into()),
            ]
        );
    }

    #[test]
    fn nul_bytes_and_control_characters_are_refused() {
        let mut i = input();
        i.matter = "abc\0def".to_owned();
        i.requester.name = Some("张\u{7}三".to_owned());
        let got = codes(validate(i, &regions(), Utc::now()));
        assert_eq!(
            got,
            vec![
                ("matter".into(), "nul_byte".into()),
                ("requester.name".into(), "control_character".into()),
            ]
        );
    }

    #[test]
    fn over_long_matter_is_refused_but_line_breaks_are_fine() {
        let mut i = input();
        i.matter = "第一行\n第二行".to_owned();
        assert!(validate(i.clone(), &regions(), Utc::now()).is_ok());
        i.matter = "字".repeat(MAX_MATTER + 1);
        assert_eq!(
            codes(validate(i, &regions(), Utc::now())),
            vec![("matter".into(), "too_long".into())]
        );
    }

    #[test]
    fn agent_channels_need_an_agent_and_web_messages_refuse_one() {
        let mut i = input();
        i.channel = Channel::Phone;
        assert_eq!(
            codes(validate(i.clone(), &regions(), Utc::now())),
            vec![("agent_id".into(), "required".into())]
        );
        i.agent_id = Some("agent-7".to_owned());
        assert!(validate(i.clone(), &regions(), Utc::now()).is_ok());
        i.channel = Channel::WebMessage;
        assert_eq!(
            codes(validate(i, &regions(), Utc::now())),
            vec![("agent_id".into(), "not_allowed".into())]
        );
    }

    #[test]
    fn impossible_request_times_are_refused() {
        let now = Utc::now();
        let mut i = input();
        i.requested_at = Some(now + Duration::hours(1));
        assert_eq!(
            codes(validate(i.clone(), &regions(), now)),
            vec![("requested_at".into(), "in_future".into())]
        );
        i.requested_at = Some(now - Duration::days(400));
        assert_eq!(
            codes(validate(i, &regions(), now)),
            vec![("requested_at".into(), "too_old".into())]
        );
    }
}
