//! What supervision does on each event it consumes.
//!
//! `order.result_submitted` (durable consumer `supervision-review`): the automatic first
//! review (A16, [`crate::domain::review`]). A complete result is accepted, archived and the
//! order closed (`order.closed`, closure `result_accepted`, closed by
//! `rule:complete-result`); an incomplete one is recorded for a human reviewer. The review
//! row and the event commit in the consumer's transaction, with the inbox row. A single
//! result is reviewed as a batch of one by [`crate::review_batch`].
//!
//! `order.dispatched` (`supervision-orders`): the order's number and kind, for the review
//! queue and the archive; with `order.disputed`, `order.redispatched` and
//! `order.consultation_opened`, how its responsibility was settled (hot spots, A17.4). `deadline.reminder` (`supervision-reminders`): the unit is
//! notified once per clock and due instant (A17, [`Reminders`]).

use chrono::Utc;
use hotline_contract::Event;
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox};
use sqlx::PgConnection;

use crate::store;

use crate::cases::{self, Opening};
use crate::notify::{NotificationChannel, UnitNotice};
use hotline_contract::events::{
    DeadlineClock, DeadlineOverdue, DeadlineReminder, OrderDispatched, OrderDisputeMarkedImproper,
    SupervisionLevel, SupervisionMeasure, SupervisionUnitReminded,
};
use uuid::Uuid;

/// Reviews submitted results.
#[derive(Debug, Clone)]
pub struct Reviews {
    pub(crate) outbox: Outbox,
    pub(crate) auto_accept_complete: bool,
}

impl Reviews {
    /// Reviews whose events go out through `outbox`; complete results are accepted at
    /// once when `auto_accept_complete`, otherwise every result waits for a reviewer.
    pub fn new(outbox: Outbox, auto_accept_complete: bool) -> Self {
        Self {
            outbox,
            auto_accept_complete,
        }
    }
}

impl EventHandler for Reviews {
    const BATCHED: bool = true;

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        self.review_all(tx, &[event]).await
    }

    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        self.review_all(tx, events).await
    }
}

/// The `closed_by`/actor of cases opened and escalated by rule.
pub const CASE_RULE: &str = "rule:supervision";

/// Opens and escalates supervision cases (A17) from `deadline.overdue` and
/// `order.dispute_marked_improper` (durable consumer `supervision-cases`).
#[derive(Debug, Clone)]
pub struct Cases {
    outbox: Outbox,
    ladder: Vec<SupervisionLevel>,
}

impl Cases {
    /// Cases whose events go out through `outbox`, escalating along `ladder`.
    pub fn new(outbox: Outbox, ladder: Vec<SupervisionLevel>) -> Self {
        Self { outbox, ladder }
    }

    async fn overdue(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        overdue: DeadlineOverdue,
    ) -> Result<(), HandlerError> {
        let now = Utc::now();
        if overdue.clock == DeadlineClock::Rectification {
            let Some(case_id) = overdue.case_id else {
                return Err(HandlerError::permanent(
                    "rectification overdue without a case id",
                ));
            };
            // A17: still not rectified after the measure: one rung up the ladder.
            cases::escalate(
                tx,
                &self.outbox,
                &event.trace,
                case_id,
                &self.ladder,
                CASE_RULE,
                now,
            )
            .await?;
            return Ok(());
        }
        let Some(reason) = crate::domain::case::overdue_reason(overdue.clock) else {
            return Ok(());
        };
        // A17: a unit late on its sign or handling limit is supervised (a notice first).
        cases::open(
            tx,
            &self.outbox,
            &event.trace,
            Opening {
                order_id: overdue.order_id,
                unit_id: &overdue.unit_id,
                reason_code: reason,
                measure: SupervisionMeasure::Notice,
                opened_by: CASE_RULE,
                dedup_key: Some(format!("{}:{}:{reason}", overdue.order_id, overdue.unit_id)),
            },
            now,
        )
        .await?;
        Ok(())
    }

    async fn improper(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        improper: OrderDisputeMarkedImproper,
    ) -> Result<(), HandlerError> {
        // A13/A17: a dispute the authority found improper is supervised.
        cases::open(
            tx,
            &self.outbox,
            &event.trace,
            Opening {
                order_id: improper.order_id,
                unit_id: &improper.unit_id,
                reason_code: "improper_dispute",
                measure: SupervisionMeasure::Notice,
                opened_by: CASE_RULE,
                dedup_key: Some(format!("dispute:{}", improper.dispute_id)),
            },
            Utc::now(),
        )
        .await?;
        Ok(())
    }
}

impl EventHandler for Cases {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        match env.event_type.as_str() {
            DeadlineOverdue::TYPE => {
                let overdue = env.decode::<DeadlineOverdue>()?.data;
                self.overdue(tx, event, overdue).await
            }
            OrderDisputeMarkedImproper::TYPE => {
                let improper = env.decode::<OrderDisputeMarkedImproper>()?.data;
                self.improper(tx, event, improper).await
            }
            _ => Ok(()),
        }
    }
}

/// Remembers each order's number and kind from `order.dispatched` (durable consumer
/// `supervision-orders`): the review queue and the archive show them. With
/// `order.disputed`, `order.redispatched` and `order.consultation_opened` it also keeps how
/// each order's responsibility was settled, for the hot-spot reports (A17.4,
/// [`crate::hotspots::record_order_fact`]).
#[derive(Debug, Clone)]
pub struct Orders {
    outbox: Outbox,
}

impl Orders {
    /// Hot-spot reports it triggers go out through `outbox`.
    pub fn new(outbox: Outbox) -> Self {
        Self { outbox }
    }
}

impl EventHandler for Orders {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        if env.event_type == OrderDispatched::TYPE {
            let dispatched = env.decode::<OrderDispatched>()?.data;
            store::remember_order(tx, dispatched.order_id, &dispatched.number, dispatched.kind)
                .await?;
        }
        crate::hotspots::record_order_fact(tx, &self.outbox, event).await
    }
}

/// The actor of reminders on the trail.
pub const REMINDER_RULE: &str = "rule:reminder";

/// Notifies units of time limits about to pass (A17), from `deadline.reminder` (durable
/// consumer `supervision-reminders`), through `channel`; publishes
/// `supervision.unit_reminded` for the console. Once per clock and due instant: the inbox
/// absorbs a redelivery, the reminder's key a re-announcement.
#[derive(Debug, Clone)]
pub struct Reminders<C> {
    outbox: Outbox,
    channel: C,
}

impl<C: NotificationChannel> Reminders<C> {
    /// Reminders sent through `channel`, events through `outbox`.
    pub fn new(outbox: Outbox, channel: C) -> Self {
        Self { outbox, channel }
    }

    async fn remind(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        reminder: DeadlineReminder,
    ) -> Result<(), HandlerError> {
        let now = Utc::now();
        let reminder_id = Uuid::now_v7();
        let key = crate::domain::reminder::dedup_key(&reminder);
        let clock = crate::domain::reminder::clock_code(&reminder);
        let recorded = store::insert_reminder(
            tx,
            &store::NewReminder {
                reminder_id,
                dedup_key: &key,
                order_id: reminder.order_id,
                unit_id: &reminder.unit_id,
                clock,
                case_id: reminder.case_id,
                due_at: reminder.due_at,
                reminded_at: now,
            },
        )
        .await?;
        if !recorded {
            tracing::info!(order_id = %reminder.order_id, clock, "unit already reminded of this due time");
            return Ok(());
        }
        let number = store::order_ref(tx, reminder.order_id)
            .await?
            .map(|(number, _)| number);
        crate::trail::append(
            tx,
            &crate::trail::Entry {
                order_id: reminder.order_id,
                kind: "unit_reminded",
                subject_id: reminder_id.to_string(),
                actor: REMINDER_RULE,
                what: format!(
                    "unit={} clock={clock} due_at={}",
                    reminder.unit_id,
                    reminder.due_at.to_rfc3339()
                ),
            },
            now,
        )
        .await?;
        self.outbox
            .append(
                tx,
                &event.trace,
                SupervisionUnitReminded {
                    reminder_id,
                    order_id: reminder.order_id,
                    number: number.clone(),
                    unit_id: reminder.unit_id.clone(),
                    clock: reminder.clock,
                    case_id: reminder.case_id,
                    due_at: reminder.due_at,
                    reminded_at: now,
                },
            )
            .await?;
        // Last, so that a failure above notifies nobody; a channel failure rolls the
        // reminder back and the redelivery tries again.
        self.channel
            .notify(&UnitNotice {
                reminder_id,
                unit_id: reminder.unit_id.clone(),
                order_id: reminder.order_id,
                number,
                clock: reminder.clock,
                due_at: reminder.due_at,
            })
            .await
            .map_err(|e| HandlerError::transient(e.to_string()))?;
        metrics::counter!("hotline_supervision_unit_reminders_total", "clock" => clock)
            .increment(1);
        Ok(())
    }
}

impl<C: NotificationChannel> EventHandler for Reminders<C> {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        if env.event_type == DeadlineReminder::TYPE {
            let reminder = env.decode::<DeadlineReminder>()?.data;
            return self.remind(tx, event, reminder).await;
        }
        Ok(())
    }
}
