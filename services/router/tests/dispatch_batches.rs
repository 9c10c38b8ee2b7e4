#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The dispatcher's batch form leaves what the single-event form leaves.
//!
//! Under load the `router-dispatch` consumer hands a batch of registrations to
//! `Dispatcher::handle_batch`, which decides and writes them with a few set-based
//! statements (`dispatch_batch.rs`). For 120 random batches (categories with rules, with a
//! kind-specific rule, with a rule whose unit is inactive, without a rule or a category;
//! known, prefecture-only, province-only and unknown regions; orders already dispatched
//! or already in consultation; a re-registration of the same order in the batch), one
//! copy of the orders is given the registrations one at a time (`handle`) and a twin copy
//! the same registrations as one batch; their assignments, dispatch log, consultations
//! and announced events must be the same. A batch with a number another order holds
//! fails as a whole, so the consumer applies it one event at a time. Real PostgreSQL.

use std::sync::Arc;

mod support;

use hotline_contract::Namespace;
use hotline_contract::events::OrderRegistered;
use hotline_contract::vocabulary::RequestKind;
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_reference::Regions;
use hotline_router::handlers::Dispatcher;
use hotline_router::{MIGRATOR, SCHEMA};
use hotline_service_test::incoming_event;
use hotline_test_support::TestDatabase;
use hotline_test_support::xorshift::Xorshift;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

const CATEGORIES: [Option<&str>; 6] = [
    Some("environment.noise"),
    Some("housing.property"),
    Some("labour.wages"),
    Some("transport.road"),
    Some("no.such-category"),
    None,
];
const REGIONS: [&str; 6] = ["520102", "520103", "520111", "520100", "520000", "999999"];
const KINDS: [RequestKind; 3] = [
    RequestKind::Complaint,
    RequestKind::Help,
    RequestKind::Consultation,
];

fn registered(
    number: String,
    category: Option<&str>,
    region: &str,
    kind: RequestKind,
) -> OrderRegistered {
    OrderRegistered {
        kind,
        ..support::registered(&number, category, region)
    }
}

/// What the router holds about an order, without the ids, numbers and instants that
/// differ between twins.
async fn state_of(pool: &PgPool, order_id: Uuid) -> Vec<Option<Value>> {
    hotline_service_test::json_state(
        pool,
        &[
            "SELECT to_jsonb(a) - 'order_id' - 'number' - 'dispatch_id' - 'dispatched_at' \
         - 'traceparent' FROM router.assignments a WHERE order_id = $1",
            "SELECT jsonb_agg(to_jsonb(l) - 'order_id' - 'dispatch_id' - 'dispatched_at') \
         FROM router.dispatch_log l WHERE order_id = $1",
            "SELECT to_jsonb(c) - 'order_id' - 'number' - 'opened_at' - 'traceparent' \
         FROM router.consultations c WHERE order_id = $1",
            &hotline_service_test::outbox_events_sql(
                "router",
                &["order_id", "number", "dispatched_at", "opened_at"],
            ),
        ],
        order_id,
    )
    .await
}

async fn dispatcher_on(db: &TestDatabase) -> (PgPool, Dispatcher) {
    let pool = hotline_service_test::migrated_pool(db, SCHEMA, &MIGRATOR, 2).await;
    let regions = Arc::new(Regions::bundled().unwrap());
    hotline_router::seed::run(&pool, &regions, true)
        .await
        .unwrap();
    let dispatcher = Dispatcher {
        outbox: Outbox::new("router", SCHEMA, Namespace::new("batchtest").unwrap()),
        regions,
    };
    (pool, dispatcher)
}

#[tokio::test]
async fn a_batch_of_registrations_ends_where_the_registrations_one_by_one_end() {
    let db = TestDatabase::create().await;
    let (pool, dispatcher) = dispatcher_on(&db).await;
    // A kind-specific rule over Yunyan, and Huaxi's noise rule pointing at an inactive
    // unit (the rule is skipped, the territory's government takes the order).
    sqlx::query(
        "INSERT INTO router.dispatch_rules (rule_id, category, region_code, kind, unit_id, priority) \
         VALUES ('test:complaints', 'environment.noise', '520103', 'complaint', 'gov-520103', 5)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE router.units SET active = false WHERE unit_id = \
         (SELECT unit_id FROM router.dispatch_rules WHERE rule_id = '520111:environment.noise')",
    )
    .execute(&pool)
    .await
    .unwrap();

    let mut rng = Xorshift(0x5EED_D15B_A7C4_0001);
    let mut serial = 0u32;
    let mut number = || {
        serial += 1;
        format!("52010226113{serial:05}")
    };
    for run in 0..120 {
        let mut singles = Vec::new();
        let mut batch = Vec::new();
        let mut pairs = Vec::new();
        for _ in 0..1 + rng.below(12) {
            let category = CATEGORIES[rng.below(CATEGORIES.len())];
            let region = REGIONS[rng.below(REGIONS.len())];
            let kind = KINDS[rng.below(KINDS.len())];
            let single = registered(number(), category, region, kind);
            let twin = registered(number(), category, region, kind);
            match rng.below(8) {
                // Dispatched (or queued) before this batch: the registration comes again.
                0 => {
                    let mut tx = pool.begin().await.unwrap();
                    for order in [&single, &twin] {
                        dispatcher
                            .handle(&mut tx, &incoming_event(order.clone()))
                            .await
                            .unwrap();
                    }
                    tx.commit().await.unwrap();
                }
                // Already queued for consultation though a rule now decides it.
                1 => {
                    for order in [&single, &twin] {
                        sqlx::query(
                            "INSERT INTO router.consultations (order_id, number, kind, urgency, \
                             region_code, opened_at, status) \
                             VALUES ($1, $2, 'complaint', 'normal', $3, now(), 'open')",
                        )
                        .bind(order.order_id)
                        .bind(&order.number)
                        .bind(&order.region_code)
                        .execute(&pool)
                        .await
                        .unwrap();
                    }
                }
                // Registered twice in the same batch.
                2 => {
                    singles.push(incoming_event(single.clone()));
                    batch.push(incoming_event(twin.clone()));
                }
                _ => {}
            }
            singles.push(incoming_event(single.clone()));
            batch.push(incoming_event(twin.clone()));
            pairs.push((single.order_id, twin.order_id));
        }

        let mut tx = pool.begin().await.unwrap();
        for event in &singles {
            dispatcher.handle(&mut tx, event).await.unwrap();
        }
        let refs: Vec<&IncomingEvent> = batch.iter().collect();
        dispatcher.handle_batch(&mut tx, &refs).await.unwrap();
        tx.commit().await.unwrap();

        for (single, twin) in pairs {
            let (one_by_one, batched) =
                (state_of(&pool, single).await, state_of(&pool, twin).await);
            assert!(
                one_by_one.iter().any(Option::is_some),
                "run {run}: nothing recorded for the order"
            );
            assert_eq!(one_by_one, batched, "run {run}");
        }
    }
    // The runs covered both outcomes.
    let (assigned, consulted): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM router.assignments), (SELECT count(*) FROM router.consultations)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(assigned > 100 && consulted > 100, "{assigned} {consulted}");
}

#[tokio::test]
async fn a_batch_with_a_number_another_order_holds_fails_as_a_whole() {
    let db = TestDatabase::create().await;
    let (pool, dispatcher) = dispatcher_on(&db).await;
    let first = registered(
        "5201022611300001".to_owned(),
        Some("labour.wages"),
        "520102",
        RequestKind::Complaint,
    );
    let mut tx = pool.begin().await.unwrap();
    dispatcher
        .handle(&mut tx, &incoming_event(first.clone()))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let fine = registered(
        "5201022611300002".to_owned(),
        Some("labour.wages"),
        "520102",
        RequestKind::Complaint,
    );
    let clash = registered(
        first.number.clone(),
        Some("housing.property"),
        "520103",
        RequestKind::Help,
    );
    let events = [incoming_event(fine.clone()), incoming_event(clash.clone())];
    let refs: Vec<&IncomingEvent> = events.iter().collect();
    let mut tx = pool.begin().await.unwrap();
    let failed = dispatcher.handle_batch(&mut tx, &refs).await;
    match failed {
        Err(HandlerError::Permanent(reason)) => assert!(reason.contains(&first.number), "{reason}"),
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    tx.rollback().await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM router.assignments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1, "nothing of the failed batch stays");
}
