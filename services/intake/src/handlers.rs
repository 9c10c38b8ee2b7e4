//! Intake's status projection: every order event moves the public status forward, so the
//! progress query (A11) answers from intake's own tables. It also records redispatches,
//! which category suggestion (A12) keeps out of its training set.

use chrono::{DateTime, Utc};
use hotline_contract::Event;
use hotline_contract::events::{
    Closure, DeadlineClock, DeadlineRescheduled, DeadlineScheduled, OrderClosed, OrderDispatched,
    OrderRedispatched, OrderRegistered, OrderResultSubmitted, OrderSigned,
};
use hotline_contract::transfer::{
    OrderTransferAccepted, OrderTransferRejected, OrderTransferTimedOut,
};
use hotline_contract::vocabulary::OrderStatus;
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store;
use crate::transfer_outcomes::{self, Outcome};

/// Keeps `intake.order_status` current.
#[derive(Debug, Clone)]
pub struct StatusProjection {
    /// For asking the router for the unit's reply when an order closes after review.
    pub nats: async_nats::Client,
    pub namespace: hotline_contract::Namespace,
}

impl StatusProjection {
    /// A11, A16: the requester sees the unit's reply once the order is closed. The reply
    /// lives with the router (free text never travels in events), so it is fetched here;
    /// a failure is transient and the event is retried.
    async fn fetch_reply(
        &self,
        event: &IncomingEvent,
        order_id: Uuid,
    ) -> Result<String, HandlerError> {
        let query = hotline_contract::rpc::ResultReplyQuery { order_id };
        let reply: hotline_contract::rpc::ResultReply = hotline_messaging::call(
            &self.nats,
            &self.namespace,
            hotline_contract::rpc::verbs::ROUTER_RESULT_REPLY,
            &query,
            &event.trace,
            std::time::Duration::from_secs(5),
        )
        .await
        .map_err(|e| HandlerError::transient(format!("result reply from the router: {e}")))?;
        Ok(reply.reply)
    }
}

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
                if e.closure == Closure::ResultAccepted && known(tx, e.order_id).await? {
                    let reply = self.fetch_reply(event, e.order_id).await?;
                    store::set_reply(tx, e.order_id, &reply).await?;
                }
                (e.order_id, OrderStatus::Closed, e.closed_at)
            }
            DeadlineScheduled::TYPE => {
                let e = env.decode::<DeadlineScheduled>()?.data;
                return set_due(tx, e.order_id, e.clock, e.due_at).await;
            }
            // An extension (A14) or the end of a suspension moved the deadline: the latest
            // due instant is the one the requester is told.
            DeadlineRescheduled::TYPE => {
                let e = env.decode::<DeadlineRescheduled>()?.data;
                return set_due(tx, e.order_id, e.clock, e.due_at).await;
            }
            // A12, A13: a redispatched order's category was put in question; category
            // suggestion stops learning from it. The public status stays "dispatched".
            OrderRedispatched::TYPE => {
                let e = env.decode::<OrderRedispatched>()?.data;
                crate::category::record_redispatch(tx, e.order_id, e.redispatched_at).await?;
                return Ok(());
            }
            // Issue 8 (A10.1): the partner's answer to a transfer, shown as a note.
            OrderTransferAccepted::TYPE => {
                let e = env.decode::<OrderTransferAccepted>()?.data;
                return transfer_outcome(
                    tx,
                    e.order_id,
                    &e.partner_code,
                    Outcome::Accepted,
                    None,
                    e.accepted_at,
                )
                .await;
            }
            OrderTransferRejected::TYPE => {
                let e = env.decode::<OrderTransferRejected>()?.data;
                let reason = Some(e.reason.as_str());
                return transfer_outcome(
                    tx,
                    e.order_id,
                    &e.partner_code,
                    Outcome::Rejected,
                    reason,
                    e.rejected_at,
                )
                .await;
            }
            OrderTransferTimedOut::TYPE => {
                let e = env.decode::<OrderTransferTimedOut>()?.data;
                return transfer_outcome(
                    tx,
                    e.order_id,
                    &e.partner_code,
                    Outcome::TimedOut,
                    None,
                    e.timed_out_at,
                )
                .await;
            }
            // Events this projection does not show (yet) are acknowledged and skipped.
            _ => return Ok(()),
        };
        if !store::advance_status(tx, order_id, status, at).await? {
            // Every order is registered here first; an event for an order we do not know
            // is not ours to show (another tenant, or data repaired by hand).
            tracing::warn!(%order_id, "status event for an order intake does not know; skipped");
        }
        Ok(())
    }
}

/// Record a clock's due instant on an order this service registered.
async fn set_due(
    tx: &mut PgConnection,
    order_id: Uuid,
    clock: DeadlineClock,
    due_at: DateTime<Utc>,
) -> Result<(), HandlerError> {
    // An order intake does not know has no status row: the update changes nothing.
    match clock {
        DeadlineClock::Sign => store::set_sign_due(tx, order_id, due_at).await?,
        // A11: the expected completion date the requester sees.
        DeadlineClock::Handling => store::set_handling_due(tx, order_id, due_at).await?,
        // A co-unit's or a supervised unit's own deadline is not the requester's.
        DeadlineClock::CoHandling | DeadlineClock::Rectification => {}
    }
    Ok(())
}

/// Record a transfer outcome for an order this service registered.
async fn transfer_outcome(
    tx: &mut PgConnection,
    order_id: Uuid,
    partner_code: &str,
    outcome: Outcome,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), HandlerError> {
    if known(tx, order_id).await? {
        transfer_outcomes::record(tx, order_id, partner_code, outcome, reason, at).await?;
    }
    Ok(())
}

async fn known(tx: &mut PgConnection, order_id: Uuid) -> Result<bool, HandlerError> {
    Ok(store::order_exists(tx, order_id).await?)
}
