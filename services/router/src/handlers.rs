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
//! Redelivery: the consumer's inbox absorbs a redelivered message; a *different* event
//! for an order that already has an assignment (a re-registration, a replay) finds the
//! row and changes nothing, so an order is dispatched once whatever arrives twice.

use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use hotline_contract::Event;
use hotline_contract::events::{OrderDispatched, OrderRegistered};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_reference::Regions;
use sqlx::PgConnection;

use crate::domain::dispatch::decide;
use crate::store::{self, Inserted, NewAssignment};

/// Dispatches every registered order to its handling unit (A9, A12).
#[derive(Debug, Clone)]
pub struct Dispatcher {
    pub outbox: Outbox,
    pub regions: Arc<Regions>,
}

impl EventHandler for Dispatcher {
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
}

impl Dispatcher {
    async fn dispatch(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        order: OrderRegistered,
    ) -> Result<(), HandlerError> {
        let rules = match order.category.as_deref() {
            Some(category) => store::active_rules(tx, category).await?,
            None => Vec::new(),
        };
        let units = store::active_unit_ids(tx).await?;
        let decision = decide(
            order.category.as_deref(),
            &order.region_code,
            &rules,
            &self.regions,
            &units,
        );
        // Microseconds: what PostgreSQL keeps, so the event and the row agree.
        let dispatched_at = Utc::now().trunc_subsecs(6);
        let inserted = store::insert_assignment(
            tx,
            &NewAssignment {
                order_id: order.order_id,
                number: &order.number,
                unit_id: &decision.unit_id,
                basis: decision.basis,
                rule_id: decision.rule_id.as_deref(),
                kind: order.kind.code(),
                urgency: order.urgency.code(),
                dispatched_at,
                traceparent: event.trace.to_string(),
            },
        )
        .await?;
        match inserted {
            Inserted::Created => {}
            Inserted::OrderAlreadyAssigned => {
                tracing::info!(order_id = %order.order_id, "order already dispatched; nothing to do");
                return Ok(());
            }
            Inserted::NumberTaken => {
                return Err(HandlerError::permanent(format!(
                    "order number {} already belongs to another order",
                    order.number
                )));
            }
        }
        self.outbox
            .append(
                tx,
                &event.trace,
                OrderDispatched {
                    order_id: order.order_id,
                    number: order.number.clone(),
                    unit_id: decision.unit_id.clone(),
                    basis: decision.basis,
                    rule_id: decision.rule_id.clone(),
                    kind: order.kind,
                    urgency: order.urgency,
                    dispatched_at,
                },
            )
            .await?;
        let basis = decision.basis.code();
        // Counted before the commit: a transaction that fails and is retried counts twice,
        // which a rate panel tolerates; exact counts come from analytics.
        metrics::counter!("hotline_orders_dispatched_total", "basis" => basis).increment(1);
        tracing::info!(
            order_id = %order.order_id,
            unit_id = %decision.unit_id,
            basis,
            rule_id = decision.rule_id.as_deref(),
            "order dispatched"
        );
        Ok(())
    }
}
