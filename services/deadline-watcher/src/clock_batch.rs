//! The clocks' batch form: the four events every order goes through, applied to a batch
//! with a few set-based statements instead of three to five round trips per event.
//!
//! Under load the `deadline-watcher-clocks` consumer hands a batch of order events to
//! [`Clocks::handle_events`]. Most of them are the steps of every order's life:
//! `order.dispatched` (start the sign clock), `order.signed` (settle it, start the handling
//! clock), `order.result_submitted` (settle the handling clock) and `order.closed` (cancel
//! what still runs). A run of such events is a *segment*, applied in memory over the
//! timers of its orders and then written at once:
//!
//! 1. read and lock the timers of every order of the segment (one statement);
//! 2. read the active policies of the clocks the segment starts (one statement a clock;
//!    the policies as they are when the segment starts);
//! 3. apply each event in stream order with the same rules as the single-event handlers
//!    ([`crate::domain::timer::next_state`], [`Clocks::schedule`], the same clock
//!    lookups), on the in-memory timers;
//! 4. write the order numbers, the new timers (in their state at the segment's end), the
//!    state changes of the timers that were already stored, and the events (one statement
//!    each, events in stream order).
//!
//! Any other event (a redispatch, a send-back, an extension, a suspension, a supervision
//! case...) ends the segment: what was gathered is written first, then that event is
//! applied by [`Clocks::handle`], so effects keep the stream's order. An event the single
//! form would refuse (a sign before its dispatch was applied, no active policy) fails the
//! batch the same way; the consumer then applies its events one at a time.
//! `services/deadline-watcher/tests/clock_batches.rs` checks that a batch ends where the
//! events one by one end.

use std::collections::HashMap;

use chrono::Utc;
use hotline_contract::Event;
use hotline_contract::events::{
    DeadlineClock, OrderClosed, OrderDispatched, OrderResultSubmitted, OrderSigned,
};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, OutboxRows};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::policy::Policy;
use crate::domain::timer::{TimerEvent, TimerState, clock_code, next_state};
use crate::handlers::{
    ClockStart, Clocks, handling_can_start, overdue_event, result_outcome, scheduled_event,
    sign_outcome,
};
use crate::store::{self, Timer};

/// The events a segment applies.
enum Step {
    Dispatched(OrderDispatched),
    Signed(OrderSigned),
    Submitted(OrderResultSubmitted),
    Closed(OrderClosed),
}

impl Step {
    /// The step of `event`, or `None` for an event a segment does not apply.
    fn of(event: &IncomingEvent) -> Result<Option<Self>, HandlerError> {
        let env = &event.envelope;
        Ok(Some(match env.event_type.as_str() {
            OrderDispatched::TYPE => Step::Dispatched(env.decode()?.data),
            OrderSigned::TYPE => Step::Signed(env.decode()?.data),
            OrderResultSubmitted::TYPE => Step::Submitted(env.decode()?.data),
            OrderClosed::TYPE => Step::Closed(env.decode()?.data),
            _ => return Ok(None),
        }))
    }

    fn order_id(&self) -> Uuid {
        match self {
            Step::Dispatched(e) => e.order_id,
            Step::Signed(e) => e.order_id,
            Step::Submitted(e) => e.order_id,
            Step::Closed(e) => e.order_id,
        }
    }
}

/// One order's timers during a segment, in [`store::lock_order_timers`]'s order.
#[derive(Default)]
struct OrderClocks {
    timers: Vec<Timer>,
    /// Per timer: started in this segment (inserted at the end).
    fresh: Vec<bool>,
    /// Per timer: its state changed in this segment.
    changed: Vec<bool>,
}

impl OrderClocks {
    fn has(&self, clock: DeadlineClock, party: &str) -> bool {
        self.timers
            .iter()
            .any(|t| t.clock == clock && t.party == party)
    }

    /// A timer started in this segment, placed by clock and party.
    fn add(&mut self, timer: Timer) {
        let key = |t: &Timer| (clock_code(t.clock), t.party.clone());
        let at = self
            .timers
            .iter()
            .position(|t| key(t) > key(&timer))
            .unwrap_or(self.timers.len());
        self.timers.insert(at, timer);
        self.fresh.insert(at, true);
        self.changed.insert(at, false);
    }

    /// Move the timer of `clock` and `party` to `state` (what [`store::set_state`] does).
    fn set_state(&mut self, clock: DeadlineClock, party: &str, state: TimerState) {
        if let Some(i) = self
            .timers
            .iter()
            .position(|t| t.clock == clock && t.party == party)
        {
            self.timers[i].state = state;
            self.timers[i].paused_at = None;
            self.changed[i] = true;
        }
    }
}

/// What a segment gathered, written by [`Segment::write`].
struct Segment<'a> {
    clocks: &'a Clocks,
    orders: HashMap<Uuid, OrderClocks>,
    /// The active policies of the clocks the segment starts, by clock code.
    policies: HashMap<&'static str, Vec<Policy>>,
    numbers: Vec<(Uuid, String)>,
    events: OutboxRows,
}

impl Clocks {
    /// Apply a consumer batch (see the module doc); `events` are in stream order and none
    /// is a duplicate of an applied one.
    pub(crate) async fn handle_events(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        let mut segment = Vec::new();
        for event in events {
            match Step::of(event)? {
                Some(step) => segment.push((*event, step)),
                None => {
                    self.apply_segment(tx, std::mem::take(&mut segment)).await?;
                    self.handle(&mut *tx, event).await?;
                }
            }
        }
        self.apply_segment(tx, segment).await
    }

    async fn apply_segment(
        &self,
        tx: &mut PgConnection,
        steps: Vec<(&IncomingEvent, Step)>,
    ) -> Result<(), HandlerError> {
        if steps.is_empty() {
            return Ok(());
        }
        let mut segment = Segment::load(self, tx, &steps).await?;
        for (event, step) in steps {
            segment.apply(event, step)?;
        }
        segment.write(tx).await
    }
}

impl<'a> Segment<'a> {
    /// Lock the timers of the segment's orders and read the policies it needs.
    async fn load(
        clocks: &'a Clocks,
        tx: &mut PgConnection,
        steps: &[(&IncomingEvent, Step)],
    ) -> Result<Self, HandlerError> {
        let mut ids: Vec<Uuid> = steps.iter().map(|(_, step)| step.order_id()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut orders: HashMap<Uuid, OrderClocks> = HashMap::with_capacity(ids.len());
        for timer in store::lock_timers_of(tx, &ids).await? {
            let order = orders.entry(timer.order_id).or_default();
            order.timers.push(timer);
            order.fresh.push(false);
            order.changed.push(false);
        }
        let mut policies = HashMap::new();
        for (clock, needed) in [
            (
                DeadlineClock::Sign,
                steps.iter().any(|(_, s)| matches!(s, Step::Dispatched(_))),
            ),
            (
                DeadlineClock::Handling,
                steps.iter().any(|(_, s)| matches!(s, Step::Signed(_))),
            ),
        ] {
            if needed {
                policies.insert(clock_code(clock), store::active_policies(tx, clock).await?);
            }
        }
        Ok(Self {
            clocks,
            orders,
            policies,
            numbers: Vec::new(),
            events: OutboxRows::default(),
        })
    }

    /// Apply one event as the single-event handler would (`crate::handlers`).
    fn apply(&mut self, event: &IncomingEvent, step: Step) -> Result<(), HandlerError> {
        match step {
            Step::Dispatched(dispatched) => {
                // The supervision board's near-due list names the order by its number.
                self.numbers
                    .push((dispatched.order_id, dispatched.number.clone()));
                let started = self.start_clock(event, ClockStart::sign(&dispatched))?;
                if !started {
                    tracing::info!(order_id = %dispatched.order_id, "sign clock already started; nothing to do");
                }
                Ok(())
            }
            Step::Signed(signed) => self.signed(event, &signed),
            Step::Submitted(submitted) => self.result_submitted(event, &submitted),
            Step::Closed(closed) => {
                // An order closed without dispatch (answered directly, A9) has no clocks.
                if let Some(order) = self.orders.get_mut(&closed.order_id) {
                    for i in 0..order.timers.len() {
                        if let Some(state) = next_state(order.timers[i].view(), TimerEvent::Closed)
                        {
                            let (clock, party) =
                                (order.timers[i].clock, order.timers[i].party.clone());
                            order.set_state(clock, &party, state);
                        }
                    }
                }
                Ok(())
            }
        }
    }

    fn signed(&mut self, event: &IncomingEvent, signed: &OrderSigned) -> Result<(), HandlerError> {
        let (timer, outcome) = sign_outcome(self.timers_of(signed.order_id), signed)?;
        let timer = timer.clone();
        if let Some(state) = outcome {
            self.settle(event, &timer, state)?;
        }
        // A15: the handling clock runs from the sign, with the limit for the order's kind
        // and urgency recorded on the sign timer.
        if !handling_can_start(&timer) {
            return Ok(());
        }
        let started = self.start_clock(event, ClockStart::handling(signed, &timer))?;
        if !started {
            tracing::info!("handling clock already started; kept as is");
        }
        Ok(())
    }

    fn result_submitted(
        &mut self,
        event: &IncomingEvent,
        submitted: &OrderResultSubmitted,
    ) -> Result<(), HandlerError> {
        let Some((timer, outcome)) = result_outcome(self.timers_of(submitted.order_id), submitted)?
        else {
            return Ok(());
        };
        if let Some(state) = outcome {
            let timer = timer.clone();
            self.settle(event, &timer, state)?;
        }
        Ok(())
    }

    fn timers_of(&self, order_id: Uuid) -> &[Timer] {
        self.orders
            .get(&order_id)
            .map_or(&[][..], |order| order.timers.as_slice())
    }

    /// Move `timer` to `state`; an overdue one is announced.
    fn settle(
        &mut self,
        event: &IncomingEvent,
        timer: &Timer,
        state: TimerState,
    ) -> Result<(), HandlerError> {
        self.orders
            .entry(timer.order_id)
            .or_default()
            .set_state(timer.clock, &timer.party, state);
        if state == TimerState::Overdue {
            tracing::warn!(due_at = %timer.due_at, clock = clock_code(timer.clock), "clock settled after its deadline");
            self.clocks.outbox.stage(
                &mut self.events,
                &event.trace,
                overdue_event(timer, Utc::now()),
            )?;
            metrics::counter!("hotline_deadlines_overdue_total", "clock" => clock_code(timer.clock))
                .increment(1);
        }
        Ok(())
    }

    /// Start a clock under its policy and announce it, unless the order already has it.
    fn start_clock(
        &mut self,
        event: &IncomingEvent,
        start: ClockStart<'_>,
    ) -> Result<bool, HandlerError> {
        let policies = self
            .policies
            .get(clock_code(start.clock))
            .map_or(&[][..], Vec::as_slice);
        // As the single form: the policy is chosen before the stored clock is looked at.
        let (policy, due_at) = self.clocks.schedule(policies, &start)?;
        let order = self.orders.entry(start.order_id).or_default();
        if order.has(start.clock, start.party) {
            return Ok(false);
        }
        order.add(Timer {
            order_id: start.order_id,
            clock: start.clock,
            unit_id: start.unit_id.to_owned(),
            party: start.party.to_owned(),
            started_at: start.started_at,
            due_at,
            policy: policy.label(),
            policy_id: policy.id.clone(),
            policy_version: policy.version,
            kind: start.kind,
            urgency: start.urgency,
            state: TimerState::Running,
            traceparent: Some(event.trace.to_string()),
            stops_when_suspended: policy.stops_when_suspended,
            paused_at: None,
        });
        self.clocks.outbox.stage(
            &mut self.events,
            &event.trace,
            scheduled_event(&start, policy, due_at),
        )?;
        metrics::counter!("hotline_deadlines_scheduled_total", "clock" => clock_code(start.clock))
            .increment(1);
        Ok(true)
    }

    /// Write what the segment gathered: one statement per kind of write.
    async fn write(self, tx: &mut PgConnection) -> Result<(), HandlerError> {
        store::record_order_numbers(tx, &self.numbers).await?;
        let (mut fresh, mut changed) = (Vec::new(), Vec::new());
        for order in self.orders.values() {
            for (i, timer) in order.timers.iter().enumerate() {
                if order.fresh[i] {
                    fresh.push(timer);
                } else if order.changed[i] {
                    changed.push(timer);
                }
            }
        }
        let inserted = store::insert_timers(tx, &fresh).await?;
        if inserted != fresh.len() as u64 {
            // Another transaction started one of these clocks meanwhile (the orders' rows
            // could not be locked before they existed): apply the events one at a time.
            return Err(HandlerError::transient(format!(
                "{} of {} clocks of the batch were started elsewhere meanwhile",
                fresh.len() as u64 - inserted,
                fresh.len()
            )));
        }
        store::set_states(tx, &changed).await?;
        self.clocks.outbox.append_rows(tx, self.events).await?;
        Ok(())
    }
}
