//! The reviewer's call-back to the requester about the result under review (回访核实,
//! A16): whether the requester was reached, what was verified and their verdict. It posts
//! `rpc.supervision.record_call_back` (the same as `POST /api/v1/reviews/{order_id}/call-backs`)
//! in the signed-in person's capacity; an unsatisfied requester with handling judged poor
//! opens a supervision case (A17), which the review page then names. Supervision checks the
//! answers (a reached requester needs a verdict, no phone numbers in the notes).

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hotline_contract::rpc::verbs;
use hotline_contract::supervision_desk::{CallBackReceipt, RecordCallBackCommand};
use hotline_contract::vocabulary::SatisfactionVerdict;
use serde::Deserialize;
use uuid::Uuid;

use super::review::center_role;
use super::{bad_form, problem_page, see_other};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::routes::{AppState, call, call_problem, trace_of};

/// The posted call-back.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReviewCallBackForm {
    /// `yes` / `no`.
    #[serde(default)]
    pub reached: String,
    #[serde(default)]
    pub verified: String,
    /// A verdict code; blank when not reached.
    #[serde(default)]
    pub verdict: String,
}

impl ReviewCallBackForm {
    /// The command (pure); `None` for values the form does not offer.
    pub fn command(&self, order_id: Uuid, principal: &Principal) -> Option<RecordCallBackCommand> {
        let reached = match self.reached.as_str() {
            "yes" => true,
            "no" => false,
            _ => return None,
        };
        let verdict = match self.verdict.trim() {
            "" => None,
            code => Some(SatisfactionVerdict::from_code(code)?),
        };
        Some(RecordCallBackCommand {
            order_id,
            reached,
            verified: self.verified.trim().to_owned(),
            verdict,
            called_by: principal.principal_id.clone(),
            role: center_role(principal),
        })
    }
}

/// The call-back form on the review page (pure).
pub fn form(action: &str, field: &str) -> String {
    let verdicts: String = [
        SatisfactionVerdict::Satisfied,
        SatisfactionVerdict::BasicallySatisfied,
        SatisfactionVerdict::Unsatisfied,
    ]
    .iter()
    .map(|v| {
        format!(
            r#"<label class="inline"><input type="radio" name="verdict" value="{}"> {}</label>"#,
            v.code(),
            v.label_zh()
        )
    })
    .collect();
    format!(
        r#"<h2>回访核实</h2><form class="stack" method="post" action="{action}/call-back" id="review-call-back-form">{field}
<fieldset class="check"><legend>是否联系上群众</legend><label class="inline"><input type="radio" name="reached" value="yes" checked> 已联系上</label> <label class="inline"><input type="radio" name="reached" value="no"> 未联系上</label></fieldset>
<fieldset class="check"><legend>群众评价（联系上时必填）</legend>{verdicts}</fieldset>
<label>核实情况<textarea name="verified" placeholder="向群众核实的办理情况（勿填写电话号码）"></textarea></label>
<button type="submit" id="record-review-call-back">记录回访</button></form>"#
    )
}

/// The notice the review page shows after a call-back (`?call_back=recorded` or
/// `?case=<id>`).
pub fn notice(case: Option<&str>, recorded: bool) -> String {
    match (case.and_then(|c| c.parse::<Uuid>().ok()), recorded) {
        (Some(case), _) => format!(
            r#"<p class="problem" id="call-back-state">回访已记录。群众不满意且办理质量差，已立督办案件（{case}）。</p>"#
        ),
        (None, true) => r#"<p class="ok" id="call-back-state">回访已记录。</p>"#.to_owned(),
        (None, false) => String::new(),
    }
}

/// `POST /console/review/{order_id}/call-back`: record the call-back, then back to the
/// review page with the outcome.
pub async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(order_id): Path<String>,
    form: Result<Form<ReviewCallBackForm>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let (Ok(order_id), Ok(Form(form))) = (order_id.parse::<Uuid>(), form) else {
        return bad_form(who);
    };
    let Some(command) = form.command(order_id, &principal) else {
        return bad_form(who);
    };
    let reply: Result<CallBackReceipt, _> = call(
        &state,
        verbs::SUPERVISION_RECORD_CALL_BACK,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(receipt) => see_other(&match receipt.case_id {
            Some(case) => format!("/console/review/{order_id}?case={case}"),
            None => format!("/console/review/{order_id}?call_back=recorded"),
        }),
        Err(e) => problem_page(&call_problem(e), who),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_name_the_case_opened() {
        let case = Uuid::from_u128(9).to_string();
        assert!(notice(Some(&case), true).contains(&case));
        assert!(notice(None, true).contains("回访已记录"));
        assert!(notice(Some("<script>"), false).is_empty());
    }

    #[test]
    fn the_form_offers_every_verdict() {
        let html = form("/console/review/x", "");
        for code in ["satisfied", "basically_satisfied", "unsatisfied"] {
            assert!(html.contains(&format!(r#"value="{code}""#)));
        }
        assert!(html.contains(r#"action="/console/review/x/call-back""#));
    }
}
