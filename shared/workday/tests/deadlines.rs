//! Worked examples of the deadline rules (see the crate docs).

mod common;

use common::at;
use hotline_workday::{Calendar, CalendarError, MAX_WORKING_DAYS};

fn deadline(received: &str, n: u32) -> Result<chrono::DateTime<chrono::Utc>, CalendarError> {
    Calendar::official().add_working_days(at(received), n)
}

#[test]
fn friday_evening_ends_monday() {
    assert_eq!(
        deadline("2026-11-27T20:00:00+08:00", 1),
        Ok(at("2026-12-01T00:00:00+08:00"))
    );
}

#[test]
fn monday_morning_ends_tuesday() {
    assert_eq!(
        deadline("2026-11-30T09:00:00+08:00", 1),
        Ok(at("2026-12-02T00:00:00+08:00"))
    );
}

#[test]
fn any_hour_of_the_receipt_day_counts_the_same() {
    for t in ["00:00:00", "09:00:00", "17:30:00", "23:59:59"] {
        assert_eq!(
            deadline(&format!("2026-11-30T{t}+08:00"), 1),
            Ok(at("2026-12-02T00:00:00+08:00")),
            "{t}"
        );
    }
}

#[test]
fn receipt_on_a_weekend_counts_from_the_next_working_day() {
    // Saturday and Sunday receipts both end with Monday.
    assert_eq!(
        deadline("2026-11-28T10:00:00+08:00", 1),
        Ok(at("2026-12-01T00:00:00+08:00"))
    );
    assert_eq!(
        deadline("2026-11-29T23:00:00+08:00", 1),
        Ok(at("2026-12-01T00:00:00+08:00"))
    );
}

#[test]
fn national_day_is_skipped() {
    assert_eq!(
        deadline("2026-09-30T23:59:00+08:00", 1),
        Ok(at("2026-10-09T00:00:00+08:00"))
    );
    // Oct 8 (Thu), Oct 9 (Fri), Oct 10 (Sat, adjusted working day).
    assert_eq!(
        deadline("2026-09-30T23:59:00+08:00", 3),
        Ok(at("2026-10-11T00:00:00+08:00"))
    );
}

#[test]
fn adjusted_working_day_as_receipt_day_is_not_counted() {
    // Sat 2026-02-14 is worked, but it is the receipt day; Feb 15–23 are off.
    assert_eq!(
        deadline("2026-02-14T10:00:00+08:00", 1),
        Ok(at("2026-02-25T00:00:00+08:00"))
    );
}

#[test]
fn adjusted_working_day_after_receipt_is_counted() {
    assert_eq!(
        deadline("2026-02-13T10:00:00+08:00", 1),
        Ok(at("2026-02-15T00:00:00+08:00"))
    );
}

#[test]
fn receipt_day_is_the_shanghai_date() {
    // 16:30 UTC Thursday is 00:30 CST Friday.
    assert_eq!(
        deadline("2026-11-26T16:30:00Z", 1),
        Ok(at("2026-12-01T00:00:00+08:00"))
    );
    // 15:59 UTC Thursday is still Thursday in Shanghai: ends Friday.
    assert_eq!(
        deadline("2026-11-26T15:59:00Z", 1),
        Ok(at("2026-11-28T00:00:00+08:00"))
    );
}

#[test]
fn result_is_utc() {
    let got = deadline("2026-11-27T20:00:00+08:00", 1).unwrap();
    assert_eq!(got.to_rfc3339(), "2026-11-30T16:00:00+00:00");
}

#[test]
fn zero_working_days_returns_received_unchanged() {
    let r = at("2026-10-03T12:34:56+08:00");
    assert_eq!(Calendar::official().add_working_days(r, 0), Ok(r));
    // Even in an uncovered year: nothing is counted, nothing is looked up.
    let r = at("2030-01-01T00:00:00Z");
    assert_eq!(Calendar::official().add_working_days(r, 0), Ok(r));
}

#[test]
fn search_into_an_uncovered_year_names_it() {
    assert_eq!(
        deadline("2026-12-31T10:00:00+08:00", 1),
        Err(CalendarError::MissingYear(2027))
    );
    assert_eq!(
        deadline("2026-12-20T10:00:00+08:00", 30),
        Err(CalendarError::MissingYear(2027))
    );
    // Received in uncovered 2023: the first counted day (2023-12-31) is uncovered.
    assert_eq!(
        deadline("2023-12-30T10:00:00+08:00", 1),
        Err(CalendarError::MissingYear(2023))
    );
}

#[test]
fn receipt_day_itself_need_not_be_covered() {
    // 2023-12-31 is the receipt day (not counted); 2024-01-01 is off; Jan 2 is worked.
    assert_eq!(
        deadline("2023-12-31T10:00:00+08:00", 1),
        Ok(at("2024-01-03T00:00:00+08:00"))
    );
}

#[test]
fn deadline_instant_may_be_new_year_of_an_uncovered_year() {
    assert_eq!(
        deadline("2026-12-30T10:00:00+08:00", 1),
        Ok(at("2027-01-01T00:00:00+08:00"))
    );
}

#[test]
fn too_many_working_days_is_an_error() {
    assert_eq!(
        deadline("2026-01-05T10:00:00+08:00", MAX_WORKING_DAYS + 1),
        Err(CalendarError::TooManyWorkingDays {
            n: MAX_WORKING_DAYS + 1,
            max: MAX_WORKING_DAYS
        })
    );
    assert_eq!(
        deadline("2026-01-05T10:00:00+08:00", u32::MAX),
        Err(CalendarError::TooManyWorkingDays {
            n: u32::MAX,
            max: MAX_WORKING_DAYS
        })
    );
    // The maximum itself is accepted, and here runs out of data.
    assert_eq!(
        deadline("2026-01-05T10:00:00+08:00", MAX_WORKING_DAYS),
        Err(CalendarError::MissingYear(2027))
    );
}

#[test]
fn a_calendar_with_no_working_days_terminates() {
    // Every day of 2030 off: the search walks through and reports 2031.
    let mut csv = String::from("date,kind,holiday\n");
    for day in common::days("2030-01-01", "2030-12-31") {
        csv.push_str(&format!("{day},off,test\n"));
    }
    let cal = Calendar::from_csv(&csv).unwrap();
    assert_eq!(
        cal.add_working_days(at("2030-01-01T10:00:00+08:00"), 1),
        Err(CalendarError::MissingYear(2031))
    );
}

#[test]
fn calendar_hours_do_not_skip_holidays() {
    let cal = Calendar::official();
    assert_eq!(
        cal.add_calendar_hours(at("2026-09-30T22:00:00+08:00"), 24),
        at("2026-10-01T22:00:00+08:00")
    );
    assert_eq!(
        cal.add_calendar_hours(at("2026-12-31T22:00:00+08:00"), 2),
        at("2027-01-01T00:00:00+08:00")
    );
    let r = at("2026-05-01T08:00:00Z");
    assert_eq!(cal.add_calendar_hours(r, 0), r);
}

#[test]
fn calendar_hours_saturate_instead_of_panicking() {
    let cal = Calendar::official();
    let max = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    assert_eq!(cal.add_calendar_hours(max, 1), max);
    // u32::MAX hours is about 490,000 years: past chrono's range.
    assert_eq!(
        cal.add_calendar_hours(at("2026-01-01T00:00:00Z"), u32::MAX),
        max
    );
    assert_eq!(
        cal.add_calendar_hours(at("2026-01-01T00:00:00Z"), 1_000_000),
        at("2140-01-30T16:00:00Z")
    );
}

#[test]
fn missing_next_year_from_december_first_shanghai() {
    let cal = Calendar::official();
    // 2026-11-30 23:59:59 CST: still November.
    assert_eq!(cal.missing_next_year(at("2026-11-30T15:59:59Z")), None);
    // 2026-12-01 00:00 CST (= 2026-11-30T16:00Z): 2027 is missing.
    assert_eq!(
        cal.missing_next_year(at("2026-11-30T16:00:00Z")),
        Some(2027)
    );
    assert_eq!(
        cal.missing_next_year(at("2026-12-31T12:00:00Z")),
        Some(2027)
    );
    // December 2025: 2026 is loaded.
    assert_eq!(cal.missing_next_year(at("2025-12-15T12:00:00Z")), None);
    // Mid-year: no alert yet.
    assert_eq!(cal.missing_next_year(at("2026-06-01T00:00:00Z")), None);
    // 2026-12-31T16:00Z is 2027-01-01 CST: January, no next-year alert.
    assert_eq!(cal.missing_next_year(at("2026-12-31T16:00:00Z")), None);
}
