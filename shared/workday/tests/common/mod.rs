//! Helpers shared by the integration tests.
#![allow(dead_code)]
// Test-only helpers: a malformed literal is a bug in the test itself.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, Utc};

/// Parses an RFC 3339 instant, e.g. `2026-11-27T20:00:00+08:00`.
pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Parses a `YYYY-MM-DD` date.
pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Every date from `from` to `to`, both included.
pub fn days(from: &str, to: &str) -> Vec<NaiveDate> {
    d(from).iter_days().take_while(|x| *x <= d(to)).collect()
}

/// The instant `secs` seconds after the Unix epoch.
pub fn from_unix(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}
