//! Supervision against a real nats-server and Postgres: a complete result closes the order
//! (A16); an incomplete one waits for a reviewer; the same result twice closes it once.

// The harness methods below fail the test loudly, like the tests (clippy's
// allow-unwrap-in-tests only covers `#[test]` functions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use hotline_contract::events::{Closure, OrderClosed, OrderResultSubmitted, ResultChecklist};
use hotline_contract::subjects::event;
use hotline_service_test::PATIENCE;
use hotline_supervision::SCHEMA;
use hotline_test_support::wait_for;
use support::Supervision;
use uuid::Uuid;

const REVIEW: &str = "supervision-review";

impl Supervision {
    async fn submit(&self, order_id: Uuid, result_id: Uuid, checklist: ResultChecklist) {
        self.env
            .publish(
                "router",
                OrderResultSubmitted {
                    order_id,
                    unit_id: "unit-yunyan-market".to_owned(),
                    result_id,
                    submitted_by: "staff-4".to_owned(),
                    submitted_at: Utc::now(),
                    checklist,
                },
            )
            .await;
    }

    async fn review(&self, order_id: Uuid) -> Option<(Uuid, String, Option<String>)> {
        sqlx::query_as(
            "SELECT result_id, decision, decided_by FROM supervision.reviews WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(&self.pool)
        .await
        .unwrap()
    }

    async fn closures_queued(&self, order_id: Uuid) -> i64 {
        self.env
            .outbox_count(&self.pool, SCHEMA, event::ORDER_CLOSED, order_id)
            .await
    }
}

#[tokio::test]
async fn a_complete_result_is_accepted_and_the_order_closed() {
    let supervision = Supervision::start().await;
    let (order_id, result_id) = (Uuid::now_v7(), Uuid::now_v7());
    supervision
        .submit(order_id, result_id, ResultChecklist::complete())
        .await;

    let closed = supervision
        .env
        .wait_for_event::<OrderClosed>(event::ORDER_CLOSED, |e| e.order_id == order_id)
        .await;
    assert_eq!(closed.data.closure, Closure::ResultAccepted);
    assert_eq!(closed.data.closed_by, "rule:complete-result");
    assert_eq!(closed.source, "/hotline/supervision");
    assert_eq!(
        supervision.review(order_id).await,
        Some((
            result_id,
            "accepted".to_owned(),
            Some("rule:complete-result".to_owned())
        ))
    );

    supervision.stop().await;
}

#[tokio::test]
async fn an_incomplete_result_waits_for_a_reviewer_and_the_order_stays_open() {
    let supervision = Supervision::start().await;
    let (order_id, result_id) = (Uuid::now_v7(), Uuid::now_v7());
    let no_reply = ResultChecklist {
        reply_given: false,
        ..ResultChecklist::complete()
    };
    supervision.submit(order_id, result_id, no_reply).await;

    let review = wait_for("the review to be recorded", PATIENCE, || async {
        supervision.review(order_id).await
    })
    .await;
    assert_eq!(review, (result_id, "pending_review".to_owned(), None));
    // The review and any event it causes commit together: nothing was queued.
    assert_eq!(supervision.closures_queued(order_id).await, 0);

    supervision.stop().await;
}

#[tokio::test]
async fn the_same_result_published_twice_closes_the_order_once() {
    let supervision = Supervision::start().await;
    let (order_id, result_id) = (Uuid::now_v7(), Uuid::now_v7());
    supervision
        .submit(order_id, result_id, ResultChecklist::complete())
        .await;
    // Re-published under a new event id: the inbox cannot tell, the review must.
    supervision
        .submit(order_id, result_id, ResultChecklist::complete())
        .await;

    wait_for("both submissions consumed", PATIENCE, || async {
        (supervision
            .env
            .inbox_count(&supervision.pool, SCHEMA, REVIEW)
            .await
            == 2)
            .then_some(())
    })
    .await;
    assert_eq!(supervision.closures_queued(order_id).await, 1);

    supervision.stop().await;
}

#[tokio::test]
async fn a_corrected_result_replaces_one_still_waiting_for_a_reviewer() {
    let supervision = Supervision::start().await;
    let order_id = Uuid::now_v7();
    let first = Uuid::now_v7();
    let incomplete = ResultChecklist {
        basis_given: false,
        ..ResultChecklist::complete()
    };
    supervision.submit(order_id, first, incomplete).await;
    let corrected = Uuid::now_v7();
    supervision
        .submit(order_id, corrected, ResultChecklist::complete())
        .await;

    let closed = supervision
        .env
        .wait_for_event::<OrderClosed>(event::ORDER_CLOSED, |e| e.order_id == order_id)
        .await;
    assert_eq!(closed.data.closure, Closure::ResultAccepted);
    let (result_id, decision, _) = supervision.review(order_id).await.unwrap();
    assert_eq!((result_id, decision.as_str()), (corrected, "accepted"));

    supervision.stop().await;
}
