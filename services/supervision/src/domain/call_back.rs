//! The call-back to the requester (A16: the center verifies the result with the requester
//! before closing). A call-back either reached the requester, with what was verified and
//! their verdict (satisfied, basically satisfied, unsatisfied), or did not, with no verdict.
//! The record holds no personal data: no phone number (the number stays with intake), and
//! the texts may not contain one ([`super::text`]).

use hotline_contract::rpc::FieldError;
use hotline_contract::supervision_desk::RecordCallBackCommand;

use super::text::{MAX_VERIFIED_CHARS, free_text_errors};

fn field(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// Why a call-back cannot be recorded as given.
pub fn call_back_errors(command: &RecordCallBackCommand) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match (command.reached, command.verdict.is_some()) {
        (true, false) => errors.push(field(
            "verdict",
            "required",
            "已联系上群众的，须记录群众的评价（满意、基本满意或不满意）",
        )),
        (false, true) => errors.push(field(
            "verdict",
            "not_allowed",
            "未联系上群众的，不能记录评价",
        )),
        _ => {}
    }
    if command.reached && command.verified.trim().is_empty() {
        errors.push(field("verified", "required", "请填写向群众核实的情况"));
    }
    errors.extend(free_text_errors(
        "verified",
        &command.verified,
        MAX_VERIFIED_CHARS,
    ));
    if command.called_by.trim().is_empty() {
        errors.push(field("called_by", "required", "不能为空"));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_contract::supervision_desk::CenterRole;
    use hotline_contract::vocabulary::SatisfactionVerdict;
    use uuid::Uuid;

    fn command(
        reached: bool,
        verified: &str,
        verdict: Option<SatisfactionVerdict>,
    ) -> RecordCallBackCommand {
        RecordCallBackCommand {
            order_id: Uuid::nil(),
            reached,
            verified: verified.to_owned(),
            verdict,
            called_by: "reviewer-1".to_owned(),
            role: CenterRole::Reviewer,
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn a_reached_requester_gives_a_verdict_on_what_was_verified() {
        assert!(
            call_back_errors(&command(
                true,
                "已上门查看",
                Some(SatisfactionVerdict::Satisfied)
            ))
            .is_empty()
        );
        assert_eq!(
            fields(call_back_errors(&command(true, " ", None))),
            [
                ("verdict".to_owned(), "required".to_owned()),
                ("verified".to_owned(), "required".to_owned())
            ]
        );
    }

    #[test]
    fn an_unreached_requester_gives_no_verdict() {
        assert!(call_back_errors(&command(false, "", None)).is_empty());
        assert_eq!(
            fields(call_back_errors(&command(
                false,
                "",
                Some(SatisfactionVerdict::Unsatisfied)
            ))),
            [("verdict".to_owned(), "not_allowed".to_owned())]
        );
    }

    #[test]
    fn no_phone_number_is_recorded() {
        assert_eq!(
            fields(call_back_errors(&command(
                true,
                "群众留了新号码13912345678",
                Some(SatisfactionVerdict::Satisfied)
            ))),
            [("verified".to_owned(), "personal_data".to_owned())]
        );
    }
}
