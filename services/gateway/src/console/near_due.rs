//! The supervision board's near-due list (临近到期, A17; issue 10: the board shows near-due
//! orders as well as overdue ones): the running clocks that run out by the end of the next
//! working day, soonest first, from `rpc.deadline-watcher.near_due` (the same as
//! `GET /api/v1/near-due`), each with its countdown in working days where the clock counts
//! them. Rendering is pure ([`section`]); when the deadline-watcher cannot be reached, the
//! board shows the rest and says so here. Order numbers and units only, no personal data.

use axum::http::HeaderMap;
use hotline_contract::rpc::{ClockState, NearDue, NearDueQuery, verbs};

use super::countdown::{clock_label, countdown, due_time};
use super::{esc, problem_box};
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, trace_of};

/// The near-due section (pure).
pub fn section(near: Result<&NearDue, &Problem>) -> String {
    let near = match near {
        Ok(near) => near,
        Err(problem) => return format!("<h2>临近到期工单</h2>{}", problem_box(problem)),
    };
    let rows: String = near
        .clocks
        .iter()
        .map(|c| {
            let (text, class) = countdown(ClockState::Running, c.due_at, c.working_days_left, near.at);
            format!(
                r#"<tr><td>{number}</td><td>{clock}</td><td>{unit}</td><td>{due}</td><td><span class="countdown {class}">{text}</span></td></tr>"#,
                number = esc(c.number.as_deref().unwrap_or("—")),
                clock = clock_label(c.clock),
                unit = esc(&c.unit_id),
                due = due_time(c.due_at),
            )
        })
        .collect();
    let table = if rows.is_empty() {
        r#"<p class="ok" id="no-near-due">下一个工作日结束前没有到期的工单。</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="near-due"><thead><tr><th>工单编号</th><th>时限</th><th>承办单位</th><th>截止时间</th><th>剩余</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    let cut = if near.truncated {
        format!(
            r#"<p class="muted">只列出最早到期的 {} 件。</p>"#,
            near.clocks.len()
        )
    } else {
        String::new()
    };
    format!(
        r#"<h2>临近到期工单（{until} 前到期，{n} 件）</h2>{table}{cut}"#,
        until = due_time(near.until),
        n = near.clocks.len(),
    )
}

/// The near-due clocks, for the board.
pub async fn load(state: &AppState, headers: &HeaderMap) -> Result<NearDue, Problem> {
    call(
        state,
        verbs::DEADLINE_WATCHER_NEAR_DUE,
        &NearDueQuery { limit: Some(200) },
        &trace_of(headers),
    )
    .await
    .map_err(call_problem)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use hotline_contract::events::DeadlineClock;
    use hotline_contract::rpc::NearDueClock;
    use uuid::Uuid;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn near_due_clocks_are_listed_with_their_working_days_left() {
        let near = NearDue {
            at: at("2026-11-27T10:00:00+08:00"),
            until: at("2026-12-01T00:00:00+08:00"),
            clocks: vec![
                NearDueClock {
                    order_id: Uuid::nil(),
                    number: Some("52010220261127000001".into()),
                    clock: DeadlineClock::Sign,
                    unit_id: "520102-<env>".into(),
                    due_at: at("2026-12-01T00:00:00+08:00"),
                    working_days_left: Some(1),
                },
                NearDueClock {
                    order_id: Uuid::nil(),
                    number: None,
                    clock: DeadlineClock::Handling,
                    unit_id: "520102-env".into(),
                    due_at: at("2026-11-27T16:00:00+08:00"),
                    working_days_left: None,
                },
            ],
            truncated: true,
        };
        let html = section(Ok(&near));
        assert!(html.contains(r#"id="near-due""#), "{html}");
        assert!(html.contains("2026-11-30 24:00 前到期，2 件"), "{html}");
        assert!(html.contains("52010220261127000001") && html.contains("签收时限"));
        assert!(
            html.contains("剩余 1 个工作日（截止 11月30日 24:00）"),
            "{html}"
        );
        assert!(
            html.contains("剩余 6 小时 0 分"),
            "hours clocks count down the time"
        );
        assert!(html.contains("520102-&lt;env&gt;"), "escaped");
        assert!(html.contains("只列出最早到期的 2 件"));
    }

    #[test]
    fn nothing_near_due_says_so_and_a_failure_is_shown_in_place() {
        let near = NearDue {
            at: at("2026-11-27T10:00:00+08:00"),
            until: at("2026-12-01T00:00:00+08:00"),
            clocks: vec![],
            truncated: false,
        };
        assert!(section(Ok(&near)).contains("no-near-due"));
        let problem = Problem::unavailable("服务暂时不可用，请稍后重试");
        assert!(section(Err(&problem)).contains("服务暂时不可用"));
    }
}
