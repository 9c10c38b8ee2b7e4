//! The center's boards: the supervision board (督办看板, A17, A20 dynamic monitoring; the
//! clocks about to run out from the deadline-watcher in [`super::near_due`], its open
//! cases and escalations from supervision in [`super::cases`]) and
//! the analytics dashboard (数据看板, A18, A20). Both read analytics' projections through
//! the same RPCs as `GET /api/v1/monitor` and `GET /api/v1/kpis`; figures only, no personal
//! data (the stuck list names order numbers, regions and units). The bars are inline SVG
//! drawn here ([`bars`]), so the page needs no script and no chart library; the published
//! bulletins are linked in their HTML rendering (`/api/v1/bulletins/{id}?format=html`).

use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use hotline_contract::analytics::{
    KpiQuery, KpiReport, KpiRow, KpiSlice, MonitorQuery, MonitorReport, Stage,
};
use hotline_contract::bulletin::{BulletinList, BulletinsQuery};
use hotline_contract::rpc::verbs;
use serde::Deserialize;

use super::countdown::countdown;
use super::{beijing, document, esc, html, problem_page};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, trace_of};

/// Horizontal bars for `(label, share 0..=1)` rows, as an inline SVG; a row without a
/// value shows "—".
pub fn bars(title: &str, rows: &[(String, Option<f64>)]) -> String {
    const ROW: usize = 26;
    const LABEL: usize = 150;
    const WIDTH: usize = 300;
    let height = ROW * rows.len().max(1) + 8;
    let body: String = rows
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let y = i * ROW + 4;
            let (w, text) = match value {
                Some(v) => {
                    let v = v.clamp(0.0, 1.0);
                    ((v * WIDTH as f64).round() as usize, format!("{:.1}%", v * 100.0))
                }
                None => (0, "—".to_owned()),
            };
            format!(
                r##"<text x="0" y="{ty}" font-size="13">{label}</text><rect x="{LABEL}" y="{y}" width="{w}" height="18" fill="#b3261e"/><text x="{tx}" y="{ty}" font-size="13">{text}</text>"##,
                ty = y + 14,
                tx = LABEL + w + 6,
                label = esc(label),
            )
        })
        .collect();
    format!(
        r#"<figure><figcaption>{title}</figcaption><svg class="bars" role="img" aria-label="{title}" width="{total}" height="{height}" viewBox="0 0 {total} {height}" xmlns="http://www.w3.org/2000/svg">{body}</svg></figure>"#,
        title = esc(title),
        total = LABEL + WIDTH + 60,
    )
}

/// A rate as a percentage, "—" when nothing was measured.
fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::AwaitingDispatch => "待派单",
        Stage::AwaitingSign => "待签收",
        Stage::AwaitingResult => "办理中",
        Stage::AwaitingClose => "待办结",
    }
}

/// The boards' query string: a region, and for the dashboard the period and slice.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BoardParams {
    #[serde(default)]
    pub region_code: Option<String>,
    /// First day of the period (Beijing date), default the first of this month.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day of the period (inclusive), default today.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub slice: Option<String>,
}

fn region(params: &BoardParams) -> Option<String> {
    params
        .region_code
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

/// Midnight of a Beijing date, as an instant.
fn beijing_midnight(date: NaiveDate) -> Option<DateTime<Utc>> {
    let offset = chrono::FixedOffset::east_opt(8 * 3600)?;
    offset
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The period `[from, to + 1 day)` the dashboard asks for, from the form's dates.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let parse = |text: Option<&str>, default: NaiveDate| match text.map(str::trim) {
        None | Some("") => Ok(default),
        Some(t) => t
            .parse::<NaiveDate>()
            .map_err(|_| format!("日期格式应为 YYYY-MM-DD：{t}")),
    };
    let first = today.with_day(1).unwrap_or(today);
    let (from, to) = (parse(from, first)?, parse(to, today)?);
    if to < from {
        return Err("结束日期早于开始日期".to_owned());
    }
    Ok((from, to))
}

/// `GET /console/supervision`: open orders by stage, the stuck ones with how long they are
/// overdue (A17), for the center and the authority.
pub async fn supervision(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Query(params): Query<BoardParams>,
) -> Response {
    let who = Some((&principal, &csrf));
    let query = MonitorQuery {
        region_code: region(&params),
        rollup: None,
        stuck_limit: Some(200),
    };
    let reply: Result<MonitorReport, Problem> = call(
        &state,
        verbs::ANALYTICS_MONITOR,
        &query,
        &trace_of(&headers),
    )
    .await
    .map_err(call_problem);
    let report = match reply {
        Ok(report) => report,
        Err(problem) => return problem_page(&problem, who),
    };
    let c = &report.counts;
    let cards = format!(
        r#"<table id="stages"><thead><tr><th>待派单</th><th>待签收</th><th>办理中</th><th>待办结</th><th>今日办结</th><th>超时滞留</th></tr></thead><tbody><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="{}">{}</td></tr></tbody></table>"#,
        c.awaiting_dispatch,
        c.awaiting_sign,
        c.awaiting_result,
        c.awaiting_close,
        c.closed_today,
        if c.stuck > 0 { "overdue" } else { "" },
        c.stuck,
    );
    let now = report.at;
    let rows: String = report
        .stuck
        .iter()
        .map(|s| {
            let (text, class) = countdown(
                hotline_contract::rpc::ClockState::Running,
                s.expected_by,
                None,
                now,
            );
            format!(
                r#"<tr><td>{number}</td><td>{stage}</td><td>{unit}</td><td>{region}</td><td>{since}</td><td>{due}</td><td><span class="countdown {class}">{text}</span></td></tr>"#,
                number = esc(&s.number),
                stage = stage_label(s.stage),
                unit = esc(s.unit_id.as_deref().unwrap_or("—")),
                region = esc(s.region_code.as_deref().unwrap_or("—")),
                since = beijing(s.since),
                due = beijing(s.expected_by),
            )
        })
        .collect();
    let stuck = if rows.is_empty() {
        r#"<p class="ok">目前没有超时滞留的工单。</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="stuck"><thead><tr><th>工单编号</th><th>环节</th><th>承办单位</th><th>区域</th><th>进入环节</th><th>应完成</th><th>超期</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    let r = &report.registrations;
    let near_due = super::near_due::load(&state, &headers).await;
    let near_due = super::near_due::section(near_due.as_ref());
    let cases = super::cases::open_cases(&state, &headers, None).await;
    let cases = super::cases::section(cases.as_ref());
    let body = format!(
        r#"<form class="filters" method="get" action="/console/supervision"><label>区域代码<input name="region_code" value="{region}" inputmode="numeric" maxlength="6"></label><button type="submit">筛选</button></form>
<p class="muted">统计时间：{at}。今日受理 {today} 件（上周同日 {last}）。</p>
<h2>各环节工单</h2>{cards}
{near_due}
<h2>超时滞留工单（应督办）</h2>{stuck}
{cases}"#,
        region = esc(params.region_code.as_deref().unwrap_or("")),
        at = beijing(report.at),
        today = r.today,
        last = r.same_weekday_last_week,
    );
    html(StatusCode::OK, document("督办看板", who, &body))
}

/// `GET /console/analytics`: the KPI table of a period and region by slice, with bars,
/// and the published bulletins (A18).
pub async fn analytics(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    Query(params): Query<BoardParams>,
) -> Response {
    let who = Some((&principal, &csrf));
    let today = beijing_today();
    let invalid = |detail: String| {
        problem_page(
            &Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_period",
                "查询条件有误",
                &detail,
            ),
            who,
        )
    };
    let (from, to) = match period(params.from.as_deref(), params.to.as_deref(), today) {
        Ok(p) => p,
        Err(detail) => return invalid(detail),
    };
    let slice_word = params.slice.as_deref().unwrap_or("unit");
    let Ok(slice) =
        serde_json::from_value::<KpiSlice>(serde_json::Value::String(slice_word.to_owned()))
    else {
        return invalid(format!("未知的统计维度：{slice_word}"));
    };
    let (Some(start), Some(end)) = (
        beijing_midnight(from),
        to.succ_opt().and_then(beijing_midnight),
    ) else {
        return invalid("日期超出范围".to_owned());
    };
    let trace = trace_of(&headers);
    let query = KpiQuery {
        from: start,
        to: end,
        slice,
        region_code: region(&params),
    };
    let reply: Result<KpiReport, Problem> = call(&state, verbs::ANALYTICS_KPIS, &query, &trace)
        .await
        .map_err(call_problem);
    let report = match reply {
        Ok(report) => report,
        Err(problem) => return problem_page(&problem, who),
    };
    let bulletins: Option<BulletinList> = call(
        &state,
        verbs::ANALYTICS_BULLETINS,
        &BulletinsQuery {
            kind: None,
            limit: Some(20),
        },
        &trace,
    )
    .await
    .ok();
    let body = format!(
        r#"<form class="filters" method="get" action="/console/analytics">
<label>开始日期<input name="from" type="date" value="{from}"></label>
<label>结束日期<input name="to" type="date" value="{to}"></label>
<label>区域代码<input name="region_code" value="{region}" inputmode="numeric" maxlength="6"></label>
<label>统计维度<select name="slice">{slices}</select></label>
<button type="submit" id="query-kpis">查询</button></form>
{table}{charts}<h2>通报</h2>{bulletins}"#,
        region = esc(params.region_code.as_deref().unwrap_or("")),
        slices = slice_options(slice_word),
        table = kpi_table(&report.rows),
        charts = kpi_charts(&report.rows),
        bulletins = bulletin_links(bulletins.as_ref()),
    );
    html(StatusCode::OK, document("数据看板", who, &body))
}

/// Today's date in Beijing.
fn beijing_today() -> NaiveDate {
    super::beijing_date(Utc::now())
}

const SLICES: [(&str, &str); 8] = [
    ("unit", "承办单位"),
    ("all", "全部"),
    ("province", "全省"),
    ("prefecture", "市（州）"),
    ("county", "县（区）"),
    ("kind", "诉求类型"),
    ("channel", "渠道"),
    ("category", "事项分类"),
];

fn slice_options(selected: &str) -> String {
    SLICES
        .iter()
        .map(|(code, label)| {
            format!(
                r#"<option value="{code}"{sel}>{label}</option>"#,
                sel = if *code == selected { " selected" } else { "" }
            )
        })
        .collect()
}

/// The KPI table (A18's measures; see docs/kpis.md).
pub fn kpi_table(rows: &[KpiRow]) -> String {
    if rows.is_empty() {
        return r#"<p id="kpis">所选期间没有工单。</p>"#.to_owned();
    }
    let body: String = rows
        .iter()
        .map(|r| {
            format!(
                "<tr><td>{key}</td><td>{reg}</td><td>{sign}</td><td>{done}</td><td>{resolved}</td><td>{sat}</td><td>{dispute}</td><td>{redo}</td><td>{cases}</td></tr>",
                key = esc(&r.key),
                reg = r.counts.registered,
                sign = pct(r.on_time_sign_rate),
                done = pct(r.on_time_completion_rate),
                resolved = pct(r.resolution_rate),
                sat = pct(r.satisfaction_rate),
                dispute = pct(r.dispute_rate),
                redo = pct(r.redo_rate),
                cases = r.supervision_cases,
            )
        })
        .collect();
    format!(
        r#"<table id="kpis"><thead><tr><th>维度</th><th>受理量</th><th>按时签收率</th><th>按时办结率</th><th>解决率</th><th>满意率</th><th>异议率</th><th>重办率</th><th>督办件</th></tr></thead><tbody>{body}</tbody></table>"#
    )
}

fn kpi_charts(rows: &[KpiRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let take = |f: fn(&KpiRow) -> Option<f64>| -> Vec<(String, Option<f64>)> {
        rows.iter()
            .take(30)
            .map(|r| (r.key.clone(), f(r)))
            .collect()
    };
    format!(
        r#"<div class="charts">{}{}</div>"#,
        bars("按时办结率", &take(|r| r.on_time_completion_rate)),
        bars("满意率", &take(|r| r.satisfaction_rate)),
    )
}

fn bulletin_links(list: Option<&BulletinList>) -> String {
    let Some(list) = list else {
        return r#"<p class="muted">通报暂时无法查询。</p>"#.to_owned();
    };
    if list.bulletins.is_empty() {
        return "<p>暂无通报。</p>".to_owned();
    }
    let items: String = list
        .bulletins
        .iter()
        .map(|b| {
            format!(
                r#"<li><a href="/api/v1/bulletins/{id}?format=html">{start} 至 {end} 通报（第 {edition} 版，受理 {registered} 件）</a></li>"#,
                id = b.bulletin_id,
                start = b.period_start,
                end = b.period_end,
                edition = b.edition,
                registered = b.registered,
            )
        })
        .collect();
    format!(r#"<ul class="links" id="bulletins">{items}</ul>"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_share_and_escape_labels() {
        let svg = bars(
            "满意率",
            &[("<u>".to_owned(), Some(0.5)), ("b".to_owned(), None)],
        );
        assert!(svg.contains(r#"width="150" height="18""#), "{svg}");
        assert!(svg.contains("50.0%"));
        assert!(svg.contains("&lt;u&gt;"));
        assert!(svg.contains("—"));
    }

    #[test]
    fn the_period_defaults_to_this_month_and_refuses_reversed_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 17).unwrap_or_default();
        let (from, to) = period(None, Some(""), today).unwrap_or((today, today));
        assert_eq!(from.to_string(), "2026-03-01");
        assert_eq!(to, today);
        assert!(period(Some("2026-03-10"), Some("2026-03-01"), today).is_err());
        assert!(period(Some("10/03/2026"), None, today).is_err());
    }

    #[test]
    fn beijing_midnight_is_sixteen_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        assert_eq!(
            beijing_midnight(d).map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-02-28T16:00:00+00:00")
        );
    }
}
