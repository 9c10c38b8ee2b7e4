//! The working-day calendar: which dates are working days.

use std::path::Path;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::data::{self, Data, DayKind};
use crate::{CalendarError, TIME_ZONE};

/// What the calendar says about one date (a civil date in Asia/Shanghai).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day<'a> {
    /// The date.
    pub date: NaiveDate,
    /// Whether deadlines in working days count it.
    pub working: bool,
    /// The holiday it is listed under (e.g. `国庆节`): a rest day of that holiday, or the
    /// adjusted working day that makes up for it. `None` for an ordinary day.
    pub holiday: Option<&'a str>,
    /// A Saturday or Sunday made a working day (调休).
    pub adjusted_working_day: bool,
}

/// The official Chinese working-day calendar for the years its data covers.
///
/// A date is a working day when it is listed as `workday` (调休), or when it is
/// Monday–Friday and not listed as `off`. A year is *covered* when the data has
/// at least one row for it; the calendar then trusts that the rows list that
/// year's complete schedule. Any question about an uncovered year is answered
/// with [`CalendarError::MissingYear`], never with a guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    data: Data,
}

impl Calendar {
    /// The calendar embedded in this crate (State Council schedules for 2024–2026).
    ///
    /// Never panics. The embedded data is validated by the test suite; should it
    /// ever fail to parse, this returns a calendar covering no year, so every
    /// query fails with [`CalendarError::MissingYear`] instead of guessing.
    pub fn official() -> Calendar {
        static OFFICIAL: OnceLock<Calendar> = OnceLock::new();
        OFFICIAL
            .get_or_init(|| {
                Calendar::from_csv(data::OFFICIAL_CSV).unwrap_or_else(|_| Calendar {
                    data: Data::default(),
                })
            })
            .clone()
    }

    /// Parses CSV calendar data with the header `date,kind,holiday`.
    ///
    /// `kind` is `off` (a rest day; any date) or `workday` (an adjusted working
    /// day; must be a Saturday or Sunday). Dates are `YYYY-MM-DD` and unique.
    /// Fields are trimmed, blank lines and lines starting with `#` are ignored.
    pub fn from_csv(text: &str) -> Result<Calendar, CalendarError> {
        data::parse(text).map(|data| Calendar { data })
    }

    /// Reads and parses a calendar file, so an operator can load a newly
    /// published State Council schedule without a code change.
    pub fn from_path(path: &Path) -> Result<Calendar, CalendarError> {
        let text = std::fs::read_to_string(path).map_err(|e| CalendarError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Calendar::from_csv(&text)
    }

    /// The years with at least one row of data, ascending.
    pub fn covered_years(&self) -> Vec<i32> {
        self.data.years.iter().copied().collect()
    }

    /// Whether the data has at least one row for `year`.
    pub fn is_year_covered(&self, year: i32) -> bool {
        self.data.years.contains(&year)
    }

    /// Whether `date` (a civil date in Asia/Shanghai) is a working day.
    ///
    /// Errors with [`CalendarError::MissingYear`] when the date's year is not covered.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        // R-A15.2: working days follow the official calendar (State Council schedule).
        if !self.is_year_covered(date.year()) {
            return Err(CalendarError::MissingYear(date.year()));
        }
        Ok(match self.data.days.get(&date).map(|listed| listed.kind) {
            Some(DayKind::Workday) => true,
            Some(DayKind::Off) => false,
            None => !data::is_weekend(date),
        })
    }

    /// What the calendar says about `date`: working or not, its holiday, whether it is an
    /// adjusted working day.
    ///
    /// Errors with [`CalendarError::MissingYear`] when the date's year is not covered.
    pub fn day(&self, date: NaiveDate) -> Result<Day<'_>, CalendarError> {
        let working = self.is_working_day(date)?;
        let listed = self.data.days.get(&date);
        Ok(Day {
            date,
            working,
            holiday: listed.map(|listed| listed.holiday.as_str()),
            adjusted_working_day: listed.is_some_and(|listed| listed.kind == DayKind::Workday),
        })
    }

    /// Every date of `year` (January 1 to December 31), in order.
    ///
    /// Errors with [`CalendarError::MissingYear`] when the year is not covered, so a
    /// listing never shows a guessed year.
    pub fn days_of_year(
        &self,
        year: i32,
    ) -> Result<impl Iterator<Item = Day<'_>> + '_, CalendarError> {
        if !self.is_year_covered(year) {
            return Err(CalendarError::MissingYear(year));
        }
        // A covered year comes from a parsed date, so January 1 exists.
        let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(CalendarError::MissingYear(year))?;
        Ok(first
            .iter_days()
            .take_while(move |date| date.year() == year)
            .filter_map(|date| self.day(date).ok()))
    }

    /// The holiday name (e.g. `国庆节`) of a listed date, if any; also given for
    /// adjusted working days, naming the holiday they compensate for.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&str> {
        self.data
            .days
            .get(&date)
            .map(|listed| listed.holiday.as_str())
    }

    /// From December 1 (Asia/Shanghai) on, `Some(next_year)` when next year's
    /// data is missing; `None` otherwise (including January–November).
    ///
    /// Meant for a daily operator alert: the State Council usually publishes the
    /// next year's schedule in the autumn. A missing *current* year is not
    /// reported here; every deadline computation reports it as
    /// [`CalendarError::MissingYear`].
    pub fn missing_next_year(&self, now: DateTime<Utc>) -> Option<i32> {
        let local = now.with_timezone(&TIME_ZONE);
        let next = local.year().checked_add(1)?;
        (local.month() == 12 && !self.is_year_covered(next)).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn a_day_says_whether_it_is_worked_and_which_holiday_it_belongs_to() {
        let cal = Calendar::official();
        let day = |text| cal.day(date(text));
        // National Day 2026: October 1–7 off, Saturday October 10 worked in exchange.
        assert_eq!(
            day("2026-10-07"),
            Ok(Day {
                date: date("2026-10-07"),
                working: false,
                holiday: Some("国庆节"),
                adjusted_working_day: false,
            })
        );
        assert_eq!(
            day("2026-10-10"),
            Ok(Day {
                date: date("2026-10-10"),
                working: true,
                holiday: Some("国庆节"),
                adjusted_working_day: true,
            })
        );
        // An ordinary Sunday and an ordinary Monday.
        assert_eq!(
            day("2026-10-11").map(|d| (d.working, d.holiday, d.adjusted_working_day)),
            Ok((false, None, false))
        );
        assert_eq!(
            day("2026-10-12").map(|d| (d.working, d.holiday, d.adjusted_working_day)),
            Ok((true, None, false))
        );
        assert_eq!(day("2027-01-04"), Err(CalendarError::MissingYear(2027)));
    }

    #[test]
    fn a_year_lists_every_date_in_order_and_agrees_with_is_working_day() {
        let cal = Calendar::official();
        let days: Vec<Day<'_>> = cal
            .days_of_year(2026)
            .map(Iterator::collect)
            .unwrap_or_default();
        assert_eq!(days.len(), 365);
        assert_eq!(days.first().map(|d| d.date), Some(date("2026-01-01")));
        assert_eq!(days.last().map(|d| d.date), Some(date("2026-12-31")));
        assert!(
            days.windows(2)
                .all(|w| w[0].date.succ_opt() == Some(w[1].date))
        );
        for day in &days {
            assert_eq!(
                cal.is_working_day(day.date),
                Ok(day.working),
                "{}",
                day.date
            );
        }
        let adjusted: Vec<NaiveDate> = days
            .iter()
            .filter(|d| d.adjusted_working_day)
            .map(|d| d.date)
            .collect();
        let expected = [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        ];
        assert_eq!(adjusted, expected.map(date));
        // 261 weekdays, 19 of them holidays, plus 6 adjusted weekend days.
        assert_eq!(days.iter().filter(|d| d.working).count(), 248);
    }

    #[test]
    fn a_year_without_data_is_not_listed() {
        let cal = Calendar::official();
        assert_eq!(
            cal.days_of_year(2027).map(|_| ()),
            Err(CalendarError::MissingYear(2027))
        );
        assert_eq!(
            cal.days_of_year(2023).map(|_| ()),
            Err(CalendarError::MissingYear(2023))
        );
    }
}
