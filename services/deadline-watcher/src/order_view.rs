//! `rpc.deadline-watcher.deadlines`: the clocks of one order as the unit and the center see
//! them (A15, A17): each clock's state, the due instant in force, the policy that set it,
//! every pause, resumption and extension (A14, A23), and for a running clock counted in
//! working days the whole working days it has left ([`crate::domain::days_left`]), on the
//! same calendar the due instant was computed on.
//!
//! The deadline-watcher cannot tell an unknown order from one not dispatched yet: both have
//! no clocks, and the answer is an empty list. Who may ask for which order (the unit's own
//! orders, the center all) is the gateway's check (issue 10).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use hotline_contract::rpc::{
    ClockChange, ClockState, ClockView, OrderDeadlines, RpcError, RpcErrorCode,
};
use hotline_workday::Calendar;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::days_left::working_days_left;
use crate::domain::deadline::Limit;
use crate::domain::timer::{TimerState, clock_code};
use crate::store::{self, StoredChange, Timer};

/// Load the order's clocks, their history and the policies they were started under.
pub async fn order_deadlines(
    pool: &PgPool,
    calendar: &Calendar,
    order_id: Uuid,
) -> Result<OrderDeadlines, RpcError> {
    let load = async {
        let mut conn = pool.acquire().await?;
        let timers = store::order_timers(&mut conn, order_id).await?;
        let changes = store::order_changes(&mut conn, order_id).await?;
        let in_working_days = working_day_policies(&mut conn, &timers).await?;
        Ok::<_, sqlx::Error>((timers, changes, in_working_days))
    };
    let (timers, changes, in_working_days) = load.await.map_err(|error| {
        tracing::error!(%error, %order_id, "cannot read the order's deadlines");
        RpcError::new(
            RpcErrorCode::Unavailable,
            "暂时无法查询办理时限，请稍后重试",
        )
    })?;
    let now = Utc::now();
    let left = |timer: &Timer| days_left(calendar, now, &in_working_days, timer);
    Ok(view(order_id, &timers, &changes, left))
}

/// The policy versions (`policy_id`, `version`) among `timers`' that count in working
/// days: only their clocks get a working-day count (a few rows at most).
pub(crate) async fn working_day_policies(
    conn: &mut PgConnection,
    timers: &[Timer],
) -> Result<BTreeSet<(String, i32)>, sqlx::Error> {
    let used: BTreeSet<(&str, i32)> = timers
        .iter()
        .map(|t| (t.policy_id.as_str(), t.policy_version))
        .collect();
    let mut in_working_days = BTreeSet::new();
    for (id, version) in used {
        let policy = store::policy(conn, id, version).await?;
        if matches!(policy.limit, Limit::WorkingDays(_)) {
            in_working_days.insert((policy.id, policy.version));
        }
    }
    Ok(in_working_days)
}

/// [`ClockView::working_days_left`] of `timer` as of `now`: for a running clock under one
/// of `in_working_days`; `None` otherwise, and when the calendar lacks a year (the desk
/// then shows the wall-clock time).
pub(crate) fn days_left(
    calendar: &Calendar,
    now: DateTime<Utc>,
    in_working_days: &BTreeSet<(String, i32)>,
    timer: &Timer,
) -> Option<u32> {
    let policy = (timer.policy_id.clone(), timer.policy_version);
    if timer.state != TimerState::Running || !in_working_days.contains(&policy) {
        return None;
    }
    working_days_left(calendar, now, timer.due_at)
        .ok()
        .flatten()
}

/// The reply for the stored timers and changes (pure); `days_left` gives a timer's
/// [`ClockView::working_days_left`].
pub fn view(
    order_id: Uuid,
    timers: &[Timer],
    changes: &[StoredChange],
    days_left: impl Fn(&Timer) -> Option<u32>,
) -> OrderDeadlines {
    let clocks = timers
        .iter()
        .map(|timer| ClockView {
            clock: timer.clock,
            unit_id: timer.unit_id.clone(),
            case_id: timer.case_id(),
            state: clock_state(timer.state),
            started_at: timer.started_at,
            due_at: timer.due_at,
            policy: timer.policy.clone(),
            paused_at: timer.paused_at,
            changes: changes
                .iter()
                .filter(|c| c.clock == clock_code(timer.clock) && c.party == timer.party)
                .map(|c| ClockChange {
                    change: c.change.clone(),
                    previous_due_at: c.previous_due_at,
                    due_at: c.due_at,
                    reason: c.reason.clone(),
                    decided_by: c.decided_by.clone(),
                    changed_at: c.changed_at,
                })
                .collect(),
            working_days_left: days_left(timer),
        })
        .collect();
    OrderDeadlines { order_id, clocks }
}

fn clock_state(state: TimerState) -> ClockState {
    match state {
        TimerState::Running => ClockState::Running,
        TimerState::Paused => ClockState::Paused,
        TimerState::Met => ClockState::Met,
        TimerState::Cancelled => ClockState::Cancelled,
        TimerState::Overdue => ClockState::Overdue,
    }
}
