//! Due instants of the clocks, from the official working-day calendar.
//!
//! A15: a handling unit signs for an order within 1 working day of receiving it, and
//! handles it within the limit for its kind and urgency. "Within N working days" is counted
//! as the workday crate defines it (R-A15.2): the day the clock starts is not counted, and
//! the limit ends at the end of the N-th working day after it (00:00 Asia/Shanghai of the
//! next calendar day). Limits in hours (urgent matters) are calendar hours: holidays are
//! not skipped. Which limit applies is a [`crate::domain::policy`] decision.
//!
//! A due instant can move after the clock started:
//!
//! - **Extension** (A14, [`extended_due`]): N more working days are counted after the
//!   *day* the clock was due on, so an extension always ends at the end of a working day;
//!   N more hours are added to the due instant.
//! - **Suspension** ([`resumed_due`]): a clock whose policy stops it while the order is
//!   suspended restarts with the time it had left. In working days: the working days from
//!   the day it paused to the day it was due, both counted (the day of the pause is given
//!   back whole), are counted again from the day it resumes, that day included (the day
//!   of resumption counts whole). So a pause and a resume on the same day change nothing,
//!   and a unit never loses a working day to a suspension. In hours: the calendar time left
//!   is added to the instant it resumes.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use hotline_contract::events::{LimitUnit, TimeLimit};
use hotline_workday::{Calendar, CalendarError, TIME_ZONE};

/// A time limit: so many working days, or so many calendar hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Working days on the official calendar (R-A15.2).
    WorkingDays(u32),
    /// Calendar hours, holidays included (urgent matters).
    Hours(u32),
}

/// The instant a clock started at `started_at` with `limit` runs out.
///
/// # Errors
///
/// [`CalendarError::MissingYear`] when the working days to count fall in a year the
/// calendar has no State Council schedule for; the caller must not guess a deadline.
pub fn due_at(
    calendar: &Calendar,
    started_at: DateTime<Utc>,
    limit: Limit,
) -> Result<DateTime<Utc>, CalendarError> {
    match limit {
        Limit::WorkingDays(n) => calendar.add_working_days(started_at, n),
        Limit::Hours(h) => Ok(calendar.add_calendar_hours(started_at, h)),
    }
}

impl From<TimeLimit> for Limit {
    fn from(limit: TimeLimit) -> Self {
        match limit.unit {
            LimitUnit::WorkingDays => Limit::WorkingDays(limit.value),
            LimitUnit::Hours => Limit::Hours(limit.value),
        }
    }
}

/// The due instant after an extension of `extension`, granted on a clock due at `due_at`.
///
/// # Errors
///
/// [`CalendarError::MissingYear`] when the count reaches a year without a schedule.
pub fn extended_due(
    calendar: &Calendar,
    due_at: DateTime<Utc>,
    extension: Limit,
) -> Result<DateTime<Utc>, CalendarError> {
    match extension {
        // The last instant before the due one lies in the day the clock was due on; the
        // count starts after that day.
        Limit::WorkingDays(n) => calendar.add_working_days(last_instant_before(due_at), n),
        Limit::Hours(h) => Ok(calendar.add_calendar_hours(due_at, h)),
    }
}

/// The due instant of a clock counted in `unit`, due at `due_at`, paused at `paused_at`
/// (not after `due_at`) and resumed at `resumed_at` (not before `paused_at`).
///
/// # Errors
///
/// [`CalendarError::MissingYear`] when the count reaches a year without a schedule.
pub fn resumed_due(
    calendar: &Calendar,
    unit: LimitUnit,
    due_at: DateTime<Utc>,
    paused_at: DateTime<Utc>,
    resumed_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, CalendarError> {
    let time_left = (due_at - paused_at).max(TimeDelta::zero());
    let by_time_left = resumed_at
        .checked_add_signed(time_left)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if unit == LimitUnit::Hours {
        return Ok(by_time_left);
    }
    let first = local_day(paused_at);
    let last = local_day(last_instant_before(due_at));
    let mut left = 0u32;
    let mut day = first;
    while day <= last {
        if calendar.is_working_day(day)? {
            left += 1;
        }
        day = day.succ_opt().ok_or(CalendarError::OutOfRange(day))?;
    }
    if left == 0 {
        // No working day was left (a clock due on a holiday after an extension in hours):
        // give back the calendar time instead.
        return Ok(by_time_left);
    }
    // Counting starts after the instant given, so start just before the resumption day to
    // count that day too.
    let resume_day = local_day(resumed_at);
    calendar.add_working_days(last_instant_before(start_of_day(resume_day)?), left)
}

/// One second before `t` (the instants here are whole seconds or coarser).
pub(crate) fn last_instant_before(t: DateTime<Utc>) -> DateTime<Utc> {
    t - TimeDelta::seconds(1)
}

/// The civil date of `t` in Asia/Shanghai.
pub(crate) fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&TIME_ZONE).date_naive()
}

fn start_of_day(day: NaiveDate) -> Result<DateTime<Utc>, CalendarError> {
    TIME_ZONE
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(CalendarError::OutOfRange(day))
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Duration, TimeZone, Timelike, Weekday};
    use hotline_workday::TIME_ZONE;
    use proptest::prelude::*;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// A15: sign within 1 working day.
    fn sign_deadline(
        calendar: &Calendar,
        dispatched_at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, CalendarError> {
        due_at(calendar, dispatched_at, Limit::WorkingDays(1))
    }

    #[test]
    fn order_dispatched_on_a_weekday_is_due_at_the_end_of_the_next_working_day() {
        // Mon 2026-11-02 09:00 CST → end of Tue 11-03 = Wed 11-04 00:00 CST.
        let d = sign_deadline(&Calendar::official(), at("2026-11-02T01:00:00Z")).unwrap();
        assert_eq!(d, at("2026-11-03T16:00:00Z"));
    }

    #[test]
    fn order_dispatched_on_friday_evening_is_due_after_monday() {
        let d = sign_deadline(&Calendar::official(), at("2026-11-27T20:00:00+08:00")).unwrap();
        assert_eq!(d, at("2026-12-01T00:00:00+08:00"));
    }

    #[test]
    fn national_day_holidays_are_not_counted() {
        let d = sign_deadline(&Calendar::official(), at("2026-09-30T23:59:00+08:00")).unwrap();
        assert_eq!(d, at("2026-10-09T00:00:00+08:00"));
    }

    #[test]
    fn a_year_without_calendar_data_is_an_error_not_a_guess() {
        let err = sign_deadline(&Calendar::official(), at("2026-12-31T10:00:00+08:00"));
        assert_eq!(err, Err(CalendarError::MissingYear(2027)));
    }

    #[test]
    fn a_complaint_signed_on_a_tuesday_is_due_ten_working_days_later() {
        // Tue 2026-11-03 10:00 CST + 10 working days: Wed 11-04 .. Tue 11-17, ends 11-18 00:00.
        let d = due_at(
            &Calendar::official(),
            at("2026-11-03T10:00:00+08:00"),
            Limit::WorkingDays(10),
        )
        .unwrap();
        assert_eq!(d, at("2026-11-18T00:00:00+08:00"));
    }

    #[test]
    fn hour_limits_run_through_weekends_and_holidays() {
        let d = due_at(
            &Calendar::official(),
            at("2026-10-01T09:00:00+08:00"),
            Limit::Hours(24),
        )
        .unwrap();
        assert_eq!(d, at("2026-10-02T09:00:00+08:00"));
    }

    #[test]
    fn an_extension_in_working_days_counts_after_the_day_it_was_due() {
        let calendar = Calendar::official();
        // Due at the end of Fri 2026-11-20; 5 more working days: Mon 23 .. Fri 27.
        let due = at("2026-11-21T00:00:00+08:00");
        let d = extended_due(&calendar, due, Limit::WorkingDays(5)).unwrap();
        assert_eq!(d, at("2026-11-28T00:00:00+08:00"));
        // Due at the end of Wed 2026-09-30; National Day (Oct 1-7) is skipped.
        let due = at("2026-10-01T00:00:00+08:00");
        let d = extended_due(&calendar, due, Limit::WorkingDays(1)).unwrap();
        assert_eq!(d, at("2026-10-09T00:00:00+08:00"));
        // An hours deadline extended in working days ends at the end of a working day.
        let due = at("2026-11-18T15:00:00+08:00");
        let d = extended_due(&calendar, due, Limit::WorkingDays(2)).unwrap();
        assert_eq!(d, at("2026-11-21T00:00:00+08:00"));
    }

    #[test]
    fn an_extension_in_hours_adds_calendar_hours() {
        let due = at("2026-10-01T00:00:00+08:00");
        let d = extended_due(&Calendar::official(), due, Limit::Hours(48)).unwrap();
        assert_eq!(d, at("2026-10-03T00:00:00+08:00"));
    }

    #[test]
    fn a_pause_and_resume_on_the_same_day_changes_nothing() {
        let due = at("2026-11-21T00:00:00+08:00");
        let d = resumed_due(
            &Calendar::official(),
            LimitUnit::WorkingDays,
            due,
            at("2026-11-17T10:00:00+08:00"),
            at("2026-11-17T16:00:00+08:00"),
        )
        .unwrap();
        assert_eq!(d, due);
    }

    #[test]
    fn a_resumed_working_day_clock_gets_back_the_working_days_it_had_left() {
        // Due end of Fri 11-20, paused Tue 11-17 10:00: Tue, Wed, Thu, Fri left (4).
        // Resumed Thu 11-19 15:00: Thu, Fri, Mon, Tue → due end of Tue 11-24.
        let d = resumed_due(
            &Calendar::official(),
            LimitUnit::WorkingDays,
            at("2026-11-21T00:00:00+08:00"),
            at("2026-11-17T10:00:00+08:00"),
            at("2026-11-19T15:00:00+08:00"),
        )
        .unwrap();
        assert_eq!(d, at("2026-11-25T00:00:00+08:00"));
    }

    #[test]
    fn a_clock_resumed_on_a_holiday_counts_from_the_next_working_day() {
        // Due end of Wed 09-30, paused that morning (1 day left), resumed on Oct 3 (a
        // holiday): the day left is the first working day after the holiday, Oct 8.
        let d = resumed_due(
            &Calendar::official(),
            LimitUnit::WorkingDays,
            at("2026-10-01T00:00:00+08:00"),
            at("2026-09-30T09:00:00+08:00"),
            at("2026-10-03T11:00:00+08:00"),
        )
        .unwrap();
        assert_eq!(d, at("2026-10-09T00:00:00+08:00"));
    }

    #[test]
    fn a_resumed_hours_clock_gets_back_the_time_it_had_left() {
        let d = resumed_due(
            &Calendar::official(),
            LimitUnit::Hours,
            at("2026-11-17T12:00:00+08:00"),
            at("2026-11-17T10:00:00+08:00"),
            at("2026-11-19T15:00:00+08:00"),
        )
        .unwrap();
        assert_eq!(d, at("2026-11-19T17:00:00+08:00"));
    }

    proptest! {
        /// For any dispatch in 2026 (up to mid-December, so the next working day is in
        /// 2026): the deadline is after the dispatch, at Shanghai midnight, the day before
        /// it is a working day, and no working day lies strictly between the dispatch day
        /// and that day.
        #[test]
        fn sign_deadline_ends_the_first_working_day_after_dispatch(minutes in 0i64..(349 * 24 * 60)) {
            let calendar = Calendar::official();
            let dispatched = TIME_ZONE.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap().with_timezone(&Utc)
                + Duration::minutes(minutes);
            let d = sign_deadline(&calendar, dispatched).unwrap();
            prop_assert!(d > dispatched);
            let due_local = d.with_timezone(&TIME_ZONE);
            prop_assert_eq!((due_local.hour(), due_local.minute(), due_local.second()), (0, 0, 0));
            let signing_day = due_local.date_naive().pred_opt().unwrap();
            prop_assert!(calendar.is_working_day(signing_day).unwrap());
            let dispatch_day = dispatched.with_timezone(&TIME_ZONE).date_naive();
            prop_assert!(signing_day > dispatch_day);
            let mut day = dispatch_day.succ_opt().unwrap();
            while day < signing_day {
                prop_assert!(!calendar.is_working_day(day).unwrap(), "{} skipped", day);
                day = day.succ_opt().unwrap();
            }
            // Sanity: a plain week never needs more than a weekend to be skipped.
            if dispatch_day.weekday() == Weekday::Mon && calendar.is_working_day(dispatch_day.succ_opt().unwrap()).unwrap() {
                prop_assert_eq!(signing_day, dispatch_day.succ_opt().unwrap());
            }
        }

        /// Resuming never shortens a working-day clock: the new due instant is at least
        /// as far after the resumption as the old one was after the pause, in working days.
        #[test]
        fn resuming_never_takes_time_away(
            started in 0i64..(300 * 24 * 60),
            limit in 1u32..10,
            pause_back in 0i64..(10 * 24 * 60),
            stood in 0i64..(20 * 24 * 60),
        ) {
            let calendar = Calendar::official();
            let start = TIME_ZONE.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap().with_timezone(&Utc)
                + Duration::minutes(started);
            let due = calendar.add_working_days(start, limit).unwrap();
            let paused = due - Duration::minutes(pause_back);
            let resumed = paused + Duration::minutes(stood);
            prop_assume!(resumed < TIME_ZONE.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap().with_timezone(&Utc));
            let new_due = resumed_due(&calendar, LimitUnit::WorkingDays, due, paused, resumed).unwrap();
            prop_assert!(new_due >= due, "{} < {}", new_due, due);
            prop_assert!(new_due >= resumed);
            if stood == 0 {
                prop_assert_eq!(new_due, due);
            }
        }
    }
}
