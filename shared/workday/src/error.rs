//! Errors of the working-day calendar.

use std::path::PathBuf;

use chrono::NaiveDate;

/// Everything that can go wrong when loading a calendar or computing on it.
///
/// The calendar never guesses: a date in a year without data is an error
/// ([`CalendarError::MissingYear`]), not a weekday/weekend approximation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The data has no row for this year, so its holidays and adjusted working
    /// days (调休) are unknown.
    #[error(
        "no working-day calendar data for year {0}: an operator must load the State Council schedule"
    )]
    MissingYear(i32),

    /// A malformed row or header: wrong number of fields, bad date, bad header.
    /// `line` is 1-based, counting the header as line 1.
    #[error("calendar data line {line}: {reason}")]
    Parse {
        /// 1-based line number in the CSV text.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// The `kind` column is neither `off` nor `workday`.
    #[error("calendar data line {line}: unknown kind {kind:?} (expected \"off\" or \"workday\")")]
    UnknownKind {
        /// 1-based line number in the CSV text.
        line: usize,
        /// The offending value.
        kind: String,
    },

    /// The same date is listed twice.
    #[error("calendar data line {line}: date {date} already listed on line {first_line}")]
    DuplicateDate {
        /// 1-based line number of the second listing.
        line: usize,
        /// The repeated date.
        date: NaiveDate,
        /// 1-based line number of the first listing.
        first_line: usize,
    },

    /// A `workday` row on Monday–Friday. An adjusted working day (调休) is
    /// always a Saturday or Sunday; a weekday listed as `workday` is a data error.
    #[error(
        "calendar data line {line}: {date} is a weekday; only a Saturday or Sunday can be an adjusted working day"
    )]
    WorkdayOnWeekday {
        /// 1-based line number in the CSV text.
        line: usize,
        /// The offending date.
        date: NaiveDate,
    },

    /// The data has a header but no rows, so it covers no year at all.
    #[error("calendar data has no rows")]
    Empty,

    /// The calendar file could not be read.
    #[error("cannot read calendar file {path:?}: {reason}")]
    Io {
        /// The file that was asked for.
        path: PathBuf,
        /// The operating-system error, as text.
        reason: String,
    },

    /// `n` exceeds [`crate::MAX_WORKING_DAYS`].
    #[error("{n} working days is more than the supported maximum of {max}")]
    TooManyWorkingDays {
        /// The requested number of working days.
        n: u32,
        /// The maximum accepted.
        max: u32,
    },

    /// The computation left the range of dates chrono can represent in
    /// Asia/Shanghai (only reachable with absurd operator data).
    #[error("date {0} is outside the representable range of Asia/Shanghai time")]
    OutOfRange(NaiveDate),
}
