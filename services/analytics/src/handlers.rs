//! Analytics' consumers. [`Facts`] (`analytics-facts` on `hotline.order.>`): every order
//! event fills in its own columns of the order's fact row ([`crate::store`]), whatever order
//! the events arrive in. [`Signals`] (`analytics-signals`): the deadline-watcher's overdue
//! verdicts and supervision's cases, which the KPIs need (docs/kpis.md). Event types not
//! charted yet are acknowledged and skipped.

use hotline_contract::Event;
use hotline_contract::events::{
    Closure, DeadlineClock, DeadlineOverdue, OrderAnswered, OrderClosed, OrderDispatched,
    OrderDisputed, OrderExtensionGranted, OrderRedirected, OrderRedispatched, OrderRegistered,
    OrderRepeatLinked, OrderResultSubmitted, OrderSatisfactionRecorded, OrderSentBack, OrderSigned,
    OrderSuspended, OrderTransferRequested, SupervisionCaseClosed, SupervisionCaseOpened,
};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent};
use hotline_workday::Calendar;
use sqlx::PgConnection;

use crate::store;

/// Keeps `analytics.order_facts` current.
#[derive(Debug, Clone)]
pub struct Facts {
    /// For handling time in working days.
    pub calendar: Calendar,
}

impl EventHandler for Facts {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        match env.event_type.as_str() {
            OrderRegistered::TYPE => {
                store::record_registered(tx, &env.decode::<OrderRegistered>()?.data).await?;
            }
            OrderDispatched::TYPE => {
                let e = env.decode::<OrderDispatched>()?.data;
                let times = store::record_dispatched(tx, &e).await?;
                store::refresh_handling_time(tx, &self.calendar, e.order_id, times).await?;
            }
            OrderSigned::TYPE => {
                store::record_signed(tx, &env.decode::<OrderSigned>()?.data).await?;
            }
            OrderResultSubmitted::TYPE => {
                let e = env.decode::<OrderResultSubmitted>()?.data;
                let times = store::record_result_submitted(tx, &e).await?;
                store::refresh_handling_time(tx, &self.calendar, e.order_id, times).await?;
                // A19: where a review's time starts.
                let (at, by) = (e.submitted_at, &e.submitted_by);
                store::record_staff_act(tx, "result_submitted", e.result_id, at, by, e.order_id)
                    .await?;
            }
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
            OrderClosed::TYPE => {
                let e = env.decode::<OrderClosed>()?.data;
                if e.closure == Closure::ResultAccepted {
                    // A19: the reviewer's acceptance.
                    let (at, by) = (e.closed_at, &e.closed_by);
                    store::record_staff_act(tx, "accepted", e.order_id, at, by, e.order_id).await?;
                }
                if store::record_closed(tx, e.order_id, e.closed_at).await? {
                    // Counted at the first close seen for the order, so a re-published
                    // close is not counted twice.
                    metrics::counter!("hotline_orders_closed_total", "closure" => closure_code(e.closure))
                        .increment(1);
                }
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
