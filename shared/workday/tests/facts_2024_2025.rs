//! The 2024 and 2025 State Council schedules, written out by hand from the official notices
//! (国务院办公厅关于2024年/2025年部分节假日安排的通知), checked against the embedded data:
//! every holiday block, every adjusted working day, and a deadline across each block.

mod common;

use chrono::{Datelike, Weekday};
use common::{at, d, days};
use hotline_workday::Calendar;

/// (holiday, first day off, last day off, adjusted working days)
const SCHEDULE: &[(&str, &str, &str, &[&str])] = &[
    ("元旦 2024", "2024-01-01", "2024-01-01", &[]),
    (
        "春节 2024",
        "2024-02-10",
        "2024-02-17",
        &["2024-02-04", "2024-02-18"],
    ),
    ("清明节 2024", "2024-04-04", "2024-04-06", &["2024-04-07"]),
    (
        "劳动节 2024",
        "2024-05-01",
        "2024-05-05",
        &["2024-04-28", "2024-05-11"],
    ),
    ("端午节 2024", "2024-06-08", "2024-06-10", &[]),
    ("中秋节 2024", "2024-09-15", "2024-09-17", &["2024-09-14"]),
    (
        "国庆节 2024",
        "2024-10-01",
        "2024-10-07",
        &["2024-09-29", "2024-10-12"],
    ),
    ("元旦 2025", "2025-01-01", "2025-01-01", &[]),
    (
        "春节 2025",
        "2025-01-28",
        "2025-02-04",
        &["2025-01-26", "2025-02-08"],
    ),
    ("清明节 2025", "2025-04-04", "2025-04-06", &[]),
    ("劳动节 2025", "2025-05-01", "2025-05-05", &["2025-04-27"]),
    ("端午节 2025", "2025-05-31", "2025-06-02", &[]),
    (
        "国庆节、中秋节 2025",
        "2025-10-01",
        "2025-10-08",
        &["2025-09-28", "2025-10-11"],
    ),
];

#[test]
fn every_holiday_block_of_2024_and_2025_is_off() {
    let cal = Calendar::official();
    for (name, from, to, _) in SCHEDULE {
        for day in days(from, to) {
            assert_eq!(
                cal.is_working_day(day),
                Ok(false),
                "{name}: {day} must be off"
            );
        }
    }
}

#[test]
fn every_adjusted_working_day_of_2024_and_2025_is_a_worked_weekend() {
    let cal = Calendar::official();
    for (name, _, _, worked) in SCHEDULE {
        for date in *worked {
            let day = d(date);
            assert!(
                matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
                "{name}: {day} is an adjusted working day, so a weekend day"
            );
            assert_eq!(
                cal.is_working_day(day),
                Ok(true),
                "{name}: {day} must be worked"
            );
        }
    }
}

#[test]
fn no_other_weekend_is_worked_in_2024_and_2025() {
    let cal = Calendar::official();
    let listed: Vec<_> = SCHEDULE
        .iter()
        .flat_map(|(_, _, _, w)| w.iter().map(|s| d(s)))
        .collect();
    for day in days("2024-01-01", "2025-12-31") {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend && !listed.contains(&day) {
            assert_eq!(
                cal.is_working_day(day),
                Ok(false),
                "{day} is an ordinary weekend"
            );
        }
    }
}

/// A15: "within 1 working day" across each block — received on the last working day
/// before the block, the deadline is the end of the first working day after it.
#[test]
fn a_deadline_received_before_each_block_lands_after_it() {
    let cal = Calendar::official();
    for (name, from, to, _) in SCHEDULE {
        // The last working day before the block, received at 23:59 Beijing time (New Year
        // 2024 has none in the data: 2023 is not covered, and is never guessed).
        let mut before = d(from).pred_opt().unwrap();
        loop {
            match cal.is_working_day(before) {
                Ok(true) => break,
                Ok(false) => before = before.pred_opt().unwrap(),
                Err(_) => break,
            }
        }
        if cal.is_working_day(before).is_err() {
            continue;
        }
        let received = at(&format!("{before}T23:59:00+08:00"));
        let due = cal.add_working_days(received, 1).unwrap();
        // The first working day after the block.
        let mut after = d(to).succ_opt().unwrap();
        while cal.is_working_day(after) != Ok(true) {
            after = after.succ_opt().unwrap();
        }
        let expected = at(&format!("{}T00:00:00+08:00", after.succ_opt().unwrap()));
        assert_eq!(due, expected, "{name}: received {received}");
        // Received on any day of the block itself: the same deadline.
        for day in days(from, to) {
            let received = at(&format!("{day}T10:00:00+08:00"));
            assert_eq!(
                cal.add_working_days(received, 1).unwrap(),
                expected,
                "{name}: received on {day}"
            );
        }
    }
}
