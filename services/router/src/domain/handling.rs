//! What a unit may do with an order it was dispatched, and what it must say.
//!
//! - [`AssignmentStatus`] and its transitions: an order is signed for once (A15), then its
//!   result is submitted once (A16); any other step is a conflict with a message the unit
//!   can act on.
//! - [`validate_sign`] and [`validate_result`]: every field is checked and every problem
//!   reported at once, with the field's name, a machine code and a Chinese message.
//!   Free text is trimmed; control characters other than line breaks and tabs are refused
//!   (they break documents and terminals and are never typed by a person).
//! - [`checklist`]: which parts of A16's result are present; the event carries this
//!   checklist, never the texts, which may name people.
//!
//! Pure: the caller passes "today" (Asia/Shanghai) and the stored status.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::events::ResultChecklist;
use hotline_contract::rpc::{FieldError, SignCommand, SubmitResultCommand};

/// Longest staff id (`signed_by`, `submitted_by`), order number or unit id, in characters.
pub const MAX_ID: usize = 64;
/// Longest text of a result part (basis, findings, reply), in characters.
pub const MAX_TEXT: usize = 4000;

/// Where an assignment stands in the unit's hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentStatus {
    /// Dispatched, waiting for the unit to sign for it.
    Dispatched,
    /// Signed for (A15); the unit is handling it.
    Signed,
    /// The unit submitted its result (A16); the center reviews it.
    ResultSubmitted,
}

impl AssignmentStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Dispatched => "dispatched",
            Self::Signed => "signed",
            Self::ResultSubmitted => "result_submitted",
        }
    }

    /// Parse a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "dispatched" => Some(Self::Dispatched),
            "signed" => Some(Self::Signed),
            "result_submitted" => Some(Self::ResultSubmitted),
            _ => None,
        }
    }

    /// A15: only a dispatched order can be signed for.
    pub fn sign(self) -> Result<Self, StepRefused> {
        match self {
            Self::Dispatched => Ok(Self::Signed),
            Self::Signed => Err(StepRefused::AlreadySigned),
            Self::ResultSubmitted => Err(StepRefused::ResultAlreadySubmitted),
        }
    }

    /// A16: a result follows signing, once.
    pub fn submit_result(self) -> Result<Self, StepRefused> {
        match self {
            Self::Dispatched => Err(StepRefused::NotSigned),
            Self::Signed => Ok(Self::ResultSubmitted),
            Self::ResultSubmitted => Err(StepRefused::ResultAlreadySubmitted),
        }
    }
}

/// A step the order's current state does not allow; the message is shown to the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepRefused {
    #[error("工单已签收")]
    AlreadySigned,
    #[error("工单尚未签收，请先签收")]
    NotSigned,
    #[error("该工单已提交办理结果")]
    ResultAlreadySubmitted,
}

/// A sign-for that passed every check, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSign {
    pub number: String,
    pub unit_id: String,
    pub signed_by: String,
}

/// A result that passed every check, normalised (A16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidResult {
    pub number: String,
    pub unit_id: String,
    pub submitted_by: String,
    /// 办理依据
    pub basis: String,
    /// 调查核实情况
    pub findings: String,
    /// 答复内容
    pub reply: String,
    /// 承诺办结时间
    pub promised_by: Option<NaiveDate>,
}

/// Check a sign-for (A15).
pub fn validate_sign(input: SignCommand) -> Result<ValidSign, Vec<FieldError>> {
    let mut errors = Vec::new();
    let number = identifier(&mut errors, "number", &input.number, "工单编号");
    let unit_id = identifier(&mut errors, "unit_id", &input.unit_id, "承办单位");
    let signed_by = identifier(&mut errors, "signed_by", &input.signed_by, "签收人");
    if errors.is_empty() {
        Ok(ValidSign {
            number,
            unit_id,
            signed_by,
        })
    } else {
        Err(errors)
    }
}

/// Check a result (A16); `today` is the Asia/Shanghai date of submission.
pub fn validate_result(
    input: SubmitResultCommand,
    today: NaiveDate,
) -> Result<ValidResult, Vec<FieldError>> {
    let mut errors = Vec::new();
    let number = identifier(&mut errors, "number", &input.number, "工单编号");
    let unit_id = identifier(&mut errors, "unit_id", &input.unit_id, "承办单位");
    let submitted_by = identifier(&mut errors, "submitted_by", &input.submitted_by, "提交人");
    let basis = text(&mut errors, "basis", &input.basis, "办理依据");
    let findings = text(&mut errors, "findings", &input.findings, "调查核实情况");
    let reply = text(&mut errors, "reply", &input.reply, "答复内容");
    if let Some(date) = input.promised_by
        && date < today
    {
        errors.push(field_error(
            "promised_by",
            "in_the_past",
            "承诺办结时间不能早于今天".to_owned(),
        ));
    }
    if errors.is_empty() {
        Ok(ValidResult {
            number,
            unit_id,
            submitted_by,
            basis,
            findings,
            reply,
            promised_by: input.promised_by,
        })
    } else {
        Err(errors)
    }
}

/// The Asia/Shanghai calendar day of an instant: "today" for a promised date.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// A16: which parts the result gives. The texts themselves stay in the router.
pub fn checklist(result: &ValidResult) -> ResultChecklist {
    ResultChecklist {
        basis_given: !result.basis.trim().is_empty(),
        findings_given: !result.findings.trim().is_empty(),
        reply_given: !result.reply.trim().is_empty(),
        promised_by: result.promised_by,
    }
}

/// A required single-line value of at most [`MAX_ID`] characters.
pub(crate) fn identifier(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
    label: &str,
) -> String {
    let value = raw.trim();
    if value.is_empty() {
        errors.push(field_error(field, "required", format!("必须填写{label}")));
    } else if value.chars().count() > MAX_ID {
        errors.push(field_error(
            field,
            "too_long",
            format!("{label}不能超过{MAX_ID}个字符"),
        ));
    } else if value.chars().any(char::is_control) {
        errors.push(field_error(
            field,
            "invalid_characters",
            format!("{label}含有不允许的控制字符"),
        ));
    }
    value.to_owned()
}

/// A required text of at most [`MAX_TEXT`] characters; line breaks and tabs allowed.
pub(crate) fn text(errors: &mut Vec<FieldError>, field: &str, raw: &str, label: &str) -> String {
    let value = raw.trim();
    if value.is_empty() {
        errors.push(field_error(field, "required", format!("必须填写{label}")));
    } else if value.chars().count() > MAX_TEXT {
        errors.push(field_error(
            field,
            "too_long",
            format!("{label}不能超过{MAX_TEXT}个字符"),
        ));
    } else if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(field_error(
            field,
            "invalid_characters",
            format!("{label}含有不允许的控制字符"),
        ));
    }
    value.to_owned()
}

pub(crate) fn field_error(field: &str, code: &str, message: String) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn sign() -> SignCommand {
        SignCommand {
            number: "5201022611270001".to_owned(),
            unit_id: "520102-env".to_owned(),
            signed_by: "王芳".to_owned(),
        }
    }

    fn result() -> SubmitResultCommand {
        SubmitResultCommand {
            number: "5201022611270001".to_owned(),
            unit_id: "520102-env".to_owned(),
            submitted_by: "王芳".to_owned(),
            basis: "《中华人民共和国噪声污染防治法》第六十六条".to_owned(),
            findings: "经现场核查，该工地夜间施工未取得夜间施工许可。\n已责令停止夜间施工。"
                .to_owned(),
            reply: "您好，您反映的夜间施工噪声问题已责令整改。".to_owned(),
            promised_by: None,
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn today_is_the_guizhou_day() {
        use chrono::TimeZone;
        // 2026-11-27 17:00 UTC is already 2026-11-28 in Guizhou.
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap();
        assert_eq!(
            local_day(at),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
    }

    #[test]
    fn only_a_dispatched_order_can_be_signed_for() {
        assert_eq!(
            AssignmentStatus::Dispatched.sign(),
            Ok(AssignmentStatus::Signed)
        );
        assert_eq!(
            AssignmentStatus::Signed.sign(),
            Err(StepRefused::AlreadySigned)
        );
        assert_eq!(
            AssignmentStatus::ResultSubmitted.sign(),
            Err(StepRefused::ResultAlreadySubmitted)
        );
    }

    #[test]
    fn a_result_needs_a_signed_order_and_is_submitted_once() {
        assert_eq!(
            AssignmentStatus::Dispatched.submit_result(),
            Err(StepRefused::NotSigned)
        );
        assert_eq!(
            AssignmentStatus::Signed.submit_result(),
            Ok(AssignmentStatus::ResultSubmitted)
        );
        assert_eq!(
            AssignmentStatus::ResultSubmitted.submit_result(),
            Err(StepRefused::ResultAlreadySubmitted)
        );
    }

    #[test]
    fn status_codes_round_trip() {
        for s in [
            AssignmentStatus::Dispatched,
            AssignmentStatus::Signed,
            AssignmentStatus::ResultSubmitted,
        ] {
            assert_eq!(AssignmentStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(AssignmentStatus::from_code("closed"), None);
    }

    #[test]
    fn a_complete_sign_is_accepted_and_trimmed() {
        let mut input = sign();
        input.signed_by = "  王芳 ".to_owned();
        let valid = validate_sign(input).unwrap();
        assert_eq!(valid.signed_by, "王芳");
        assert_eq!(valid.unit_id, "520102-env");
    }

    #[test]
    fn a_sign_reports_every_bad_field() {
        let input = SignCommand {
            number: " ".to_owned(),
            unit_id: "x".repeat(MAX_ID + 1),
            signed_by: "王\u{0}芳".to_owned(),
        };
        let errors = validate_sign(input).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("number", "required"),
                ("unit_id", "too_long"),
                ("signed_by", "invalid_characters")
            ]
        );
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let mut input = sign();
        input.signed_by = "签".repeat(MAX_ID);
        assert!(validate_sign(input).is_ok());
        let mut input = result();
        input.reply = "复".repeat(MAX_TEXT);
        assert!(validate_result(input, today()).is_ok());
    }

    #[test]
    fn a_complete_result_is_accepted_with_line_breaks_and_tabs() {
        let mut input = result();
        input.findings = "一、现场核查\r\n\t工地夜间施工。\n二、处理\t已责令停工。".to_owned();
        input.promised_by = Some(today());
        let valid = validate_result(input, today()).unwrap();
        assert_eq!(valid.promised_by, Some(today()));
        let list = checklist(&valid);
        assert!(list.is_complete());
        assert_eq!(list.promised_by, Some(today()));
    }

    #[test]
    fn a_result_reports_every_bad_field() {
        let input = SubmitResultCommand {
            number: "5201022611270001".to_owned(),
            unit_id: "520102-env".to_owned(),
            submitted_by: String::new(),
            basis: "依据\u{7}".to_owned(),
            findings: "查".repeat(MAX_TEXT + 1),
            reply: " \n\t ".to_owned(),
            promised_by: today().pred_opt(),
        };
        let errors = validate_result(input, today()).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("submitted_by", "required"),
                ("basis", "invalid_characters"),
                ("findings", "too_long"),
                ("reply", "required"),
                ("promised_by", "in_the_past"),
            ]
        );
    }

    #[test]
    fn staff_ids_are_single_line() {
        let mut input = result();
        input.submitted_by = "王\n芳".to_owned();
        let errors = validate_result(input, today()).unwrap_err();
        assert_eq!(fields(&errors), [("submitted_by", "invalid_characters")]);
    }

    proptest! {
        #[test]
        fn any_control_character_but_line_breaks_and_tabs_is_refused_in_texts(
            before in "[a-z办理]{1,20}",
            after in "[a-z依据]{1,20}",
            control in prop::char::range('\u{0}', '\u{1f}')
                .prop_union(prop::char::range('\u{7f}', '\u{9f}')),
        ) {
            let mut input = result();
            input.reply = format!("{before}{control}{after}");
            let outcome = validate_result(input, today());
            if matches!(control, '\n' | '\r' | '\t') {
                prop_assert!(outcome.is_ok());
            } else {
                let errors = outcome.unwrap_err();
                prop_assert_eq!(fields(&errors), [("reply", "invalid_characters")]);
            }
        }

        #[test]
        fn a_promised_date_is_accepted_exactly_when_not_before_today(offset in -400i64..400) {
            let mut input = result();
            let date = today() + chrono::Duration::days(offset);
            input.promised_by = Some(date);
            let outcome = validate_result(input, today());
            prop_assert_eq!(outcome.is_ok(), offset >= 0);
        }

        #[test]
        fn accepted_texts_are_trimmed_and_within_limits(reply in "\\PC{0,50}") {
            let mut input = result();
            input.reply = reply.clone();
            if let Ok(valid) = validate_result(input, today()) {
                prop_assert_eq!(valid.reply.as_str(), reply.trim());
                prop_assert!(!valid.reply.is_empty());
                prop_assert!(checklist(&valid).is_complete());
            } else {
                prop_assert!(reply.trim().is_empty());
            }
        }
    }
}
