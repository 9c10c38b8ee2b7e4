//! Validation of a registration (A11): every field checked, every problem reported at
//! once with the field's path, a machine code and a Chinese message the caller can show.

use chrono::{DateTime, Duration, Utc};
use hotline_contract::rpc::{FieldError, RegisterOrder};
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_reference::Regions;

use super::id_number;
use super::number::local_day;
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
    /// Validated identity number, if given (stored only in the vault).
    pub id_number: Option<String>,
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

    // A11: the identity number is optional; when given it must be a real one, of the kind
    // that fits the requester (resident identity number or unified social credit code).
    let id_number = match input.requester.id_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            match id_number::for_requester(input.requester.requester_type, raw, local_day(now)) {
                Ok(normalised) => Some(normalised),
                Err(e) => {
                    errors.push(err("requester.id_number", e.code(), &e.to_string()));
                    None
                }
            }
        }
    };

    let region_code = input.region_code.trim().to_owned();
    if region_code.is_empty() {
        errors.push(err("region_code", "required", "必须填写诉求所在地区划代码"));
    } else if region_code.len() == 9
        && regions
            .get(&region_code)
            .is_some_and(|d| d.level == hotline_reference::Level::Township)
    {
        // A township's 9-digit statistical code: the order is recorded at county level,
        // the township belongs in the address.
        errors.push(err(
            "region_code",
            "invalid_format",
            "请填写县级（6位）区划代码，乡镇街道请写在地址中",
        ));
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

    let before = errors.len();
    let agent_id = optional_text(
        &mut errors,
        "agent_id",
        input.agent_id.as_deref(),
        MAX_AGENT_ID,
    );
    let agent_refused = errors.len() > before;
    match (input.channel, &agent_id) {
        // Already reported: an unusable agent id is not also a missing one.
        _ if agent_refused => {}
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
            id_number,
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

pub(crate) fn err(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// Text that must be present: trimmed, bounded, no control characters (line breaks and
/// tabs allowed in multi-line fields). Category suggestion checks its text with it too.
pub(crate) fn required_text(
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
    // Length first: an over-long value is refused as such whatever else is in it, and
    // the count stops at the first character past the limit.
    if value.chars().nth(max).is_some() {
        errors.push(FieldError {
            field: field.to_owned(),
            code: "too_long".to_owned(),
            message: format!("不能超过{max}个字符"),
        });
        return None;
    }
    if value.contains('\0') {
        errors.push(err(field, "nul_byte", "不能包含空字符（NUL）"));
        return None;
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        errors.push(err(field, "control_character", "不能包含控制字符"));
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
                id_number: None,
            },
            matter: "小区夜间施工噪声扰民".to_owned(),
            category: Some("environment.noise".to_owned()),
            region_code: "520102".to_owned(),
            address: Some("南明区某小区".to_owned()),
            confidential: false,
            urgency: Urgency::Normal,
            requested_at: None,
            agent_id: None,
            triage: None,
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

    #[test]
    fn a_valid_identity_number_is_kept_normalised() {
        let mut i = input();
        i.requester.id_number = Some(" 11010519491231002x ".to_owned());
        let v = validate(i, &regions(), Utc::now()).unwrap();
        assert_eq!(v.id_number.as_deref(), Some("11010519491231002X"));

        let mut i = input();
        i.requester.requester_type = RequesterType::LegalPerson;
        i.requester.id_number = Some("91350100M000100Y43".to_owned());
        let v = validate(i, &regions(), Utc::now()).unwrap();
        assert_eq!(v.id_number.as_deref(), Some("91350100M000100Y43"));

        let mut i = input();
        i.requester.id_number = Some("   ".to_owned());
        assert_eq!(validate(i, &regions(), Utc::now()).unwrap().id_number, None);
    }

    #[test]
    fn bad_identity_numbers_are_reported_on_their_field() {
        let cases = [
            (
                RequesterType::Person,
                "110105194912310021",
                "invalid_check_digit",
            ),
            (RequesterType::Person, "520102199902301231", "invalid_date"),
            (RequesterType::Person, "5201021990030712", "invalid_format"),
            (
                RequesterType::Organisation,
                "91350100M000100Y44",
                "invalid_check_digit",
            ),
            (
                RequesterType::LegalPerson,
                "91350100M00010OY43",
                "invalid_format",
            ),
        ];
        for (requester_type, number, code) in cases {
            let mut i = input();
            i.requester.requester_type = requester_type;
            i.requester.id_number = Some(number.to_owned());
            let errors = validate(i, &regions(), Utc::now()).unwrap_err();
            assert_eq!(errors.len(), 1, "{number}");
            assert_eq!(errors[0].field, "requester.id_number");
            assert_eq!(errors[0].code, code, "{number}");
            assert!(
                !errors[0].message.contains(number),
                "the message repeats no number"
            );
        }
    }

    #[test]
    fn a_birth_date_after_today_in_guizhou_is_refused() {
        // 2026-11-27 20:00 UTC is already 2026-11-28 in Guizhou: born "today" there is fine,
        // born the day after is not.
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 27, 20, 0, 0).unwrap();
        let with_check = |first17: &str| {
            let mut digits = [0u8; 17];
            for (d, b) in digits.iter_mut().zip(first17.bytes()) {
                *d = b - b'0';
            }
            format!("{first17}{}", id_number::resident_check_char(&digits))
        };
        let mut i = input();
        i.requester.id_number = Some(with_check("52010220261128123"));
        assert!(validate(i.clone(), &regions(), now).is_ok());
        i.requester.id_number = Some(with_check("52010220261129123"));
        assert_eq!(
            codes(validate(i, &regions(), now)),
            vec![("requester.id_number".into(), "invalid_date".into())]
        );
    }

    #[test]
    fn a_township_code_is_refused_with_a_hint() {
        let mut i = input();
        let township = regions()
            .at_level(hotline_reference::Level::Township)
            .first()
            .map(|d| d.code.clone())
            .unwrap();
        i.region_code = township;
        let errors = validate(i, &regions(), Utc::now()).unwrap_err();
        assert_eq!(errors[0].field, "region_code");
        assert_eq!(errors[0].code, "invalid_format");
        assert!(errors[0].message.contains("乡镇"));
    }

    #[test]
    fn an_over_long_value_is_refused_as_too_long_whatever_it_contains() {
        let mut i = input();
        i.matter = format!("{}\0", "字".repeat(MAX_MATTER));
        assert_eq!(
            codes(validate(i, &regions(), Utc::now())),
            vec![("matter".into(), "too_long".into())]
        );
    }

    #[test]
    fn an_unusable_agent_id_is_reported_once_not_also_as_missing() {
        let mut i = input();
        i.channel = Channel::Phone;
        i.agent_id = Some("a".repeat(MAX_AGENT_ID + 1));
        assert_eq!(
            codes(validate(i, &regions(), Utc::now())),
            vec![("agent_id".into(), "too_long".into())]
        );
    }
}
