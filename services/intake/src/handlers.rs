//! Intake's status projection: every order event moves the public status forward, so the
//! progress query (A11) answers from intake's own tables.

use hotline_contract::Event;
use hotline_contract::events::{
    DeadlineClock, DeadlineScheduled, OrderClosed, OrderDispatched, OrderRegistered,
    OrderResultSubmitted, OrderSigned,
};
use hotline_contract::vocabulary::OrderStatus;
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store;

/// Keeps `intake.order_status` current.
#[derive(Debug, Clone, Default)]
pub struct StatusProjection;

impl EventHandler for StatusProjection {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        let (order_id, status, at) = match env.event_type.as_str() {
            OrderRegistered::TYPE => return Ok(()), // written at registration
            OrderDispatched::TYPE => {
                let e = env.decode::<OrderDispatched>()?.data;
                (e.order_id, OrderStatus::Dispatched, e.dispatched_at)
            }
            OrderSigned::TYPE => {
                let e = env.decode::<OrderSigned>()?.data;
                (e.order_id, OrderStatus::Signed, e.signed_at)
            }
            OrderResultSubmitted::TYPE => {
                let e = env.decode::<OrderResultSubmitted>()?.data;
                (e.order_id, OrderStatus::ResultSubmitted, e.submitted_at)
            }
            OrderClosed::TYPE => {
                let e = env.decode::<OrderClosed>()?.data;
                (e.order_id, OrderStatus::Closed, e.closed_at)
            }
            DeadlineScheduled::TYPE => {
                let e = env.decode::<DeadlineScheduled>()?.data;
                if e.clock == DeadlineClock::Sign && known(tx, e.order_id).await? {
                    store::set_sign_due(tx, e.order_id, e.due_at).await?;
                }
                return Ok(());
            }
            // Events this projection does not show (yet) are acknowledged and skipped.
            _ => return Ok(()),
        };
        if !known(tx, order_id).await? {
            // Every order is registered here first; an event for an order we do not know
            // is not ours to show (another tenant, or data repaired by hand).
            tracing::warn!(%order_id, "status event for an order intake does not know; skipped");
            return Ok(());
        }
        store::advance_status(tx, order_id, status, at).await?;
        Ok(())
    }
}

async fn known(tx: &mut PgConnection, order_id: Uuid) -> Result<bool, HandlerError> {
    Ok(store::order_exists(tx, order_id).await?)
}
