//! Properties of `add_working_days` on the embedded 2024–2026 calendar.
//!
//! Receipt instants are drawn from 2024-01-01 to 2026-09-30 (Shanghai) and
//! `n`, `m` ≤ 30, so every search stays inside covered years.

mod common;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone as _, Utc};
use hotline_workday::{Calendar, TIME_ZONE};
use proptest::prelude::*;

/// 2024-01-01T00:00+08:00 and 2026-09-30T23:59:59+08:00 as Unix seconds.
fn receipt_range() -> std::ops::RangeInclusive<i64> {
    let from = common::at("2024-01-01T00:00:00+08:00").timestamp();
    let to = common::at("2026-09-30T23:59:59+08:00").timestamp();
    from..=to
}

fn instant(secs: i64) -> DateTime<Utc> {
    common::from_unix(secs)
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&TIME_ZONE).date_naive()
}

proptest! {
    #[test]
    fn deadline_is_after_received(secs in receipt_range(), n in 1u32..=30) {
        let r = instant(secs);
        let deadline = Calendar::official().add_working_days(r, n).unwrap();
        prop_assert!(deadline > r);
    }

    #[test]
    fn deadline_is_midnight_in_shanghai(secs in receipt_range(), n in 1u32..=30) {
        let deadline = Calendar::official().add_working_days(instant(secs), n).unwrap();
        prop_assert_eq!(deadline.with_timezone(&TIME_ZONE).time(), NaiveTime::MIN);
    }

    #[test]
    fn day_before_deadline_is_a_working_day(secs in receipt_range(), n in 1u32..=30) {
        let cal = Calendar::official();
        let deadline = cal.add_working_days(instant(secs), n).unwrap();
        let last = local_date(deadline).pred_opt().unwrap();
        prop_assert_eq!(cal.is_working_day(last), Ok(true));
    }

    /// Exactly n working days d with receipt_day < d < deadline_day
    /// (the last of them being the day before the deadline).
    #[test]
    fn exactly_n_working_days_are_counted(secs in receipt_range(), n in 1u32..=30) {
        let cal = Calendar::official();
        let r = instant(secs);
        let deadline_day = local_date(cal.add_working_days(r, n).unwrap());
        let counted = local_date(r)
            .iter_days()
            .skip(1)
            .take_while(|d| *d < deadline_day)
            .filter(|d| cal.is_working_day(*d).unwrap())
            .count();
        prop_assert_eq!(counted, n as usize);
    }

    #[test]
    fn hour_of_receipt_does_not_matter(secs in receipt_range(), n in 0u32..=30) {
        let cal = Calendar::official();
        let r = instant(secs);
        let n = n.max(1);
        let day_start = TIME_ZONE
            .from_local_datetime(&local_date(r).and_time(NaiveTime::MIN))
            .single()
            .unwrap()
            .with_timezone(&Utc);
        prop_assert_eq!(cal.add_working_days(r, n), cal.add_working_days(day_start, n));
    }

    #[test]
    fn more_working_days_mean_a_later_deadline(secs in receipt_range(), n in 1u32..=30) {
        let cal = Calendar::official();
        let r = instant(secs);
        prop_assert!(cal.add_working_days(r, n + 1).unwrap() > cal.add_working_days(r, n).unwrap());
    }

    /// Restarting from the last instant of the n-th working day composes exactly.
    #[test]
    fn chaining_from_end_of_nth_working_day(
        secs in receipt_range(), n in 1u32..=30, m in 1u32..=30,
    ) {
        let cal = Calendar::official();
        let r = instant(secs);
        let d = cal.add_working_days(r, n).unwrap();
        prop_assert_eq!(
            cal.add_working_days(d - TimeDelta::seconds(1), m),
            cal.add_working_days(r, n + m)
        );
    }

    /// Restarting from the deadline itself makes its day the (uncounted)
    /// receipt day: one extra working day when that day is a working day.
    #[test]
    fn chaining_from_the_deadline_instant(
        secs in receipt_range(), n in 1u32..=30, m in 1u32..=30,
    ) {
        let cal = Calendar::official();
        let r = instant(secs);
        let d = cal.add_working_days(r, n).unwrap();
        let extra = u32::from(cal.is_working_day(local_date(d)).unwrap());
        prop_assert_eq!(cal.add_working_days(d, m), cal.add_working_days(r, n + m + extra));
    }

    #[test]
    fn zero_is_identity(secs in receipt_range()) {
        let r = instant(secs);
        prop_assert_eq!(Calendar::official().add_working_days(r, 0), Ok(r));
    }
}
