//! Due instants of the clocks, from the official working-day calendar.
//!
//! A15: a handling unit signs for an order within 1 working day of receiving it, and
//! handles it within the limit for its kind and urgency. "Within N working days" is counted
//! as the workday crate defines it (R-A15.2): the day the clock starts is not counted, and
//! the limit ends at the end of the N-th working day after it (00:00 Asia/Shanghai of the
//! next calendar day). Limits in hours (urgent matters) are calendar hours: holidays are
//! not skipped. Which limit applies is a [`crate::domain::policy`] decision.

use chrono::{DateTime, Utc};
use hotline_workday::{Calendar, CalendarError};

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
    }
}
