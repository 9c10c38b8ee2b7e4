//! Analytics' consumers. [`Facts`] (`analytics-facts` on `hotline.order.>`): every order
//! event fills in its own columns of the order's fact row ([`crate::store`]), whatever order
//! the events arrive in; under load a batch's common steps are written together
//! ([`crate::fact_steps`]). [`Signals`] (`analytics-signals`): the deadline-watcher's overdue
//! verdicts and supervision's cases, which the KPIs need (docs/kpis.md). Event types not
//! charted yet are acknowledged and skipped.

use hotline_contract::Event;
use hotline_contract::events::{
    DeadlineClock, DeadlineOverdue, OrderAnswered, OrderDisputed, OrderExtensionGranted,
    OrderRedirected, OrderRedispatched, OrderRepeatLinked, OrderSatisfactionRecorded,
    OrderSentBack, OrderSuspended, OrderTransferRequested, SupervisionCaseClosed,
    SupervisionCaseOpened,
};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent};
use hotline_workday::Calendar;
use sqlx::PgConnection;

use crate::fact_steps::{Gathered, Step};
use crate::store;

/// Keeps `analytics.order_facts` current.
#[derive(Debug, Clone)]
pub struct Facts {
    /// For handling time in working days.
    pub calendar: Calendar,
}

impl EventHandler for Facts {
    const BATCHED: bool = true;

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        match Step::of(&event.envelope)? {
            Step::Other => self.apply_other(tx, event).await,
            step => {
                let mut gathered = Gathered::default();
                gathered.push(step);
                Ok(gathered.flush(tx, &self.calendar).await?)
            }
        }
    }

    /// The common steps are gathered and written one statement per kind
    /// ([`crate::fact_steps`]); any other event first writes what was gathered.
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        let mut gathered = Gathered::default();
        for event in events {
            match Step::of(&event.envelope)? {
                Step::Other => {
                    gathered.flush(tx, &self.calendar).await?;
                    self.apply_other(tx, event).await?;
                }
                step => {
                    if !gathered.admits(&step) {
                        gathered.flush(tx, &self.calendar).await?;
                    }
                    gathered.push(step);
                }
            }
        }
        Ok(gathered.flush(tx, &self.calendar).await?)
    }
}

impl Facts {
    /// The events that are not a common step ([`Step::Other`]).
    async fn apply_other(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        match env.event_type.as_str() {
            // A13: a dispute, and a dispatch changed by one (A12 accuracy).
            OrderDisputed::TYPE => {
                let e = env.decode::<OrderDisputed>()?.data;
                store::raise_flag(tx, "disputed", e.order_id).await?;
            }
            OrderRedispatched::TYPE => {
                let e = env.decode::<OrderRedispatched>()?.data;
                store::raise_flag(tx, "redispatched", e.order_id).await?;
            }
            // A16: a redo.
            OrderSentBack::TYPE => {
                let e = env.decode::<OrderSentBack>()?.data;
                store::record_send_back(tx, e.result_id, e.order_id, e.sent_back_at).await?;
                let (at, by) = (e.sent_back_at, &e.sent_back_by);
                store::record_staff_act(tx, "sent_back", e.result_id, at, by, e.order_id).await?;
            }
            // Intake's dispositions (A9, A10): the order never reaches a unit.
            OrderAnswered::TYPE => {
                let e = env.decode::<OrderAnswered>()?.data;
                let r = &e.registration;
                store::record_disposition(tx, r, "answered_directly", None, e.answered_at, true)
                    .await?;
                // A19: the agent's direct answer.
                let (at, by) = (e.answered_at, &e.answered_by);
                store::record_staff_act(tx, "answered_directly", r.order_id, at, by, r.order_id)
                    .await?;
            }
            OrderRedirected::TYPE => {
                let e = env.decode::<OrderRedirected>()?.data;
                let reason = Some(e.reason.code());
                store::record_disposition(
                    tx,
                    &e.registration,
                    "redirected",
                    reason,
                    e.redirected_at,
                    true,
                )
                .await?;
            }
            OrderRepeatLinked::TYPE => {
                let e = env.decode::<OrderRepeatLinked>()?.data;
                store::record_disposition(
                    tx,
                    &e.registration,
                    "repeat_linked",
                    None,
                    e.linked_at,
                    true,
                )
                .await?;
                store::record_repeat_of(tx, e.registration.order_id, e.earlier_order_id).await?;
            }
            OrderTransferRequested::TYPE => {
                let e = env.decode::<OrderTransferRequested>()?.data;
                let partner = Some(e.partner_code.as_str());
                store::record_disposition(
                    tx,
                    &e.registration,
                    "transfer_requested",
                    partner,
                    e.requested_at,
                    false,
                )
                .await?;
            }
            // A19: the center's approvals.
            OrderExtensionGranted::TYPE => {
                let e = env.decode::<OrderExtensionGranted>()?.data;
                let (at, by) = (e.granted_at, &e.approved_by);
                store::record_staff_act(
                    tx,
                    "extension_approved",
                    e.extension_id,
                    at,
                    by,
                    e.order_id,
                )
                .await?;
            }
            OrderSuspended::TYPE => {
                let e = env.decode::<OrderSuspended>()?.data;
                let (at, by) = (e.suspended_at, &e.approved_by);
                store::record_staff_act(tx, "suspension_approved", e.order_id, at, by, e.order_id)
                    .await?;
            }
            OrderSatisfactionRecorded::TYPE => {
                let e = env.decode::<OrderSatisfactionRecorded>()?.data;
                store::record_satisfaction(tx, &e).await?;
            }
            // Order events not charted yet are skipped.
            _ => {}
        }
        Ok(())
    }
}

/// Keeps the KPI signals from outside the order events: overdue sign and handling clocks
/// (the deadline-watcher's verdict, which already counts extensions, pauses and the
/// official calendar) and supervision cases.
#[derive(Debug, Clone, Default)]
pub struct Signals;

impl EventHandler for Signals {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        match env.event_type.as_str() {
            DeadlineOverdue::TYPE => {
                let e = env.decode::<DeadlineOverdue>()?.data;
                let column = match e.clock {
                    DeadlineClock::Sign => "sign_overdue",
                    DeadlineClock::Handling => "handling_overdue",
                    // Co-handling and rectification clocks are not order KPIs.
                    DeadlineClock::CoHandling | DeadlineClock::Rectification => return Ok(()),
                };
                store::raise_flag(tx, column, e.order_id).await?;
            }
            SupervisionCaseOpened::TYPE => {
                let e = env.decode::<SupervisionCaseOpened>()?.data;
                store::record_case(tx, e.case_id, e.order_id, Some(e.opened_at), None).await?;
            }
            SupervisionCaseClosed::TYPE => {
                let e = env.decode::<SupervisionCaseClosed>()?.data;
                store::record_case(tx, e.case_id, e.order_id, None, Some(e.closed_at)).await?;
            }
            _ => {}
        }
        Ok(())
    }
}
