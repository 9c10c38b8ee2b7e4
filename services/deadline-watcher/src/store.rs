//! The deadline-watcher's SQL, all in the `deadline_watcher` schema.
//!
//! Every function takes the caller's connection or transaction: handlers run inside the
//! consumer's transaction (inbox row already written), the scan inside its own, so a state
//! change and the events it causes always commit together.

use chrono::{DateTime, Utc};
use hotline_contract::events::DeadlineClock;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::deadline::Limit;
use crate::domain::policy::Policy;
use crate::domain::reminder::ReminderPoint;
use crate::domain::timer::{TimerState, TimerView, case_of_party, clock_code, clock_from_code};

/// A timer about to start.
#[derive(Debug, Clone)]
pub struct NewTimer<'a> {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: &'a str,
    /// '' for the first sign and handling clocks; the dispatch id for a redispatch's sign
    /// clock, the result sent back for a redo's handling clock; the co-unit for
    /// `co_handling`; the supervision case for `rectification` (`<case>/<level>` after an
    /// escalation). See [`crate::domain::timer::redo_party`] and
    /// [`crate::domain::timer::rectification_party`].
    pub party: &'a str,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The policy that set `due_at`.
    pub policy: &'a Policy,
    /// The order's kind and urgency as dispatched (recorded on the sign timer, so the
    /// handling clock can be started when the sign comes).
    pub kind: Option<RequestKind>,
    pub urgency: Option<Urgency>,
    /// The trace of the event that started the clock.
    pub traceparent: Option<String>,
}

/// A stored timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: String,
    /// See [`NewTimer::party`].
    pub party: String,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// `<policy_id>@v<version>`.
    pub policy: String,
    pub policy_id: String,
    pub policy_version: i32,
    /// The order's kind and urgency (`None` on timers started before they were recorded).
    pub kind: Option<RequestKind>,
    pub urgency: Option<Urgency>,
    pub state: TimerState,
    pub traceparent: Option<String>,
    /// Copied from the policy when the clock started: whether it stops while suspended.
    pub stops_when_suspended: bool,
    /// When the clock was paused (state [`TimerState::Paused`] only).
    pub paused_at: Option<DateTime<Utc>>,
}

impl Timer {
    /// The supervision case of a `rectification` clock (its party), for the events.
    pub fn case_id(&self) -> Option<Uuid> {
        case_of_party(self.clock, &self.party)
    }

    /// What the rules in [`crate::domain::timer`] need to know.
    pub fn view(&self) -> TimerView {
        TimerView {
            clock: self.clock,
            state: self.state,
            due_at: self.due_at,
            stops_when_suspended: self.stops_when_suspended,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TimerRow {
    order_id: Uuid,
    clock: String,
    unit_id: String,
    party: String,
    started_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    policy: String,
    policy_id: String,
    policy_version: i32,
    kind: Option<String>,
    urgency: Option<String>,
    state: String,
    traceparent: Option<String>,
    stops_when_suspended: bool,
    paused_at: Option<DateTime<Utc>>,
}

/// The columns [`TimerRow`] reads.
const TIMER_COLUMNS: &str = "order_id, clock, unit_id, party, started_at, due_at, policy, policy_id, \
     policy_version, kind, urgency, state, traceparent, stops_when_suspended, paused_at";

/// A stored code the rules do not know (the table's CHECK constraints make it impossible
/// unless someone edits rows by hand).
#[derive(Debug, thiserror::Error)]
#[error("{table} row {key} has an unknown {column} {value:?}")]
struct UnknownCode {
    table: &'static str,
    key: String,
    column: &'static str,
    value: String,
}

impl TryFrom<TimerRow> for Timer {
    type Error = sqlx::Error;

    fn try_from(row: TimerRow) -> Result<Self, Self::Error> {
        let unknown = |column, value: &str| {
            sqlx::Error::Decode(Box::new(UnknownCode {
                table: "timers",
                key: row.order_id.to_string(),
                column,
                value: value.to_owned(),
            }))
        };
        let clock = clock_from_code(&row.clock).ok_or_else(|| unknown("clock", &row.clock))?;
        let state =
            TimerState::from_code(&row.state).ok_or_else(|| unknown("state", &row.state))?;
        let kind = match row.kind.as_deref() {
            None => None,
            Some(code) => Some(RequestKind::from_code(code).ok_or_else(|| unknown("kind", code))?),
        };
        let urgency = match row.urgency.as_deref() {
            None => None,
            Some(code) => Some(Urgency::from_code(code).ok_or_else(|| unknown("urgency", code))?),
        };
        Ok(Timer {
            order_id: row.order_id,
            clock,
            unit_id: row.unit_id,
            party: row.party,
            started_at: row.started_at,
            due_at: row.due_at,
            policy: row.policy,
            policy_id: row.policy_id,
            policy_version: row.policy_version,
            kind,
            urgency,
            state,
            traceparent: row.traceparent,
            stops_when_suspended: row.stops_when_suspended,
            paused_at: row.paused_at,
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
         (order_id, clock, unit_id, started_at, due_at, policy, policy_id, policy_version, \
          kind, urgency, state, updated_at, traceparent, stops_when_suspended, party) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), $12, $13, $14) \
         ON CONFLICT (order_id, clock, party) DO NOTHING",
    )
    .bind(timer.order_id)
    .bind(clock_code(timer.clock))
    .bind(timer.unit_id)
    .bind(timer.started_at)
    .bind(timer.due_at)
    .bind(timer.policy.label())
    .bind(&timer.policy.id)
    .bind(timer.policy.version)
    .bind(timer.kind.map(RequestKind::code))
    .bind(timer.urgency.map(Urgency::code))
    .bind(TimerState::Running.code())
    .bind(timer.traceparent.as_deref())
    .bind(timer.policy.stops_when_suspended)
    .bind(timer.party)
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
    let rows: Vec<TimerRow> = sqlx::query_as(&format!(
        "SELECT {TIMER_COLUMNS} \
         FROM deadline_watcher.timers WHERE order_id = $1 ORDER BY clock, party FOR UPDATE"
    ))
    .bind(order_id)
    .fetch_all(tx)
    .await?;
    into_timers(rows)
}

/// Move one timer to `state` (not [`TimerState::Paused`], which needs its instant: see
/// [`move_timer`]).
pub async fn set_state(
    tx: &mut PgConnection,
    timer: &Timer,
    state: TimerState,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE deadline_watcher.timers SET state = $4, paused_at = NULL, updated_at = now() \
         WHERE order_id = $1 AND clock = $2 AND party = $3",
    )
    .bind(timer.order_id)
    .bind(clock_code(timer.clock))
    .bind(&timer.party)
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
    let rows: Vec<TimerRow> = sqlx::query_as(&format!(
        "SELECT {TIMER_COLUMNS} \
         FROM deadline_watcher.timers \
         WHERE state = 'running' AND due_at < $1 \
         ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(tx)
    .await?;
    into_timers(rows)
}

/// The keys of `timers` as the three arrays [`EACH_TIMER`] binds as `$1`, `$2`, `$3`.
fn timer_keys<'a>(timers: &[&'a Timer]) -> (Vec<Uuid>, Vec<&'a str>, Vec<&'a str>) {
    let order_ids = timers.iter().map(|t| t.order_id).collect();
    let clocks = timers.iter().map(|t| clock_code(t.clock)).collect();
    let parties = timers.iter().map(|t| t.party.as_str()).collect();
    (order_ids, clocks, parties)
}

/// The tail of an `UPDATE deadline_watcher.timers AS t SET …` that touches each timer of
/// [`timer_keys`] (one statement for a whole batch).
const EACH_TIMER: &str = "FROM unnest($1::uuid[], $2::text[], $3::text[]) \
     AS c(order_id, clock, party) \
     WHERE t.order_id = c.order_id AND t.clock = c.clock AND t.party = c.party";

/// Mark the given timers overdue in one statement.
pub async fn mark_overdue(tx: &mut PgConnection, timers: &[&Timer]) -> Result<(), sqlx::Error> {
    if timers.is_empty() {
        return Ok(());
    }
    let (order_ids, clocks, parties) = timer_keys(timers);
    sqlx::query(&format!(
        "UPDATE deadline_watcher.timers AS t SET state = $4, updated_at = now() {EACH_TIMER}"
    ))
    .bind(&order_ids)
    .bind(&clocks)
    .bind(&parties)
    .bind(TimerState::Overdue.code())
    .execute(tx)
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    policy_id: String,
    version: i32,
    clock: String,
    kind: Option<String>,
    urgency: Option<String>,
    limit_unit: String,
    limit_value: i32,
    basis: String,
    active: bool,
    stops_when_suspended: bool,
}

impl TryFrom<PolicyRow> for Policy {
    type Error = sqlx::Error;

    fn try_from(row: PolicyRow) -> Result<Self, Self::Error> {
        let unknown = |column, value: &str| {
            sqlx::Error::Decode(Box::new(UnknownCode {
                table: "policies",
                key: format!("{}@v{}", row.policy_id, row.version),
                column,
                value: value.to_owned(),
            }))
        };
        let clock = clock_from_code(&row.clock).ok_or_else(|| unknown("clock", &row.clock))?;
        let kind = match row.kind.as_deref() {
            None => None,
            Some(code) => Some(RequestKind::from_code(code).ok_or_else(|| unknown("kind", code))?),
        };
        let urgency = match row.urgency.as_deref() {
            None => None,
            Some(code) => Some(Urgency::from_code(code).ok_or_else(|| unknown("urgency", code))?),
        };
        let value = u32::try_from(row.limit_value)
            .map_err(|_| unknown("limit_value", &row.limit_value.to_string()))?;
        let limit = match row.limit_unit.as_str() {
            "working_days" => Limit::WorkingDays(value),
            "hours" => Limit::Hours(value),
            other => return Err(unknown("limit_unit", other)),
        };
        Ok(Policy {
            id: row.policy_id,
            version: row.version,
            clock,
            kind,
            urgency,
            limit,
            basis: row.basis,
            active: row.active,
            stops_when_suspended: row.stops_when_suspended,
        })
    }
}

/// The active time-limit policies of `clock` (read per event: a policy added by an operator
/// applies to the next clock started, without a restart).
pub async fn active_policies(
    tx: &mut PgConnection,
    clock: DeadlineClock,
) -> Result<Vec<Policy>, sqlx::Error> {
    let rows: Vec<PolicyRow> = sqlx::query_as(&format!(
        "SELECT {POLICY_COLUMNS} FROM deadline_watcher.policies WHERE active AND clock = $1 \
         ORDER BY policy_id, version"
    ))
    .bind(clock_code(clock))
    .fetch_all(tx)
    .await?;
    rows.into_iter().map(Policy::try_from).collect()
}

/// One version of a policy, active or not (the one a running timer was computed by).
pub async fn policy(
    tx: &mut PgConnection,
    policy_id: &str,
    version: i32,
) -> Result<Policy, sqlx::Error> {
    let row: PolicyRow = sqlx::query_as(&format!(
        "SELECT {POLICY_COLUMNS} FROM deadline_watcher.policies \
         WHERE policy_id = $1 AND version = $2"
    ))
    .bind(policy_id)
    .bind(version)
    .fetch_one(tx)
    .await?;
    Policy::try_from(row)
}

/// The columns [`PolicyRow`] reads.
const POLICY_COLUMNS: &str = "policy_id, version, clock, kind, urgency, limit_unit, limit_value, \
     basis, active, stops_when_suspended";

/// A policy version with its record: when, by whom and why it was written (A23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub policy: Policy,
    pub created_at: DateTime<Utc>,
    /// `None` for the seeded defaults.
    pub created_by: Option<String>,
    pub reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PolicyRecordRow {
    #[sqlx(flatten)]
    policy: PolicyRow,
    created_at: DateTime<Utc>,
    created_by: Option<String>,
    reason: Option<String>,
}

impl TryFrom<PolicyRecordRow> for PolicyRecord {
    type Error = sqlx::Error;

    fn try_from(row: PolicyRecordRow) -> Result<Self, Self::Error> {
        Ok(PolicyRecord {
            policy: Policy::try_from(row.policy)?,
            created_at: row.created_at,
            created_by: row.created_by,
            reason: row.reason,
        })
    }
}

/// Every active policy with its record, by clock and policy id (the console's list).
pub async fn active_policy_records(
    conn: &mut PgConnection,
) -> Result<Vec<PolicyRecord>, sqlx::Error> {
    let rows: Vec<PolicyRecordRow> = sqlx::query_as(&format!(
        "SELECT {POLICY_COLUMNS}, created_at, created_by, reason \
         FROM deadline_watcher.policies WHERE active ORDER BY clock, policy_id"
    ))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(PolicyRecord::try_from).collect()
}

/// The active version of `policy_id`, locked until the transaction ends (an edit reads it,
/// checks the version the editor saw, and writes the next one); `None` when the policy has
/// no active version, or another edit deactivated it meanwhile.
pub async fn lock_active_policy(
    tx: &mut PgConnection,
    policy_id: &str,
) -> Result<Option<Policy>, sqlx::Error> {
    let row: Option<PolicyRow> = sqlx::query_as(&format!(
        "SELECT {POLICY_COLUMNS} FROM deadline_watcher.policies \
         WHERE policy_id = $1 AND active FOR UPDATE"
    ))
    .bind(policy_id)
    .fetch_optional(tx)
    .await?;
    row.map(Policy::try_from).transpose()
}

/// Whether any version of `policy_id` exists.
pub async fn policy_exists(tx: &mut PgConnection, policy_id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM deadline_watcher.policies WHERE policy_id = $1)",
    )
    .bind(policy_id)
    .fetch_one(tx)
    .await
}

/// Deactivate version `previous` of the policy and insert `next` (active), recording who
/// wrote it and why; one version stays active (the partial unique index guards it).
pub async fn replace_policy_version(
    tx: &mut PgConnection,
    previous: i32,
    next: &Policy,
    created_by: &str,
    reason: &str,
) -> Result<PolicyRecord, sqlx::Error> {
    sqlx::query(
        "UPDATE deadline_watcher.policies SET active = false \
         WHERE policy_id = $1 AND version = $2",
    )
    .bind(&next.id)
    .bind(previous)
    .execute(&mut *tx)
    .await?;
    let (unit, value) = match next.limit {
        Limit::WorkingDays(n) => ("working_days", n),
        Limit::Hours(h) => ("hours", h),
    };
    let row: PolicyRecordRow = sqlx::query_as(&format!(
        "INSERT INTO deadline_watcher.policies \
         (policy_id, version, clock, kind, urgency, limit_unit, limit_value, basis, active, \
          stops_when_suspended, created_by, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9, $10, $11) \
         RETURNING {POLICY_COLUMNS}, created_at, created_by, reason"
    ))
    .bind(&next.id)
    .bind(next.version)
    .bind(clock_code(next.clock))
    .bind(next.kind.map(RequestKind::code))
    .bind(next.urgency.map(Urgency::code))
    .bind(unit)
    .bind(i32::try_from(value).unwrap_or(i32::MAX))
    .bind(&next.basis)
    .bind(next.stops_when_suspended)
    .bind(created_by)
    .bind(reason)
    .fetch_one(tx)
    .await?;
    PolicyRecord::try_from(row)
}

/// Move a timer: its state, due instant and pause instant together.
pub async fn move_timer(
    tx: &mut PgConnection,
    timer: &Timer,
    state: TimerState,
    due_at: DateTime<Utc>,
    paused_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE deadline_watcher.timers \
         SET state = $3, due_at = $4, paused_at = $5, updated_at = now() \
         WHERE order_id = $1 AND clock = $2 AND party = $6",
    )
    .bind(timer.order_id)
    .bind(clock_code(timer.clock))
    .bind(state.code())
    .bind(due_at)
    .bind(paused_at)
    .bind(&timer.party)
    .execute(tx)
    .await
    .map(|_| ())
}

/// What moved a timer's due instant, for its history (`timer_changes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Paused,
    Resumed,
    Extended,
    /// An extension granted for a clock that had already ended (kept for the record).
    ExtensionRefused,
    /// A16.2: the result was sent back; the unit's handling clock for the redo started
    /// (recorded on the new clock; the previous due instant is the first clock's).
    SentBack,
    /// A17: the supervision case moved up a rung; its rectification clock started again
    /// (recorded on the new clock; the previous due instant is the last rung's).
    Escalated,
}

impl ChangeKind {
    fn code(self) -> &'static str {
        match self {
            Self::Paused => "paused",
            Self::Resumed => "resumed",
            Self::Extended => "extended",
            Self::ExtensionRefused => "extension_refused",
            Self::SentBack => "sent_back",
            Self::Escalated => "escalated",
        }
    }
}

/// One entry of a timer's history.
#[derive(Debug, Clone)]
pub struct TimerChange<'a> {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub party: &'a str,
    pub change: ChangeKind,
    pub previous_due_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub reason: Option<&'a str>,
    pub decided_by: Option<&'a str>,
    /// The approval behind the change, if any: one change per approval.
    pub source_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

/// Append to a timer's history. Returns false when the change's `source_id` was recorded
/// already (the same approval published twice): the caller must not apply it again.
pub async fn record_change(
    tx: &mut PgConnection,
    change: &TimerChange<'_>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO deadline_watcher.timer_changes \
         (order_id, clock, change, previous_due_at, due_at, reason, decided_by, source_id, \
          changed_at, party) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (order_id, clock, party, source_id) WHERE source_id IS NOT NULL DO NOTHING",
    )
    .bind(change.order_id)
    .bind(clock_code(change.clock))
    .bind(change.change.code())
    .bind(change.previous_due_at)
    .bind(change.due_at)
    .bind(change.reason)
    .bind(change.decided_by)
    .bind(change.source_id)
    .bind(change.changed_at)
    .bind(change.party)
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A running timer claimed by the reminder scan, with the reminder points that were due
/// and not recorded as sent when it was claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedTimer {
    pub timer: Timer,
    pub points: Vec<ReminderPoint>,
}

/// Claim up to `limit` running timers not yet due whose next reminder instant
/// (`next_reminder_at`, kept by a trigger) has passed by `now`, earliest first, each with
/// the points of `points` reached by `now` and not recorded as sent. The read follows the
/// partial index `timers_running_by_next_reminder`, so a pass costs what is due, not the
/// size of the table. The timers are locked (`FOR UPDATE SKIP LOCKED`: a handler settling
/// the timer, or another scan, holds it and wins); what makes a reminder fire once is
/// [`record_reminder`]. The caller must [`refresh_next_reminders`] of every claimed timer in
/// the same transaction.
pub async fn claim_pending_reminders(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    points: &[ReminderPoint],
    limit: i64,
) -> Result<Vec<ClaimedTimer>, sqlx::Error> {
    let permille: Vec<i32> = points.iter().map(|p| i32::from(p.permille())).collect();
    let rows: Vec<ReminderRow> = sqlx::query_as(&format!(
        "WITH claimed AS ( \
             SELECT {TIMER_COLUMNS}, next_reminder_at FROM deadline_watcher.timers \
             WHERE state = 'running' AND next_reminder_at <= $1 AND due_at >= $1 \
             ORDER BY next_reminder_at LIMIT $3 \
             FOR UPDATE SKIP LOCKED) \
         SELECT c.*, ARRAY( \
             SELECT p.permille FROM unnest($2::int[]) AS p(permille) \
             WHERE c.due_at > c.started_at \
               AND c.started_at + (c.due_at - c.started_at) * p.permille / 1000 <= $1 \
               AND NOT EXISTS (SELECT 1 FROM deadline_watcher.reminders_sent AS r \
                               WHERE r.order_id = c.order_id AND r.clock = c.clock \
                                 AND r.party = c.party AND r.fraction_permille = p.permille) \
             ORDER BY p.permille) AS due_points \
         FROM claimed AS c ORDER BY c.next_reminder_at"
    ))
    .bind(now)
    .bind(&permille)
    .bind(limit)
    .fetch_all(tx)
    .await?;
    rows.into_iter()
        .map(|row| {
            let order_id = row.timer.order_id;
            let points = row
                .due_points
                .into_iter()
                .map(|permille| {
                    u16::try_from(permille)
                        .ok()
                        .and_then(ReminderPoint::from_permille)
                        .ok_or_else(|| {
                            sqlx::Error::Decode(Box::new(UnknownCode {
                                table: "reminders_sent",
                                key: order_id.to_string(),
                                column: "fraction_permille",
                                value: permille.to_string(),
                            }))
                        })
                })
                .collect::<Result<_, _>>()?;
            Ok(ClaimedTimer {
                timer: Timer::try_from(row.timer)?,
                points,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct ReminderRow {
    #[sqlx(flatten)]
    timer: TimerRow,
    due_points: Vec<i32>,
}

/// Recompute `next_reminder_at` of the given timers from the reminders recorded so far
/// (the earliest point not sent yet, or NULL), in one statement.
pub async fn refresh_next_reminders(
    tx: &mut PgConnection,
    timers: &[&Timer],
) -> Result<(), sqlx::Error> {
    if timers.is_empty() {
        return Ok(());
    }
    let (order_ids, clocks, parties) = timer_keys(timers);
    sqlx::query(&format!(
        "UPDATE deadline_watcher.timers AS t SET next_reminder_at = \
             deadline_watcher.next_reminder_instant(t.order_id, t.clock, t.party, \
                                                    t.started_at, t.due_at) \
         {EACH_TIMER} AND t.state = 'running'"
    ))
    .bind(&order_ids)
    .bind(&clocks)
    .bind(&parties)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Make `deadline_watcher.reminder_schedule` hold `points` (the service's configuration),
/// the points the `next_reminder_at` trigger counts with. When they differ from the stored
/// ones, every running timer's next reminder instant is recomputed in the same transaction.
/// Returns how many timers were recomputed (0 when the points were already in force).
pub async fn sync_reminder_schedule(
    pool: &sqlx::PgPool,
    points: &[ReminderPoint],
) -> Result<u64, sqlx::Error> {
    let permille: Vec<i32> = points.iter().map(|p| i32::from(p.permille())).collect();
    let mut tx = pool.begin().await?;
    let stored: Vec<i32> = sqlx::query_scalar(
        "SELECT points FROM deadline_watcher.reminder_schedule WHERE singleton FOR UPDATE",
    )
    .fetch_one(&mut *tx)
    .await?;
    if stored == permille {
        return Ok(0);
    }
    sqlx::query(
        "UPDATE deadline_watcher.reminder_schedule SET points = $1, updated_at = now() \
         WHERE singleton",
    )
    .bind(&permille)
    .execute(&mut *tx)
    .await?;
    let recomputed = sqlx::query(
        "UPDATE deadline_watcher.timers SET next_reminder_at = \
             deadline_watcher.next_reminder_instant(order_id, clock, party, started_at, due_at) \
         WHERE state = 'running'",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(recomputed)
}

/// Record that the reminder at `point` was sent for a timer. Returns false when it was
/// recorded already (another scan got there first): the caller must then not send it.
pub async fn record_reminder(
    tx: &mut PgConnection,
    timer: &Timer,
    point: ReminderPoint,
    sent_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO deadline_watcher.reminders_sent \
         (order_id, clock, fraction_permille, sent_at, party) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(timer.order_id)
    .bind(clock_code(timer.clock))
    .bind(i32::from(point.permille()))
    .bind(sent_at)
    .bind(&timer.party)
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The order's timers, without locking (for queries).
pub async fn order_timers(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<Timer>, sqlx::Error> {
    let rows: Vec<TimerRow> = sqlx::query_as(&format!(
        "SELECT {TIMER_COLUMNS} FROM deadline_watcher.timers WHERE order_id = $1 \
         ORDER BY started_at, clock, party"
    ))
    .bind(order_id)
    .fetch_all(conn)
    .await?;
    into_timers(rows)
}

/// Remember the number of a dispatched order (the near-due list names orders by it); a
/// repeated dispatch changes nothing.
pub async fn record_order_number(
    tx: &mut PgConnection,
    order_id: Uuid,
    number: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deadline_watcher.order_numbers (order_id, number) VALUES ($1, $2) \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(number)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Running timers due after `after` and no later than `until`, soonest first, with the
/// order's number when known; at most `limit`.
pub async fn running_due_between(
    conn: &mut PgConnection,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(Timer, Option<String>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        timer: TimerRow,
        number: Option<String>,
    }
    let columns = TIMER_COLUMNS
        .split(", ")
        .map(|c| format!("t.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {columns}, n.number FROM deadline_watcher.timers AS t \
         LEFT JOIN deadline_watcher.order_numbers AS n ON n.order_id = t.order_id \
         WHERE t.state = 'running' AND t.due_at > $1 AND t.due_at <= $2 \
         ORDER BY t.due_at, t.order_id, t.clock, t.party LIMIT $3"
    ))
    .bind(after)
    .bind(until)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| Ok((Timer::try_from(row.timer)?, row.number)))
        .collect()
}

/// A stored entry of a timer's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredChange {
    pub clock: String,
    pub party: String,
    pub change: String,
    pub previous_due_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// The history of every clock of the order, oldest first.
pub async fn order_changes(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<StoredChange>, sqlx::Error> {
    sqlx::query_as(
        "SELECT clock, party, change, previous_due_at, due_at, reason, decided_by, changed_at \
         FROM deadline_watcher.timer_changes WHERE order_id = $1 ORDER BY change_id",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await
}

/// [`lock_order_timers`] for several orders in one statement: their timers, locked, by
/// order and then in the order [`lock_order_timers`] gives.
pub async fn lock_timers_of(
    tx: &mut PgConnection,
    order_ids: &[Uuid],
) -> Result<Vec<Timer>, sqlx::Error> {
    let rows: Vec<TimerRow> = sqlx::query_as(&format!(
        "SELECT {TIMER_COLUMNS} FROM deadline_watcher.timers WHERE order_id = ANY($1) \
         ORDER BY order_id, clock, party FOR UPDATE"
    ))
    // Planned for each call (an unnamed statement), with the batch's ids: a generic plan
    // cached while the table was small scans the whole table for ever (1.9 ms a call after
    // half a minute of load, against 0.1 ms planned with the ids).
    .persistent(false)
    .bind(order_ids)
    .fetch_all(tx)
    .await?;
    into_timers(rows)
}

/// [`record_order_number`] for several orders; the first number given for an order stands.
pub async fn record_order_numbers(
    tx: &mut PgConnection,
    orders: &[(Uuid, String)],
) -> Result<(), sqlx::Error> {
    if orders.is_empty() {
        return Ok(());
    }
    let (ids, numbers): (Vec<Uuid>, Vec<String>) = orders.iter().cloned().unzip();
    sqlx::query(
        "INSERT INTO deadline_watcher.order_numbers (order_id, number) \
         SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(ids)
    .bind(numbers)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Insert timers started in a batch, each in its state at the batch's end (not paused).
/// Returns how many were inserted: fewer than given means another transaction started
/// one of them first.
pub async fn insert_timers(tx: &mut PgConnection, timers: &[&Timer]) -> Result<u64, sqlx::Error> {
    if timers.is_empty() {
        return Ok(0);
    }
    let text = |f: fn(&Timer) -> Option<String>| -> Vec<Option<String>> {
        timers.iter().map(|t| f(t)).collect()
    };
    let inserted = sqlx::query(
        "INSERT INTO deadline_watcher.timers \
         (order_id, clock, unit_id, started_at, due_at, policy, policy_id, policy_version, \
          kind, urgency, state, updated_at, traceparent, stops_when_suspended, party) \
         SELECT order_id, clock, unit_id, started_at, due_at, policy, policy_id, \
             policy_version, kind, urgency, state, now(), traceparent, stops_when_suspended, party \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], \
             $5::timestamptz[], $6::text[], $7::text[], $8::int4[], $9::text[], $10::text[], \
             $11::text[], $12::text[], $13::bool[], $14::text[]) WITH ORDINALITY \
             AS t (order_id, clock, unit_id, started_at, due_at, policy, policy_id, \
                 policy_version, kind, urgency, state, traceparent, stops_when_suspended, \
                 party, n) \
         ORDER BY n \
         ON CONFLICT (order_id, clock, party) DO NOTHING",
    )
    .bind(timers.iter().map(|t| t.order_id).collect::<Vec<_>>())
    .bind(text(|t| Some(clock_code(t.clock).to_owned())))
    .bind(text(|t| Some(t.unit_id.clone())))
    .bind(timers.iter().map(|t| t.started_at).collect::<Vec<_>>())
    .bind(timers.iter().map(|t| t.due_at).collect::<Vec<_>>())
    .bind(text(|t| Some(t.policy.clone())))
    .bind(text(|t| Some(t.policy_id.clone())))
    .bind(timers.iter().map(|t| t.policy_version).collect::<Vec<_>>())
    .bind(text(|t| t.kind.map(|k| k.code().to_owned())))
    .bind(text(|t| t.urgency.map(|u| u.code().to_owned())))
    .bind(text(|t| Some(t.state.code().to_owned())))
    .bind(text(|t| t.traceparent.clone()))
    .bind(
        timers
            .iter()
            .map(|t| t.stops_when_suspended)
            .collect::<Vec<_>>(),
    )
    .bind(text(|t| Some(t.party.clone())))
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected())
}

/// [`set_state`] for several timers in one statement: each to its `state`.
pub async fn set_states(tx: &mut PgConnection, timers: &[&Timer]) -> Result<(), sqlx::Error> {
    if timers.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE deadline_watcher.timers t SET state = c.state, paused_at = NULL, \
             updated_at = now() \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) \
             AS c (order_id, clock, party, state) \
         WHERE t.order_id = ANY($1) \
           AND t.order_id = c.order_id AND t.clock = c.clock AND t.party = c.party",
    )
    // Planned for each call, as [`lock_timers_of`].
    .persistent(false)
    .bind(timers.iter().map(|t| t.order_id).collect::<Vec<_>>())
    .bind(
        timers
            .iter()
            .map(|t| clock_code(t.clock))
            .collect::<Vec<_>>(),
    )
    .bind(timers.iter().map(|t| t.party.as_str()).collect::<Vec<_>>())
    .bind(timers.iter().map(|t| t.state.code()).collect::<Vec<_>>())
    .execute(tx)
    .await
    .map(|_| ())
}
