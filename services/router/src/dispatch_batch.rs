//! The dispatcher's batch form: a consumer batch of registrations dispatched with a few
//! set-based statements instead of six round trips per order.
//!
//! Under load the `router-dispatch` consumer hands up to `consumer_batch_max`
//! registrations to [`Dispatcher::dispatch_batch`] in one transaction. One lane applies
//! its batches one after another, so every round trip of a batch is on the path from
//! registered to dispatched; on a saturated machine each round trip also waits for the
//! scheduler. The batch form reads and writes with one statement per step, whatever the
//! batch's size:
//!
//! 1. the active rules of every category of the batch over every territory of its orders
//!    (a superset, narrowed per order to exactly what [`store::active_rules`] reads);
//! 2. which of all the candidate units are active (narrowed per order to its candidates);
//! 3. which of the decided orders are already in consultation;
//! 4. the assignments and their `dispatch_log` rows (one statement, in stream order);
//! 5. the `order.dispatched` events (one multi-row outbox insert, in stream order).
//!
//! The decision for each order is the same pure `decide_for_kind` over the same rules
//! and units, so the batch ends where the events one by one would. What is rare goes the
//! single-event way: an order with no decision is queued for consultation (A12) one at a
//! time, and a batch with anything but registrations, or with one order twice, is applied
//! event by event. A registration whose number another order holds fails the batch; the
//! consumer then applies its events one at a time, and only that one is dead-lettered.
//! `services/router/tests/dispatch_batches.rs` checks the equivalence.

use std::collections::HashSet;

use chrono::{SubsecRound, Utc};
use hotline_contract::Event;
use hotline_contract::events::OrderRegistered;
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent};
use sqlx::PgConnection;

use crate::domain::dispatch::{Decision, DispatchRule, candidate_units, region_chain};
use crate::handlers::{
    Dispatcher, count_dispatch, dispatched_event, dispatcher_of, new_assignment, number_taken,
};
use crate::store;

/// One registration of the batch with what was decided for it.
struct Planned<'a> {
    event: &'a IncomingEvent,
    order: OrderRegistered,
    decision: Option<Decision>,
}

impl Dispatcher {
    /// Dispatch a batch of registrations (see the module doc); `events` are in stream
    /// order and none is a duplicate of an applied one.
    pub(crate) async fn dispatch_batch(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        let mut orders = Vec::with_capacity(events.len());
        let mut seen = HashSet::with_capacity(events.len());
        for event in events {
            if event.envelope.event_type != OrderRegistered::TYPE {
                return self.one_by_one(tx, events).await;
            }
            let order = event.envelope.decode::<OrderRegistered>()?.data;
            if !seen.insert(order.order_id) {
                // A re-registration in the same batch: the second finds the first's row.
                return self.one_by_one(tx, events).await;
            }
            orders.push((*event, order));
        }
        let planned = self.decide_all(tx, orders).await?;
        // Microseconds: what PostgreSQL keeps, so the event and the row agree.
        let dispatched_at = Utc::now().trunc_subsecs(6);

        for plan in planned.iter().filter(|p| p.decision.is_none()) {
            self.queue_for_consultation(tx, plan.event, &plan.order, dispatched_at)
                .await?;
        }
        let decided: Vec<&Planned<'_>> = planned.iter().filter(|p| p.decision.is_some()).collect();
        if decided.is_empty() {
            return Ok(());
        }
        let ids: Vec<_> = decided.iter().map(|p| p.order.order_id).collect();
        let consulting = store::in_consultation_among(tx, &ids).await?;
        let to_assign: Vec<(&Planned<'_>, &Decision, String)> = decided
            .into_iter()
            .filter_map(|p| {
                let decision = p.decision.as_ref()?;
                if consulting.contains(&p.order.order_id) {
                    tracing::info!(order_id = %p.order.order_id, "order already in consultation; nothing to do");
                    return None;
                }
                Some((p, decision, dispatcher_of(decision)))
            })
            .collect();
        if to_assign.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = to_assign
            .iter()
            .map(|(p, decision, dispatcher)| {
                new_assignment(&p.order, decision, dispatched_at, p.event, dispatcher)
            })
            .collect();
        let created = store::insert_assignments(tx, &rows).await?;
        let missing: Vec<_> = to_assign
            .iter()
            .map(|(p, _, _)| p.order.order_id)
            .filter(|id| !created.contains(id))
            .collect();
        if !missing.is_empty() {
            let assigned = store::assigned_among(tx, &missing).await?;
            for (p, _, _) in &to_assign {
                let id = p.order.order_id;
                if created.contains(&id) {
                    continue;
                }
                if !assigned.contains(&id) {
                    return Err(number_taken(&p.order));
                }
                tracing::info!(order_id = %id, "order already dispatched; nothing to do");
            }
        }
        let announced: Vec<_> = to_assign
            .iter()
            .filter(|(p, _, _)| created.contains(&p.order.order_id))
            .collect();
        self.outbox
            .append_all(
                tx,
                announced.iter().map(|(p, decision, _)| {
                    (
                        p.event.trace,
                        dispatched_event(&p.order, decision, dispatched_at),
                    )
                }),
            )
            .await?;
        for (p, decision, _) in announced {
            count_dispatch(&p.order, decision);
        }
        Ok(())
    }

    /// Decide every order of the batch: two reads for all of them, then the pure rule.
    async fn decide_all<'a>(
        &self,
        tx: &mut PgConnection,
        orders: Vec<(&'a IncomingEvent, OrderRegistered)>,
    ) -> Result<Vec<Planned<'a>>, HandlerError> {
        let chains: Vec<Vec<String>> = orders
            .iter()
            .map(|(_, order)| region_chain(&order.region_code, &self.regions))
            .collect();
        // As in the single form: rules are read for an order with a category and a known
        // region only.
        let mut categories: Vec<&str> = Vec::new();
        let mut territories: Vec<String> = Vec::new();
        for ((_, order), chain) in orders.iter().zip(&chains) {
            if let Some(category) = order.category.as_deref().filter(|_| !chain.is_empty()) {
                categories.push(category);
                territories.extend(chain.iter().cloned());
            }
        }
        categories.sort_unstable();
        categories.dedup();
        territories.sort_unstable();
        territories.dedup();
        let rules = if categories.is_empty() {
            Vec::new()
        } else {
            store::active_rules_among(tx, &categories, &territories).await?
        };
        let per_order: Vec<_> = orders
            .iter()
            .zip(&chains)
            .map(|((_, order), chain)| {
                let rules = match order.category.as_deref() {
                    Some(category) if !chain.is_empty() => covering(&rules, category, chain),
                    _ => Vec::new(),
                };
                let candidates = candidate_units(&order.region_code, &rules, &self.regions);
                (rules, candidates)
            })
            .collect();
        let mut all_candidates: Vec<String> = per_order
            .iter()
            .flat_map(|(_, candidates)| candidates.iter().cloned())
            .collect();
        all_candidates.sort_unstable();
        all_candidates.dedup();
        let active = store::active_among(tx, &all_candidates).await?;
        Ok(orders
            .into_iter()
            .zip(per_order)
            .map(|((event, order), (rules, candidates))| {
                // Only the order's own candidates count, as in the single form.
                let units: HashSet<String> = candidates
                    .into_iter()
                    .filter(|id| active.contains(id))
                    .collect();
                let decision = self.decide(&order, &rules, &units);
                Planned {
                    event,
                    order,
                    decision,
                }
            })
            .collect())
    }

    async fn one_by_one(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        for event in events {
            self.handle(&mut *tx, event).await?;
        }
        Ok(())
    }
}

/// The rules of `category` over the territories of `chain`: what [`store::active_rules`]
/// reads for one order.
fn covering(rules: &[DispatchRule], category: &str, chain: &[String]) -> Vec<DispatchRule> {
    rules
        .iter()
        .filter(|r| r.category == category && chain.contains(&r.region_code))
        .cloned()
        .collect()
}
