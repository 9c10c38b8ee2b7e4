//! `rpc.deadline-watcher.near_due`: the running clocks that run out by the end of the next
//! working day, soonest first, for the supervision board (A17: the center watches limits
//! before they are missed, not only after). Each names the order's number (kept from
//! `order.dispatched`), the unit, the clock and its due instant, with the working days
//! left for clocks counted in working days (as on the unit desk).
//!
//! The window is the end of the first working day after today on the official calendar
//! (A15): on a Friday it reaches through Monday, so a clock due at the end of Monday shows
//! up before the weekend. When the calendar lacks the year the window is 24 hours.

use chrono::{DateTime, TimeDelta, Utc};
use hotline_contract::rpc::{
    FieldError, NEAR_DUE_MAX_LIMIT, NearDue, NearDueClock, NearDueQuery, RpcError, RpcErrorCode,
};
use hotline_workday::Calendar;
use sqlx::PgPool;

use crate::order_view::{days_left, working_day_policies};
use crate::store;

/// Clocks listed when the query names no limit.
pub const DEFAULT_LIMIT: u32 = 200;

/// The end of the near-due window as of `now` (pure): the end of the next working day, or
/// 24 hours on when the calendar cannot say.
pub fn window_end(calendar: &Calendar, now: DateTime<Utc>) -> DateTime<Utc> {
    calendar
        .add_working_days(now, 1)
        .unwrap_or_else(|_| now + TimeDelta::hours(24))
}

/// The near-due clocks as of now.
pub async fn near_due(
    pool: &PgPool,
    calendar: &Calendar,
    query: NearDueQuery,
) -> Result<NearDue, RpcError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=NEAR_DUE_MAX_LIMIT).contains(&limit) {
        return Err(RpcError::invalid(vec![FieldError {
            field: "limit".to_owned(),
            code: "out_of_range".to_owned(),
            message: format!("limit 须在 1 到 {NEAR_DUE_MAX_LIMIT} 之间"),
        }]));
    }
    let now = Utc::now();
    let until = window_end(calendar, now);
    let load = async {
        let mut conn = pool.acquire().await?;
        // One more than asked, to tell whether the list was cut.
        let rows = store::running_due_between(&mut conn, now, until, i64::from(limit) + 1).await?;
        let timers: Vec<store::Timer> = rows.iter().map(|(t, _)| t.clone()).collect();
        let in_working_days = working_day_policies(&mut conn, &timers).await?;
        Ok::<_, sqlx::Error>((rows, in_working_days))
    };
    let (mut rows, in_working_days) = load.await.map_err(|error| {
        tracing::error!(%error, "cannot read the near-due clocks");
        RpcError::new(
            RpcErrorCode::Unavailable,
            "暂时无法查询临近到期的工单，请稍后重试",
        )
    })?;
    let truncated = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let clocks = rows
        .into_iter()
        .map(|(timer, number)| NearDueClock {
            working_days_left: days_left(calendar, now, &in_working_days, &timer),
            order_id: timer.order_id,
            number,
            clock: timer.clock,
            unit_id: timer.unit_id,
            due_at: timer.due_at,
        })
        .collect();
    Ok(NearDue {
        at: now,
        until,
        clocks,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    #[test]
    fn on_a_friday_the_window_reaches_through_monday() {
        let cal = Calendar::official();
        assert_eq!(
            window_end(&cal, at("2026-11-27T10:00:00+08:00")),
            at("2026-12-01T00:00:00+08:00")
        );
        // Before National Day the next working day is October 8.
        assert_eq!(
            window_end(&cal, at("2026-09-30T10:00:00+08:00")),
            at("2026-10-09T00:00:00+08:00")
        );
    }

    #[test]
    fn without_the_year_the_window_is_a_day() {
        let now = at("2026-12-31T10:00:00+08:00");
        assert_eq!(
            window_end(&Calendar::official(), now),
            now + TimeDelta::hours(24)
        );
    }
}
