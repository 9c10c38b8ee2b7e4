//! The official working-day calendar (工作日历, A15, R-A15.2) as deadline-watcher holds it:
//! which years around today are loaded, and for one year its holidays, adjusted working
//! days (调休) and the count of working days, read through `rpc.deadline-watcher.calendar`
//! (the same as `GET /api/v1/calendar/{year}`). Deadline-watcher alone computes deadlines;
//! this page only shows its data. Loading a year stays an operator's task
//! (`docs/deadlines.md`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Datelike;
use hotline_contract::rpc::{CalendarQuery, CalendarYear, verbs};
use serde::Deserialize;

use super::{document, esc, html, problem_box};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, trace_of};

/// `?year=`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CalendarParams {
    #[serde(default)]
    pub year: Option<i32>,
}

/// The year's special days: holidays and adjusted working days, in date order (pure).
pub fn year_table(year: &CalendarYear) -> String {
    let rows: String = year
        .days
        .iter()
        .filter(|d| d.holiday.is_some() || d.adjusted_working_day)
        .map(|d| {
            let what = if d.adjusted_working_day {
                r#"<span class="countdown near">调休上班</span>"#
            } else if d.working {
                r#"<span class="countdown">工作日</span>"#
            } else {
                r#"<span class="countdown done">放假</span>"#
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.date.format("%Y-%m-%d"),
                esc(d.holiday.as_deref().unwrap_or("—")),
                what
            )
        })
        .collect();
    let table = if rows.is_empty() {
        r#"<p class="muted">该年度没有节假日或调休安排。</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="calendar-days"><thead><tr><th>日期</th><th>节日</th><th>安排</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    format!(
        r#"<p id="calendar-summary">{y} 年共 {days} 天，其中工作日 {working} 天。</p>{table}"#,
        y = year.year,
        days = year.days.len(),
        working = year.working_days,
    )
}

async fn load(state: &AppState, headers: &HeaderMap, year: i32) -> Result<CalendarYear, Problem> {
    call(
        state,
        verbs::DEADLINE_WATCHER_CALENDAR,
        &CalendarQuery { year },
        &trace_of(headers),
    )
    .await
    .map_err(call_problem)
}

/// `GET /console/admin/calendar?year=`: the loaded years around today and one year's days.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    params: Result<Query<CalendarParams>, QueryRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let this_year = super::beijing_date(chrono::Utc::now()).year();
    let asked = params
        .ok()
        .and_then(|Query(p)| p.year)
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(this_year);
    let mut years = Vec::new();
    for year in [this_year - 1, this_year, this_year + 1] {
        let loaded = load(&state, &headers, year).await.is_ok();
        years.push(format!(
            r#"<li><a href="/console/admin/calendar?year={year}">{year} 年</a> {}</li>"#,
            if loaded {
                r#"<span class="status">已加载</span>"#
            } else {
                r#"<span class="overdue">未加载</span>"#
            }
        ));
    }
    let detail = match load(&state, &headers, asked).await {
        Ok(year) => year_table(&year),
        Err(problem) => problem_box(&problem),
    };
    let body = format!(
        r#"<p class="muted">以工作日计算的办理时限（如“5个工作日内”）按国务院办公厅公布的节假日安排计算。年度日历由运维人员导入。</p><ul class="links" id="calendar-years">{years}</ul><h2>{asked} 年节假日与调休</h2>{detail}"#,
        years = years.concat(),
    );
    html(StatusCode::OK, document("工作日历", who, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use hotline_contract::rpc::CalendarDay;

    fn day(date: &str, working: bool, holiday: Option<&str>, adjusted: bool) -> CalendarDay {
        CalendarDay {
            date: date.parse::<NaiveDate>().unwrap(),
            working,
            holiday: holiday.map(str::to_owned),
            adjusted_working_day: adjusted,
        }
    }

    #[test]
    fn holidays_and_adjusted_days_are_listed() {
        let year = CalendarYear {
            year: 2026,
            working_days: 1,
            days: vec![
                day("2026-10-01", false, Some("国庆节"), false),
                day("2026-10-10", true, Some("国庆节"), true),
                day("2026-10-12", true, None, false),
            ],
        };
        let html = year_table(&year);
        assert!(html.contains("2026-10-01") && html.contains("放假"));
        assert!(html.contains("2026-10-10") && html.contains("调休上班"));
        assert!(!html.contains("2026-10-12"), "ordinary days are not listed");
        assert!(html.contains("工作日 1 天"));
    }
}
