#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A batch of closes asks the router for its replies concurrently and writes the ones it
//! got with the run's status moves, and a reply the batch could not get is asked for again
//! when its event is applied.
//!
//! Intake's status projection shows the unit's reply once an order is closed after review
//! (A11, A16); only the router holds it (A21). With one consumer lane, asking once per close
//! in turn made the projection fall behind under load (docs/performance.md, "Seventh
//! round"). Here a stand-in for the router's reply endpoint on a real nats-server answers
//! slowly and counts the calls in flight; the projection applies three closes as one batch
//! against real PostgreSQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use hotline_contract::Namespace;
use hotline_contract::events::{Closure, OrderClosed};
use hotline_contract::rpc::{ResultReply, ResultReplyQuery, RpcError, RpcErrorCode, verbs};
use hotline_intake::handlers::StatusProjection;
use hotline_messaging::{EventHandler, IncomingEvent, RpcServer};
use hotline_service_test::incoming_event;
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn closed(order_id: Uuid) -> IncomingEvent {
    let data = OrderClosed {
        order_id,
        closure: Closure::ResultAccepted,
        closed_by: "reviewer-1".to_owned(),
        closed_at: Utc::now(),
    };
    incoming_event(data)
}

async fn register(pool: &PgPool, order_id: Uuid) {
    sqlx::query(
        "WITH o AS (INSERT INTO intake.orders (order_id, number, check_code, channel, kind, \
         region_code, urgency, confidential, matter, requested_at, registered_at) \
         VALUES ($1, $1::text, '0000', 'phone', 'consultation', '520102', 'normal', false, \
         '测试', now(), now())) \
         INSERT INTO intake.order_status (order_id, status, status_rank, updated_at) \
         VALUES ($1, 'registered', 0, now())",
    )
    .bind(order_id)
    .execute(pool)
    .await
    .unwrap();
}

/// What the stand-in router saw: calls per order, and the most calls in flight at once.
#[derive(Default)]
struct Calls {
    per_order: HashMap<Uuid, u32>,
    in_flight: u32,
    most_in_flight: u32,
}

#[tokio::test]
async fn a_batch_asks_for_its_replies_at_once_and_again_for_one_it_missed() {
    let nats = NatsServer::start().await;
    let db = TestDatabase::create().await;
    let pool = hotline_service_test::migrated_pool(
        &db,
        hotline_intake::SCHEMA,
        &hotline_intake::MIGRATOR,
        2,
    )
    .await;
    let namespace = Namespace::new(unique_namespace()).unwrap();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let orders: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    for order_id in &orders {
        register(&pool, *order_id).await;
    }
    // The router's first answer about the last order is a failure.
    let flaky = orders[2];

    let calls = Arc::new(Mutex::new(Calls::default()));
    let shutdown = CancellationToken::new();
    let mut router = RpcServer::start(&client, "router", &namespace, shutdown.clone())
        .await
        .unwrap();
    let seen = calls.clone();
    router
        .endpoint(
            verbs::ROUTER_RESULT_REPLY.1,
            8,
            move |query: ResultReplyQuery, _trace| {
                let seen = seen.clone();
                async move {
                    let n = {
                        let mut calls = seen.lock().unwrap();
                        calls.in_flight += 1;
                        calls.most_in_flight = calls.most_in_flight.max(calls.in_flight);
                        let n = calls.per_order.entry(query.order_id).or_default();
                        *n += 1;
                        *n
                    };
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    seen.lock().unwrap().in_flight -= 1;
                    if query.order_id == flaky && n == 1 {
                        return Err(RpcError::new(RpcErrorCode::Unavailable, "暂时不可用"));
                    }
                    Ok(ResultReply {
                        result_id: Uuid::now_v7(),
                        reply: format!("答复 {}", query.order_id),
                        submitted_at: Utc::now(),
                        unit_id: None,
                        unit_name: None,
                    })
                }
            },
        )
        .await
        .unwrap();

    let projection = StatusProjection {
        nats: client.clone(),
        namespace: namespace.clone(),
    };
    let batch: Vec<IncomingEvent> = orders.iter().map(|o| closed(*o)).collect();
    let refs: Vec<&IncomingEvent> = batch.iter().collect();
    let mut tx = pool.begin().await.unwrap();
    projection.handle_batch(&mut tx, &refs).await.unwrap();
    tx.commit().await.unwrap();

    for order_id in &orders {
        let (status, reply): (String, Option<String>) =
            sqlx::query_as("SELECT status, reply FROM intake.order_status WHERE order_id = $1")
                .bind(order_id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(status, "closed", "order {order_id}");
        assert_eq!(reply, Some(format!("答复 {order_id}")), "order {order_id}");
    }
    {
        let calls = calls.lock().unwrap();
        assert_eq!(
            calls.most_in_flight, 3,
            "the batch's three replies are asked for at once"
        );
        assert_eq!(calls.per_order[&orders[0]], 1);
        assert_eq!(calls.per_order[&orders[1]], 1);
        assert_eq!(
            calls.per_order[&flaky], 2,
            "a reply the batch missed is asked for again when its event is applied"
        );
    }
    shutdown.cancel();
    db.drop_database().await;
}
