//! The 2026 State Council schedule, as the embedded data must encode it.

mod common;

use chrono::{Datelike, Weekday};
use common::{d, days};
use hotline_workday::{Calendar, CalendarError};

fn assert_off(cal: &Calendar, from: &str, to: &str) {
    for day in days(from, to) {
        assert_eq!(cal.is_working_day(day), Ok(false), "{day} must be off");
    }
}

fn assert_adjusted_workday(cal: &Calendar, date: &str, weekday: Weekday) {
    let day = d(date);
    assert_eq!(day.weekday(), weekday, "{day}");
    assert_eq!(cal.is_working_day(day), Ok(true), "{day} must be worked");
}

#[test]
fn covered_years_are_2024_to_2026() {
    let cal = Calendar::official();
    assert_eq!(cal.covered_years(), vec![2024, 2025, 2026]);
    assert!(cal.is_year_covered(2026));
    assert!(!cal.is_year_covered(2027));
}

#[test]
fn new_year_2026() {
    let cal = Calendar::official();
    assert_off(&cal, "2026-01-01", "2026-01-03");
    assert_adjusted_workday(&cal, "2026-01-04", Weekday::Sun);
}

#[test]
fn spring_festival_2026() {
    let cal = Calendar::official();
    assert_off(&cal, "2026-02-15", "2026-02-23");
    assert_adjusted_workday(&cal, "2026-02-14", Weekday::Sat);
    assert_adjusted_workday(&cal, "2026-02-28", Weekday::Sat);
    assert_eq!(cal.holiday_name(d("2026-02-17")), Some("春节"));
}

#[test]
fn qingming_2026() {
    let cal = Calendar::official();
    assert_off(&cal, "2026-04-04", "2026-04-06");
    assert_eq!(cal.is_working_day(d("2026-04-03")), Ok(true));
    assert_eq!(cal.is_working_day(d("2026-04-07")), Ok(true));
}

#[test]
fn labour_day_2026() {
    let cal = Calendar::official();
    assert_off(&cal, "2026-05-01", "2026-05-05");
    assert_adjusted_workday(&cal, "2026-05-09", Weekday::Sat);
}

#[test]
fn dragon_boat_2026() {
    let cal = Calendar::official();
    assert_off(&cal, "2026-06-19", "2026-06-21");
    assert_eq!(cal.is_working_day(d("2026-06-18")), Ok(true));
    assert_eq!(cal.is_working_day(d("2026-06-22")), Ok(true));
}

#[test]
fn mid_autumn_2026() {
    let cal = Calendar::official();
    assert_off(&cal, "2026-09-25", "2026-09-27");
}

#[test]
fn national_day_2026() {
    let cal = Calendar::official();
    assert_off(&cal, "2026-10-01", "2026-10-07");
    assert_adjusted_workday(&cal, "2026-09-20", Weekday::Sun);
    assert_adjusted_workday(&cal, "2026-10-10", Weekday::Sat);
    assert_eq!(cal.is_working_day(d("2026-10-08")), Ok(true));
    assert_eq!(cal.holiday_name(d("2026-10-10")), Some("国庆节"));
}

#[test]
fn ordinary_days_follow_the_weekday_rule() {
    let cal = Calendar::official();
    assert_eq!(cal.is_working_day(d("2026-03-10")), Ok(true)); // Tue
    assert_eq!(cal.is_working_day(d("2026-03-14")), Ok(false)); // Sat
    assert_eq!(cal.is_working_day(d("2026-03-15")), Ok(false)); // Sun
    assert_eq!(cal.holiday_name(d("2026-03-10")), None);
}

#[test]
fn adjusted_working_days_2026_are_exactly_the_published_ones() {
    let cal = Calendar::official();
    let worked_weekends: Vec<_> = days("2026-01-01", "2026-12-31")
        .into_iter()
        .filter(|x| matches!(x.weekday(), Weekday::Sat | Weekday::Sun))
        .filter(|x| cal.is_working_day(*x) == Ok(true))
        .collect();
    let expected: Vec<_> = [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    .iter()
    .map(|s| d(s))
    .collect();
    assert_eq!(worked_weekends, expected);
}

#[test]
fn uncovered_years_are_errors_not_guesses() {
    let cal = Calendar::official();
    assert_eq!(
        cal.is_working_day(d("2027-01-04")),
        Err(CalendarError::MissingYear(2027))
    );
    assert_eq!(
        cal.is_working_day(d("2023-12-29")),
        Err(CalendarError::MissingYear(2023))
    );
}

#[test]
fn missing_year_message_asks_for_an_operator() {
    assert_eq!(
        CalendarError::MissingYear(2027).to_string(),
        "no working-day calendar data for year 2027: an operator must load the State Council schedule"
    );
}
