//! The official Chinese working-day calendar and deadline arithmetic for the
//! 12345 hotline.
//!
//! # Design
//!
//! * **Data, not code.** Holidays and adjusted working days (调休) are decided
//!   each year by the State Council. They live in a CSV file
//!   (`date,kind,holiday`), embedded as the default ([`Calendar::official`],
//!   2024–2026) and replaceable by an operator ([`Calendar::from_path`]).
//!   Validation rejects bad dates, unknown kinds, duplicate dates and a
//!   `workday` on Monday–Friday (an adjusted working day is always a weekend day).
//! * **Working day.** A date listed `workday` is a working day; a date listed
//!   `off` is a rest day; any other date is a working day iff it is Monday–Friday.
//! * **Coverage.** A year is *covered* iff the data has at least one row for
//!   it (every year has at least New Year's Day off, so a published schedule
//!   always has rows). Asking about an uncovered year is an error,
//!   [`CalendarError::MissingYear`], never a guess from weekdays:
//!   a wrong deadline is worse than an alert. [`Calendar::missing_next_year`]
//!   lets a daily job warn operators from December 1 on.
//! * **Time zone.** All civil dates are Asia/Shanghai ([`TIME_ZONE`]); instants
//!   go in and come out as UTC.
//!
//! # Working-day deadlines (R-A15.2)
//!
//! "Within N working days" (e.g. A15: sign within 1 working day) ends at the
//! **end of the N-th working day after the day of receipt**: 00:00 Asia/Shanghai
//! of the calendar day following that N-th working day, returned in UTC.
//! The day of receipt is never counted, whatever the hour and whether it is a
//! working day or a rest day. `n == 0` returns `received` unchanged. `n` is
//! bounded by [`MAX_WORKING_DAYS`]. Every date the search counts must lie in a
//! covered year; the deadline *instant* itself may fall at 00:00 of January 1
//! of an uncovered year.
//!
//! Worked examples on the 2026 schedule (times are Asia/Shanghai, CST = UTC+8):
//!
//! | received                     | n | counted working days              | deadline               |
//! |------------------------------|---|-----------------------------------|------------------------|
//! | Fri 2026-11-27 20:00         | 1 | Mon 11-30                         | 2026-12-01 00:00       |
//! | Mon 2026-11-30 09:00         | 1 | Tue 12-01                         | 2026-12-02 00:00       |
//! | Wed 2026-09-30 23:59         | 1 | Thu 10-08 (10-01..07 off)         | 2026-10-09 00:00       |
//! | Sat 2026-02-14 10:00 (调休)  | 1 | Tue 02-24 (02-15..23 off)         | 2026-02-25 00:00       |
//! | Fri 2026-02-13 10:00         | 1 | Sat 02-14 (调休)                  | 2026-02-15 00:00       |
//! | Wed 2026-12-30 10:00         | 1 | Thu 12-31                         | 2027-01-01 00:00       |
//! | Thu 2026-12-31 10:00         | 1 | needs 2027-01-01                  | `MissingYear(2027)`    |
//!
//! The receipt day is the Shanghai date: 2026-11-26T16:30Z is Friday
//! 2026-11-27 00:30 CST, so it behaves like the first row.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use hotline_workday::{Calendar, CalendarError};
//!
//! let cal = Calendar::official();
//! let at = |s: &str| s.parse::<DateTime<Utc>>();
//!
//! // Friday evening: the weekend is skipped, Monday is the working day.
//! let deadline = cal.add_working_days(at("2026-11-27T20:00:00+08:00")?, 1)?;
//! assert_eq!(deadline, at("2026-12-01T00:00:00+08:00")?);
//!
//! // National Day: October 1–7 are off, October 8 is the first working day.
//! let deadline = cal.add_working_days(at("2026-09-30T23:59:00+08:00")?, 1)?;
//! assert_eq!(deadline, at("2026-10-09T00:00:00+08:00")?);
//!
//! // No 2027 schedule: the calendar refuses to guess.
//! let err = cal.add_working_days(at("2026-12-31T10:00:00+08:00")?, 1);
//! assert_eq!(err, Err(CalendarError::MissingYear(2027)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Chaining deadlines
//!
//! Let `D = add_working_days(r, n)` with `n ≥ 1`, which is 00:00 of some day
//! `X`, and let `m ≥ 1` (for `m == 0` the input is returned unchanged).
//! Restarting from the last instant of the N-th working day composes exactly:
//! `add_working_days(D - 1s, m) == add_working_days(r, n + m)`.
//! Restarting from `D` itself makes `X` the new receipt day, which is not
//! counted: the result equals `add_working_days(r, n + m)` when `X` is a rest
//! day and `add_working_days(r, n + m + 1)` when `X` is a working day.
//!
//! # Calendar-hour deadlines
//!
//! "Within N hours" for urgent matters counts calendar hours; holidays are not
//! skipped ([`Calendar::add_calendar_hours`]).
//!
//! # Data attribution
//!
//! `data/cn-public-holidays.csv`: the State Council's public-holiday schedules
//! for 2024, 2025 and 2026, from the official notices as compiled by the public
//! holiday-cn data set.

mod calendar;
mod data;
mod deadline;
mod error;

pub use calendar::{Calendar, Day};
pub use deadline::MAX_WORKING_DAYS;
pub use error::CalendarError;

/// The time zone in which all civil dates (receipt day, working days) are taken.
pub const TIME_ZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses() {
        let parsed = Calendar::from_csv(data::OFFICIAL_CSV);
        assert!(parsed.is_ok(), "embedded calendar must parse: {parsed:?}");
        assert_eq!(parsed.ok(), Some(Calendar::official()));
    }
}
