//! `rpc.deadline-watcher.deadlines`: the clocks of one order as the unit and the center see
//! them (A15, A17): each clock's state, the due instant in force, the policy that set it,
//! and every pause, resumption and extension (A14, A23).
//!
//! The deadline-watcher cannot tell an unknown order from one not dispatched yet: both have
//! no clocks, and the answer is an empty list. Who may ask for which order (the unit's own
//! orders, the center all) is the gateway's check (issue 10).

use hotline_contract::rpc::{
    ClockChange, ClockState, ClockView, OrderDeadlines, RpcError, RpcErrorCode,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::timer::{TimerState, clock_code};
use crate::store::{self, StoredChange, Timer};

/// Load the order's clocks and their history.
pub async fn order_deadlines(pool: &PgPool, order_id: Uuid) -> Result<OrderDeadlines, RpcError> {
    let load = async {
        let mut conn = pool.acquire().await?;
        let timers = store::order_timers(&mut conn, order_id).await?;
        let changes = store::order_changes(&mut conn, order_id).await?;
        Ok::<_, sqlx::Error>((timers, changes))
    };
    let (timers, changes) = load.await.map_err(|error| {
        tracing::error!(%error, %order_id, "cannot read the order's deadlines");
        RpcError::new(
            RpcErrorCode::Unavailable,
            "暂时无法查询办理时限，请稍后重试",
        )
    })?;
    Ok(view(order_id, &timers, &changes))
}

/// The reply for the stored timers and changes (pure).
pub fn view(order_id: Uuid, timers: &[Timer], changes: &[StoredChange]) -> OrderDeadlines {
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
