//! What the deadline-watcher does on each order event it consumes (durable consumer
//! `deadline-watcher-clocks`).
//!
//! - `order.dispatched` starts the sign clock (A15: sign within 1 working day), records the
//!   order's kind and urgency on it, and announces it with `deadline.scheduled`.
//! - `order.redispatched` (A13: a dispute moved the order to another unit) cancels the
//!   old unit's sign clock and starts one for the new unit (party: the dispatch id), so
//!   each unit's sign-for is measured from when it received the order.
//! - `order.signed` settles the sign clock (met when in time, overdue and announced when
//!   late) and starts the handling clock from the signed instant, with the limit of the
//!   policy for the order's kind and urgency (A15), announced with `deadline.scheduled`.
//! - `order.result_submitted` settles the handling clock in force the same way.
//! - `order.sent_back` (A16.2: the center sent the result back to the same unit, a redo)
//!   starts a new handling clock for that unit from the send-back, under the same policy
//!   lookup as the first (a full handling period), announced with `deadline.scheduled`; the
//!   next result settles it. One redo clock per result sent back.
//! - `order.closed` cancels every clock still running.
//! - `order.extension_granted` (A14) moves the handling clock's due instant and announces
//!   it with `deadline.rescheduled`; an approval seen twice moves it once.
//! - `order.co_handling_assigned` starts a co-unit's clock to report its part to the lead
//!   unit (A14), `order.co_handling_reported` settles it; `supervision.case_opened` starts
//!   the case's rectification clock (A17), `supervision.case_escalated` starts it again for
//!   the new rung (a full rectification period from the escalation, `deadline.scheduled`),
//!   `supervision.rectification_reported` settles the clock in force and
//!   `supervision.case_closed` cancels it.
//! - `order.suspended` pauses the clocks whose policy stops while suspended
//!   (`deadline.paused`); `order.resumed` restarts them with the time they had left
//!   (`deadline.rescheduled`). See [`crate::domain::deadline`] for the arithmetic.
//!
//! Which limit applies is read from `deadline_watcher.policies` and decided by
//! [`crate::domain::policy::select`]; the policy id and version go on the timer and the
//! event. Each handler runs in the consumer's transaction (the inbox row is already
//! written) and does all its writes, timers and outbox rows alike, through it. The rules
//! themselves are in [`crate::domain`]; this module only loads, asks and stores.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use hotline_contract::Event;
use hotline_contract::events::{
    DeadlineClock, DeadlineOverdue, DeadlinePaused, DeadlineRescheduled, DeadlineScheduled,
    LimitUnit, OrderClosed, OrderCoHandlingAssigned, OrderCoHandlingReported, OrderDispatched,
    OrderExtensionGranted, OrderRedispatched, OrderResultSubmitted, OrderResumed, OrderSentBack,
    OrderSigned, OrderSuspended, RescheduleCause, SupervisionCaseClosed, SupervisionCaseEscalated,
    SupervisionCaseOpened, SupervisionRectificationReported,
};
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_workday::{Calendar, CalendarError};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::deadline::{Limit, extended_due, resumed_due};
use crate::domain::policy::{self, Policy};
use crate::domain::timer::{
    TimerEvent, TimerState, case_of_party, clock_code, next_state, rectification_party, redo_party,
};
use crate::store::{self, ChangeKind, NewTimer, Timer, TimerChange};

/// Starts, settles and cancels the clocks of each order.
#[derive(Debug, Clone)]
pub struct Clocks {
    pub(crate) calendar: Arc<Calendar>,
    pub(crate) outbox: Outbox,
}

/// A clock about to start.
pub(crate) struct ClockStart<'a> {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: &'a str,
    /// See [`NewTimer::party`].
    pub party: &'a str,
    pub started_at: DateTime<Utc>,
    pub kind: Option<RequestKind>,
    pub urgency: Option<Urgency>,
}

impl<'a> ClockStart<'a> {
    /// A15: the sign clock a dispatch starts (the `sign` policy: sign within 1 working
    /// day). The kind and urgency are kept on the sign timer for the handling clock, which
    /// starts at the sign.
    pub(crate) fn sign(dispatched: &'a OrderDispatched) -> Self {
        ClockStart {
            order_id: dispatched.order_id,
            clock: DeadlineClock::Sign,
            unit_id: &dispatched.unit_id,
            party: "",
            started_at: dispatched.dispatched_at,
            kind: Some(dispatched.kind),
            urgency: Some(dispatched.urgency),
        }
    }
}

impl<'a> ClockStart<'a> {
    /// A15: the handling clock a sign starts, from the signed instant, with the kind and
    /// urgency recorded on the sign timer at dispatch.
    pub(crate) fn handling(signed: &'a OrderSigned, sign_timer: &Timer) -> Self {
        ClockStart {
            order_id: signed.order_id,
            clock: DeadlineClock::Handling,
            unit_id: &signed.unit_id,
            party: "",
            started_at: signed.signed_at,
            kind: sign_timer.kind,
            urgency: sign_timer.urgency,
        }
    }
}

/// The event that announces a started clock.
pub(crate) fn scheduled_event(
    start: &ClockStart<'_>,
    policy: &Policy,
    due_at: DateTime<Utc>,
) -> DeadlineScheduled {
    DeadlineScheduled {
        order_id: start.order_id,
        clock: start.clock,
        unit_id: start.unit_id.to_owned(),
        case_id: case_of_party(start.clock, start.party),
        started_at: start.started_at,
        due_at,
        policy: policy.label(),
    }
}

/// The event that announces a clock found overdue at `detected_at`.
pub(crate) fn overdue_event(timer: &Timer, detected_at: DateTime<Utc>) -> DeadlineOverdue {
    DeadlineOverdue {
        order_id: timer.order_id,
        clock: timer.clock,
        unit_id: timer.unit_id.clone(),
        case_id: timer.case_id(),
        due_at: timer.due_at,
        detected_at,
    }
}

impl Clocks {
    /// Clocks counted on `calendar`, announced through `outbox`.
    pub fn new(calendar: Arc<Calendar>, outbox: Outbox) -> Self {
        Self { calendar, outbox }
    }

    /// The policy among `policies` (the clock's active ones) that sets a starting clock's
    /// limit, and the due instant it gives.
    pub(crate) fn schedule<'p>(
        &self,
        policies: &'p [Policy],
        start: &ClockStart<'_>,
    ) -> Result<(&'p Policy, DateTime<Utc>), HandlerError> {
        let Some(policy) = policy::select(policies, start.clock, start.kind, start.urgency) else {
            // An operator deactivated every policy that fits: no limit is guessed; the event
            // waits (and is retried) until a policy is active again.
            tracing::error!(clock = clock_code(start.clock), kind = ?start.kind, urgency = ?start.urgency, "no active time-limit policy fits this order");
            return Err(HandlerError::transient(format!(
                "no active {} policy for kind {:?} and urgency {:?}",
                clock_code(start.clock),
                start.kind,
                start.urgency
            )));
        };
        let due_at = policy
            .due_at(&self.calendar, start.started_at)
            .map_err(calendar_failure)?;
        Ok((policy, due_at))
    }

    /// Start a clock under the policy for the order's kind and urgency and announce it.
    /// Returns its due instant, or `None` when the order already had that clock (the first
    /// one stands and was announced already).
    async fn start_clock(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        start: ClockStart<'_>,
    ) -> Result<Option<DateTime<Utc>>, HandlerError> {
        let policies = store::active_policies(tx, start.clock).await?;
        let (policy, due_at) = self.schedule(&policies, &start)?;
        let started = store::insert_timer(
            tx,
            &NewTimer {
                order_id: start.order_id,
                clock: start.clock,
                unit_id: start.unit_id,
                party: start.party,
                started_at: start.started_at,
                due_at,
                policy,
                kind: start.kind,
                urgency: start.urgency,
                traceparent: Some(event.trace.to_string()),
            },
        )
        .await?;
        if !started {
            return Ok(None);
        }
        self.outbox
            .append(tx, &event.trace, scheduled_event(&start, policy, due_at))
            .await?;
        metrics::counter!("hotline_deadlines_scheduled_total", "clock" => clock_code(start.clock))
            .increment(1);
        Ok(Some(due_at))
    }

    async fn dispatched(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        dispatched: OrderDispatched,
    ) -> Result<(), HandlerError> {
        // The supervision board's near-due list names the order by its number.
        store::record_order_number(tx, dispatched.order_id, &dispatched.number).await?;
        let started = self
            .start_clock(tx, event, ClockStart::sign(&dispatched))
            .await?;
        if started.is_none() {
            // A second dispatch of the same order (a re-publication with a new event id):
            // the clock that is already running stands, and was announced already.
            tracing::info!(order_id = %dispatched.order_id, "sign clock already started; nothing to do");
        }
        Ok(())
    }

    /// A13: the order went to another unit after a dispute. The old unit's sign clock is
    /// cancelled (an overdue one stays overdue: it was missed) and the new unit's starts at
    /// the redispatch, with the order's kind and urgency; a repeated event changes nothing.
    async fn redispatched(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        redispatched: OrderRedispatched,
    ) -> Result<(), HandlerError> {
        let timers = store::lock_order_timers(tx, redispatched.order_id).await?;
        let party = redispatched.dispatch_id.to_string();
        if timers
            .iter()
            .any(|t| t.clock == DeadlineClock::Sign && t.party == party)
        {
            tracing::info!(order_id = %redispatched.order_id, "redispatch applied already");
            return Ok(());
        }
        if !timers.iter().any(|t| t.clock == DeadlineClock::Sign) {
            // The first dispatch starts the first clock; it comes first on the stream.
            return Err(HandlerError::transient(format!(
                "order {} redispatched before its first sign clock was started",
                redispatched.order_id
            )));
        }
        for timer in timers.iter().filter(|t| t.clock == DeadlineClock::Sign) {
            if let Some(state) = next_state(timer.view(), TimerEvent::Closed) {
                store::set_state(tx, timer, state).await?;
            }
        }
        self.start_clock(
            tx,
            event,
            ClockStart {
                order_id: redispatched.order_id,
                clock: DeadlineClock::Sign,
                unit_id: &redispatched.unit_id,
                party: &party,
                started_at: redispatched.redispatched_at,
                kind: Some(redispatched.kind),
                urgency: Some(redispatched.urgency),
            },
        )
        .await?;
        Ok(())
    }

    async fn signed(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        signed: OrderSigned,
    ) -> Result<(), HandlerError> {
        let timers = store::lock_order_timers(tx, signed.order_id).await?;
        let (timer, outcome) = sign_outcome(&timers, &signed)?;
        if let Some(state) = outcome {
            store::set_state(tx, timer, state).await?;
            if state == TimerState::Overdue {
                tracing::warn!(due_at = %timer.due_at, signed_at = %signed.signed_at, "order signed after its A15 deadline");
                self.announce_overdue(tx, event, timer).await?;
            }
        }
        self.start_handling(tx, event, timer, &signed).await
    }

    /// A15: the handling clock runs from the sign, with the limit for the order's kind and
    /// urgency (recorded on the sign timer at dispatch).
    async fn start_handling(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        sign_timer: &Timer,
        signed: &OrderSigned,
    ) -> Result<(), HandlerError> {
        if !handling_can_start(sign_timer) {
            return Ok(());
        }
        let started = self
            .start_clock(tx, event, ClockStart::handling(signed, sign_timer))
            .await?;
        if started.is_none() {
            tracing::info!("handling clock already started; kept as is");
        }
        Ok(())
    }

    async fn result_submitted(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        submitted: OrderResultSubmitted,
    ) -> Result<(), HandlerError> {
        let timers = store::lock_order_timers(tx, submitted.order_id).await?;
        let Some((timer, outcome)) = result_outcome(&timers, &submitted)? else {
            return Ok(());
        };
        if let Some(state) = outcome {
            store::set_state(tx, timer, state).await?;
            if state == TimerState::Overdue {
                tracing::warn!(due_at = %timer.due_at, submitted_at = %submitted.submitted_at, "result submitted after its A15 handling limit");
                self.announce_overdue(tx, event, timer).await?;
            }
        }
        Ok(())
    }

    /// A16.2: the center sent the unit's result back; the unit redoes the order and gets a
    /// new handling clock from the send-back, under the policy for the order's kind and
    /// urgency (the regulation sets no redo period: a full handling period, see
    /// `docs/deadlines.md`). The first clock stays as it ended (met, or overdue).
    async fn sent_back(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        sent_back: OrderSentBack,
    ) -> Result<(), HandlerError> {
        let timers = store::lock_order_timers(tx, sent_back.order_id).await?;
        let party = redo_party(sent_back.result_id);
        if timers
            .iter()
            .any(|t| t.clock == DeadlineClock::Handling && t.party == party)
        {
            tracing::info!(result_id = %sent_back.result_id, "send-back applied already");
            return Ok(());
        }
        let Some(previous) = current_handling_clock(&timers) else {
            return match current_sign_clock(&timers) {
                // Closed before signing, or a timer from before kinds were recorded: no
                // handling clock, and no policy to choose one by.
                Some(t) if t.state == TimerState::Cancelled || t.kind.is_none() => {
                    tracing::info!(
                        "send-back for an order without a handling clock; no redo clock"
                    );
                    Ok(())
                }
                _ => Err(HandlerError::transient(format!(
                    "order {} sent back before its handling clock was started",
                    sent_back.order_id
                ))),
            };
        };
        match previous.state {
            // The result sent back stopped the clock; a clock still running means that
            // result has not been applied yet (it went back for a retry): wait for it.
            TimerState::Running | TimerState::Paused => {
                return Err(HandlerError::transient(format!(
                    "order {} sent back before the result it sends back was applied",
                    sent_back.order_id
                )));
            }
            TimerState::Cancelled => {
                tracing::info!("send-back for an order already closed; no redo clock");
                return Ok(());
            }
            TimerState::Met | TimerState::Overdue => {}
        }
        let started = self
            .start_clock(
                tx,
                event,
                ClockStart {
                    order_id: sent_back.order_id,
                    clock: DeadlineClock::Handling,
                    unit_id: &sent_back.unit_id,
                    party: &party,
                    started_at: sent_back.sent_back_at,
                    kind: previous.kind,
                    urgency: previous.urgency,
                },
            )
            .await?;
        if let Some(due_at) = started {
            store::record_change(
                tx,
                &TimerChange {
                    order_id: sent_back.order_id,
                    clock: DeadlineClock::Handling,
                    party: &party,
                    change: ChangeKind::SentBack,
                    previous_due_at: previous.due_at,
                    due_at,
                    reason: Some(&sent_back.reason_code),
                    decided_by: Some(&sent_back.sent_back_by),
                    source_id: Some(sent_back.result_id),
                    changed_at: sent_back.sent_back_at,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// A17: the unit did not rectify in time and the case moved up a rung; the unit owes a
    /// rectification report at the new rung, so the case's clock starts again from the
    /// escalation under the rectification policy. A clock of the rung below still running
    /// is superseded; a closed case gets no new clock.
    async fn case_escalated(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        escalated: SupervisionCaseEscalated,
    ) -> Result<(), HandlerError> {
        let timers = store::lock_order_timers(tx, escalated.order_id).await?;
        let party = rectification_party(escalated.case_id, Some(escalated.to));
        if timers
            .iter()
            .any(|t| t.clock == DeadlineClock::Rectification && t.party == party)
        {
            tracing::info!(case_id = %escalated.case_id, "escalation applied already");
            return Ok(());
        }
        let Some(previous) = case_clock(&timers, escalated.case_id) else {
            // The case's opening starts its first clock and comes first on the stream.
            return Err(HandlerError::transient(format!(
                "case {} escalated before its rectification clock was started",
                escalated.case_id
            )));
        };
        if previous.state == TimerState::Cancelled {
            tracing::info!(case_id = %escalated.case_id, "escalation of a closed case; no new clock");
            return Ok(());
        }
        if let Some(state) = next_state(previous.view(), TimerEvent::Superseded) {
            store::set_state(tx, previous, state).await?;
        }
        let sign = current_sign_clock(&timers);
        let started = self
            .start_clock(
                tx,
                event,
                ClockStart {
                    order_id: escalated.order_id,
                    clock: DeadlineClock::Rectification,
                    unit_id: &escalated.unit_id,
                    party: &party,
                    started_at: escalated.escalated_at,
                    kind: sign.and_then(|t| t.kind),
                    urgency: sign.and_then(|t| t.urgency),
                },
            )
            .await?;
        if let Some(due_at) = started {
            store::record_change(
                tx,
                &TimerChange {
                    order_id: escalated.order_id,
                    clock: DeadlineClock::Rectification,
                    party: &party,
                    change: ChangeKind::Escalated,
                    previous_due_at: previous.due_at,
                    due_at,
                    reason: Some(&escalated.reason_code),
                    decided_by: None,
                    source_id: None,
                    changed_at: escalated.escalated_at,
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn closed(&self, tx: &mut PgConnection, closed: OrderClosed) -> Result<(), HandlerError> {
        // An order closed without dispatch (answered directly, A9) has no clocks: nothing
        // to do.
        for timer in store::lock_order_timers(tx, closed.order_id).await? {
            if let Some(state) = next_state(timer.view(), TimerEvent::Closed) {
                store::set_state(tx, &timer, state).await?;
            }
        }
        Ok(())
    }

    /// A14: the center granted the unit more time; the handling clock's due instant moves
    /// by the extension, counted from the due instant in force.
    async fn extension_granted(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        granted: OrderExtensionGranted,
    ) -> Result<(), HandlerError> {
        if granted.extension.value == 0 {
            return Err(HandlerError::permanent(format!(
                "extension {} of order {} grants no time",
                granted.extension_id, granted.order_id
            )));
        }
        let timers = store::lock_order_timers(tx, granted.order_id).await?;
        let Some(timer) = current_handling_clock(&timers) else {
            // The router grants extensions on signed orders only: the sign that starts the
            // clock is still on its way (or went back for a retry). Wait for it.
            return Err(HandlerError::transient(format!(
                "order {} got an extension before its handling clock was started",
                granted.order_id
            )));
        };
        let extended = matches!(timer.state, TimerState::Running | TimerState::Paused);
        let due_at = if extended {
            extended_due(&self.calendar, timer.due_at, Limit::from(granted.extension))
                .map_err(calendar_failure)?
        } else {
            timer.due_at
        };
        let recorded = store::record_change(
            tx,
            &TimerChange {
                order_id: timer.order_id,
                clock: timer.clock,
                party: &timer.party,
                change: if extended {
                    ChangeKind::Extended
                } else {
                    ChangeKind::ExtensionRefused
                },
                previous_due_at: timer.due_at,
                due_at,
                reason: Some(&granted.reason_code),
                decided_by: Some(&granted.approved_by),
                source_id: Some(granted.extension_id),
                changed_at: granted.granted_at,
            },
        )
        .await?;
        if !recorded {
            tracing::info!(extension_id = %granted.extension_id, "extension applied already");
            return Ok(());
        }
        if !extended {
            // Final states stay final: the clock was met, cancelled or already overdue
            // (supervision decides on an overdue order; the grant is kept on record).
            tracing::warn!(
                state = timer.state.code(),
                "extension granted for a handling clock that has ended; recorded, not applied"
            );
            return Ok(());
        }
        store::move_timer(tx, timer, timer.state, due_at, timer.paused_at).await?;
        self.announce_rescheduled(
            tx,
            event,
            timer,
            RescheduleCause::Extension,
            due_at,
            granted.granted_at,
        )
        .await
    }

    /// The order's handling is suspended: each clock whose policy stops meanwhile pauses.
    async fn suspended(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        suspended: OrderSuspended,
    ) -> Result<(), HandlerError> {
        let at = suspended.suspended_at;
        let reason = serde_json::to_value(suspended.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        for timer in store::lock_order_timers(tx, suspended.order_id).await? {
            match next_state(timer.view(), TimerEvent::Suspended { at }) {
                None => {}
                Some(TimerState::Paused) => {
                    store::move_timer(tx, &timer, TimerState::Paused, timer.due_at, Some(at))
                        .await?;
                    store::record_change(
                        tx,
                        &TimerChange {
                            order_id: timer.order_id,
                            clock: timer.clock,
                            party: &timer.party,
                            change: ChangeKind::Paused,
                            previous_due_at: timer.due_at,
                            due_at: timer.due_at,
                            reason: reason.as_deref(),
                            decided_by: Some(&suspended.approved_by),
                            source_id: None,
                            changed_at: at,
                        },
                    )
                    .await?;
                    self.outbox
                        .append(
                            tx,
                            &event.trace,
                            DeadlinePaused {
                                order_id: timer.order_id,
                                clock: timer.clock,
                                unit_id: timer.unit_id.clone(),
                                case_id: timer.case_id(),
                                due_at: timer.due_at,
                                paused_at: at,
                            },
                        )
                        .await?;
                }
                Some(state) => {
                    // Suspended after the clock ran out: the deadline was missed (A17).
                    store::set_state(tx, &timer, state).await?;
                    if state == TimerState::Overdue {
                        self.announce_overdue(tx, event, &timer).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The suspension ended: paused clocks restart with the time they had left.
    async fn resumed(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        resumed: OrderResumed,
    ) -> Result<(), HandlerError> {
        for timer in store::lock_order_timers(tx, resumed.order_id).await? {
            if next_state(timer.view(), TimerEvent::Resumed) != Some(TimerState::Running) {
                continue;
            }
            let paused_at = timer.paused_at.unwrap_or(resumed.resumed_at);
            let resumed_at = resumed.resumed_at.max(paused_at);
            let unit = match store::policy(tx, &timer.policy_id, timer.policy_version)
                .await?
                .limit
            {
                Limit::WorkingDays(_) => LimitUnit::WorkingDays,
                Limit::Hours(_) => LimitUnit::Hours,
            };
            let due_at = resumed_due(&self.calendar, unit, timer.due_at, paused_at, resumed_at)
                .map_err(calendar_failure)?;
            store::move_timer(tx, &timer, TimerState::Running, due_at, None).await?;
            store::record_change(
                tx,
                &TimerChange {
                    order_id: timer.order_id,
                    clock: timer.clock,
                    party: &timer.party,
                    change: ChangeKind::Resumed,
                    previous_due_at: timer.due_at,
                    due_at,
                    reason: None,
                    decided_by: None,
                    source_id: None,
                    changed_at: resumed_at,
                },
            )
            .await?;
            self.announce_rescheduled(
                tx,
                event,
                &timer,
                RescheduleCause::Resumed,
                due_at,
                resumed_at,
            )
            .await?;
        }
        Ok(())
    }

    /// A14: a co-handling unit's clock to report its part to the lead unit starts at the
    /// assignment, under the policy for the order's urgency (kept on the sign timer).
    async fn co_handling_assigned(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        assigned: OrderCoHandlingAssigned,
    ) -> Result<(), HandlerError> {
        let timers = store::lock_order_timers(tx, assigned.order_id).await?;
        let Some(sign) = current_sign_clock(&timers) else {
            // Co-handling is decided on a dispatched order: its dispatch is on its way.
            return Err(HandlerError::transient(format!(
                "order {} got a co-handling unit before its dispatch was applied",
                assigned.order_id
            )));
        };
        if sign.state == TimerState::Cancelled {
            tracing::info!("co-handling assigned on an order already closed; no clock");
            return Ok(());
        }
        let (kind, urgency) = (sign.kind, sign.urgency);
        self.start_clock(
            tx,
            event,
            ClockStart {
                order_id: assigned.order_id,
                clock: DeadlineClock::CoHandling,
                unit_id: &assigned.unit_id,
                party: &assigned.unit_id,
                started_at: assigned.assigned_at,
                kind,
                urgency,
            },
        )
        .await?;
        Ok(())
    }

    /// A17: a supervision case's rectification clock starts when the case opens.
    async fn case_opened(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        opened: SupervisionCaseOpened,
    ) -> Result<(), HandlerError> {
        let timers = store::lock_order_timers(tx, opened.order_id).await?;
        let sign = current_sign_clock(&timers);
        let party = rectification_party(opened.case_id, None);
        self.start_clock(
            tx,
            event,
            ClockStart {
                order_id: opened.order_id,
                clock: DeadlineClock::Rectification,
                unit_id: &opened.unit_id,
                party: &party,
                started_at: opened.opened_at,
                kind: sign.and_then(|t| t.kind),
                urgency: sign.and_then(|t| t.urgency),
            },
        )
        .await?;
        Ok(())
    }

    /// Apply `what` to the order's `clock` of `party` (a co-unit's report, a rectification
    /// report, a case closing; for `rectification` the party is the case, and the clock of
    /// its current rung is the one settled). `must_exist`: the clock's start is on its way
    /// when missing (retry), rather than there being nothing to do.
    async fn settle_party_clock(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        (order_id, clock, party): (Uuid, DeadlineClock, &str),
        what: TimerEvent,
        must_exist: bool,
    ) -> Result<(), HandlerError> {
        let timers = store::lock_order_timers(tx, order_id).await?;
        let timer = match case_of_party(clock, party) {
            Some(case_id) => case_clock(&timers, case_id),
            None => timers.iter().find(|t| t.clock == clock && t.party == party),
        };
        let Some(timer) = timer else {
            if !must_exist {
                return Ok(());
            }
            return Err(HandlerError::transient(format!(
                "order {order_id}: {} clock of {party} not started yet",
                clock_code(clock)
            )));
        };
        match next_state(timer.view(), what) {
            None => tracing::info!(
                state = timer.state.code(),
                clock = clock_code(clock),
                "clock already settled; kept as is"
            ),
            Some(state) => {
                store::set_state(tx, timer, state).await?;
                if state == TimerState::Overdue {
                    tracing::warn!(due_at = %timer.due_at, clock = clock_code(clock), "reported after its deadline");
                    self.announce_overdue(tx, event, timer).await?;
                }
            }
        }
        Ok(())
    }

    async fn announce_rescheduled(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        timer: &Timer,
        cause: RescheduleCause,
        due_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), HandlerError> {
        self.outbox
            .append(
                tx,
                &event.trace,
                DeadlineRescheduled {
                    order_id: timer.order_id,
                    clock: timer.clock,
                    unit_id: timer.unit_id.clone(),
                    case_id: timer.case_id(),
                    cause,
                    previous_due_at: timer.due_at,
                    due_at,
                    rescheduled_at: at,
                },
            )
            .await?;
        Ok(())
    }

    async fn announce_overdue(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        timer: &Timer,
    ) -> Result<(), HandlerError> {
        self.outbox
            .append(tx, &event.trace, overdue_event(timer, Utc::now()))
            .await?;
        metrics::counter!("hotline_deadlines_overdue_total", "clock" => clock_code(timer.clock))
            .increment(1);
        Ok(())
    }
}

impl EventHandler for Clocks {
    const BATCHED: bool = true;

    /// The steps every order goes through are applied set-based (`crate::clock_batch`).
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        self.handle_events(tx, events).await
    }

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        match env.event_type.as_str() {
            OrderDispatched::TYPE => {
                let dispatched = env.decode::<OrderDispatched>()?.data;
                self.dispatched(tx, event, dispatched).await
            }
            OrderRedispatched::TYPE => {
                let redispatched = env.decode::<OrderRedispatched>()?.data;
                self.redispatched(tx, event, redispatched).await
            }
            OrderSigned::TYPE => {
                let signed = env.decode::<OrderSigned>()?.data;
                self.signed(tx, event, signed).await
            }
            OrderResultSubmitted::TYPE => {
                let submitted = env.decode::<OrderResultSubmitted>()?.data;
                self.result_submitted(tx, event, submitted).await
            }
            OrderSentBack::TYPE => {
                let sent_back = env.decode::<OrderSentBack>()?.data;
                self.sent_back(tx, event, sent_back).await
            }
            OrderClosed::TYPE => {
                let closed = env.decode::<OrderClosed>()?.data;
                self.closed(tx, closed).await
            }
            OrderCoHandlingAssigned::TYPE => {
                let assigned = env.decode::<OrderCoHandlingAssigned>()?.data;
                self.co_handling_assigned(tx, event, assigned).await
            }
            OrderCoHandlingReported::TYPE => {
                let r = env.decode::<OrderCoHandlingReported>()?.data;
                let key = (r.order_id, DeadlineClock::CoHandling, r.unit_id.as_str());
                let what = TimerEvent::Reported { at: r.reported_at };
                self.settle_party_clock(tx, event, key, what, true).await
            }
            SupervisionCaseOpened::TYPE => {
                let opened = env.decode::<SupervisionCaseOpened>()?.data;
                self.case_opened(tx, event, opened).await
            }
            SupervisionCaseEscalated::TYPE => {
                let escalated = env.decode::<SupervisionCaseEscalated>()?.data;
                self.case_escalated(tx, event, escalated).await
            }
            SupervisionRectificationReported::TYPE => {
                let r = env.decode::<SupervisionRectificationReported>()?.data;
                let case = r.case_id.to_string();
                let key = (r.order_id, DeadlineClock::Rectification, case.as_str());
                let what = TimerEvent::Reported { at: r.reported_at };
                self.settle_party_clock(tx, event, key, what, true).await
            }
            SupervisionCaseClosed::TYPE => {
                let closed = env.decode::<SupervisionCaseClosed>()?.data;
                let case = closed.case_id.to_string();
                let key = (closed.order_id, DeadlineClock::Rectification, case.as_str());
                // A case closed before its clock started has nothing to cancel.
                self.settle_party_clock(tx, event, key, TimerEvent::CaseClosed, false)
                    .await
            }
            OrderExtensionGranted::TYPE => {
                let granted = env.decode::<OrderExtensionGranted>()?.data;
                self.extension_granted(tx, event, granted).await
            }
            OrderSuspended::TYPE => {
                let suspended = env.decode::<OrderSuspended>()?.data;
                self.suspended(tx, event, suspended).await
            }
            OrderResumed::TYPE => {
                let resumed = env.decode::<OrderResumed>()?.data;
                self.resumed(tx, event, resumed).await
            }
            // Other events on the filtered subjects (a future version) are not ours yet.
            _ => Ok(()),
        }
    }
}

/// The order's sign clock in force: the latest started that a redispatch has not
/// cancelled (orders never redispatched have one sign clock).
pub(crate) fn current_sign_clock(timers: &[Timer]) -> Option<&Timer> {
    let signs = || timers.iter().filter(|t| t.clock == DeadlineClock::Sign);
    signs()
        .filter(|t| t.state != TimerState::Cancelled)
        .max_by_key(|t| t.started_at)
        .or_else(|| signs().max_by_key(|t| t.started_at))
}

/// The latest started of the order's `clock` timers that `belongs` accepts: a clock that
/// started again (a redo after a send-back, a case's next rung) replaces the one before.
/// On equal starts the later in key order wins ([`store::lock_order_timers`] orders by
/// clock and party), which is the restarted one: its party extends the first's.
fn latest_clock(
    timers: &[Timer],
    clock: DeadlineClock,
    belongs: impl Fn(&Timer) -> bool,
) -> Option<&Timer> {
    timers
        .iter()
        .filter(|t| t.clock == clock && belongs(t))
        .max_by_key(|t| t.started_at)
}

/// The order's handling clock in force: the redo's after a send-back, else the first.
pub(crate) fn current_handling_clock(timers: &[Timer]) -> Option<&Timer> {
    latest_clock(timers, DeadlineClock::Handling, |_| true)
}

/// The rectification clock in force of a supervision case: its current rung's.
fn case_clock(timers: &[Timer], case_id: Uuid) -> Option<&Timer> {
    latest_clock(timers, DeadlineClock::Rectification, |t| {
        t.case_id() == Some(case_id)
    })
}

/// The sign clock a sign by `unit_id` settles: that unit's latest, else the one in force.
pub(crate) fn sign_clock_of<'a>(timers: &'a [Timer], unit_id: &str) -> Option<&'a Timer> {
    timers
        .iter()
        .filter(|t| t.clock == DeadlineClock::Sign && t.unit_id == unit_id)
        .max_by_key(|t| t.started_at)
        .or_else(|| current_sign_clock(timers))
}

/// What a sign does to the order's timers (the rules of both the single and the batch
/// form): the sign clock it settles and its new state (`None`: settled already, kept as
/// is). No sign clock yet: the dispatch that starts it comes first on the stream and, not
/// applied, was returned for a later retry (e.g. a calendar year missing); the sign waits
/// for it rather than be lost.
pub(crate) fn sign_outcome<'a>(
    timers: &'a [Timer],
    signed: &OrderSigned,
) -> Result<(&'a Timer, Option<TimerState>), HandlerError> {
    let Some(timer) = sign_clock_of(timers, &signed.unit_id) else {
        return Err(HandlerError::transient(format!(
            "order {} signed before its sign clock was started",
            signed.order_id
        )));
    };
    let outcome = next_state(
        timer.view(),
        TimerEvent::Signed {
            at: signed.signed_at,
        },
    );
    if outcome.is_none() {
        tracing::info!(
            state = timer.state.code(),
            "sign for a sign clock already settled; kept as is"
        );
    }
    Ok((timer, outcome))
}

/// Whether a sign settling `sign_timer` (as it was before the sign) starts the handling
/// clock: not on an order already closed, nor without the kind recorded at dispatch.
pub(crate) fn handling_can_start(sign_timer: &Timer) -> bool {
    if sign_timer.state == TimerState::Cancelled {
        tracing::info!("sign for an order already closed; no handling clock");
        return false;
    }
    if sign_timer.kind.is_none() {
        tracing::warn!(
            "sign timer predates recorded kinds; no handling clock can be chosen for it"
        );
        return false;
    }
    true
}

/// What a result does to the order's timers: the handling clock in force and its new state
/// (`None`: settled already, kept as is), or nothing when the order has no handling clock
/// to stop (closed before signing, or a timer from before kinds were recorded). A handling
/// clock that should exist and does not yet means the sign that starts it has not been
/// applied (it went back for a retry): the result waits for it rather than be lost.
pub(crate) fn result_outcome<'a>(
    timers: &'a [Timer],
    submitted: &OrderResultSubmitted,
) -> Result<Option<(&'a Timer, Option<TimerState>)>, HandlerError> {
    let Some(timer) = current_handling_clock(timers) else {
        return match current_sign_clock(timers) {
            Some(t) if t.state == TimerState::Cancelled || t.kind.is_none() => {
                tracing::info!("result for an order without a handling clock; nothing to do");
                Ok(None)
            }
            _ => Err(HandlerError::transient(format!(
                "order {} submitted a result before its handling clock was started",
                submitted.order_id
            ))),
        };
    };
    let at = submitted.submitted_at;
    let outcome = next_state(timer.view(), TimerEvent::ResultSubmitted { at });
    if outcome.is_none() {
        tracing::info!(
            state = timer.state.code(),
            "result for a handling clock already settled; kept as is"
        );
    }
    Ok(Some((timer, outcome)))
}

/// How a calendar failure ends the handling of an event.
///
/// A missing year is an operator's job (load the State Council schedule, see
/// `deadline_watcher.calendar_file`): the event is retried, never given a guessed deadline,
/// and the failure is logged as an error so it is seen. Anything else cannot get better by
/// retrying.
pub fn calendar_failure(error: CalendarError) -> HandlerError {
    match error {
        CalendarError::MissingYear(year) => {
            tracing::error!(year, %error, "cannot compute a deadline: the working-day calendar lacks a year");
            HandlerError::transient(error.to_string())
        }
        other => HandlerError::permanent(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_calendar_year_is_retried_and_names_the_year() {
        let HandlerError::Transient(reason) = calendar_failure(CalendarError::MissingYear(2027))
        else {
            panic!("a missing year must be transient");
        };
        assert!(reason.contains("2027"), "{reason}");
    }

    #[test]
    fn other_calendar_failures_are_permanent() {
        let error = CalendarError::TooManyWorkingDays { n: 9999, max: 3650 };
        assert!(matches!(
            calendar_failure(error),
            HandlerError::Permanent(_)
        ));
    }
}
