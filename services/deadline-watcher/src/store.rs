//! The deadline-watcher's SQL, all in the `deadline_watcher` schema.
//!
//! Every function takes the caller's connection or transaction: handlers run inside the
//! consumer's transaction (inbox row already written), the scan inside its own, so a state
//! change and the events it causes always commit together.

use chrono::{DateTime, Utc};
use hotline_contract::events::DeadlineClock;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::timer::{TimerState, TimerView, clock_code, clock_from_code};

/// A timer about to start.
#[derive(Debug, Clone)]
pub struct NewTimer<'a> {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: &'a str,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub policy: &'a str,
    /// The trace of the event that started the clock.
    pub traceparent: Option<String>,
}

/// A stored timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: String,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub policy: String,
    pub state: TimerState,
    pub traceparent: Option<String>,
}

impl Timer {
    /// What the rules in [`crate::domain::timer`] need to know.
    pub fn view(&self) -> TimerView {
        TimerView {
            clock: self.clock,
            state: self.state,
            due_at: self.due_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TimerRow {
    order_id: Uuid,
    clock: String,
    unit_id: String,
    started_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    policy: String,
    state: String,
    traceparent: Option<String>,
}

/// A stored code the rules do not know (the table's CHECK constraints make it impossible
/// unless someone edits rows by hand).
#[derive(Debug, thiserror::Error)]
#[error("timer of order {order_id} has an unknown {column} {value:?}")]
struct UnknownCode {
    order_id: Uuid,
    column: &'static str,
    value: String,
}

impl TryFrom<TimerRow> for Timer {
    type Error = sqlx::Error;

    fn try_from(row: TimerRow) -> Result<Self, Self::Error> {
        let unknown = |column, value: &str| {
            sqlx::Error::Decode(Box::new(UnknownCode {
                order_id: row.order_id,
                column,
                value: value.to_owned(),
            }))
        };
        let clock = clock_from_code(&row.clock).ok_or_else(|| unknown("clock", &row.clock))?;
        let state =
            TimerState::from_code(&row.state).ok_or_else(|| unknown("state", &row.state))?;
        Ok(Timer {
            order_id: row.order_id,
            clock,
            unit_id: row.unit_id,
            started_at: row.started_at,
            due_at: row.due_at,
            policy: row.policy,
            state,
            traceparent: row.traceparent,
        })
    }
}

fn into_timers(rows: Vec<TimerRow>) -> Result<Vec<Timer>, sqlx::Error> {
    rows.into_iter().map(Timer::try_from).collect()
}

/// Start a timer unless the order already has one on that clock. Returns whether it was
/// started (false: a repeated or second dispatch; the first timer stands).
pub async fn insert_timer(
    tx: &mut PgConnection,
    timer: &NewTimer<'_>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO deadline_watcher.timers \
         (order_id, clock, unit_id, started_at, due_at, policy, state, updated_at, traceparent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8) \
         ON CONFLICT (order_id, clock) DO NOTHING",
    )
    .bind(timer.order_id)
    .bind(clock_code(timer.clock))
    .bind(timer.unit_id)
    .bind(timer.started_at)
    .bind(timer.due_at)
    .bind(timer.policy)
    .bind(TimerState::Running.code())
    .bind(timer.traceparent.as_deref())
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The order's timers, locked until the transaction ends (so the scan, which skips locked
/// rows, cannot announce a timer that this transaction is about to stop).
pub async fn lock_order_timers(
    tx: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<Timer>, sqlx::Error> {
    let rows: Vec<TimerRow> = sqlx::query_as(
        "SELECT order_id, clock, unit_id, started_at, due_at, policy, state, traceparent \
         FROM deadline_watcher.timers WHERE order_id = $1 ORDER BY clock FOR UPDATE",
    )
    .bind(order_id)
    .fetch_all(tx)
    .await?;
    into_timers(rows)
}

/// Move one timer to `state`.
pub async fn set_state(
    tx: &mut PgConnection,
    order_id: Uuid,
    clock: DeadlineClock,
    state: TimerState,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE deadline_watcher.timers SET state = $3, updated_at = now() \
         WHERE order_id = $1 AND clock = $2",
    )
    .bind(order_id)
    .bind(clock_code(clock))
    .bind(state.code())
    .execute(tx)
    .await
    .map(|_| ())
}

/// Claim up to `limit` running timers due before `now`, oldest due first. Rows locked by
/// another transaction (a handler stopping the timer, another replica's scan) are skipped:
/// they are either being settled right now or will be seen by the next pass.
pub async fn claim_past_due(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Timer>, sqlx::Error> {
    let rows: Vec<TimerRow> = sqlx::query_as(
        "SELECT order_id, clock, unit_id, started_at, due_at, policy, state, traceparent \
         FROM deadline_watcher.timers \
         WHERE state = 'running' AND due_at < $1 \
         ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(tx)
    .await?;
    into_timers(rows)
}

/// Mark the given timers overdue in one statement.
pub async fn mark_overdue(tx: &mut PgConnection, timers: &[&Timer]) -> Result<(), sqlx::Error> {
    if timers.is_empty() {
        return Ok(());
    }
    let order_ids: Vec<Uuid> = timers.iter().map(|t| t.order_id).collect();
    let clocks: Vec<&str> = timers.iter().map(|t| clock_code(t.clock)).collect();
    sqlx::query(
        "UPDATE deadline_watcher.timers AS t SET state = $3, updated_at = now() \
         FROM unnest($1::uuid[], $2::text[]) AS c(order_id, clock) \
         WHERE t.order_id = c.order_id AND t.clock = c.clock",
    )
    .bind(&order_ids)
    .bind(&clocks)
    .bind(TimerState::Overdue.code())
    .execute(tx)
    .await
    .map(|_| ())
}
