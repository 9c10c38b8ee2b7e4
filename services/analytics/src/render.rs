//! A bulletin rendered (A18): a self-contained HTML page with hand-written inline SVG
//! charts — a bar chart of the units' scores per tier and trend lines of the volumes and of
//! the on-time completion and satisfaction rates — with no script and no external asset
//! (the gateway serves it under a CSP that allows inline styles only), and the units' KPIs
//! as CSV. Labels in Chinese. Everything that came from data is escaped.

use std::fmt::Write as _;

use chrono::NaiveDate;
use chrono_tz::Asia::Shanghai;
use hotline_contract::analytics::KpiRow;
use hotline_contract::bulletin::{Bulletin, Tier, TieringSource};

use crate::domain::bulletin::{period_label, trend_bucket};

/// Text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn days(mean: Option<f64>) -> String {
    mean.map_or_else(|| "—".to_owned(), |d| format!("{d:.2}"))
}

fn ratio(n: i64, d: i64) -> String {
    format!("{n}/{d}")
}

/// The KPIs of docs/kpis.md in the bulletin's order: name, value, parts.
fn kpi_lines(r: &KpiRow) -> Vec<(&'static str, String, String)> {
    let c = &r.counts;
    vec![
        (
            "按时签收率",
            percent(r.on_time_sign_rate),
            ratio(c.signed_on_time, c.sign_decided),
        ),
        (
            "响应率",
            percent(r.response_rate),
            ratio(c.signed, c.dispatched),
        ),
        (
            "按时办结率",
            percent(r.on_time_completion_rate),
            ratio(c.completed_on_time, c.completion_decided),
        ),
        (
            "解决率",
            percent(r.resolution_rate),
            ratio(c.resolved, c.visited),
        ),
        (
            "满意率",
            percent(r.satisfaction_rate),
            ratio(c.satisfied, c.visited),
        ),
        (
            "直接答复率",
            percent(r.direct_answer_rate),
            ratio(c.answered_directly, c.registered),
        ),
        (
            "异议率",
            percent(r.dispute_rate),
            ratio(c.disputed, c.dispatched),
        ),
        (
            "派单准确率",
            percent(r.dispatch_accuracy),
            ratio(c.dispatched - c.redispatched, c.dispatched),
        ),
        (
            "退回重办率",
            percent(r.redo_rate),
            ratio(c.redone, c.with_result),
        ),
        (
            "重复诉求率",
            percent(r.repeat_rate),
            ratio(c.repeats, c.registered),
        ),
        ("督办数", r.supervision_cases.to_string(), String::new()),
        (
            "整改率",
            percent(r.rectification_rate),
            ratio(c.cases_closed, c.cases),
        ),
        (
            "平均办理时长（工作日）",
            days(r.average_handling_working_days),
            ratio(c.working_days_sum, c.timed),
        ),
    ]
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif;\
margin:24px auto;max-width:1000px;color:#222;line-height:1.5}\
h1{font-size:24px;text-align:center;color:#b71c1c}h2{font-size:19px;border-left:5px solid #b71c1c;\
padding-left:8px;margin-top:28px}h3{font-size:16px}.meta{text-align:center;color:#555}\
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}\
th,td{border:1px solid #ccc;padding:4px 6px;text-align:right}th{background:#f3f3f3}\
td.l,th.l{text-align:left}.cards{display:flex;flex-wrap:wrap;gap:8px}\
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}\
.card b{display:block;font-size:22px;color:#b71c1c}svg{display:block;margin:8px 0}\
.note{color:#666;font-size:12px}";

/// The bulletin as a self-contained HTML page.
pub fn html(b: &Bulletin) -> String {
    let title = format!(
        "12345政务服务便民热线{}{}",
        period_label(b.kind, b.period_start),
        b.kind.label()
    );
    let last_day = b.period_end.pred_opt().unwrap_or(b.period_end);
    let generated = b.generated_at.with_timezone(&Shanghai);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>{t}</title><style>{STYLE}</style></head><body>\n<h1>{t}</h1>\n\
         <p class=\"meta\">统计期间：{s} 至 {e}（按登记时间，北京时间）　第{ed}版（{trig}）　生成于 {g}</p>\n",
        t = esc(&title),
        s = b.period_start.format("%Y年%m月%d日"),
        e = last_day.format("%Y年%m月%d日"),
        ed = b.edition,
        trig = match b.trigger {
            hotline_contract::bulletin::BulletinTrigger::Schedule => "定期生成",
            hotline_contract::bulletin::BulletinTrigger::Demand => "按需生成",
        },
        g = generated.format("%Y-%m-%d %H:%M"),
    );
    if !b.complete {
        h.push_str("<p class=\"meta\">统计期间尚未结束，数据截至生成时。</p>\n");
    }
    overview(&mut h, &b.totals);
    trend(&mut h, b);
    tiers(&mut h, b);
    supervision(&mut h, b);
    hotspots(&mut h, b);
    h.push_str(
        "<h2>附：说明</h2><p class=\"note\">各项指标的分子、分母、排除项及依据事件见 docs/kpis.md。\
         综合得分（0–100）= 按时签收率×15% + 按时办结率×25% + 解决率×20% + 满意率×30% + \
         （1−退回重办率）×10%，缺项时按其余各项权重折算。单位按分档同档比较：\
         依单位名录的层级与类型分档；名录无法读取时按派单量分档。</p>\n</body></html>\n",
    );
    h
}

fn overview(h: &mut String, t: &KpiRow) {
    let c = &t.counts;
    h.push_str("<h2>一、总体情况</h2>\n<div class=\"cards\">");
    for (name, n) in [
        ("登记工单", c.registered),
        ("直接答复", c.answered_directly),
        ("派单", c.dispatched),
        ("签收", c.signed),
        ("提交办理结果", c.with_result),
        ("回访", c.visited),
        ("督办", c.cases),
    ] {
        let _ = write!(h, "<div class=\"card\">{name}<b>{n}</b></div>");
    }
    h.push_str("</div>\n<table><tr><th class=\"l\">指标</th><th>数值</th><th>分子/分母</th></tr>");
    for (name, value, parts) in kpi_lines(t) {
        let _ = write!(
            h,
            "<tr><td class=\"l\">{name}</td><td>{value}</td><td>{parts}</td></tr>"
        );
    }
    h.push_str("</table>\n");
}

/// The label of a trend bucket on the x axis.
fn bucket_label(bucket: &str, key: &str) -> String {
    match NaiveDate::parse_from_str(key, "%Y-%m-%d") {
        Ok(d) if bucket == "month" => d.format("%-m月").to_string(),
        Ok(d) => d.format("%-m/%-d").to_string(),
        Err(_) => key.to_owned(),
    }
}

fn trend(h: &mut String, b: &Bulletin) {
    let bucket = trend_bucket(b.kind);
    let unit = match bucket {
        "day" => "日",
        "week" => "周",
        _ => "月",
    };
    let _ = writeln!(h, "<h2>二、趋势（按{unit}）</h2>");
    if b.trend.is_empty() {
        h.push_str("<p>本期无工单。</p>\n");
        return;
    }
    let labels: Vec<String> = b
        .trend
        .iter()
        .map(|r| bucket_label(bucket, &r.key))
        .collect();
    let count = |f: fn(&KpiRow) -> i64| -> Vec<Option<f64>> {
        b.trend.iter().map(|r| Some(f(r) as f64)).collect()
    };
    h.push_str(&line_chart(
        "工单量趋势",
        &labels,
        &[
            ("登记量", "#1565c0", count(|r| r.counts.registered)),
            ("派单量", "#ef6c00", count(|r| r.counts.dispatched)),
        ],
        false,
    ));
    h.push_str(&line_chart(
        "按时办结率与满意率趋势",
        &labels,
        &[
            (
                "按时办结率",
                "#2e7d32",
                b.trend.iter().map(|r| r.on_time_completion_rate).collect(),
            ),
            (
                "满意率",
                "#b71c1c",
                b.trend.iter().map(|r| r.satisfaction_rate).collect(),
            ),
        ],
        true,
    ));
}

/// A line chart: one polyline per series (gaps where a value is absent), y from 0 to a
/// rounded maximum (or 0–100 % for rates).
fn line_chart(
    title: &str,
    labels: &[String],
    series: &[(&str, &str, Vec<Option<f64>>)],
    rates: bool,
) -> String {
    let (w, hgt, left, right, top, bottom) = (960.0, 300.0, 56.0, 20.0, 40.0, 48.0);
    let plot_w = w - left - right;
    let plot_h = hgt - top - bottom;
    let max = if rates {
        1.0
    } else {
        let m = series
            .iter()
            .flat_map(|(_, _, v)| v.iter().flatten())
            .fold(0.0_f64, |a, &b| a.max(b));
        nice_max(m)
    };
    let n = labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{hgt}\" \
         viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
         <text x=\"{cx}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{t}</text>",
        t = esc(title),
        cx = w / 2.0
    );
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let label = if rates {
            format!("{:.0}%", v * 100.0)
        } else {
            format!("{v:.0}")
        };
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{x2}\" y2=\"{yy:.1}\" stroke=\"#e0e0e0\"/>\
             <text x=\"{lx}\" y=\"{ty:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">{label}</text>",
            yy = y(v),
            x2 = w - right,
            lx = left - 6.0,
            ty = y(v) + 4.0
        );
    }
    let step = labels.len().div_ceil(16).max(1);
    for (i, label) in labels.iter().enumerate() {
        if i % step == 0 || i + 1 == labels.len() {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">{}</text>",
                x(i),
                hgt - bottom + 16.0,
                esc(label)
            );
        }
    }
    for (k, (name, color, values)) in series.iter().enumerate() {
        // Each run of present values is its own polyline.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    if let Some(run) = runs.last_mut() {
                        run.push((x(i), y(*v)));
                    }
                }
                None => runs.push(Vec::new()),
            }
        }
        for run in runs.iter().filter(|r| !r.is_empty()) {
            let points: Vec<String> = run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(
                s,
                "<polyline class=\"line\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
                points.join(" ")
            );
            for (a, b) in run {
                let _ = write!(
                    s,
                    "<circle cx=\"{a:.1}\" cy=\"{b:.1}\" r=\"2.5\" fill=\"{color}\"/>"
                );
            }
        }
        let lx = left + 10.0 + 130.0 * k as f64;
        let ly = hgt - 10.0;
        let _ = write!(
            s,
            "<rect x=\"{lx}\" y=\"{:.1}\" width=\"14\" height=\"4\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{ly}\" font-size=\"12\">{}</text>",
            ly - 6.0,
            lx + 18.0,
            esc(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// 1, 2 or 5 times a power of ten, at least `m` (and at least 1).
fn nice_max(m: f64) -> f64 {
    let mut p = 1.0;
    loop {
        for f in [1.0, 2.0, 5.0] {
            if f * p >= m {
                return f * p;
            }
        }
        p *= 10.0;
    }
}

fn tiers(h: &mut String, b: &Bulletin) {
    h.push_str("<h2>三、承办单位分档排名</h2>\n");
    let rule = match b.tiering {
        TieringSource::Directory => "按单位名录中的层级与类型分档，同档内按综合得分排名。",
        TieringSource::Volume => "单位名录暂无法读取，本期按派单量分档，同档内按综合得分排名。",
    };
    let _ = writeln!(h, "<p class=\"note\">{rule}</p>");
    if b.tiers.is_empty() {
        h.push_str("<p>本期无派单。</p>\n");
    }
    for (i, tier) in b.tiers.iter().enumerate() {
        let _ = writeln!(h, "<h3>第{}档：{}</h3>", i + 1, esc(&tier.label));
        h.push_str(&bar_chart(tier));
        h.push_str(
            "<table><tr><th>名次</th><th class=\"l\">单位</th><th>综合得分</th><th>派单</th>\
             <th>按时签收率</th><th>按时办结率</th><th>解决率</th><th>满意率</th><th>退回重办率</th>\
             <th>督办</th><th>整改率</th><th>平均办理时长</th></tr>",
        );
        for u in &tier.units {
            let r = &u.kpis;
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                u.rank.map_or_else(|| "—".to_owned(), |n| n.to_string()),
                esc(&r.key),
                u.score
                    .map_or_else(|| "—".to_owned(), |s| format!("{s:.1}")),
                r.counts.dispatched,
                percent(r.on_time_sign_rate),
                percent(r.on_time_completion_rate),
                percent(r.resolution_rate),
                percent(r.satisfaction_rate),
                percent(r.redo_rate),
                r.supervision_cases,
                percent(r.rectification_rate),
                days(r.average_handling_working_days),
            );
        }
        h.push_str("</table>\n");
    }
}

/// Horizontal bars of the tier's scores, best first.
fn bar_chart(tier: &Tier) -> String {
    let (w, left, bar_max, row, top) = (960.0, 240.0, 620.0, 26.0, 34.0);
    let hgt = top + row * tier.units.len() as f64 + 30.0;
    let title = format!("{}综合得分", tier.label);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart scores\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{hgt}\" \
         viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
         <text x=\"{cx}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{t}</text>",
        t = esc(&title),
        cx = w / 2.0
    );
    for k in 0..=4 {
        let gx = left + bar_max * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{gx}\" y1=\"{top}\" x2=\"{gx}\" y2=\"{:.1}\" stroke=\"#e0e0e0\"/>\
             <text x=\"{gx}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#555\">{}</text>",
            hgt - 26.0,
            hgt - 12.0,
            k * 25
        );
    }
    for (i, u) in tier.units.iter().enumerate() {
        let y = top + row * i as f64;
        let score = u.score.unwrap_or(0.0);
        let bw = bar_max * score / 100.0;
        let label = match u.rank {
            Some(n) => format!("{n}. {}", u.kpis.key),
            None => format!("— {}", u.kpis.key),
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect class=\"bar\" x=\"{left}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"#c62828\">\
             <title>{}：{}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            left - 8.0,
            y + 16.0,
            esc(&label),
            y + 4.0,
            row - 8.0,
            esc(&u.kpis.key),
            u.score
                .map_or_else(|| "无可计分项".to_owned(), |s| format!("{s:.1}")),
            left + bw + 6.0,
            y + 16.0,
            u.score
                .map_or_else(|| "—".to_owned(), |s| format!("{s:.1}")),
        );
    }
    s.push_str("</svg>\n");
    s
}

fn supervision(h: &mut String, b: &Bulletin) {
    let s = &b.supervision;
    let _ = write!(
        h,
        "<h2>四、督办与整改</h2>\n<p>本期工单被督办 {} 件，已整改办结 {} 件，整改率 {}。</p>\n",
        s.cases,
        s.rectified,
        percent(s.rectification_rate)
    );
    if s.list.is_empty() {
        return;
    }
    h.push_str(
        "<table><tr><th class=\"l\">工单编号</th><th class=\"l\">承办单位</th><th>督办时间</th><th>整改办结时间</th></tr>",
    );
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or_else(
            || "未办结".to_owned(),
            |t| {
                t.with_timezone(&Shanghai)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            },
        )
    };
    for c in &s.list {
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(c.order_number.as_deref().unwrap_or("—")),
            esc(c.unit_id.as_deref().unwrap_or("—")),
            when(c.opened_at).replace("未办结", "—"),
            when(c.closed_at),
        );
    }
    h.push_str("</table>\n");
    if s.cases > s.list.len() as i64 {
        let _ = writeln!(h, "<p class=\"note\">仅列前 {} 件。</p>", s.list.len());
    }
}

fn hotspots(h: &mut String, b: &Bulletin) {
    h.push_str("<h2>五、热点难点问题</h2>\n");
    if b.hotspots.is_empty() {
        h.push_str("<p>本期未发现热点。</p>\n");
        return;
    }
    h.push_str(
        "<table><tr><th class=\"l\">区划</th><th class=\"l\">共同关键词</th><th>本期工单</th>\
         <th>累计工单</th><th>职责不清占比</th><th class=\"l\">报送</th></tr>",
    );
    for s in &b.hotspots {
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            esc(&s.region_code),
            esc(&s.keywords.join("、")),
            s.orders_in_period,
            s.order_count,
            percent(Some(s.unclear_share)),
            esc(&s.addressed_to),
        );
    }
    h.push_str("</table>\n");
}

/// A CSV field: quoted when needed; a leading `=`, `+`, `-` or `@` is defused for
/// spreadsheets.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn decimal(rate: Option<f64>) -> String {
    rate.map_or_else(String::new, |r| format!("{r:.4}"))
}

/// The units' KPIs, one line per unit by tier and rank, then the period's totals (UTF-8
/// with a BOM, so spreadsheet programs read the Chinese header). Rates as fractions.
pub fn csv(b: &Bulletin) -> String {
    let mut out = String::from(
        "\u{feff}档次,名次,单位,综合得分,登记量,派单量,签收量,按时签收率,响应率,按时办结率,解决率,满意率,\
         直接答复率,异议率,派单准确率,退回重办率,重复诉求率,督办数,整改率,平均办理时长（工作日）\r\n",
    );
    let line = |out: &mut String, tier: &str, rank: String, score: String, r: &KpiRow| {
        let c = &r.counts;
        let cells = [
            field(tier),
            rank,
            field(&r.key),
            score,
            c.registered.to_string(),
            c.dispatched.to_string(),
            c.signed.to_string(),
            decimal(r.on_time_sign_rate),
            decimal(r.response_rate),
            decimal(r.on_time_completion_rate),
            decimal(r.resolution_rate),
            decimal(r.satisfaction_rate),
            decimal(r.direct_answer_rate),
            decimal(r.dispute_rate),
            decimal(r.dispatch_accuracy),
            decimal(r.redo_rate),
            decimal(r.repeat_rate),
            r.supervision_cases.to_string(),
            decimal(r.rectification_rate),
            r.average_handling_working_days
                .map_or_else(String::new, |d| format!("{d:.2}")),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    for tier in &b.tiers {
        for u in &tier.units {
            line(
                &mut out,
                &tier.label,
                u.rank.map_or_else(String::new, |n| n.to_string()),
                u.score.map_or_else(String::new, |s| format!("{s:.1}")),
                &u.kpis,
            );
        }
    }
    line(&mut out, "合计", String::new(), String::new(), &b.totals);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_data_is_escaped() {
        assert_eq!(esc("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn axes_round_up() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(13.0), 20.0);
        assert_eq!(nice_max(230.0), 500.0);
    }
}
