//! The satisfaction call-back (回访) of a closed order: the agent (or another member of
//! staff allowed to) calls the requester back and records the verdict, whether the matter
//! was resolved and a comment (A16, A19 satisfaction). It posts the same
//! `rpc.intake.record_satisfaction` as `POST /api/v1/orders/{number}/satisfaction`, with
//! the signed-in person as the calling agent (from the session, never from the form);
//! intake refuses an order not closed yet or already called back. The form asks for no
//! personal data.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::rpc::{self, FieldError, RecordSatisfaction, SatisfactionReceipt};
use hotline_contract::vocabulary::SatisfactionVerdict;
use serde::Deserialize;

use super::{bad_form, beijing, csrf_field, document, esc, html, problem_box};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, trace_of};

const VERDICTS: [SatisfactionVerdict; 3] = [
    SatisfactionVerdict::Satisfied,
    SatisfactionVerdict::BasicallySatisfied,
    SatisfactionVerdict::Unsatisfied,
];

/// The posted form (also the query string that pre-fills the number).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallBackForm {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub verdict: String,
    /// `yes` / `no`.
    #[serde(default)]
    pub resolved: String,
    #[serde(default)]
    pub comment: String,
}

impl CallBackForm {
    /// The command for intake, as `agent_id` (pure); a problem naming the bad fields.
    pub fn command(&self, agent_id: &str) -> Result<RecordSatisfaction, Problem> {
        let mut errors = Vec::new();
        let number = self.number.trim();
        if number.is_empty() {
            errors.push(("number", "请填写工单编号"));
        }
        let verdict = SatisfactionVerdict::from_code(self.verdict.trim());
        if verdict.is_none() {
            errors.push(("verdict", "请选择满意度"));
        }
        let resolved = match self.resolved.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.push(("resolved", "请选择问题是否解决"));
                None
            }
        };
        match (verdict, resolved) {
            (Some(verdict), Some(resolved)) if errors.is_empty() => Ok(RecordSatisfaction {
                number: number.to_owned(),
                verdict,
                resolved,
                comment: Some(self.comment.trim().to_owned()).filter(|c| !c.is_empty()),
                agent_id: Some(agent_id.to_owned()),
                check_code: None,
            }),
            _ => Err(Problem::invalid(
                errors
                    .into_iter()
                    .map(|(field, message)| FieldError {
                        field: field.to_owned(),
                        code: "required".to_owned(),
                        message: message.to_owned(),
                    })
                    .collect(),
            )),
        }
    }
}

/// The form, filled with what was posted (pure).
pub fn form_html(csrf: &PageCsrf, form: &CallBackForm, problem: Option<&Problem>) -> String {
    let verdicts: String = VERDICTS
        .iter()
        .map(|v| {
            format!(
                r#"<label class="inline"><input type="radio" name="verdict" value="{code}"{checked}> {label}</label>"#,
                code = v.code(),
                label = v.label_zh(),
                checked = if form.verdict == v.code() { " checked" } else { "" },
            )
        })
        .collect();
    let resolved: String = [("yes", "已解决"), ("no", "未解决")]
        .iter()
        .map(|(code, label)| {
            format!(
                r#"<label class="inline"><input type="radio" name="resolved" value="{code}"{checked}> {label}</label>"#,
                checked = if form.resolved == *code { " checked" } else { "" },
            )
        })
        .collect();
    format!(
        r#"{problem}<p class="muted">工单办结后回访来电人，登记其对办理结果的评价。每张工单只登记一次；请勿在说明中填写电话号码等个人信息。</p>
<form class="stack" method="post" action="/console/call-backs" id="call-back-form">{field}
<label>工单编号<input name="number" value="{number}" inputmode="numeric" required></label>
<fieldset class="check"><legend>满意度</legend>{verdicts}</fieldset>
<fieldset class="check"><legend>问题是否解决</legend>{resolved}</fieldset>
<label>回访说明（可选）<textarea name="comment">{comment}</textarea></label>
<button type="submit" id="record-call-back">登记回访结果</button></form>"#,
        problem = problem.map(problem_box).unwrap_or_default(),
        field = csrf_field(csrf),
        number = esc(&form.number),
        comment = esc(&form.comment),
    )
}

/// `GET /console/call-backs?number=`: the call-back form.
pub async fn page(
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    query: Result<Query<CallBackForm>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let form = query.map(|Query(q)| q).unwrap_or_default();
    let body = form_html(&csrf, &form, None);
    html(
        StatusCode::OK,
        document("回访登记", Some((&principal, &csrf)), &body),
    )
}

/// `POST /console/call-backs`: record the requester's verdict on the closed order.
pub async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    form: Result<Form<CallBackForm>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(Form(form)) = form else {
        return bad_form(who);
    };
    let recorded = match form.command(&principal.principal_id) {
        Ok(command) => call::<_, SatisfactionReceipt>(
            &state,
            rpc::verbs::INTAKE_RECORD_SATISFACTION,
            &command,
            &trace_of(&headers),
        )
        .await
        .map_err(call_problem),
        Err(problem) => Err(problem),
    };
    match recorded {
        Ok(receipt) => {
            let body = format!(
                r#"<div class="ok" role="status" id="call-back-recorded">回访结果已登记。</div><dl><dt>工单编号</dt><dd>{number}</dd><dt>登记时间</dt><dd>{at}</dd></dl><p><a href="/console/call-backs">继续登记回访</a></p>"#,
                number = esc(&receipt.number),
                at = beijing(receipt.recorded_at),
            );
            html(StatusCode::OK, document("回访登记", who, &body))
        }
        Err(problem) => {
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            html(
                status,
                document("回访登记", who, &form_html(&csrf, &form, Some(&problem))),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(number: &str, verdict: &str, resolved: &str) -> CallBackForm {
        CallBackForm {
            number: number.into(),
            verdict: verdict.into(),
            resolved: resolved.into(),
            comment: " 已上门处理 ".into(),
        }
    }

    #[test]
    fn a_complete_form_is_the_agents_call_back() {
        let c = form(" 52010220261130000001 ", "basically_satisfied", "yes")
            .command("agent-1")
            .unwrap();
        assert_eq!(c.number, "52010220261130000001");
        assert_eq!(c.verdict, SatisfactionVerdict::BasicallySatisfied);
        assert!(c.resolved);
        assert_eq!(c.comment.as_deref(), Some("已上门处理"));
        assert_eq!(c.agent_id.as_deref(), Some("agent-1"));
        assert_eq!(c.check_code, None);
    }

    #[test]
    fn missing_answers_are_named() {
        let p = form("", "maybe", "").command("agent-1").unwrap_err();
        assert_eq!(p.status, 422);
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["number", "verdict", "resolved"]);
    }

    #[test]
    fn the_form_escapes_what_was_posted() {
        let html = form_html(&PageCsrf("t".into()), &form("<x>", "satisfied", "no"), None);
        assert!(html.contains("&lt;x&gt;"));
        assert!(html.contains(r#"value="satisfied" checked"#));
        assert!(html.contains(r#"value="no" checked"#));
    }
}
