//! The supervision board's cases (督办案件) and escalations (升级督办), A17, A18: the open
//! cases from `rpc.supervision.cases`, each with its current level, and those escalated at
//! least once in their own table. Rendering is pure ([`section`]); when supervision cannot
//! be reached, the board shows the rest and says so here. No personal data.

use axum::http::HeaderMap;
use hotline_contract::events::SupervisionLevel;
use hotline_contract::rpc::verbs;
use hotline_contract::supervision_desk::{CASES_MAX_LIMIT, CaseList, CaseSummary, CasesQuery};

use super::{beijing, esc, problem_box};
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, trace_of};

/// The level in the center's words.
pub fn level_label(level: SupervisionLevel) -> &'static str {
    match level {
        SupervisionLevel::Notice => "督办单",
        SupervisionLevel::Coordination => "专题协调",
        SupervisionLevel::Interview => "约谈提醒",
        SupervisionLevel::Authority => "提请主管部门处理",
    }
}

/// Why a case was opened, in words (the code itself when unknown).
pub fn reason_label(code: &str) -> &str {
    match code {
        "overdue_sign" => "超时未签收",
        "overdue_handling" => "超时未办结",
        "overdue_co_handling" => "协办超时",
        "second_send_back" => "再次退回重办",
        "improper_dispute" => "异议不当",
        "unsatisfied_poor_handling" => "群众不满意且办理质量差",
        "refused" => "拒不办理",
        "poor_handling" => "办理质量差",
        "rectification_overdue" => "整改超期",
        other => other,
    }
}

fn status_label(status: &str) -> &str {
    match status {
        "open" => "督办中",
        "rectified" => "已报整改",
        other => other,
    }
}

fn row(c: &CaseSummary, escalation: bool) -> String {
    let tail = if escalation {
        format!(
            "<td>{}</td><td>{}</td>",
            c.escalations,
            c.last_escalated_at.map(beijing).unwrap_or_default()
        )
    } else {
        format!("<td>{}</td>", esc(status_label(&c.status)))
    };
    format!(
        r#"<tr><td>{number}</td><td>{unit}</td><td>{reason}</td><td><span class="status">{level}</span></td><td>{opened}</td>{tail}</tr>"#,
        number = esc(c.number.as_deref().unwrap_or("—")),
        unit = esc(&c.unit_id),
        reason = esc(reason_label(&c.reason_code)),
        level = level_label(c.level),
        opened = beijing(c.opened_at),
    )
}

/// The two sections: open cases, and the escalated ones (pure).
pub fn section(cases: Result<&CaseList, &Problem>) -> String {
    let list = match cases {
        Ok(list) => list,
        Err(problem) => {
            return format!("<h2>督办案件</h2>{}", problem_box(problem));
        }
    };
    let open: String = list.items.iter().map(|c| row(c, false)).collect();
    let open = if open.is_empty() {
        r#"<p class="ok" id="no-cases">目前没有未结束的督办案件。</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="cases"><thead><tr><th>工单编号</th><th>被督办单位</th><th>督办原因</th><th>当前措施</th><th>立案时间</th><th>状态</th></tr></thead><tbody>{open}</tbody></table>"#
        )
    };
    let escalated: String = list
        .items
        .iter()
        .filter(|c| c.escalations > 0)
        .map(|c| row(c, true))
        .collect();
    let escalated = if escalated.is_empty() {
        r#"<p class="muted" id="no-escalations">目前没有升级督办的案件。</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="escalations"><thead><tr><th>工单编号</th><th>被督办单位</th><th>督办原因</th><th>当前措施</th><th>立案时间</th><th>升级次数</th><th>最近升级</th></tr></thead><tbody>{escalated}</tbody></table>"#
        )
    };
    format!(
        r#"<h2>督办案件（{n} 件未结束）</h2>{open}<h2>升级督办</h2>{escalated}"#,
        n = list.items.len()
    )
}

/// The open cases, for the board.
pub async fn open_cases(
    state: &AppState,
    headers: &HeaderMap,
    unit_id: Option<String>,
) -> Result<CaseList, Problem> {
    let query = CasesQuery {
        unit_id,
        limit: Some(CASES_MAX_LIMIT),
    };
    call(state, verbs::SUPERVISION_CASES, &query, &trace_of(headers))
        .await
        .map_err(call_problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn case(escalations: u32, level: SupervisionLevel) -> CaseSummary {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap();
        CaseSummary {
            case_id: Uuid::nil(),
            order_id: Uuid::nil(),
            number: Some("52010220261130000001".into()),
            unit_id: "520102-<env>".into(),
            reason_code: "overdue_handling".into(),
            level,
            status: "open".into(),
            opened_at: at,
            escalations,
            last_escalated_at: (escalations > 0).then_some(at),
        }
    }

    #[test]
    fn open_cases_and_escalations_are_listed_apart() {
        let list = CaseList {
            items: vec![
                case(0, SupervisionLevel::Notice),
                case(2, SupervisionLevel::Interview),
            ],
        };
        let html = section(Ok(&list));
        assert!(html.contains("2 件未结束"));
        assert!(html.contains(r#"id="cases""#) && html.contains(r#"id="escalations""#));
        assert!(html.contains("约谈提醒") && html.contains("超时未办结"));
        assert!(html.contains("520102-&lt;env&gt;"), "escaped");
        let escalations = &html[html.find("升级督办</h2>").unwrap()..];
        assert_eq!(escalations.matches("<tr><td>").count(), 1);
    }

    #[test]
    fn nothing_open_says_so() {
        let html = section(Ok(&CaseList { items: vec![] }));
        assert!(html.contains("no-cases") && html.contains("no-escalations"));
    }
}
