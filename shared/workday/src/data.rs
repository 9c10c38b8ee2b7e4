//! Loading and validating calendar data (CSV: `date,kind,holiday`).

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};

use crate::CalendarError;

/// The embedded default calendar.
///
/// Source: the State Council's public-holiday notices for 2024, 2025 and 2026,
/// as compiled by the public holiday-cn data set (copied from
/// `/work/shared/data/cn-public-holidays-2024-2026.csv`; see `data/README.md`).
pub(crate) const OFFICIAL_CSV: &str = include_str!("../data/cn-public-holidays.csv");

/// The header every calendar file must start with.
const HEADER: [&str; 3] = ["date", "kind", "holiday"];

/// How a listed date departs from the Monday–Friday rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayKind {
    /// A rest day (holiday, or part of the holiday block).
    Off,
    /// An adjusted working day on a weekend (调休).
    Workday,
}

/// One listed date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub(crate) kind: DayKind,
    pub(crate) holiday: String,
    /// 1-based source line, for duplicate reports.
    line: usize,
}

/// Parsed and validated calendar data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Data {
    pub(crate) days: BTreeMap<NaiveDate, Listed>,
    pub(crate) years: BTreeSet<i32>,
}

/// Parses and validates CSV calendar data.
///
/// Rules: the header is exactly `date,kind,holiday`; fields are trimmed;
/// lines starting with `#` are comments; blank lines are skipped; `date` is
/// `YYYY-MM-DD`; `kind` is `off` (any day) or `workday` (Saturday or Sunday
/// only); each date appears at most once; at least one row is required.
pub(crate) fn parse(text: &str) -> Result<Data, CalendarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());

    let header = reader.headers().map_err(|e| csv_error(&e, 1))?.clone();
    let header_line = header.position().map_or(1, line_of);
    if header.iter().ne(HEADER) {
        return Err(CalendarError::Parse {
            line: header_line,
            reason: format!(
                "header must be {:?}, found {:?}",
                HEADER.join(","),
                header.iter().collect::<Vec<_>>().join(",")
            ),
        });
    }

    let mut data = Data::default();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, header_line))?;
        let line = record.position().map_or(header_line, line_of);
        let (date, kind, holiday) = match (record.get(0), record.get(1), record.get(2)) {
            (Some(d), Some(k), Some(h)) => (d, k, h),
            _ => {
                return Err(CalendarError::Parse {
                    line,
                    reason: "expected 3 fields: date,kind,holiday".to_owned(),
                });
            }
        };
        let date = parse_date(date).ok_or_else(|| CalendarError::Parse {
            line,
            reason: format!("invalid date {date:?} (expected YYYY-MM-DD)"),
        })?;
        let kind = match kind {
            "off" => DayKind::Off,
            "workday" => DayKind::Workday,
            other => {
                return Err(CalendarError::UnknownKind {
                    line,
                    kind: other.to_owned(),
                });
            }
        };
        if kind == DayKind::Workday && !is_weekend(date) {
            return Err(CalendarError::WorkdayOnWeekday { line, date });
        }
        match data.days.entry(date) {
            Entry::Occupied(first) => {
                return Err(CalendarError::DuplicateDate {
                    line,
                    date,
                    first_line: first.get().line,
                });
            }
            Entry::Vacant(slot) => {
                slot.insert(Listed {
                    kind,
                    holiday: holiday.to_owned(),
                    line,
                });
            }
        }
        data.years.insert(date.year());
    }
    if data.days.is_empty() {
        return Err(CalendarError::Empty);
    }
    Ok(data)
}

/// Saturday or Sunday.
pub(crate) fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Strict `YYYY-MM-DD`: rejects `2026-1-1`, `+02026-01-01` and impossible dates.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    (date.format("%Y-%m-%d").to_string() == text).then_some(date)
}

fn line_of(position: &csv::Position) -> usize {
    usize::try_from(position.line()).unwrap_or(usize::MAX)
}

fn csv_error(error: &csv::Error, fallback_line: usize) -> CalendarError {
    CalendarError::Parse {
        line: error.position().map_or(fallback_line, line_of),
        reason: error.to_string(),
    }
}
