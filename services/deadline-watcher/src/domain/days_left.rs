//! How many whole working days a running clock has left (A15 counts limits in working
//! days), so a unit reads "剩余 3 个工作日" rather than a wall-clock span that runs through
//! weekends and holidays.
//!
//! The count is the working days after today (Asia/Shanghai) up to and including the *due
//! day*: the civil day the clock's last instant falls on. A working-day limit ends at 00:00
//! after its last working day (R-A15.2), so that day is the one before the due instant; a
//! limit ending at 17:00 has that day as its due day. Today is never counted, whatever the
//! hour: on the due day the count is 0, and the desk says less than one working day is
//! left. Counted on the same [`Calendar`] the due instant was computed on, so the two
//! always agree.

use chrono::{DateTime, Utc};
use hotline_workday::{Calendar, CalendarError};

use super::deadline::{last_instant_before, local_day};

/// The whole working days between `now` and `due_at`: working days after today, up to and
/// including the due day. `None` when the clock is already due (`due_at <= now`).
///
/// # Errors
///
/// [`CalendarError::MissingYear`] when a day to count lies in a year the calendar has no
/// State Council schedule for; the caller shows the wall-clock time instead of guessing.
pub fn working_days_left(
    calendar: &Calendar,
    now: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> Result<Option<u32>, CalendarError> {
    if due_at <= now {
        return Ok(None);
    }
    let due_day = local_day(last_instant_before(due_at));
    let mut day = local_day(now);
    let mut left = 0u32;
    while day < due_day {
        day = day.succ_opt().ok_or(CalendarError::OutOfRange(day))?;
        if calendar.is_working_day(day)? {
            left = left.saturating_add(1);
        }
    }
    Ok(Some(left))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// On the official calendar (the workday crate embeds the State Council schedules of
    /// `shared/data/cn-public-holidays-2024-2026.csv`).
    fn left(now: &str, due: &str) -> Result<Option<u32>, CalendarError> {
        working_days_left(&Calendar::official(), at(now), at(due))
    }

    #[test]
    fn the_weekend_is_not_counted() {
        // Due at the end of Mon 2026-11-30; on Fri 11-27 one working day (Monday) is left,
        // and still one on Saturday and Sunday.
        let due = "2026-12-01T00:00:00+08:00";
        assert_eq!(left("2026-11-27T09:00:00+08:00", due), Ok(Some(1)));
        assert_eq!(left("2026-11-28T23:00:00+08:00", due), Ok(Some(1)));
        assert_eq!(left("2026-11-29T10:00:00+08:00", due), Ok(Some(1)));
        // Three working days from Wednesday: Thu, Fri, Mon.
        assert_eq!(left("2026-11-25T16:00:00+08:00", due), Ok(Some(3)));
    }

    #[test]
    fn the_due_day_itself_has_none_left_and_a_past_due_clock_no_count() {
        let due = "2026-12-01T00:00:00+08:00";
        assert_eq!(left("2026-11-30T08:00:00+08:00", due), Ok(Some(0)));
        assert_eq!(left("2026-11-30T23:59:59+08:00", due), Ok(Some(0)));
        assert_eq!(left("2026-12-01T00:00:00+08:00", due), Ok(None));
        assert_eq!(left("2026-12-02T09:00:00+08:00", due), Ok(None));
        // A limit ending within a day (17:00) has that day as its due day.
        let due = "2026-11-30T17:00:00+08:00";
        assert_eq!(left("2026-11-27T09:00:00+08:00", due), Ok(Some(1)));
        assert_eq!(left("2026-11-30T09:00:00+08:00", due), Ok(Some(0)));
    }

    #[test]
    fn holidays_are_not_counted() {
        // National Day 2026: October 1-7 off. Due at the end of Fri 10-09: on Wed 09-30,
        // Oct 8 and Oct 9 are left.
        assert_eq!(
            left("2026-09-30T10:00:00+08:00", "2026-10-10T00:00:00+08:00"),
            Ok(Some(2))
        );
    }

    #[test]
    fn an_adjusted_working_saturday_is_counted() {
        // Sat 2026-10-10 is worked (调休) in exchange for National Day: due at the end of
        // Mon 10-12, from Fri 10-09 two working days are left (Sat 10-10 and Mon 10-12).
        assert_eq!(
            left("2026-10-09T10:00:00+08:00", "2026-10-13T00:00:00+08:00"),
            Ok(Some(2))
        );
        // An ordinary Saturday a week later is not: from Fri 10-16 to the end of Mon 10-19.
        assert_eq!(
            left("2026-10-16T10:00:00+08:00", "2026-10-20T00:00:00+08:00"),
            Ok(Some(1))
        );
    }

    #[test]
    fn a_year_without_data_is_an_error_not_a_guess() {
        assert_eq!(
            left("2026-12-30T10:00:00+08:00", "2027-01-06T00:00:00+08:00"),
            Err(CalendarError::MissingYear(2027))
        );
    }
}
