//! What the router does with the events it consumes.
//!
//! [`Dispatcher`] (durable consumer `router-dispatch` on `hotline.order.registered`): each
//! registered order is dispatched at once (A9: help, complaints, reports and suggestions
//! go straight to the unit whose duty it is; consultations the knowledge base could not
//! answer likewise). The decision is [`crate::domain::dispatch::decide`] over the rules
//! and units as they are in the database at that moment; the assignment row and the
//! `order.dispatched` event are written in the consumer's transaction, so they commit
//! together with the inbox row or not at all.
//!
//! Neither a clear unit nor a known region: the order is queued for the pre-dispatch
//! consultation (会商, A12) and `order.consultation_opened` announced; the center decides
//! its units through [`crate::desk`].
//!
//! Redelivery: the consumer's inbox absorbs a redelivered message; a *different* event
//! for an order that already has an assignment (a re-registration, a replay) finds the
//! row and changes nothing, so an order is dispatched once whatever arrives twice.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use hotline_contract::Event;
use hotline_contract::events::{
    OrderConsultationOpened, OrderDispatched, OrderRegistered, OrderSentBack,
};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_reference::Regions;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::dispatch::{
    Decision, DispatchRule, candidate_units, decide_for_kind, region_chain,
};
use crate::domain::handling::AssignmentStatus;
use crate::store::{self, Inserted, NewAssignment};

/// Dispatches every registered order to its handling unit (A9, A12).
#[derive(Debug, Clone)]
pub struct Dispatcher {
    pub outbox: Outbox,
    pub regions: Arc<Regions>,
}

impl EventHandler for Dispatcher {
    const BATCHED: bool = true;

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        match event.envelope.event_type.as_str() {
            OrderRegistered::TYPE => {
                let order = event.envelope.decode::<OrderRegistered>()?.data;
                self.dispatch(tx, event, order).await
            }
            // The filter only lets registrations through; anything else is not ours.
            _ => Ok(()),
        }
    }

    /// A batch of registrations is dispatched set-based (`crate::dispatch_batch`).
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        self.dispatch_batch(tx, events).await
    }
}

impl Dispatcher {
    /// The pure decision (A9, A12) for `order` over the rules covering it and the active
    /// units among its candidates.
    pub(crate) fn decide(
        &self,
        order: &OrderRegistered,
        rules: &[DispatchRule],
        units: &HashSet<String>,
    ) -> Option<Decision> {
        decide_for_kind(
            order.category.as_deref(),
            Some(order.kind.code()),
            &order.region_code,
            rules,
            &self.regions,
            units,
        )
    }

    async fn dispatch(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        order: OrderRegistered,
    ) -> Result<(), HandlerError> {
        // Only the rules over the order's territories and only the units they could pick
        // are read: two indexed lookups whatever the size of the directory.
        let chain = region_chain(&order.region_code, &self.regions);
        let rules = match order.category.as_deref() {
            Some(category) if !chain.is_empty() => {
                store::active_rules(tx, category, &chain).await?
            }
            _ => Vec::new(),
        };
        let candidates = candidate_units(&order.region_code, &rules, &self.regions);
        let units = store::active_among(tx, &candidates).await?;
        let decision = self.decide(&order, &rules, &units);
        // Microseconds: what PostgreSQL keeps, so the event and the row agree.
        let dispatched_at = Utc::now().trunc_subsecs(6);
        let Some(decision) = decision else {
            return self
                .queue_for_consultation(tx, event, &order, dispatched_at)
                .await;
        };
        if store::in_consultation(tx, order.order_id).await? {
            tracing::info!(order_id = %order.order_id, "order already in consultation; nothing to do");
            return Ok(());
        }
        let dispatcher = dispatcher_of(&decision);
        let assignment = new_assignment(&order, &decision, dispatched_at, event, &dispatcher);
        match store::insert_assignment(tx, &assignment).await? {
            Inserted::Created => {}
            Inserted::OrderAlreadyAssigned => {
                tracing::info!(order_id = %order.order_id, "order already dispatched; nothing to do");
                return Ok(());
            }
            Inserted::NumberTaken => return Err(number_taken(&order)),
        }
        self.outbox
            .append(
                tx,
                &event.trace,
                dispatched_event(&order, &decision, dispatched_at),
            )
            .await?;
        count_dispatch(&order, &decision);
        Ok(())
    }

    /// A12: neither a clear unit nor a known region: the order waits for the center's
    /// consultation (会商).
    pub(crate) async fn queue_for_consultation(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        order: &OrderRegistered,
        opened_at: chrono::DateTime<Utc>,
    ) -> Result<(), HandlerError> {
        let queued = store::insert_consultation(
            tx,
            &store::Consultation {
                order_id: order.order_id,
                number: order.number.clone(),
                kind: order.kind.code().to_owned(),
                urgency: order.urgency.code().to_owned(),
                category: order.category.clone(),
                region_code: order.region_code.clone(),
                traceparent: Some(event.trace.to_string()),
                opened_at,
                status: "open".to_owned(),
            },
        )
        .await?;
        if !queued {
            tracing::info!(order_id = %order.order_id, "order already in consultation; nothing to do");
            return Ok(());
        }
        self.outbox
            .append(
                tx,
                &event.trace,
                OrderConsultationOpened {
                    order_id: order.order_id,
                    number: order.number.clone(),
                    category: order.category.clone(),
                    region_code: order.region_code.clone(),
                    opened_at,
                },
            )
            .await?;
        metrics::counter!("hotline_orders_consultation_total").increment(1);
        tracing::info!(order_id = %order.order_id, "order queued for pre-dispatch consultation");
        Ok(())
    }
}

/// Who decided a dispatch: `rule:<id>`, or the basis (`territorial`).
pub(crate) fn dispatcher_of(decision: &Decision) -> String {
    match &decision.rule_id {
        Some(rule) => format!("rule:{rule}"),
        None => decision.basis.code().to_owned(),
    }
}

/// The assignment row of a decided order; `dispatcher` is [`dispatcher_of`] the decision.
pub(crate) fn new_assignment<'a>(
    order: &'a OrderRegistered,
    decision: &'a Decision,
    dispatched_at: DateTime<Utc>,
    event: &IncomingEvent,
    dispatcher: &'a str,
) -> NewAssignment<'a> {
    NewAssignment {
        order_id: order.order_id,
        number: &order.number,
        unit_id: &decision.unit_id,
        basis: decision.basis,
        rule_id: decision.rule_id.as_deref(),
        rule_version: decision.rule_version,
        category: order.category.as_deref(),
        region_code: &order.region_code,
        kind: order.kind.code(),
        urgency: order.urgency.code(),
        dispatched_at,
        traceparent: event.trace.to_string(),
        dispatch_id: Uuid::now_v7(),
        dispatcher,
    }
}

/// The event that announces a dispatch.
pub(crate) fn dispatched_event(
    order: &OrderRegistered,
    decision: &Decision,
    dispatched_at: DateTime<Utc>,
) -> OrderDispatched {
    OrderDispatched {
        order_id: order.order_id,
        number: order.number.clone(),
        unit_id: decision.unit_id.clone(),
        basis: decision.basis,
        rule_id: decision.rule_id.clone(),
        kind: order.kind,
        urgency: order.urgency,
        dispatched_at,
    }
}

/// A registration whose number another order holds contradicts what is stored.
pub(crate) fn number_taken(order: &OrderRegistered) -> HandlerError {
    HandlerError::permanent(format!(
        "order number {} already belongs to another order",
        order.number
    ))
}

/// The metric and the log line of a dispatch written in this transaction.
pub(crate) fn count_dispatch(order: &OrderRegistered, decision: &Decision) {
    let basis = decision.basis.code();
    // Counted before the commit: a transaction that fails and is retried counts twice,
    // which a rate panel tolerates; exact counts come from analytics.
    metrics::counter!("hotline_orders_dispatched_total", "basis" => basis).increment(1);
    tracing::info!(
        order_id = %order.order_id,
        unit_id = %decision.unit_id,
        basis,
        rule_id = decision.rule_id.as_deref(),
        rule_version = decision.rule_version,
        "order dispatched"
    );
}

/// Returns a sent-back order to its unit (A16.2; durable consumer `router-returns` on
/// `hotline.order.sent_back`): the same unit gets it again, handling (signed), and the
/// redo is counted. A send-back of a result that is not the order's latest, or from a
/// unit that no longer has the order, contradicts what is stored and is dead-lettered.
#[derive(Debug, Clone)]
pub struct Returns;

impl EventHandler for Returns {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        if event.envelope.event_type != OrderSentBack::TYPE {
            return Ok(());
        }
        let sent_back = event.envelope.decode::<OrderSentBack>()?.data;
        let Some(assignment) = store::lock_assignment_by_id(tx, sent_back.order_id).await? else {
            return Err(HandlerError::permanent(format!(
                "order {} was sent back but was never dispatched",
                sent_back.order_id
            )));
        };
        if !store::insert_send_back(tx, &sent_back).await? {
            tracing::info!(order_id = %sent_back.order_id, "result already sent back; nothing to do");
            return Ok(());
        }
        let latest = store::latest_result(tx, sent_back.order_id).await?;
        let Some((result_id, unit_id)) = latest else {
            // The result is on its way from another replica's transaction: retry.
            return Err(HandlerError::transient(format!(
                "order {} sent back before its result was stored",
                sent_back.order_id
            )));
        };
        if result_id != sent_back.result_id
            || unit_id != sent_back.unit_id
            || assignment.unit_id != sent_back.unit_id
            || assignment.status != AssignmentStatus::ResultSubmitted.code()
        {
            return Err(HandlerError::permanent(format!(
                "send-back of result {} of order {} does not match its latest result",
                sent_back.result_id, sent_back.order_id
            )));
        }
        store::return_to_unit(tx, sent_back.order_id).await?;
        metrics::counter!("hotline_orders_sent_back_total").increment(1);
        tracing::info!(order_id = %sent_back.order_id, unit_id = %sent_back.unit_id, reason = %sent_back.reason_code, "order returned to its unit for a redo");
        Ok(())
    }
}
