//! Validation of operator-supplied calendar data.

mod common;

use std::path::PathBuf;

use common::d;
use hotline_workday::{Calendar, CalendarError};

const HEADER: &str = "date,kind,holiday\n";

fn parse(rows: &str) -> Result<Calendar, CalendarError> {
    Calendar::from_csv(&format!("{HEADER}{rows}"))
}

#[test]
fn valid_data_loads() {
    let cal = parse("2027-01-01,off,元旦\n2027-02-06,workday,春节\n2027-02-07,off,春节\n").unwrap();
    assert_eq!(cal.covered_years(), vec![2027]);
    assert_eq!(cal.is_working_day(d("2027-01-01")), Ok(false));
    assert_eq!(cal.is_working_day(d("2027-02-06")), Ok(true)); // Sat, adjusted
    assert_eq!(cal.is_working_day(d("2027-01-04")), Ok(true)); // Mon, unlisted
    assert_eq!(cal.is_working_day(d("2027-01-09")), Ok(false)); // Sat, unlisted
}

#[test]
fn off_is_allowed_on_any_day() {
    // 2027-02-07 is a Sunday, 2027-01-01 a Friday.
    assert!(parse("2027-02-07,off,x\n2027-01-01,off,x\n").is_ok());
}

#[test]
fn whitespace_comments_blank_lines_and_bom_are_tolerated() {
    let text =
        "\u{feff}date,kind,holiday\n# State Council notice 2027\n\n 2027-01-01 , off , 元旦 \n";
    let cal = Calendar::from_csv(text).unwrap();
    assert_eq!(cal.is_working_day(d("2027-01-01")), Ok(false));
    assert_eq!(cal.holiday_name(d("2027-01-01")), Some("元旦"));
}

#[test]
fn bad_dates_are_rejected_with_their_line() {
    for bad in [
        "2027-02-30",
        "2027-13-01",
        "2027-1-1",
        "27-01-01",
        "01/01/2027",
        "",
    ] {
        let err = parse(&format!("2027-01-01,off,x\n{bad},off,x\n")).unwrap_err();
        match err {
            CalendarError::Parse { line, reason } => {
                assert_eq!(line, 3, "{bad:?}");
                assert!(reason.contains("invalid date"), "{bad:?}: {reason}");
            }
            other => panic!("{bad:?}: unexpected {other:?}"),
        }
    }
}

#[test]
fn unknown_kind_is_rejected() {
    assert_eq!(
        parse("2027-01-01,holiday,元旦\n").unwrap_err(),
        CalendarError::UnknownKind {
            line: 2,
            kind: "holiday".to_owned()
        }
    );
    // Kinds are case-sensitive.
    assert!(matches!(
        parse("2027-01-01,Off,元旦\n"),
        Err(CalendarError::UnknownKind { line: 2, .. })
    ));
}

#[test]
fn duplicate_dates_are_rejected() {
    assert_eq!(
        parse("2027-01-01,off,a\n2027-01-02,off,a\n2027-01-01,off,b\n").unwrap_err(),
        CalendarError::DuplicateDate {
            line: 4,
            date: d("2027-01-01"),
            first_line: 2
        }
    );
}

#[test]
fn workday_on_a_weekday_is_rejected() {
    // 2027-01-04 is a Monday.
    assert_eq!(
        parse("2027-01-04,workday,x\n").unwrap_err(),
        CalendarError::WorkdayOnWeekday {
            line: 2,
            date: d("2027-01-04")
        }
    );
}

#[test]
fn wrong_field_count_is_rejected() {
    assert!(matches!(
        parse("2027-01-01,off\n"),
        Err(CalendarError::Parse { line: 2, .. })
    ));
    assert!(matches!(
        parse("2027-01-01,off,x,extra\n"),
        Err(CalendarError::Parse { line: 2, .. })
    ));
}

#[test]
fn wrong_header_is_rejected() {
    assert!(matches!(
        Calendar::from_csv("day,kind,holiday\n2027-01-01,off,x\n"),
        Err(CalendarError::Parse { line: 1, .. })
    ));
    // A headerless file would silently lose its first row: rejected too.
    assert!(matches!(
        Calendar::from_csv("2027-01-01,off,x\n2027-01-02,off,x\n"),
        Err(CalendarError::Parse { line: 1, .. })
    ));
    assert!(matches!(
        Calendar::from_csv(""),
        Err(CalendarError::Parse { line: 1, .. })
    ));
}

#[test]
fn header_only_is_empty() {
    assert_eq!(
        Calendar::from_csv(HEADER).unwrap_err(),
        CalendarError::Empty
    );
}

#[test]
fn from_path_reads_an_operator_file() {
    let dir = std::env::temp_dir().join(format!("hotline-workday-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("calendar.csv");
    std::fs::write(&path, format!("{HEADER}2027-01-01,off,元旦\n")).unwrap();
    let cal = Calendar::from_path(&path);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(cal.unwrap().covered_years(), vec![2027]);
}

#[test]
fn from_path_reports_missing_file() {
    let path = PathBuf::from("/nonexistent/hotline-workday/calendar.csv");
    match Calendar::from_path(&path) {
        Err(CalendarError::Io { path: p, .. }) => assert_eq!(p, path),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_official_data_file_loads_from_disk_too() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/cn-public-holidays.csv");
    assert_eq!(Calendar::from_path(&path), Ok(Calendar::official()));
}
