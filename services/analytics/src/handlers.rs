//! Analytics' consumer (`analytics-facts` on `hotline.order.>`): every order event fills in
//! its own columns of the order's fact row ([`crate::store`]), whatever order the events
//! arrive in. Event types it does not chart yet are acknowledged and skipped.

use hotline_contract::Event;
use hotline_contract::events::{
    Closure, OrderAnswered, OrderClosed, OrderDispatched, OrderRedirected, OrderRegistered,
    OrderRepeatLinked, OrderResultSubmitted, OrderSatisfactionRecorded, OrderSigned,
    OrderTransferRequested,
};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent};
use sqlx::PgConnection;

use crate::store;

/// Keeps `analytics.order_facts` current.
#[derive(Debug, Clone, Default)]
pub struct Facts;

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
                store::record_dispatched(tx, &env.decode::<OrderDispatched>()?.data).await?;
            }
            OrderSigned::TYPE => {
                store::record_signed(tx, &env.decode::<OrderSigned>()?.data).await?;
            }
            OrderResultSubmitted::TYPE => {
                let e = env.decode::<OrderResultSubmitted>()?.data;
                store::record_result_submitted(tx, &e).await?;
            }
            OrderClosed::TYPE => {
                let e = env.decode::<OrderClosed>()?.data;
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
