//! The bulletins' rules (A18), pure: the periods (civil dates in Asia/Shanghai), which
//! period the schedule owes a bulletin for, the trend's buckets, the units' composite score
//! and the tiers (分档) they are ranked in. `docs/kpis.md` ("Bulletins") publishes them.

use std::collections::HashMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use hotline_contract::analytics::KpiRow;
use hotline_contract::bulletin::{PeriodKind, RankedUnit, Tier, TieringSource};

/// Whether `date` is the first day of a `kind` period.
pub fn is_period_start(kind: PeriodKind, date: NaiveDate) -> bool {
    period_containing(kind, date) == date
}

/// The first day of the `kind` period that holds `date`.
pub fn period_containing(kind: PeriodKind, date: NaiveDate) -> NaiveDate {
    let first_of = |month: u32| NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date);
    match kind {
        PeriodKind::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
        PeriodKind::Month => first_of(date.month()),
        PeriodKind::Quarter => first_of((date.month0() / 3) * 3 + 1),
        PeriodKind::Year => first_of(1),
    }
}

/// The day after the last day of the period starting on `start`.
pub fn period_end(kind: PeriodKind, start: NaiveDate) -> Option<NaiveDate> {
    match kind {
        PeriodKind::Week => start.checked_add_days(Days::new(7)),
        PeriodKind::Month => start.checked_add_months(Months::new(1)),
        PeriodKind::Quarter => start.checked_add_months(Months::new(3)),
        PeriodKind::Year => start.checked_add_months(Months::new(12)),
    }
}

/// The start of the latest `kind` period whose end is on or before `date`: the period the
/// schedule owes a bulletin for once `date` has begun (after its grace).
pub fn last_closed(kind: PeriodKind, date: NaiveDate) -> Option<NaiveDate> {
    let current = period_containing(kind, date);
    let before = current.pred_opt()?;
    Some(period_containing(kind, before))
}

/// How the trend is bucketed: `day`, `week` or `month` (a Postgres `date_trunc` field).
pub fn trend_bucket(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Week | PeriodKind::Month => "day",
        PeriodKind::Quarter => "week",
        PeriodKind::Year => "month",
    }
}

/// The period's name in Chinese: `2026年3月`, `2026年第1季度`, `2026年第10周（3月2日—3月8日）`.
pub fn period_label(kind: PeriodKind, start: NaiveDate) -> String {
    match kind {
        PeriodKind::Week => {
            let end = start + Days::new(6);
            format!(
                "{}年第{}周（{}月{}日—{}月{}日）",
                start.iso_week().year(),
                start.iso_week().week(),
                start.month(),
                start.day(),
                end.month(),
                end.day()
            )
        }
        PeriodKind::Month => format!("{}年{}月", start.year(), start.month()),
        PeriodKind::Quarter => format!("{}年第{}季度", start.year(), start.month0() / 3 + 1),
        PeriodKind::Year => format!("{}年", start.year()),
    }
}

/// The score's parts and their weights (`docs/kpis.md`): the outcomes a requester feels
/// most weigh most.
const WEIGHTS: [(&str, f64); 5] = [
    ("on_time_sign_rate", 0.15),
    ("on_time_completion_rate", 0.25),
    ("resolution_rate", 0.20),
    ("satisfaction_rate", 0.30),
    ("not_redone_rate", 0.10),
];

/// The composite score of a unit, 0–100, one decimal: the weighted mean of its on-time
/// sign-for, on-time completion, resolution and satisfaction rates and its share of results
/// not sent back, over the parts it has (a missing rate leaves the others' weights to carry
/// it). `None` when it has none.
pub fn score(row: &KpiRow) -> Option<f64> {
    let parts = [
        row.on_time_sign_rate,
        row.on_time_completion_rate,
        row.resolution_rate,
        row.satisfaction_rate,
        row.redo_rate.map(|r| 1.0 - r),
    ];
    let (mut sum, mut weight) = (0.0, 0.0);
    for ((_, w), part) in WEIGHTS.iter().zip(parts) {
        if let Some(p) = part {
            sum += w * p;
            weight += w;
        }
    }
    (weight > 0.0).then(|| (sum / weight * 1000.0).round() / 10.0)
}

/// What the directory says of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInfo {
    pub level: String,
    pub unit_type: String,
}

/// Volume tiers (used when the directory cannot be read): at least this many dispatched
/// orders in the period.
pub const VOLUME_LARGE: i64 = 100;
pub const VOLUME_MEDIUM: i64 = 20;

/// The row of orders closed at intake (not a unit).
pub const NOT_DISPATCHED: &str = "(未派单)";

fn level_label(level: &str) -> &str {
    match level {
        "province" => "省级",
        "prefecture" => "市（州）级",
        "county" => "县（区）级",
        "township" => "乡镇（街道）级",
        other => other,
    }
}

fn type_label(unit_type: &str) -> &str {
    match unit_type {
        "department" => "职能部门",
        "township_government" => "乡镇人民政府",
        "street_office" => "街道办事处",
        "authorised_org" => "授权组织",
        "public_enterprise" => "公共企事业单位",
        "sub_center" => "分中心",
        "government" => "人民政府",
        other => other,
    }
}

/// A unit's tier key and label.
fn tier_of(row: &KpiRow, directory: Option<&HashMap<String, UnitInfo>>) -> (String, String, usize) {
    match directory {
        Some(units) => match units.get(&row.key) {
            Some(info) => (
                format!("{}.{}", info.level, info.unit_type),
                format!(
                    "{}·{}",
                    level_label(&info.level),
                    type_label(&info.unit_type)
                ),
                level_order(&info.level),
            ),
            None => ("unlisted".to_owned(), "目录未收录单位".to_owned(), 9),
        },
        None => {
            let n = row.counts.dispatched;
            if n >= VOLUME_LARGE {
                (
                    "volume.large".to_owned(),
                    format!("派单量≥{VOLUME_LARGE}"),
                    0,
                )
            } else if n >= VOLUME_MEDIUM {
                (
                    "volume.medium".to_owned(),
                    format!("派单量{VOLUME_MEDIUM}–{}", VOLUME_LARGE - 1),
                    1,
                )
            } else {
                (
                    "volume.small".to_owned(),
                    format!("派单量<{VOLUME_MEDIUM}"),
                    2,
                )
            }
        }
    }
}

fn level_order(level: &str) -> usize {
    match level {
        "province" => 0,
        "prefecture" => 1,
        "county" => 2,
        "township" => 3,
        _ => 8,
    }
}

/// The units' rows (per-unit KPI rows; the not-dispatched row is left out) grouped into
/// tiers and ranked within each by score, best first; equal scores share no rank — the
/// unit with more dispatched orders comes first, then the unit id. Tiers by level
/// (province first), then key. `directory` is `None` when it could not be read: tiers by
/// volume then.
pub fn rank_in_tiers(
    rows: Vec<KpiRow>,
    directory: Option<&HashMap<String, UnitInfo>>,
) -> (TieringSource, Vec<Tier>) {
    let source = if directory.is_some() {
        TieringSource::Directory
    } else {
        TieringSource::Volume
    };
    let mut tiers: Vec<(usize, Tier)> = Vec::new();
    for row in rows.into_iter().filter(|r| r.key != NOT_DISPATCHED) {
        let (key, label, order) = tier_of(&row, directory);
        let unit = RankedUnit {
            rank: None,
            score: score(&row),
            kpis: row,
        };
        match tiers.iter_mut().find(|(_, t)| t.key == key) {
            Some((_, tier)) => tier.units.push(unit),
            None => tiers.push((
                order,
                Tier {
                    key,
                    label,
                    units: vec![unit],
                },
            )),
        }
    }
    tiers.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.key.cmp(&y.key)));
    let tiers = tiers
        .into_iter()
        .map(|(_, mut tier)| {
            tier.units.sort_by(|a, b| {
                let by_score = match (a.score, b.score) {
                    (Some(x), Some(y)) => y.total_cmp(&x),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                };
                by_score
                    .then_with(|| b.kpis.counts.dispatched.cmp(&a.kpis.counts.dispatched))
                    .then_with(|| a.kpis.key.cmp(&b.kpis.key))
            });
            let mut place = 0;
            for unit in &mut tier.units {
                if unit.score.is_some() {
                    place += 1;
                    unit.rank = Some(place);
                }
            }
            tier
        })
        .collect();
    (source, tiers)
}

#[cfg(test)]
mod tests {
    use hotline_contract::analytics::KpiCounts;

    use super::*;
    use crate::domain::kpi::kpis;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn periods_start_and_end_on_their_days() {
        // 2026-03-04 is a Wednesday.
        assert_eq!(
            period_containing(PeriodKind::Week, date(2026, 3, 4)),
            date(2026, 3, 2)
        );
        assert_eq!(
            period_containing(PeriodKind::Quarter, date(2026, 8, 31)),
            date(2026, 7, 1)
        );
        assert!(is_period_start(PeriodKind::Month, date(2026, 3, 1)));
        assert!(!is_period_start(PeriodKind::Month, date(2026, 3, 2)));
        assert!(!is_period_start(PeriodKind::Quarter, date(2026, 2, 1)));
        assert!(!is_period_start(PeriodKind::Week, date(2026, 3, 1)));
        assert_eq!(
            period_end(PeriodKind::Month, date(2026, 2, 1)),
            Some(date(2026, 3, 1))
        );
        assert_eq!(
            period_end(PeriodKind::Year, date(2026, 1, 1)),
            Some(date(2027, 1, 1))
        );
        assert_eq!(
            period_end(PeriodKind::Quarter, date(2026, 10, 1)),
            Some(date(2027, 1, 1))
        );
    }

    #[test]
    fn the_schedule_owes_the_period_that_just_closed() {
        assert_eq!(
            last_closed(PeriodKind::Month, date(2026, 4, 1)),
            Some(date(2026, 3, 1))
        );
        assert_eq!(
            last_closed(PeriodKind::Month, date(2026, 3, 31)),
            Some(date(2026, 2, 1))
        );
        assert_eq!(
            last_closed(PeriodKind::Week, date(2026, 3, 9)),
            Some(date(2026, 3, 2))
        );
        assert_eq!(
            last_closed(PeriodKind::Quarter, date(2026, 1, 15)),
            Some(date(2025, 10, 1))
        );
        assert_eq!(
            last_closed(PeriodKind::Year, date(2026, 1, 1)),
            Some(date(2025, 1, 1))
        );
    }

    #[test]
    fn labels_are_chinese() {
        assert_eq!(
            period_label(PeriodKind::Month, date(2026, 3, 1)),
            "2026年3月"
        );
        assert_eq!(
            period_label(PeriodKind::Quarter, date(2026, 10, 1)),
            "2026年第4季度"
        );
        assert_eq!(
            period_label(PeriodKind::Week, date(2026, 3, 2)),
            "2026年第10周（3月2日—3月8日）"
        );
    }

    fn unit(key: &str, c: KpiCounts) -> KpiRow {
        kpis(key.to_owned(), c)
    }

    #[test]
    fn the_score_weighs_the_rates_it_has() {
        // Everything perfect: 100. Only satisfaction, half: 50.
        let perfect = KpiCounts {
            dispatched: 2,
            signed: 2,
            sign_decided: 2,
            signed_on_time: 2,
            completion_decided: 2,
            completed_on_time: 2,
            with_result: 2,
            visited: 2,
            satisfied: 2,
            resolved: 2,
            ..KpiCounts::default()
        };
        assert_eq!(score(&unit("a", perfect)), Some(100.0));
        let half = KpiCounts {
            visited: 2,
            satisfied: 1,
            ..KpiCounts::default()
        };
        // Resolution 0 (weight .2) and satisfaction .5 (weight .3): .15 / .5 = 30.
        assert_eq!(score(&unit("b", half)), Some(30.0));
        assert_eq!(score(&unit("c", KpiCounts::default())), None);
        // On-time sign 1/3 only: 33.3.
        let sign = KpiCounts {
            sign_decided: 3,
            signed_on_time: 1,
            ..KpiCounts::default()
        };
        assert_eq!(score(&unit("d", sign)), Some(33.3));
    }

    #[test]
    fn units_are_ranked_within_their_directory_tier() {
        let good = KpiCounts {
            dispatched: 5,
            visited: 1,
            satisfied: 1,
            resolved: 1,
            ..KpiCounts::default()
        };
        let bad = KpiCounts {
            dispatched: 50,
            visited: 1,
            ..KpiCounts::default()
        };
        let rows = vec![
            unit("a-bad", bad),
            unit("b-good", good),
            unit("c-town", bad),
            unit("d-unknown", good),
            unit("e-none", KpiCounts::default()),
            unit(NOT_DISPATCHED, good),
        ];
        let info = |level: &str, t: &str| UnitInfo {
            level: level.to_owned(),
            unit_type: t.to_owned(),
        };
        let directory = HashMap::from([
            ("a-bad".to_owned(), info("county", "department")),
            ("b-good".to_owned(), info("county", "department")),
            ("e-none".to_owned(), info("county", "department")),
            ("c-town".to_owned(), info("township", "street_office")),
        ]);
        let (source, tiers) = rank_in_tiers(rows.clone(), Some(&directory));
        assert_eq!(source, TieringSource::Directory);
        let keys: Vec<(&str, &str)> = tiers
            .iter()
            .map(|t| (t.key.as_str(), t.label.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("county.department", "县（区）级·职能部门"),
                ("township.street_office", "乡镇（街道）级·街道办事处"),
                ("unlisted", "目录未收录单位"),
            ]
        );
        let county: Vec<(&str, Option<u32>)> = tiers[0]
            .units
            .iter()
            .map(|u| (u.kpis.key.as_str(), u.rank))
            .collect();
        assert_eq!(
            county,
            [("b-good", Some(1)), ("a-bad", Some(2)), ("e-none", None)]
        );
        assert_eq!(tiers[1].units[0].rank, Some(1));

        // No directory: by volume; the not-dispatched row is never a unit.
        let (source, tiers) = rank_in_tiers(rows, None);
        assert_eq!(source, TieringSource::Volume);
        let keys: Vec<(&str, usize)> = tiers
            .iter()
            .map(|t| (t.key.as_str(), t.units.len()))
            .collect();
        assert_eq!(keys, [("volume.medium", 2), ("volume.small", 3)]);
    }
}
