//! The deadline-watcher's queries. `rpc.deadline-watcher.deadlines` answers an order's
//! clocks ([`crate::order_view`]); `rpc.deadline-watcher.policies` and `save_policy` list
//! and edit the time-limit policies ([`crate::policy_desk`]). The calendar queries: `rpc.deadline-watcher.due` (when does a time limit starting at an
//! instant run out) and `rpc.deadline-watcher.calendar` (a year of the official calendar),
//! answered from the same [`Calendar`] the clocks count on, so what a citizen or a unit is
//! told is exactly what the deadline-watcher will enforce.
//!
//! The answers are pure functions of the calendar ([`due`], [`calendar_year`]); the server
//! only decodes, calls them and replies. Bad input is an `invalid_request` naming the field;
//! a year the calendar does not cover is [`RpcError::calendar_year_missing`] naming it,
//! never a weekday guess (R-A15.2).

use std::sync::Arc;

use chrono::Days;
use hotline_contract::policies::{PoliciesQuery, SavePolicyCommand};
use hotline_contract::rpc::{
    CalendarDay, CalendarQuery, CalendarYear, DueAnswer, DueQuery, DueRule, FieldError,
    NearDueQuery, OrderDeadlinesQuery, RpcError, verbs,
};
use hotline_messaging::RpcServer;
use hotline_messaging::rpc::RpcServeError;
use hotline_service_kit::ServiceContext;
use hotline_workday::{Calendar, CalendarError, MAX_WORKING_DAYS, TIME_ZONE};

/// The largest `hours` a due query accepts: one year of calendar hours. Hour limits are
/// for urgent matters (24 hours by default); anything longer is stated in working days.
pub const MAX_HOURS: u32 = 24 * 366;

/// Requests answered at once per verb; the answers are CPU-only and quick.
const RPC_CONCURRENCY: usize = 32;

/// Serve both queries on the service's NATS connection until shutdown; the caller awaits
/// [`RpcServer::wait`].
pub async fn serve(
    ctx: &ServiceContext,
    calendar: Arc<Calendar>,
) -> Result<RpcServer, RpcServeError> {
    let mut rpc = RpcServer::start(
        &ctx.nats,
        crate::SERVICE,
        &ctx.namespace,
        ctx.shutdown.clone(),
    )
    .await?;
    let for_due = calendar.clone();
    rpc.endpoint(
        verbs::DEADLINE_WATCHER_DUE.1,
        RPC_CONCURRENCY,
        move |query, _trace| {
            let answer = due(&for_due, query);
            async move { answer }
        },
    )
    .await?;
    let for_year = calendar.clone();
    rpc.endpoint(
        verbs::DEADLINE_WATCHER_CALENDAR.1,
        RPC_CONCURRENCY,
        move |query, _trace| {
            let answer = calendar_year(&for_year, query);
            async move { answer }
        },
    )
    .await?;
    let (pool, for_deadlines) = (ctx.db.clone(), calendar.clone());
    rpc.endpoint(
        verbs::DEADLINE_WATCHER_DEADLINES.1,
        RPC_CONCURRENCY,
        move |query: OrderDeadlinesQuery, _trace| {
            let (pool, calendar) = (pool.clone(), for_deadlines.clone());
            async move {
                crate::order_view::order_deadlines(&pool, &calendar, query.order_id).await
            }
        },
    )
    .await?;
    let pool = ctx.db.clone();
    rpc.endpoint(
        verbs::DEADLINE_WATCHER_NEAR_DUE.1,
        RPC_CONCURRENCY,
        move |query: NearDueQuery, _trace| {
            let (pool, calendar) = (pool.clone(), calendar.clone());
            async move { crate::near_due::near_due(&pool, &calendar, query).await }
        },
    )
    .await?;
    let pool = ctx.db.clone();
    rpc.endpoint(
        verbs::DEADLINE_WATCHER_POLICIES.1,
        RPC_CONCURRENCY,
        move |_query: PoliciesQuery, _trace| {
            let pool = pool.clone();
            async move { crate::policy_desk::list(&pool).await }
        },
    )
    .await?;
    let pool = ctx.db.clone();
    rpc.endpoint(
        verbs::DEADLINE_WATCHER_SAVE_POLICY.1,
        RPC_CONCURRENCY,
        move |command: SavePolicyCommand, _trace| {
            let pool = pool.clone();
            async move { crate::policy_desk::save(&pool, command).await }
        },
    )
    .await?;
    Ok(rpc)
}

/// When the time limit of `query` runs out (working days per R-A15.2, or calendar hours).
pub fn due(calendar: &Calendar, query: DueQuery) -> Result<DueAnswer, RpcError> {
    let from = query.from;
    match (query.working_days, query.hours) {
        (Some(n), None) => {
            if !(1..=MAX_WORKING_DAYS).contains(&n) {
                return Err(out_of_range("working_days", "工作日数", MAX_WORKING_DAYS));
            }
            let due_at = calendar.add_working_days(from, n).map_err(calendar_error)?;
            // The limit ends at 00:00 after the N-th working day: that day is the one before.
            let last_working_day = due_at
                .with_timezone(&TIME_ZONE)
                .date_naive()
                .checked_sub_days(Days::new(1));
            Ok(DueAnswer {
                from,
                due_at,
                rule: DueRule::WorkingDays,
                n,
                last_working_day,
            })
        }
        (None, Some(n)) => {
            if !(1..=MAX_HOURS).contains(&n) {
                return Err(out_of_range("hours", "小时数", MAX_HOURS));
            }
            Ok(DueAnswer {
                from,
                due_at: calendar.add_calendar_hours(from, n),
                rule: DueRule::Hours,
                n,
                last_working_day: None,
            })
        }
        (None, None) => Err(exactly_one(
            "one_required",
            "请给出工作日数（working_days）或小时数（hours）其中之一",
        )),
        (Some(_), Some(_)) => Err(exactly_one(
            "mutually_exclusive",
            "工作日数（working_days）和小时数（hours）只能给出其中之一",
        )),
    }
}

/// Every date of the year in `query`, as the calendar counts it.
pub fn calendar_year(calendar: &Calendar, query: CalendarQuery) -> Result<CalendarYear, RpcError> {
    let days: Vec<CalendarDay> = calendar
        .days_of_year(query.year)
        .map_err(calendar_error)?
        .map(|day| CalendarDay {
            date: day.date,
            working: day.working,
            holiday: day.holiday.map(str::to_owned),
            adjusted_working_day: day.adjusted_working_day,
        })
        .collect();
    let working_days = days.iter().filter(|day| day.working).count();
    Ok(CalendarYear {
        year: query.year,
        working_days: u32::try_from(working_days).unwrap_or(u32::MAX),
        days,
    })
}

fn calendar_error(error: CalendarError) -> RpcError {
    match error {
        CalendarError::MissingYear(year) => RpcError::calendar_year_missing(year),
        // Only reachable at the ends of chrono's date range.
        CalendarError::OutOfRange(_) => RpcError::invalid(vec![FieldError {
            field: "from".to_owned(),
            code: "out_of_range".to_owned(),
            message: "起算时间超出可计算的范围".to_owned(),
        }]),
        other => {
            tracing::error!(error = %other, "calendar query failed");
            RpcError::internal()
        }
    }
}

fn out_of_range(field: &str, label: &str, max: u32) -> RpcError {
    RpcError::invalid(vec![FieldError {
        field: field.to_owned(),
        code: "out_of_range".to_owned(),
        message: format!("{label}须在 1 到 {max} 之间"),
    }])
}

/// Both fields named: the rule is about the pair.
fn exactly_one(code: &str, message: &str) -> RpcError {
    RpcError::invalid(
        ["working_days", "hours"]
            .map(|field| FieldError {
                field: field.to_owned(),
                code: code.to_owned(),
                message: message.to_owned(),
            })
            .to_vec(),
    )
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use hotline_contract::rpc::{CALENDAR_YEAR_MISSING, RpcErrorCode};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    fn query(from: &str, working_days: Option<u32>, hours: Option<u32>) -> DueQuery {
        DueQuery {
            from: at(from),
            working_days,
            hours,
        }
    }

    fn fields(error: &RpcError) -> Vec<(&str, &str)> {
        error
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect()
    }

    #[test]
    fn one_working_day_from_the_eve_of_national_day_ends_after_october_8() {
        let answer = due(
            &Calendar::official(),
            query("2026-09-30T10:00:00+08:00", Some(1), None),
        )
        .unwrap();
        assert_eq!(answer.due_at, at("2026-10-09T00:00:00+08:00"));
        assert_eq!(answer.rule, DueRule::WorkingDays);
        assert_eq!(answer.n, 1);
        assert_eq!(
            answer.last_working_day,
            NaiveDate::from_ymd_opt(2026, 10, 8)
        );
        assert_eq!(answer.from, at("2026-09-30T02:00:00Z"));
    }

    #[test]
    fn hours_run_through_holidays() {
        let answer = due(
            &Calendar::official(),
            query("2026-09-30T10:00:00+08:00", None, Some(48)),
        )
        .unwrap();
        assert_eq!(answer.due_at, at("2026-10-02T10:00:00+08:00"));
        assert_eq!(answer.rule, DueRule::Hours);
        assert_eq!(answer.last_working_day, None);
    }

    #[test]
    fn the_limit_must_be_given_exactly_once_and_in_range() {
        let cal = Calendar::official();
        let from = "2026-11-27T10:00:00+08:00";
        let neither = due(&cal, query(from, None, None)).unwrap_err();
        assert_eq!(neither.code, RpcErrorCode::InvalidRequest);
        assert_eq!(
            fields(&neither),
            [("working_days", "one_required"), ("hours", "one_required")]
        );
        let both = due(&cal, query(from, Some(1), Some(1))).unwrap_err();
        assert_eq!(
            fields(&both),
            [
                ("working_days", "mutually_exclusive"),
                ("hours", "mutually_exclusive")
            ]
        );
        for (working_days, hours, field) in [
            (Some(0), None, "working_days"),
            (Some(MAX_WORKING_DAYS + 1), None, "working_days"),
            (None, Some(0), "hours"),
            (None, Some(MAX_HOURS + 1), "hours"),
        ] {
            let error = due(&cal, query(from, working_days, hours)).unwrap_err();
            assert_eq!(error.code, RpcErrorCode::InvalidRequest);
            assert_eq!(fields(&error), [(field, "out_of_range")]);
        }
        assert!(due(&cal, query(from, None, Some(MAX_HOURS))).is_ok());
    }

    #[test]
    fn a_limit_reaching_an_uncovered_year_names_that_year() {
        let error = due(
            &Calendar::official(),
            query("2026-12-31T10:00:00+08:00", Some(1), None),
        )
        .unwrap_err();
        assert_eq!(error.code, RpcErrorCode::NotFound);
        assert_eq!(fields(&error), [("year", CALENDAR_YEAR_MISSING)]);
        assert!(error.message.contains("2027"), "{}", error.message);
    }

    #[test]
    fn a_year_is_listed_day_by_day_with_its_adjusted_working_days() {
        let year = calendar_year(&Calendar::official(), CalendarQuery { year: 2026 }).unwrap();
        assert_eq!(year.year, 2026);
        assert_eq!(year.days.len(), 365);
        assert_eq!(year.working_days, 248);
        let october_10 = year
            .days
            .iter()
            .find(|d| d.date == NaiveDate::from_ymd_opt(2026, 10, 10).unwrap())
            .unwrap();
        assert!(october_10.working && october_10.adjusted_working_day);
        assert_eq!(october_10.holiday.as_deref(), Some("国庆节"));
    }

    #[test]
    fn an_uncovered_year_is_not_listed() {
        let error = calendar_year(&Calendar::official(), CalendarQuery { year: 2027 }).unwrap_err();
        assert_eq!(error, RpcError::calendar_year_missing(2027));
    }
}
