//! The rules of dynamic monitoring (A20: every stage of handling watched as it happens),
//! pure: which stage an open order is at, since when, when it was expected to move on,
//! whether it is stuck, and the instants the day, month and snapshot interval start at.
//! [`crate::monitor`] reads the fact rows and applies these; `docs/kpis.md` ("Dynamic
//! monitoring") publishes them.
//!
//! An order is at the **latest** step it has reached (the earliest instant of each step,
//! as the facts keep it): a result submitted → awaiting close; signed → awaiting a result;
//! dispatched → awaiting sign-for; registered → awaiting dispatch. Closed orders, orders
//! closed at intake and orders transferred to a partner hotline are at no stage.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use hotline_contract::analytics::{MonitorRollup, Stage};
use hotline_workday::Calendar;

use super::kpi::civil_date;

/// How long an order may stay at each stage before it counts as stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Registered → dispatched, in minutes (A11: dispatch promptly; default 10).
    pub dispatch_minutes: i64,
    /// Dispatched → signed, in working days (A15; default 1). The deadline-watcher's
    /// `sign_overdue` verdict, where it exists, decides first.
    pub sign_working_days: u32,
    /// Signed → a result, in working days (default 15, the longest ordinary limit). The
    /// deadline-watcher's `handling_overdue` verdict, where it exists, decides first.
    pub result_working_days: u32,
    /// A result → closed (review, visit), in working days (default 1).
    pub close_working_days: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            dispatch_minutes: 10,
            sign_working_days: 1,
            result_working_days: 15,
            close_working_days: 1,
        }
    }
}

/// What the monitor knows of an open order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOrder {
    pub registered_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub result_submitted_at: Option<DateTime<Utc>>,
    pub sign_overdue: bool,
    pub handling_overdue: bool,
}

/// The stage an open order is at and since when; `None` when no step is known.
pub fn stage(o: &OpenOrder) -> Option<(Stage, DateTime<Utc>)> {
    if let Some(at) = o.result_submitted_at {
        Some((Stage::AwaitingClose, at))
    } else if let Some(at) = o.signed_at {
        Some((Stage::AwaitingResult, at))
    } else if let Some(at) = o.dispatched_at {
        Some((Stage::AwaitingSign, at))
    } else {
        o.registered_at.map(|at| (Stage::AwaitingDispatch, at))
    }
}

/// The same time of day `n` working days after `since` (Asia/Shanghai, official
/// calendar). Where the calendar does not cover a year, `n` calendar days (a monitor
/// must still answer; the KPIs, by contrast, never guess).
pub fn after_working_days(calendar: &Calendar, since: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let fallback = since + Duration::days(i64::from(n));
    let local = since.with_timezone(&Shanghai);
    let mut date = local.date_naive();
    let mut left = n;
    while left > 0 {
        let Some(next) = date.succ_opt() else {
            return fallback;
        };
        date = next;
        match calendar.is_working_day(date) {
            Ok(true) => left -= 1,
            Ok(false) => {}
            Err(_) => return fallback,
        }
    }
    Shanghai
        .from_local_datetime(&date.and_time(local.time()))
        .earliest()
        .map_or(fallback, |at| at.with_timezone(&Utc))
}

/// When an order at `stage` since `since` was expected to move on.
pub fn expected_by(
    calendar: &Calendar,
    thresholds: &Thresholds,
    stage: Stage,
    since: DateTime<Utc>,
) -> DateTime<Utc> {
    let days = match stage {
        // A11: dispatch is a matter of minutes, working day or not (the centre runs 24/7).
        Stage::AwaitingDispatch => return since + Duration::minutes(thresholds.dispatch_minutes),
        Stage::AwaitingSign => thresholds.sign_working_days,
        Stage::AwaitingResult => thresholds.result_working_days,
        Stage::AwaitingClose => thresholds.close_working_days,
    };
    after_working_days(calendar, since, days)
}

/// An open order's stage, since when, and — when it is stuck at `now` — when it was
/// expected to move on. The deadline-watcher's overdue verdicts (A15) make an order stuck
/// at its stage whatever the threshold says.
pub fn stuck(
    calendar: &Calendar,
    thresholds: &Thresholds,
    o: &OpenOrder,
    now: DateTime<Utc>,
) -> Option<(Stage, DateTime<Utc>, DateTime<Utc>)> {
    let (stage, since) = stage(o)?;
    let expected = expected_by(calendar, thresholds, stage, since);
    let flagged = match stage {
        Stage::AwaitingSign => o.sign_overdue,
        Stage::AwaitingResult => o.handling_overdue,
        Stage::AwaitingDispatch | Stage::AwaitingClose => false,
    };
    (flagged || now > expected).then_some((stage, since, expected))
}

/// The division an order's region rolls up to: its prefecture (`520100`) or county
/// (`520102`); `None` for a code that is not 6 digits or more.
pub fn rollup_key(region_code: &str, rollup: MonitorRollup) -> Option<String> {
    let head = region_code.get(..6)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match rollup {
        MonitorRollup::Prefecture => format!("{}00", &head[..4]),
        MonitorRollup::County => head.to_owned(),
    })
}

/// A civil date's midnight in Asia/Shanghai.
pub fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .map_or_else(
            || date.and_time(NaiveTime::MIN).and_utc(),
            |at| at.with_timezone(&Utc),
        )
}

/// Today's midnight in Asia/Shanghai.
pub fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    midnight(civil_date(now))
}

/// The first of this month's midnight in Asia/Shanghai.
pub fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = civil_date(now);
    midnight(today.with_day(1).unwrap_or(today))
}

/// A half-open span of time `[from, to)`.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// The two windows compared by "today vs the same weekday last week": today's midnight to
/// `now`, and the same span exactly a week earlier.
pub fn today_and_last_week(now: DateTime<Utc>) -> (Span, Span) {
    let start = day_start(now);
    let week = Duration::days(7);
    ((start, now), (start - week, now - week))
}

/// `today / last_week - 1`, absent when last week had none.
pub fn change(today: i64, last_week: i64) -> Option<f64> {
    (last_week > 0).then(|| today as f64 / last_week as f64 - 1.0)
}

/// The start of the snapshot interval `now` falls in (intervals counted from the Unix
/// epoch, so every replica computes the same key). An interval under a second counts as
/// one second.
pub fn interval_start(now: DateTime<Utc>, interval: std::time::Duration) -> DateTime<Utc> {
    let step = i64::try_from(interval.as_secs().max(1)).unwrap_or(i64::MAX);
    let secs = now.timestamp().div_euclid(step) * step;
    DateTime::from_timestamp(secs, 0).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bj(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn an_order_is_at_its_latest_step() {
        let t = bj(2025, 3, 7, 9, 0);
        let mut o = OpenOrder {
            registered_at: Some(t),
            ..OpenOrder::default()
        };
        assert_eq!(stage(&o), Some((Stage::AwaitingDispatch, t)));
        o.dispatched_at = Some(t + Duration::minutes(5));
        assert_eq!(stage(&o).unwrap().0, Stage::AwaitingSign);
        o.signed_at = Some(t + Duration::hours(1));
        assert_eq!(
            stage(&o),
            Some((Stage::AwaitingResult, t + Duration::hours(1)))
        );
        // A result known before the sign (events out of order) still wins.
        o.signed_at = None;
        o.result_submitted_at = Some(t + Duration::hours(2));
        assert_eq!(stage(&o).unwrap().0, Stage::AwaitingClose);
        assert_eq!(stage(&OpenOrder::default()), None);
    }

    #[test]
    fn dispatch_is_stuck_after_its_minutes() {
        let (cal, th) = (Calendar::official(), Thresholds::default());
        let t = bj(2025, 3, 8, 23, 55); // a Saturday night: minutes count all the same
        let o = OpenOrder {
            registered_at: Some(t),
            ..OpenOrder::default()
        };
        assert_eq!(stuck(&cal, &th, &o, t + Duration::minutes(10)), None);
        assert_eq!(
            stuck(&cal, &th, &o, t + Duration::minutes(11)),
            Some((Stage::AwaitingDispatch, t, t + Duration::minutes(10)))
        );
    }

    #[test]
    fn sign_waits_one_working_day_unless_the_watcher_says_overdue() {
        let (cal, th) = (Calendar::official(), Thresholds::default());
        // Dispatched Friday 2025-03-07 16:00: expected by Monday 16:00, not Saturday.
        let t = bj(2025, 3, 7, 16, 0);
        let mut o = OpenOrder {
            registered_at: Some(t),
            dispatched_at: Some(t),
            ..OpenOrder::default()
        };
        let monday = bj(2025, 3, 10, 16, 0);
        assert_eq!(stuck(&cal, &th, &o, bj(2025, 3, 9, 20, 0)), None);
        assert_eq!(
            stuck(&cal, &th, &o, monday + Duration::minutes(1)),
            Some((Stage::AwaitingSign, t, monday))
        );
        // The deadline-watcher's verdict decides first.
        o.sign_overdue = true;
        assert_eq!(
            stuck(&cal, &th, &o, t + Duration::hours(1)),
            Some((Stage::AwaitingSign, t, monday))
        );
        // A sign_overdue flag does not make an order stuck at a later stage.
        o.signed_at = Some(t + Duration::hours(2));
        assert_eq!(stuck(&cal, &th, &o, t + Duration::hours(3)), None);
        o.handling_overdue = true;
        assert_eq!(
            stuck(&cal, &th, &o, t + Duration::hours(3)).map(|s| s.0),
            Some(Stage::AwaitingResult)
        );
    }

    #[test]
    fn working_days_skip_the_national_day_holiday() {
        let cal = Calendar::official();
        // 2025: Oct 1–8 off; a result on Tue Sep 30 is expected closed by Thu Oct 9.
        assert_eq!(
            after_working_days(&cal, bj(2025, 9, 30, 10, 0), 1),
            bj(2025, 10, 9, 10, 0)
        );
        // Outside the calendar's years: calendar days.
        assert_eq!(
            after_working_days(&cal, bj(2031, 1, 3, 10, 0), 2),
            bj(2031, 1, 5, 10, 0)
        );
    }

    #[test]
    fn regions_roll_up_to_prefecture_or_county() {
        assert_eq!(
            rollup_key("520102", MonitorRollup::Prefecture).as_deref(),
            Some("520100")
        );
        assert_eq!(
            rollup_key("520102", MonitorRollup::County).as_deref(),
            Some("520102")
        );
        assert_eq!(rollup_key("5201", MonitorRollup::County), None);
        assert_eq!(rollup_key("52a102", MonitorRollup::County), None);
    }

    #[test]
    fn today_is_compared_with_the_same_span_a_week_ago() {
        // 2025-03-07 00:30 Beijing is 2025-03-06 16:30 UTC: today started at 16:00 UTC.
        let now = bj(2025, 3, 7, 0, 30);
        let ((from, to), (last_from, last_to)) = today_and_last_week(now);
        assert_eq!(from, bj(2025, 3, 7, 0, 0));
        assert_eq!(to, now);
        assert_eq!(last_from, bj(2025, 2, 28, 0, 0));
        assert_eq!(last_to, bj(2025, 2, 28, 0, 30));
        assert_eq!(month_start(now), bj(2025, 3, 1, 0, 0));
        assert_eq!(change(3, 2), Some(0.5));
        assert_eq!(change(3, 0), None);
    }

    #[test]
    fn every_replica_keys_a_snapshot_to_the_same_interval() {
        let minute = std::time::Duration::from_secs(60);
        let t = bj(2025, 3, 7, 9, 41);
        assert_eq!(interval_start(t + Duration::seconds(59), minute), t);
        assert_eq!(
            interval_start(t + Duration::seconds(60), minute),
            t + Duration::minutes(1)
        );
        let zero = std::time::Duration::ZERO;
        assert_eq!(interval_start(t + Duration::milliseconds(900), zero), t);
    }
}
