//! The working-day calendar: which dates are working days.

use std::path::Path;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::data::{self, Data, DayKind};
use crate::{CalendarError, TIME_ZONE};

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
