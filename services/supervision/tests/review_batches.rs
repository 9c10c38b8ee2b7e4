#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The first review's batch form leaves what its events one at a time leave.
//!
//! Under load the `supervision-review` consumer hands a batch of submitted results to
//! `Reviews::handle_batch`, which reviews them with a few set-based statements and chains
//! their trail rows in memory (`review_batch.rs`). For 120 random batches (complete and
//! incomplete results; orders supervision knows or not; a result with the reviewer's
//! checks and a call-back on record; an order whose earlier result waits for a reviewer;
//! a result reviewed before the batch; the same result twice, or an incomplete and then a
//! complete result of one order, in the batch; events of other types; automatic
//! acceptance on and off), one copy of the orders is given the events one at a time
//! (`handle`) and a twin copy the same events as one batch. Their reviews, archive
//! records, trail entries and queued events must be the same, and the trail's hash chain
//! must verify after every batch. A result for an order closed on another result fails the
//! batch as a whole. Real PostgreSQL.

use chrono::{Duration, Utc};
use hotline_contract::Namespace;
use hotline_contract::events::{Closure, OrderClosed, OrderResultSubmitted, ResultChecklist};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_service_test::incoming_event;
use hotline_supervision::handlers::Reviews;
use hotline_supervision::{MIGRATOR, SCHEMA};
use hotline_test_support::TestDatabase;
use hotline_test_support::xorshift::Xorshift;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

fn result(order_id: Uuid, result_id: Uuid, complete: bool) -> OrderResultSubmitted {
    OrderResultSubmitted {
        order_id,
        unit_id: "unit-yunyan-market".to_owned(),
        result_id,
        submitted_by: "staff-4".to_owned(),
        submitted_at: Utc::now() - Duration::minutes(5),
        checklist: ResultChecklist {
            reply_given: complete,
            ..ResultChecklist::complete()
        },
    }
}

/// What supervision holds about an order, without the ids and instants that differ
/// between twins.
async fn state_of(pool: &PgPool, order_id: Uuid) -> Vec<Option<Value>> {
    hotline_service_test::json_state(
        pool,
        &[
            "SELECT to_jsonb(r) - 'order_id' - 'result_id' - 'decided_at' - 'submitted_at' \
         FROM supervision.reviews r WHERE order_id = $1",
            "SELECT (record - 'order_id' - 'result_id' - 'number' - 'decided_at' - 'submitted_at' \
           - 'trail_seq' - 'trail_hash' - 'trail_strand' - 'review_checklist' - 'call_backs') \
           || jsonb_build_object('checks', jsonb_array_length(record -> 'review_checklist'), \
                'call_backs', jsonb_array_length(record -> 'call_backs'), \
                'numbered', record ->> 'number' IS NOT NULL) \
         FROM supervision.archive WHERE order_id = $1",
            "SELECT jsonb_agg(jsonb_build_object('kind', kind, 'actor', actor, \
             'what', CASE WHEN kind = 'archived' THEN 'digest' ELSE what END) ORDER BY seq) \
         FROM supervision.trail WHERE order_id = $1",
            &hotline_service_test::outbox_events_sql("supervision", &["order_id", "closed_at"]),
        ],
        order_id,
    )
    .await
}

/// Apply `events` one at a time in one transaction.
async fn one_by_one(pool: &PgPool, reviews: &Reviews, events: &[IncomingEvent]) {
    let mut tx = pool.begin().await.unwrap();
    for event in events {
        reviews.handle(&mut tx, event).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Things recorded about an order before its batch, for both twins.
async fn prepare(pool: &PgPool, reviews: &Reviews, order_id: Uuid, result_id: Uuid, how: usize) {
    match how {
        // Supervision saw the order dispatched.
        0 | 1 => {
            sqlx::query(
                "INSERT INTO supervision.orders (order_id, number, kind) VALUES ($1, $2, 'complaint')",
            )
            .bind(order_id)
            .bind(format!("N-{order_id}"))
            .execute(pool)
            .await
            .unwrap();
        }
        // The reviewer's checks and a call-back on record for the result.
        2 => {
            sqlx::query(
                "INSERT INTO supervision.review_checks \
                 (result_id, order_id, item, passed, recorded_by, recorded_at) \
                 VALUES ($1, $2, 'basis_cited', true, 'reviewer-1', now()), \
                        ($1, $2, 'time_given', false, 'reviewer-1', now())",
            )
            .bind(result_id)
            .bind(order_id)
            .execute(pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO supervision.call_backs \
                 (call_back_id, order_id, result_id, reached, verified, verdict, called_by, called_at) \
                 VALUES ($1, $2, $3, true, '已核实', 'satisfied', 'reviewer-1', now())",
            )
            .bind(Uuid::now_v7())
            .bind(order_id)
            .bind(result_id)
            .execute(pool)
            .await
            .unwrap();
        }
        // An earlier, incomplete result waits for a reviewer.
        3 => {
            let earlier = incoming_event(result(order_id, Uuid::now_v7(), false));
            one_by_one(pool, reviews, &[earlier]).await;
        }
        _ => {}
    }
}

#[tokio::test]
async fn a_batch_of_results_ends_where_the_results_one_by_one_end() {
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(&db, SCHEMA, &MIGRATOR, 2).await;
    let outbox = Outbox::new("supervision", SCHEMA, Namespace::new("batchtest").unwrap());
    let auto = Reviews::new(outbox.clone(), true);
    let manual = Reviews::new(outbox, false);

    let mut rng = Xorshift(0x5EED_5E71_E3B1_0002);
    for run in 0..120 {
        let reviews = if rng.below(5) == 0 { &manual } else { &auto };
        let mut singles = Vec::new();
        let mut batch = Vec::new();
        let mut pairs = Vec::new();
        for _ in 0..1 + rng.below(10) {
            let (single, twin) = (Uuid::now_v7(), Uuid::now_v7());
            let (single_result, twin_result) = (Uuid::now_v7(), Uuid::now_v7());
            let complete = rng.below(4) != 0;
            let how = rng.below(8);
            prepare(&pool, reviews, single, single_result, how).await;
            prepare(&pool, reviews, twin, twin_result, how).await;
            let submitted = |order, result_id| incoming_event(result(order, result_id, complete));
            match rng.below(8) {
                // Reviewed before this batch: the result comes again.
                0 => {
                    one_by_one(&pool, reviews, &[submitted(single, single_result)]).await;
                    one_by_one(&pool, reviews, &[submitted(twin, twin_result)]).await;
                }
                // The same result twice in the batch.
                1 => {
                    singles.push(submitted(single, single_result));
                    batch.push(submitted(twin, twin_result));
                }
                // An incomplete result, then this one, in the batch.
                2 => {
                    singles.push(incoming_event(result(single, Uuid::now_v7(), false)));
                    batch.push(incoming_event(result(twin, Uuid::now_v7(), false)));
                }
                // Another type of event on the way.
                3 => {
                    for (events, order) in [(&mut singles, single), (&mut batch, twin)] {
                        events.push(incoming_event(OrderClosed {
                            order_id: order,
                            closure: Closure::AnsweredDirectly,
                            closed_by: "agent-1".to_owned(),
                            closed_at: Utc::now(),
                        }));
                    }
                }
                _ => {}
            }
            singles.push(submitted(single, single_result));
            batch.push(submitted(twin, twin_result));
            pairs.push((single, twin));
        }

        one_by_one(&pool, reviews, &singles).await;
        let refs: Vec<&IncomingEvent> = batch.iter().collect();
        let mut tx = pool.begin().await.unwrap();
        reviews.handle_batch(&mut tx, &refs).await.unwrap();
        tx.commit().await.unwrap();

        for (single, twin) in pairs {
            let (one, batched) = (state_of(&pool, single).await, state_of(&pool, twin).await);
            assert!(one[0].is_some(), "run {run}: no review recorded");
            assert_eq!(one, batched, "run {run}");
        }
        // Both forms chained onto the same strands: the chains still hold.
        if let Err(broken) = hotline_supervision::trail::verify(&pool).await {
            panic!("run {run}: {broken}");
        }
    }
    // The runs covered both outcomes, and the chain holds.
    let (accepted, pending, archived): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE decision = 'accepted'), \
                count(*) FILTER (WHERE decision = 'pending_review'), \
                (SELECT count(*) FROM supervision.archive) FROM supervision.reviews",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(accepted > 100 && pending > 50, "{accepted} {pending}");
    assert_eq!(archived, accepted);
    let (numbered, with_call_backs): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE record ->> 'number' IS NOT NULL), \
                count(*) FILTER (WHERE jsonb_array_length(record -> 'call_backs') > 0) \
         FROM supervision.archive",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        numbered > 20 && with_call_backs > 10,
        "{numbered} {with_call_backs}"
    );
    let verified = hotline_supervision::trail::verify(&pool).await.unwrap();
    assert!(verified > 2 * accepted, "{verified}");
}

#[tokio::test]
async fn a_batch_with_a_result_for_an_order_closed_on_another_fails_as_a_whole() {
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(&db, SCHEMA, &MIGRATOR, 2).await;
    let outbox = Outbox::new("supervision", SCHEMA, Namespace::new("batchtest").unwrap());
    let reviews = Reviews::new(outbox, true);
    let closed = Uuid::now_v7();
    one_by_one(
        &pool,
        &reviews,
        &[incoming_event(result(closed, Uuid::now_v7(), true))],
    )
    .await;

    let fine = incoming_event(result(Uuid::now_v7(), Uuid::now_v7(), true));
    let late = incoming_event(result(closed, Uuid::now_v7(), true));
    let mut tx = pool.begin().await.unwrap();
    match reviews.handle_batch(&mut tx, &[&fine, &late]).await {
        Err(HandlerError::Permanent(reason)) => {
            assert!(reason.contains(&closed.to_string()), "{reason}");
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    tx.rollback().await.unwrap();
    let (reviews_kept, trail_rows): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM supervision.reviews), (SELECT count(*) FROM supervision.trail)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (reviews_kept, trail_rows),
        (1, 2),
        "nothing of the failed batch stays"
    );
}
