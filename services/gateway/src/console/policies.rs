//! The time-limit policies (办理时限规则, A15) as the deadline-watcher holds them, read
//! through `rpc.deadline-watcher.policies` (the same as `GET /api/v1/policies`): for each
//! active policy the clock, the kind and urgency it applies to, the limit, its basis,
//! whether suspension stops the clock, and who wrote the version and why.
//!
//! The administrator gets an edit form per policy: a new limit and a reason go to
//! `rpc.deadline-watcher.save_policy` with the version the page showed, so a policy changed
//! meanwhile is refused (409) instead of overwritten, and a bad limit comes back with the
//! deadline-watcher's field errors. A new version applies to clocks started afterwards
//! only; the page says so.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::events::{LimitUnit, TimeLimit};
use hotline_contract::policies::{Policies, PoliciesQuery, PolicyView, SavePolicyCommand};
use hotline_contract::rpc::verbs;
use serde::Deserialize;

use super::countdown::clock_label;
use super::{bad_form, beijing, csrf_field, document, esc, html, problem_page, see_other};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::auth::roles::Permission;
use crate::routes::{AppState, call, call_problem, trace_of};

/// A limit in words: "10 个工作日", "24 小时".
pub fn limit_label(limit: TimeLimit) -> String {
    match limit.unit {
        LimitUnit::WorkingDays => format!("{} 个工作日", limit.value),
        LimitUnit::Hours => format!("{} 小时", limit.value),
    }
}

/// The policies as a table; with `edit` (the form's CSRF field) an edit form per row (pure).
pub fn policy_table(policies: &Policies, edit: Option<&str>) -> String {
    if policies.policies.is_empty() {
        return r#"<p class="muted">没有现行的时限规则。</p>"#.to_owned();
    }
    let rows: String = policies
        .policies
        .iter()
        .map(|p| {
            let form = edit.map(|field| edit_form(p, field)).unwrap_or_default();
            let by = match (&p.created_by, &p.reason) {
                (Some(by), Some(reason)) => format!("{}：{}", esc(by), esc(reason)),
                (Some(by), None) => esc(by),
                _ => "初始设定".to_owned(),
            };
            format!(
                r#"<tr id="policy-{id}"><td class="basis">{id}<br><span class="muted">{basis}</span></td><td>v{version}</td><td class="clock">{clock}</td><td class="scope">{kind} · {urgency}</td><td class="limit">{limit}</td><td>{stops}</td><td class="who">{since}<br><span class="muted">{by}</span></td>{form}</tr>"#,
                id = esc(&p.policy_id),
                version = p.version,
                clock = clock_label(p.clock),
                kind = p.kind.map_or("不限", |k| k.label_zh()),
                urgency = p.urgency.map_or("不限", |u| u.label_zh()),
                limit = limit_label(p.limit),
                stops = if p.stops_when_suspended { "是" } else { "否" },
                basis = esc(&p.basis),
                since = beijing(p.created_at),
            )
        })
        .collect();
    let edit_head = if edit.is_some() {
        "<th>修改</th>"
    } else {
        ""
    };
    format!(
        r#"<div class="scroll"><table id="policies"><thead><tr><th>规则与依据</th><th>版本</th><th>时限</th><th>诉求类型 · 紧急程度</th><th>期限</th><th>挂起时中止</th><th>生效时间与修改人</th>{edit_head}</tr></thead><tbody>{rows}</tbody></table></div>"#
    )
}

fn edit_form(p: &PolicyView, field: &str) -> String {
    let (days, hours) = match p.limit.unit {
        LimitUnit::WorkingDays => (" selected", ""),
        LimitUnit::Hours => ("", " selected"),
    };
    format!(
        r#"<td><form class="inline policy" method="post" action="/console/policies/{id}">{field}<input type="hidden" name="expected_version" value="{version}"><input name="value" type="number" min="1" value="{value}" aria-label="期限" required><select name="unit" aria-label="单位"><option value="working_days"{days}>个工作日</option><option value="hours"{hours}>小时</option></select><input name="reason" placeholder="修改理由" required><button type="submit">保存为新版本</button></form></td>"#,
        id = esc(&p.policy_id),
        version = p.version,
        value = p.limit.value,
    )
}

/// `GET /console/policies`: the active time-limit policies (with edit forms for the
/// administrator).
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
) -> Response {
    let who = Some((&principal, &csrf));
    let reply: Result<Policies, _> = call(
        &state,
        verbs::DEADLINE_WATCHER_POLICIES,
        &PoliciesQuery {},
        &trace_of(&headers),
    )
    .await;
    let policies = match reply {
        Ok(policies) => policies,
        Err(e) => return problem_page(&call_problem(e), who),
    };
    let field = csrf_field(&csrf);
    let edit = principal
        .can(Permission::ManageTimeLimits)
        .then_some(field.as_str());
    let body = format!(
        r#"<p class="muted">签收与办理时限按第十五条执行：工作日按国务院办公厅公布的节假日安排计算（见<a href="/console/admin/calendar">工作日历</a>）。对同一工单，诉求类型与紧急程度都相符的规则优先。修改规则即生成新版本，只对此后开始的计时生效，已在计时的工单不受影响。</p>{table}"#,
        table = policy_table(&policies, edit),
    );
    html(StatusCode::OK, document("办理时限规则", who, &body))
}

/// The edit form as posted.
#[derive(Debug, Clone, Deserialize)]
pub struct PolicyForm {
    pub expected_version: i32,
    pub value: u32,
    pub unit: LimitUnit,
    pub reason: String,
}

/// `POST /console/policies/{policy_id}`: the policy's next version (A15).
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Path(policy_id): Path<String>,
    form: Result<Form<PolicyForm>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(Form(form)) = form else {
        return bad_form(who);
    };
    let command = SavePolicyCommand {
        policy_id,
        expected_version: form.expected_version,
        limit: TimeLimit {
            unit: form.unit,
            value: form.value,
        },
        basis: None,
        stops_when_suspended: None,
        reason: form.reason,
        edited_by: principal.principal_id.clone(),
    };
    let reply: Result<PolicyView, _> = call(
        &state,
        verbs::DEADLINE_WATCHER_SAVE_POLICY,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(saved) => see_other(&format!("/console/policies#policy-{}", saved.policy_id)),
        Err(e) => problem_page(&call_problem(e), who),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use hotline_contract::events::DeadlineClock;
    use hotline_contract::vocabulary::{RequestKind, Urgency};

    use super::*;

    fn policy(id: &str, limit: TimeLimit, by: Option<(&str, &str)>) -> PolicyView {
        PolicyView {
            policy_id: id.to_owned(),
            version: 2,
            clock: DeadlineClock::Handling,
            kind: Some(RequestKind::Complaint),
            urgency: Some(Urgency::Normal),
            limit,
            basis: "A15 <default>".to_owned(),
            stops_when_suspended: true,
            created_at: "2026-11-29T02:00:00Z"
                .parse::<DateTime<Utc>>()
                .unwrap_or_default(),
            created_by: by.map(|(who, _)| who.to_owned()),
            reason: by.map(|(_, why)| why.to_owned()),
        }
    }

    #[test]
    fn the_table_shows_scope_limit_basis_and_who_changed_it() {
        let list = Policies {
            policies: vec![policy(
                "handling-complaint-normal",
                TimeLimit {
                    unit: LimitUnit::WorkingDays,
                    value: 7,
                },
                Some(("admin-01", "省级规定调整")),
            )],
        };
        let html = policy_table(&list, None);
        for text in [
            "handling-complaint-normal",
            "v2",
            "办理时限",
            "投诉 · 一般",
            "7 个工作日",
            "A15 &lt;default&gt;",
            "2026-11-29 10:00",
            "admin-01：省级规定调整",
        ] {
            assert!(html.contains(text), "{text} in {html}");
        }
        assert!(!html.contains("<form"), "read-only without the edit field");
        let editable = policy_table(&list, Some("<input name=csrf_token>"));
        assert!(editable.contains(r#"action="/console/policies/handling-complaint-normal""#));
        assert!(editable.contains(r#"name="expected_version" value="2""#));
        assert!(editable.contains(r#"<option value="working_days" selected>"#));
    }

    #[test]
    fn limits_read_in_working_days_or_hours() {
        let hours = TimeLimit {
            unit: LimitUnit::Hours,
            value: 24,
        };
        assert_eq!(limit_label(hours), "24 小时");
        let list = Policies {
            policies: vec![policy("handling-urgent", hours, None)],
        };
        assert!(policy_table(&list, None).contains("初始设定"));
        assert!(policy_table(&Policies { policies: vec![] }, None).contains("没有现行的时限规则"));
    }
}
