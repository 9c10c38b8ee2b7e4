//! The KPIs of A18 and A20, each a ratio (or a count, or a mean) over a cohort of orders:
//! the orders **registered** in the period, optionally sliced by unit, region, kind,
//! channel or category. `docs/kpis.md` is the published definition of each: numerator,
//! denominator, exclusions and the event that decides. The SQL in [`crate::kpis`] counts
//! the parts; this module names them, turns parts into rates, and holds the working-day
//! rule for handling time.
//!
//! A rate is `None` when its denominator is zero (nothing to measure), never 0 or 100 %.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use hotline_contract::analytics::KpiRow;
use hotline_workday::Calendar;

/// The parts counted for one slice of the cohort (each field documented in
/// `docs/kpis.md`), as they travel in the report.
pub use hotline_contract::analytics::KpiCounts as Counts;

/// `numerator / denominator`, `None` when there is nothing to measure.
pub fn rate(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Every KPI of `docs/kpis.md` for one slice, from its counted parts.
pub fn kpis(key: String, c: Counts) -> KpiRow {
    KpiRow {
        key,
        on_time_sign_rate: rate(c.signed_on_time, c.sign_decided),
        response_rate: rate(c.signed, c.dispatched),
        on_time_completion_rate: rate(c.completed_on_time, c.completion_decided),
        resolution_rate: rate(c.resolved, c.visited),
        satisfaction_rate: rate(c.satisfied, c.visited),
        direct_answer_rate: rate(c.answered_directly, c.registered),
        dispute_rate: rate(c.disputed, c.dispatched),
        dispatch_accuracy: rate(c.dispatched - c.redispatched, c.dispatched),
        redo_rate: rate(c.redone, c.with_result),
        repeat_rate: rate(c.repeats, c.registered),
        supervision_cases: c.cases,
        rectification_rate: rate(c.cases_closed, c.cases),
        average_handling_working_days: rate(c.working_days_sum, c.timed),
        counts: c,
    }
}

/// The civil date of an instant in Asia/Shanghai (the calendar's time zone).
pub fn civil_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// Handling time in working days: the working days **after** the dispatch day up to and
/// including the day of the first result (a result on the dispatch day is 0; dispatched on
/// Friday and answered on Monday is 1). `None` when the calendar does not cover a year in
/// between (no guess) or the result precedes the dispatch.
pub fn handling_working_days(
    calendar: &Calendar,
    dispatched_at: DateTime<Utc>,
    result_at: DateTime<Utc>,
) -> Option<i32> {
    let (from, to) = (civil_date(dispatched_at), civil_date(result_at));
    if to < from {
        return None;
    }
    let mut days = 0;
    let mut date = from;
    while date < to {
        date = date.succ_opt()?;
        if calendar.is_working_day(date).ok()? {
            days += 1;
        }
    }
    Some(days)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn handling_time_counts_working_days_after_the_dispatch_day() {
        let cal = Calendar::official();
        // Same day: 0. Friday → Monday: 1 (2025-03-07 is a Friday).
        assert_eq!(
            handling_working_days(&cal, at(2025, 3, 7, 9), at(2025, 3, 7, 17)),
            Some(0)
        );
        assert_eq!(
            handling_working_days(&cal, at(2025, 3, 7, 9), at(2025, 3, 10, 9)),
            Some(1)
        );
        // Across the 2025 National Day holiday (Oct 1–8 off, Sep 28 and Oct 11 worked):
        // dispatched Tue Sep 30, answered Thu Oct 9 → Oct 9 only.
        assert_eq!(
            handling_working_days(&cal, at(2025, 9, 30, 9), at(2025, 10, 9, 9)),
            Some(1)
        );
        // A late-evening dispatch in Beijing time is that civil day, not the UTC one.
        assert_eq!(
            handling_working_days(&cal, at(2025, 3, 6, 23), at(2025, 3, 7, 1)),
            Some(1)
        );
        // Out of the calendar's years, or backwards: no value.
        assert_eq!(
            handling_working_days(&cal, at(2030, 1, 2, 9), at(2030, 1, 3, 9)),
            None
        );
        assert_eq!(
            handling_working_days(&cal, at(2025, 3, 7, 9), at(2025, 3, 6, 9)),
            None
        );
    }

    #[test]
    fn rates_are_absent_without_a_denominator() {
        let kpis = kpis("all".to_owned(), Counts::default());
        assert_eq!(kpis.response_rate, None);
        assert_eq!(kpis.supervision_cases, 0);
        let c = Counts {
            dispatched: 4,
            signed: 3,
            redispatched: 1,
            ..Counts::default()
        };
        let kpis = super::kpis("all".to_owned(), c);
        assert_eq!(kpis.response_rate, Some(0.75));
        assert_eq!(kpis.dispatch_accuracy, Some(0.75));
    }
}
