//! The fact projection's common steps, written together: an order's registration,
//! dispatch, sign-for, first result and close (five of the six events of a worked order)
//! are gathered and written with one statement per kind of step, for all the orders of a
//! consumer batch ([`hotline_messaging::EventHandler::handle_batch`]), instead of one to
//! three statements per event.
//!
//! Why gathering keeps the result: every write of [`crate::store`] fills in only its own
//! columns and keeps the earliest instant (or the first value) whatever the order of the
//! events, so writing the gathered registrations before the gathered dispatches leaves
//! what the events one by one leave. Two limits keep it exact: a kind holds an order once
//! (an upsert may touch a row once per statement: a second event of the same kind and order
//! first flushes what was gathered), and any other event first flushes too, so it is
//! applied after everything before it. `services/analytics/tests/fact_batches.rs` compares
//! the two forms over random runs.

use hotline_contract::events::{
    Closure, OrderClosed, OrderDispatched, OrderRegistered, OrderResultSubmitted, OrderSigned,
};
use hotline_contract::{EnvelopeError, Event, RawEnvelope};
use hotline_workday::Calendar;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::{self, StaffAct};

/// An order event as the fact projection sees it.
#[derive(Debug)]
pub enum Step {
    Registered(OrderRegistered),
    Dispatched(OrderDispatched),
    Signed(OrderSigned),
    ResultSubmitted(OrderResultSubmitted),
    Closed(OrderClosed),
    /// Any other event: applied on its own ([`crate::handlers::Facts`]).
    Other,
}

impl Step {
    /// Decodes the common steps; the rest is [`Step::Other`].
    pub fn of(env: &RawEnvelope) -> Result<Step, EnvelopeError> {
        Ok(match env.event_type.as_str() {
            OrderRegistered::TYPE => Step::Registered(env.decode::<OrderRegistered>()?.data),
            OrderDispatched::TYPE => Step::Dispatched(env.decode::<OrderDispatched>()?.data),
            OrderSigned::TYPE => Step::Signed(env.decode::<OrderSigned>()?.data),
            OrderResultSubmitted::TYPE => {
                Step::ResultSubmitted(env.decode::<OrderResultSubmitted>()?.data)
            }
            OrderClosed::TYPE => Step::Closed(env.decode::<OrderClosed>()?.data),
            _ => Step::Other,
        })
    }
}

/// Steps gathered and not written yet; each kind holds an order at most once.
#[derive(Debug, Default)]
pub struct Gathered {
    registered: Vec<OrderRegistered>,
    dispatched: Vec<OrderDispatched>,
    signed: Vec<OrderSigned>,
    results: Vec<OrderResultSubmitted>,
    closed: Vec<OrderClosed>,
}

impl Gathered {
    /// Whether `step` can join without a flush first (its kind does not hold its order).
    /// [`Step::Other`] never joins.
    pub fn admits(&self, step: &Step) -> bool {
        fn free<T>(gathered: &[T], order_id: Uuid, of: fn(&T) -> Uuid) -> bool {
            !gathered.iter().any(|e| of(e) == order_id)
        }
        match step {
            Step::Registered(e) => free(&self.registered, e.order_id, |g| g.order_id),
            Step::Dispatched(e) => free(&self.dispatched, e.order_id, |g| g.order_id),
            Step::Signed(e) => free(&self.signed, e.order_id, |g| g.order_id),
            Step::ResultSubmitted(e) => free(&self.results, e.order_id, |g| g.order_id),
            Step::Closed(e) => free(&self.closed, e.order_id, |g| g.order_id),
            Step::Other => false,
        }
    }

    /// Gathers `step` (the caller checked [`Gathered::admits`]); [`Step::Other`] is ignored.
    pub fn push(&mut self, step: Step) {
        match step {
            Step::Registered(e) => self.registered.push(e),
            Step::Dispatched(e) => self.dispatched.push(e),
            Step::Signed(e) => self.signed.push(e),
            Step::ResultSubmitted(e) => self.results.push(e),
            Step::Closed(e) => self.closed.push(e),
            Step::Other => {}
        }
    }

    /// Writes what was gathered, one statement per kind (none for an empty kind), and
    /// starts again empty.
    pub async fn flush(
        &mut self,
        tx: &mut PgConnection,
        calendar: &Calendar,
    ) -> Result<(), sqlx::Error> {
        let g = std::mem::take(self);
        store::record_registrations(tx, &refs(&g.registered)).await?;
        let mut times = store::record_dispatches(tx, &refs(&g.dispatched)).await?;
        store::record_signings(tx, &refs(&g.signed)).await?;
        times.extend(store::record_first_results(tx, &refs(&g.results)).await?);
        store::refresh_handling_times(tx, calendar, &times).await?;
        store::record_staff_acts(tx, &g.staff_acts()).await?;
        let closes: Vec<_> = g.closed.iter().map(|e| (e.order_id, e.closed_at)).collect();
        let first_closes = store::record_closes(tx, &closes).await?;
        for e in &g.closed {
            // Counted at the first close seen for the order, so a re-published close is
            // not counted twice.
            if first_closes.contains(&e.order_id) {
                metrics::counter!("hotline_orders_closed_total", "closure" => closure_code(e.closure))
                    .increment(1);
            }
        }
        Ok(())
    }

    /// A19: where a review's time starts (a result) and the reviewer's acceptance.
    fn staff_acts(&self) -> Vec<StaffAct<'_>> {
        let results = self.results.iter().map(|e| StaffAct {
            act: "result_submitted",
            subject_id: e.result_id,
            at: e.submitted_at,
            staff_id: &e.submitted_by,
            order_id: e.order_id,
        });
        let acceptances = self
            .closed
            .iter()
            .filter(|e| e.closure == Closure::ResultAccepted)
            .map(|e| StaffAct {
                act: "accepted",
                subject_id: e.order_id,
                at: e.closed_at,
                staff_id: &e.closed_by,
                order_id: e.order_id,
            });
        results.chain(acceptances).collect()
    }
}

fn refs<T>(events: &[T]) -> Vec<&T> {
    events.iter().collect()
}

/// The low-cardinality label of a closure (the wire word).
fn closure_code(closure: Closure) -> &'static str {
    match closure {
        Closure::ResultAccepted => "result_accepted",
        Closure::AnsweredDirectly => "answered_directly",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_labels_are_the_wire_words() {
        for closure in [Closure::ResultAccepted, Closure::AnsweredDirectly] {
            assert_eq!(
                serde_json::to_value(closure).unwrap(),
                serde_json::Value::from(closure_code(closure))
            );
        }
    }
}
