//! Human-readable order numbers: `<region code, 6><yymmdd, Asia/Shanghai><daily sequence>`,
//! e.g. `5201022611270001` for the first order of 2026-11-27 about Nanming district.
//!
//! The sequence comes from a per-region, per-day counter row (see `store`), so numbers are
//! unique under concurrency; it is zero-padded to 4 digits and simply grows past 9999.

use chrono::{DateTime, NaiveDate, Utc};

/// The Asia/Shanghai calendar day of an instant (the day printed in the number).
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// Format an order number: [`number_prefix`], then the day's sequence in at least four
/// digits. (`store::number_order` writes the same in SQL; a test checks they agree.)
pub fn format_number(region_code: &str, day: NaiveDate, sequence: u32) -> String {
    format!("{}{sequence:04}", number_prefix(region_code, day))
}

/// The part of an order number before the sequence: the region code and the day (yymmdd).
pub fn number_prefix(region_code: &str, day: NaiveDate) -> String {
    format!("{region_code}{}", day.format("%y%m%d"))
}

/// A 6-digit check code the requester needs, with the number, to query progress (A11).
pub fn new_check_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn number_uses_the_shanghai_day() {
        // 2026-11-27 17:00 UTC is already 2026-11-28 in Guizhou.
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap();
        assert_eq!(
            format_number("520102", local_day(at), 1),
            "5201022611280001"
        );
        assert_eq!(
            format_number("520102", local_day(at), 12345),
            "52010226112812345"
        );
    }

    #[test]
    fn check_code_is_six_digits() {
        let c = new_check_code();
        assert_eq!(c.len(), 6);
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
    }
}
