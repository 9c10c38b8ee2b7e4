//! Category suggestion learns only from dispatches that stood (A12, A13), against a running
//! intake, a real nats-server and PostgreSQL: a signed order whose dispatch was never
//! disputed joins the training set; an order redispatched after a dispute does not, even
//! once its new unit signs; and the served model picks up the confirmed order's category on
//! its next retrain.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline_contract::category::{CategorySuggestions, SuggestCategoryQuery};
use hotline_contract::events::{OrderDispatched, OrderRedispatched, OrderSigned};
use hotline_contract::rpc::{RpcErrorCode, verbs};
use hotline_contract::vocabulary::{OrderStatus, RequestKind, Urgency};
use hotline_messaging::CallError;
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use hotline_test_support::wait_for;
use sqlx::PgPool;
use uuid::Uuid;

/// A category the seed articles do not have, so only a confirmed order can teach it.
const MANHOLE: &str = "city.manholes";
const MANHOLE_MATTER: &str = "观山湖区金阳南路人行道上的窨井盖缺失，晚上路过的人容易掉进去。";
/// The redispatched order's category, also unknown to the seed.
const GRAFFITI: &str = "city.graffiti";
const GRAFFITI_MATTER: &str = "云岩区中华北路桥洞墙上到处是小广告和涂鸦，很难看。";

async fn insert_order(pool: &PgPool, number: &str, category: &str, matter: &str) -> Uuid {
    let order_id = Uuid::now_v7();
    let at = Utc::now();
    sqlx::query(
        "INSERT INTO intake.orders (order_id, number, check_code, channel, kind, category, \
         region_code, urgency, confidential, matter, requested_at, registered_at) \
         VALUES ($1, $2, '000000', 'phone', 'complaint', $3, '520115', 'normal', FALSE, $4, $5, $5)",
    )
    .bind(order_id)
    .bind(number)
    .bind(category)
    .bind(matter)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO intake.order_status (order_id, status, status_rank, updated_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(order_id)
    .bind(OrderStatus::Registered.code())
    .bind(i16::from(OrderStatus::Registered.rank()))
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    order_id
}

fn dispatched(order_id: Uuid, number: &str, unit: &str, at: DateTime<Utc>) -> OrderDispatched {
    OrderDispatched {
        order_id,
        number: number.to_owned(),
        unit_id: unit.to_owned(),
        basis: hotline_contract::events::DispatchBasis::Territorial,
        rule_id: None,
        kind: RequestKind::Complaint,
        urgency: Urgency::Normal,
        dispatched_at: at,
    }
}

fn signed(order_id: Uuid, unit: &str, at: DateTime<Utc>) -> OrderSigned {
    OrderSigned {
        order_id,
        unit_id: unit.to_owned(),
        signed_by: "staff-1".to_owned(),
        signed_at: at,
    }
}

async fn confirmed_ids(pool: &PgPool) -> Vec<Uuid> {
    hotline_intake::category::confirmed_orders(pool, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.order_id)
        .collect()
}

async fn suggest(
    env: &TestEnv,
    text: &str,
    k: Option<u32>,
) -> Result<CategorySuggestions, CallError> {
    hotline_messaging::call(
        &env.client,
        &env.ns,
        verbs::INTAKE_SUGGEST_CATEGORY,
        &SuggestCategoryQuery {
            text: text.to_owned(),
            region_code: Some("520115".to_owned()),
            k,
        },
        &TraceContext::new_root(),
        Duration::from_secs(5),
    )
    .await
}

#[tokio::test]
async fn a_redispatched_order_is_left_out_of_training_and_an_undisputed_one_is_learnt() {
    let env = TestEnv::new().await;
    let mut config = hotline_intake::IntakeConfig {
        common: env.common_config(),
        ..Default::default()
    };
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.intake.category_retrain_interval_secs = 1;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = hotline_intake::start(config, shutdown.clone())
        .await
        .unwrap();
    let pool = env.pool().await;

    // Before any confirmed order: the seed model (version 1) knows neither category.
    let first = suggest(&env, MANHOLE_MATTER, Some(10)).await.unwrap();
    assert_eq!(first.model.order_examples, 0);
    assert_eq!(first.model.seed_examples, 215);
    assert!(first.suggestions.iter().all(|s| s.category != MANHOLE));

    let kept = insert_order(&pool, "5201152611300001", MANHOLE, MANHOLE_MATTER).await;
    let moved = insert_order(&pool, "5201032611300002", GRAFFITI, GRAFFITI_MATTER).await;
    let t0 = Utc::now();
    env.publish(
        "router",
        dispatched(kept, "5201152611300001", "gov-520115", t0),
    )
    .await;
    env.publish("router", signed(kept, "gov-520115", t0)).await;
    env.publish(
        "router",
        dispatched(moved, "5201032611300002", "520103-env", t0),
    )
    .await;
    let redispatch = OrderRedispatched {
        order_id: moved,
        number: "5201032611300002".to_owned(),
        dispatch_id: Uuid::now_v7(),
        from_unit_id: "520103-env".to_owned(),
        unit_id: "520103-city".to_owned(),
        dispute_id: Some(Uuid::now_v7()),
        kind: RequestKind::Complaint,
        urgency: Urgency::Normal,
        decided_by: "center-1".to_owned(),
        redispatched_at: t0,
    };
    env.publish("router", redispatch).await;
    // The new unit signs: the order is signed, but its first dispatch did not stand.
    env.publish("router", signed(moved, "520103-city", t0))
        .await;

    wait_for("both signatures to be projected", PATIENCE, || async {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM intake.order_history WHERE status = 'signed'")
                .fetch_one(&pool)
                .await
                .unwrap();
        (n == 2).then_some(())
    })
    .await;
    let redispatches: (i32,) =
        sqlx::query_as("SELECT redispatches FROM intake.redispatched_orders WHERE order_id = $1")
            .bind(moved)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(redispatches.0, 1);
    assert_eq!(confirmed_ids(&pool).await, vec![kept]);

    // The retrain (every second here) learns the confirmed order's category and never the
    // redispatched one's.
    let learnt = wait_for(
        "the model to learn the confirmed order",
        PATIENCE,
        || async {
            let reply = suggest(&env, MANHOLE_MATTER, Some(10)).await.ok()?;
            (reply.model.order_examples == 1).then_some(reply)
        },
    )
    .await;
    assert!(learnt.model.version >= 2);
    assert_eq!(learnt.model.categories, 82);
    assert_eq!(learnt.suggestions[0].category, MANHOLE);
    let graffiti = suggest(&env, GRAFFITI_MATTER, Some(10)).await.unwrap();
    assert!(graffiti.suggestions.iter().all(|s| s.category != GRAFFITI));

    // Bad input is a typed error naming every field, never a text echo.
    let error = match suggest(&env, "  ", Some(0)).await {
        Err(CallError::Rpc(e)) => e,
        other => panic!("expected a validation error, got {other:?}"),
    };
    assert_eq!(error.code, RpcErrorCode::InvalidRequest);
    let fields: Vec<&str> = error.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["text", "k"]);

    shutdown.cancel();
    running.wait().await;
}
