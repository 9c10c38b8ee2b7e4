//! Intake's status projection: every order event moves the public status forward, so the
//! progress query (A11) answers from intake's own tables. It also records redispatches,
//! which category suggestion (A12) keeps out of its training set.
//!
//! An order closed after review shows the unit's reply, which only the router holds: each
//! such close asks the router for it. A batch asks for all its closes' replies at once
//! (concurrently, before its writes), so a consumer with one lane does not wait for the
//! router once per close, and writes those replies with one statement together with the
//! run's status moves; a reply that could not be had that way is asked for again when its
//! event is applied on its own, with the usual transient-failure rules.

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

use crate::store::{self, DueInstants, StatusMove};
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

/// What one event does to the projection: most events are a status move or a due
/// instant, which a batch applies with one statement each ([`store::advance_statuses`],
/// [`store::set_due_instants`]); the rest are applied on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Advance(StatusMove),
    Due {
        order_id: Uuid,
        clock: DeadlineClock,
        due_at: DateTime<Utc>,
    },
    /// Needs more than a status move ([`StatusProjection::apply_other`]).
    Other,
}

fn step_of(env: &hotline_contract::RawEnvelope) -> Result<Step, HandlerError> {
    let advance = |order_id, status, at| {
        Step::Advance(StatusMove {
            order_id,
            status,
            at,
        })
    };
    Ok(match env.event_type.as_str() {
        OrderDispatched::TYPE => {
            let e = env.decode::<OrderDispatched>()?.data;
            advance(e.order_id, OrderStatus::Dispatched, e.dispatched_at)
        }
        OrderSigned::TYPE => {
            let e = env.decode::<OrderSigned>()?.data;
            advance(e.order_id, OrderStatus::Signed, e.signed_at)
        }
        OrderResultSubmitted::TYPE => {
            let e = env.decode::<OrderResultSubmitted>()?.data;
            advance(e.order_id, OrderStatus::ResultSubmitted, e.submitted_at)
        }
        OrderClosed::TYPE => {
            let e = env.decode::<OrderClosed>()?.data;
            if e.closure == Closure::ResultAccepted {
                // The unit's reply is fetched first.
                Step::Other
            } else {
                advance(e.order_id, OrderStatus::Closed, e.closed_at)
            }
        }
        DeadlineScheduled::TYPE => {
            let e = env.decode::<DeadlineScheduled>()?.data;
            Step::Due {
                order_id: e.order_id,
                clock: e.clock,
                due_at: e.due_at,
            }
        }
        // An extension (A14) or the end of a suspension moved the deadline: the latest
        // due instant is the one the requester is told.
        DeadlineRescheduled::TYPE => {
            let e = env.decode::<DeadlineRescheduled>()?.data;
            Step::Due {
                order_id: e.order_id,
                clock: e.clock,
                due_at: e.due_at,
            }
        }
        _ => Step::Other,
    })
}

impl EventHandler for StatusProjection {
    const BATCHED: bool = true;

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let mut pending = Pending::default();
        match step_of(&event.envelope)? {
            Step::Other => return self.apply_other(tx, event, &Replies::new()).await,
            step => pending.push(step),
        }
        pending.flush(tx).await
    }

    /// Status moves and due instants are gathered and written by one statement each;
    /// any other event first writes what was gathered, so the order of effects is kept.
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        let replies = self.prefetch_replies(events).await;
        let mut pending = Pending::default();
        for event in events {
            match step_of(&event.envelope)? {
                Step::Other => match prefetched_close(event, &replies) {
                    // A close whose reply is in hand is a status move and a reply,
                    // written with the run's others.
                    Some((closed, reply)) => pending.close(closed, reply),
                    None => {
                        pending.flush(tx).await?;
                        self.apply_other(tx, event, &replies).await?;
                    }
                },
                step => pending.push(step),
            }
        }
        pending.flush(tx).await
    }
}

/// Units' replies fetched ahead for a batch, by order.
type Replies = std::collections::HashMap<Uuid, String>;

impl StatusProjection {
    /// The replies of the batch's orders closed after review, asked for concurrently. An
    /// order whose reply could not be had is left out (its event asks again).
    async fn prefetch_replies(&self, events: &[&IncomingEvent]) -> Replies {
        let closes = events.iter().filter_map(|event| {
            if event.envelope.event_type != OrderClosed::TYPE {
                return None;
            }
            let e = event.envelope.decode::<OrderClosed>().ok()?.data;
            (e.closure == Closure::ResultAccepted).then_some((*event, e.order_id))
        });
        let asked = closes.map(|(event, order_id)| async move {
            (order_id, self.fetch_reply(event, order_id).await)
        });
        futures::future::join_all(asked)
            .await
            .into_iter()
            .filter_map(|(order_id, reply)| Some((order_id, reply.ok()?)))
            .collect()
    }

    /// The events that are not a plain status move or due instant; `replies` holds the
    /// units' replies already fetched for the batch.
    async fn apply_other(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        replies: &Replies,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        match env.event_type.as_str() {
            OrderRegistered::TYPE => Ok(()), // written at registration
            // A11, A16: closed after review; the requester sees the unit's reply.
            OrderClosed::TYPE => {
                let e = env.decode::<OrderClosed>()?.data;
                if !known(tx, e.order_id).await? {
                    tracing::warn!(order_id = %e.order_id, "status event for an order intake does not know; skipped");
                    return Ok(());
                }
                let reply = match replies.get(&e.order_id) {
                    Some(reply) => reply.clone(),
                    None => self.fetch_reply(event, e.order_id).await?,
                };
                store::set_reply(tx, e.order_id, &reply).await?;
                let closed = StatusMove {
                    order_id: e.order_id,
                    status: OrderStatus::Closed,
                    at: e.closed_at,
                };
                store::advance_statuses(tx, &[closed]).await?;
                Ok(())
            }
            // A12, A13: a redispatched order's category was put in question; category
            // suggestion stops learning from it. The public status stays "dispatched".
            OrderRedispatched::TYPE => {
                let e = env.decode::<OrderRedispatched>()?.data;
                crate::category::record_redispatch(tx, e.order_id, e.redispatched_at).await?;
                Ok(())
            }
            // Issue 8 (A10.1): the partner's answer to a transfer, shown as a note.
            OrderTransferAccepted::TYPE => {
                let e = env.decode::<OrderTransferAccepted>()?.data;
                transfer_outcome(
                    tx,
                    e.order_id,
                    &e.partner_code,
                    Outcome::Accepted,
                    None,
                    e.accepted_at,
                )
                .await
            }
            OrderTransferRejected::TYPE => {
                let e = env.decode::<OrderTransferRejected>()?.data;
                let reason = Some(e.reason.as_str());
                transfer_outcome(
                    tx,
                    e.order_id,
                    &e.partner_code,
                    Outcome::Rejected,
                    reason,
                    e.rejected_at,
                )
                .await
            }
            OrderTransferTimedOut::TYPE => {
                let e = env.decode::<OrderTransferTimedOut>()?.data;
                transfer_outcome(
                    tx,
                    e.order_id,
                    &e.partner_code,
                    Outcome::TimedOut,
                    None,
                    e.timed_out_at,
                )
                .await
            }
            // Events this projection does not show (yet) are acknowledged and skipped.
            _ => Ok(()),
        }
    }
}

/// A close after review (A11, A16) whose unit's reply the batch already has: the status
/// move and the reply.
fn prefetched_close(event: &IncomingEvent, replies: &Replies) -> Option<(StatusMove, String)> {
    if event.envelope.event_type != OrderClosed::TYPE {
        return None;
    }
    let e = event.envelope.decode::<OrderClosed>().ok()?.data;
    if e.closure != Closure::ResultAccepted {
        return None;
    }
    let reply = replies.get(&e.order_id)?.clone();
    let closed = StatusMove {
        order_id: e.order_id,
        status: OrderStatus::Closed,
        at: e.closed_at,
    };
    Some((closed, reply))
}

/// Status moves, due instants and closes' replies gathered from a run of events, written
/// together.
#[derive(Debug, Default)]
struct Pending {
    moves: Vec<StatusMove>,
    dues: Vec<DueInstants>,
    /// The units' replies of the run's closes, by order (an order closed twice keeps one).
    replies: Vec<(Uuid, String)>,
}

impl Pending {
    /// A close after review: its reply, then its status move (an order intake does not
    /// know has no status row, so both change nothing, as in `apply_other`).
    fn close(&mut self, closed: StatusMove, reply: String) {
        self.replies
            .retain(|(order_id, _)| *order_id != closed.order_id);
        self.replies.push((closed.order_id, reply));
        self.moves.push(closed);
    }

    fn push(&mut self, step: Step) {
        match step {
            Step::Advance(m) => self.moves.push(m),
            Step::Due {
                order_id,
                clock,
                due_at,
            } => {
                let at = match self.dues.iter().position(|d| d.order_id == order_id) {
                    Some(i) => i,
                    None => {
                        self.dues.push(DueInstants {
                            order_id,
                            sign_due_at: None,
                            handling_due_at: None,
                        });
                        self.dues.len() - 1
                    }
                };
                // The later of two instants for one clock is the one that stands.
                match clock {
                    DeadlineClock::Sign => self.dues[at].sign_due_at = Some(due_at),
                    // A11: the expected completion date the requester sees.
                    DeadlineClock::Handling => self.dues[at].handling_due_at = Some(due_at),
                    // A co-unit's or a supervised unit's own deadline is not the requester's.
                    DeadlineClock::CoHandling | DeadlineClock::Rectification => {}
                }
            }
            Step::Other => {}
        }
    }

    async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), HandlerError> {
        store::set_replies(tx, &std::mem::take(&mut self.replies)).await?;
        if !self.moves.is_empty() {
            let known = store::advance_statuses(tx, &self.moves).await?;
            for m in self.moves.iter().filter(|m| !known.contains(&m.order_id)) {
                // Every order is registered here first; an event for an order we do not
                // know is not ours to show (another tenant, or data repaired by hand).
                tracing::warn!(order_id = %m.order_id, "status event for an order intake does not know; skipped");
            }
            self.moves.clear();
        }
        let dues: Vec<DueInstants> = std::mem::take(&mut self.dues)
            .into_iter()
            .filter(|d| d.sign_due_at.is_some() || d.handling_due_at.is_some())
            .collect();
        if !dues.is_empty() {
            // An order intake does not know has no status row: the update changes nothing.
            store::set_due_instants(tx, &dues).await?;
        }
        Ok(())
    }
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
