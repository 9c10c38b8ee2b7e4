//! The calendar as the deadline-watcher shows it: the due and calendar queries over NATS
//! (`rpc.deadline-watcher.due`, `rpc.deadline-watcher.calendar`), answered from the calendar
//! the clocks count on, and the `/readyz` warning when next year's schedule is missing
//! from December 1 on (issue 6).

// Helpers fail the test loudly, like the tests (clippy's allow-unwrap-in-tests only covers
// `#[test]` functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::rpc::{
    CALENDAR_YEAR_MISSING, CalendarQuery, CalendarYear, DueRule, RpcError, RpcErrorCode, verbs,
};
use hotline_deadline_watcher::calendar::check_next_year;
use hotline_deadline_watcher::queries;
use hotline_service_kit::ops::{self, Readiness};
use hotline_service_test::PATIENCE;
use hotline_test_support::wait_for;
use hotline_workday::Calendar;
use serde_json::{Value, json};
use support::Watcher;
use tokio_util::sync::CancellationToken;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn readyz(ops: std::net::SocketAddr) -> (u16, Value) {
    let response = reqwest::get(format!("http://{ops}/readyz")).await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn fields(error: &RpcError) -> Vec<(&str, &str)> {
    error
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.code.as_str()))
        .collect()
}

#[tokio::test]
async fn the_due_query_counts_working_days_across_a_holiday_block_and_hours_straight_through() {
    let service = Watcher::start_answering().await;

    // Wednesday 2026-09-30: October 1–7 are National Day, Thursday October 8 is the first
    // working day, so "within 1 working day" ends at 00:00 on October 9.
    let answer = service
        .due(json!({"from": "2026-09-30T10:00:00+08:00", "working_days": 1}))
        .await
        .unwrap();
    assert_eq!(answer.due_at, at("2026-10-09T00:00:00+08:00"));
    assert_eq!(answer.from, at("2026-09-30T10:00:00+08:00"));
    assert_eq!((answer.rule, answer.n), (DueRule::WorkingDays, 1));
    assert_eq!(
        answer.last_working_day,
        NaiveDate::from_ymd_opt(2026, 10, 8)
    );
    // The answer is the clocks' own arithmetic.
    assert_eq!(
        Ok(answer.due_at),
        Calendar::official().add_working_days(answer.from, 1)
    );

    // Three working days: October 8, 9 and Saturday October 10 (调休).
    let answer = service
        .due(json!({"from": "2026-09-30T10:00:00+08:00", "working_days": 3}))
        .await
        .unwrap();
    assert_eq!(answer.due_at, at("2026-10-11T00:00:00+08:00"));

    let answer = service
        .due(json!({"from": "2026-09-30T10:00:00+08:00", "hours": 24}))
        .await
        .unwrap();
    assert_eq!(answer.due_at, at("2026-10-01T10:00:00+08:00"));
    assert_eq!((answer.rule, answer.n), (DueRule::Hours, 24));
    assert_eq!(answer.last_working_day, None);

    service.stop().await;
}

#[tokio::test]
async fn bad_due_queries_are_refused_naming_the_field() {
    let service = Watcher::start_answering().await;
    let from = "2026-11-27T10:00:00+08:00";

    let error = service.due(json!({"from": from})).await.unwrap_err();
    assert_eq!(error.code, RpcErrorCode::InvalidRequest);
    assert_eq!(
        fields(&error),
        [("working_days", "one_required"), ("hours", "one_required")]
    );

    let error = service
        .due(json!({"from": from, "working_days": 1, "hours": 24}))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&error),
        [
            ("working_days", "mutually_exclusive"),
            ("hours", "mutually_exclusive")
        ]
    );

    let error = service
        .due(json!({"from": from, "working_days": 3651}))
        .await
        .unwrap_err();
    assert_eq!(fields(&error), [("working_days", "out_of_range")]);
    let error = service
        .due(json!({"from": from, "hours": queries::MAX_HOURS + 1}))
        .await
        .unwrap_err();
    assert_eq!(fields(&error), [("hours", "out_of_range")]);

    // A body that is not a due query at all.
    let error = service
        .due(json!({"from": "tomorrow", "working_days": 1}))
        .await
        .unwrap_err();
    assert_eq!(error.code, RpcErrorCode::InvalidRequest);
    assert_eq!(fields(&error), [("body", "invalid_json")]);

    service.stop().await;
}

#[tokio::test]
async fn a_deadline_or_listing_in_a_year_without_data_names_the_missing_year() {
    let service = Watcher::start_answering().await;

    // Thursday 2026-12-31: the next working day would be in 2027, which has no schedule.
    let error = service
        .due(json!({"from": "2026-12-31T10:00:00+08:00", "working_days": 1}))
        .await
        .unwrap_err();
    assert_eq!(error, RpcError::calendar_year_missing(2027));
    assert_eq!(error.code, RpcErrorCode::NotFound);
    assert_eq!(fields(&error), [("year", CALENDAR_YEAR_MISSING)]);

    let error = service
        .ask::<_, CalendarYear>(
            verbs::DEADLINE_WATCHER_CALENDAR,
            &CalendarQuery { year: 2023 },
        )
        .await
        .unwrap_err();
    assert_eq!(error, RpcError::calendar_year_missing(2023));

    service.stop().await;
}

#[tokio::test]
async fn the_calendar_query_lists_every_day_of_a_year_with_its_adjusted_working_days() {
    let service = Watcher::start_answering().await;

    let year: CalendarYear = service
        .ask(
            verbs::DEADLINE_WATCHER_CALENDAR,
            &CalendarQuery { year: 2026 },
        )
        .await
        .unwrap();
    assert_eq!(year.year, 2026);
    assert_eq!(year.days.len(), 365);
    let adjusted: Vec<String> = year
        .days
        .iter()
        .filter(|d| d.adjusted_working_day)
        .map(|d| d.date.to_string())
        .collect();
    assert_eq!(
        adjusted,
        [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10"
        ]
    );
    let day = |date: &str| {
        year.days
            .iter()
            .find(|d| d.date.to_string() == date)
            .unwrap()
    };
    let october_10 = day("2026-10-10");
    assert!(october_10.working, "Saturday October 10 is worked (调休)");
    assert_eq!(october_10.holiday.as_deref(), Some("国庆节"));
    let october_7 = day("2026-10-07");
    assert!(!october_7.working && !october_7.adjusted_working_day);
    assert_eq!(october_7.holiday.as_deref(), Some("国庆节"));
    assert!(!day("2026-10-11").working, "an ordinary Sunday");
    assert_eq!(day("2026-10-11").holiday, None);
    assert_eq!(
        year.working_days as usize,
        year.days.iter().filter(|d| d.working).count()
    );

    service.stop().await;
}

#[tokio::test]
async fn from_december_first_readyz_warns_that_next_years_calendar_is_missing_but_stays_ready() {
    let readiness = Readiness::new(None, None);
    let warnings = readiness.warnings();
    let shutdown = CancellationToken::new();
    let server = ops::serve("127.0.0.1:0".parse().unwrap(), readiness, shutdown.clone())
        .await
        .unwrap();
    let official = Calendar::official();

    // November 30, 23:59 in Guizhou: too early to worry.
    assert_eq!(
        check_next_year(&official, at("2026-11-30T23:59:00+08:00"), &warnings),
        None
    );
    let (status, body) = readyz(server.local_addr).await;
    assert_eq!(status, 200);
    assert!(body.get("warnings").is_none(), "{body}");

    // December 1, 00:00 in Guizhou (still November 30 in UTC): 2027 is missing.
    assert_eq!(
        check_next_year(&official, at("2026-12-01T00:00:00+08:00"), &warnings),
        Some(2027)
    );
    let (status, body) = readyz(server.local_addr).await;
    assert_eq!(status, 200, "the warning does not make the service unready");
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["warnings"],
        json!({"calendar": "calendar year 2027 missing"})
    );

    // Once a calendar covering 2027 is loaded the warning goes away.
    let with_2027 =
        Calendar::from_csv("date,kind,holiday\n2026-10-01,off,国庆节\n2027-01-01,off,元旦\n")
            .unwrap();
    assert_eq!(
        check_next_year(&with_2027, at("2026-12-15T12:00:00+08:00"), &warnings),
        None
    );
    let (status, body) = readyz(server.local_addr).await;
    assert_eq!(status, 200);
    assert!(body.get("warnings").is_none(), "{body}");

    shutdown.cancel();
    server.wait().await;
}

#[tokio::test]
async fn the_running_service_reports_the_calendar_warning_by_its_own_clock() {
    let service = Watcher::start_answering().await;
    // The service checks on the wall clock; whatever today is, /readyz must say what the
    // calendar says about it (a warning from December 1 on, none before) and stay ready.
    match Calendar::official().missing_next_year(Utc::now()) {
        Some(year) => {
            let expected = json!({"calendar": format!("calendar year {year} missing")});
            wait_for("the calendar warning", PATIENCE, || async {
                let (status, body) = readyz(service.ops_addr()).await;
                (status == 200 && body["warnings"] == expected).then_some(())
            })
            .await;
        }
        None => {
            let (status, body) = readyz(service.ops_addr()).await;
            assert_eq!(status, 200, "{body}");
            assert!(body.get("warnings").is_none(), "{body}");
        }
    }
    service.stop().await;
}

/// The runbook's "add next year's holiday calendar" (docs/operations.md): the operator
/// appends the State Council's schedule to a copy of the calendar file, points
/// `deadline_watcher.calendar_file` at it and restarts the service. The rows for 2027 here
/// are test data, not the official schedule (which is not published yet): New Year's Day
/// off and an invented adjusted working Saturday, enough to see the file is what counts.
#[tokio::test]
async fn a_calendar_file_with_next_year_is_used_after_a_restart() {
    let official = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/workday/data/cn-public-holidays.csv"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("holidays.csv");
    std::fs::write(
        &file,
        format!("{official}2027-01-01,off,元旦\n2027-01-09,workday,测试调休\n"),
    )
    .unwrap();
    let service = Watcher::start_with(hotline_deadline_watcher::config::WatcherSection {
        calendar_file: Some(file),
        ..Default::default()
    })
    .await;

    let year: CalendarYear = wait_for("the 2027 calendar", PATIENCE, || async {
        service
            .call(
                verbs::DEADLINE_WATCHER_CALENDAR,
                &CalendarQuery { year: 2027 },
            )
            .await
            .ok()
    })
    .await;
    let day = |d: &str| {
        let date: NaiveDate = d.parse().unwrap();
        year.days.iter().find(|x| x.date == date).unwrap().clone()
    };
    assert!(!day("2027-01-01").working, "New Year's Day is off");
    assert!(day("2027-01-09").working && day("2027-01-09").adjusted_working_day);
    assert!(!day("2027-01-10").working, "an ordinary Sunday");
    // The years already covered still answer as before.
    let earlier: CalendarYear = service
        .ask(
            verbs::DEADLINE_WATCHER_CALENDAR,
            &CalendarQuery { year: 2026 },
        )
        .await
        .unwrap();
    assert_eq!(earlier.days.len(), 365);
    // Whatever today is, the service does not warn about 2027 any more.
    let (status, body) = readyz(service.ops_addr()).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["warnings"]["calendar"], "calendar year 2027 missing");

    service.stop().await;
}
