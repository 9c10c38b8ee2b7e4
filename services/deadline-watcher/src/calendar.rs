//! The working-day calendar the clocks count on, and the watch that reports a missing year
//! loudly before it starts (a deadline in a year without data cannot be computed, and the
//! calendar refuses to guess).
//!
//! The State Council publishes each year's holiday schedule late in the year before. The
//! embedded calendar covers what was published at release; an operator loads a newer file
//! with `deadline_watcher.calendar_file` (same CSV format, see the workday crate) and
//! restarts the service, without a code change.
//!
//! The watch reports a missing next year three ways from December 1 on: an error log line,
//! the gauge `hotline_calendar_next_year_missing`, and a `/readyz` warning
//! (`"calendar": "calendar year 2027 missing"`). The warning does not make the service
//! unready: this year's deadlines are still computed correctly.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline_service_kit::ReadinessWarnings;
use hotline_workday::{Calendar, CalendarError};
use tokio_util::sync::CancellationToken;

/// The embedded official calendar, or the operator's file when one is configured.
pub fn load(file: Option<&Path>) -> Result<Calendar, CalendarError> {
    match file {
        Some(path) => Calendar::from_path(path),
        None => Ok(Calendar::official()),
    }
}

/// The name of the `/readyz` warning the watch posts.
pub const READINESS_WARNING: &str = "calendar";

/// Check once per `every` (and at once) whether next year's schedule is missing (from
/// December 1 on); see [`check_next_year`].
pub async fn watch(
    calendar: Arc<Calendar>,
    warnings: ReadinessWarnings,
    every: Duration,
    shutdown: CancellationToken,
) {
    let mut ticks = tokio::time::interval(every.max(Duration::from_secs(1)));
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.cancelled() => break,
        }
        check_next_year(&calendar, Utc::now(), &warnings);
    }
}

/// One check as of `now`: when next year's schedule is missing (from December 1 on,
/// Asia/Shanghai) log an error, set `hotline_calendar_next_year_missing` to 1 (the signal
/// alerting is built on) and post the `/readyz` warning; otherwise set the gauge to 0 and
/// withdraw the warning. Returns the missing year.
pub fn check_next_year(
    calendar: &Calendar,
    now: DateTime<Utc>,
    warnings: &ReadinessWarnings,
) -> Option<i32> {
    let missing = calendar.missing_next_year(now);
    match missing {
        Some(year) => {
            metrics::gauge!("hotline_calendar_next_year_missing").set(1.0);
            warnings.set(READINESS_WARNING, format!("calendar year {year} missing"));
            tracing::error!(year, covered = ?calendar.covered_years(), "the working-day calendar has no data for next year: load the State Council schedule (deadline_watcher.calendar_file) before January 1, or deadlines reaching into it cannot be computed");
        }
        None => {
            metrics::gauge!("hotline_calendar_next_year_missing").set(0.0);
            warnings.clear(READINESS_WARNING);
        }
    }
    missing
}
