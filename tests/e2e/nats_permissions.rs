#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The deployment's NATS accounts and permissions (`deploy/nats/auth.conf`, issue 11) hold
//! the whole system and refuse everything else.
//!
//! The stack runs against a nats-server started with `deploy/nats/server.conf`, every
//! service connected as its own user. An order goes from registration to closed and an
//! emergency is transferred to 110 (the simulated partner connected as `partner-110`): the
//! server log then holds no permissions violation, so the lists are sufficient. Then the
//! lists are shown to be narrow: a service publishing another's event, a partner publishing
//! as another partner, an analyst publishing anything, or subscribing to requests, are
//! refused by the server.
//!
//! The same stack runs PostgreSQL with the deployment's roles (`deploy/postgres/roles.sql`):
//! each service connects as the role owning its schema, and one service's role is shown
//! unable to read another's tables.

use std::time::Duration;

use futures::StreamExt;
use hotline_contract::Namespace;
use hotline_e2e::{Adjust, Stack, secured};
use hotline_emergency_bridge::simulator::{self, Mode};
use hotline_test_support::nats_users::{connect_watching, next_violation};
use hotline_test_support::wait_for;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(60);

async fn submit(stack: &Stack, body: &Value) -> Value {
    let r = reqwest::Client::new()
        .post(stack.url("/api/v1/orders"))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// A client connected as `user` (its test password), watching the server's refusals.
async fn connect_as(
    stack: &Stack,
    user: &str,
) -> (async_nats::Client, mpsc::UnboundedReceiver<String>) {
    connect_watching(&stack.nats.url(), user, &secured::password(user)).await
}

fn violations_in_log(stack: &Stack) -> Vec<String> {
    std::fs::read_to_string(stack.nats.log_file())
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("Violation"))
        .map(str::to_owned)
        .collect()
}

/// On a failing test, prints the server's permissions violations: the likely cause.
struct ReportViolations(std::path::PathBuf);

impl Drop for ReportViolations {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.0).unwrap_or_default();
            for line in log.lines().filter(|l| l.contains("Violation")) {
                eprintln!("{line}");
            }
        }
    }
}

#[tokio::test]
async fn every_service_works_as_its_own_nats_user_and_db_role_and_nothing_else_is_allowed() {
    let stack = Stack::start_adjusted(Adjust::default().secured()).await;
    let _report = ReportViolations(stack.nats.log_file());
    stack.wait_ready().await;

    // An analyst listens to the PII-free order events.
    let (analyst, mut analyst_events) = connect_as(&stack, "analyst").await;
    let mut registered = analyst.subscribe("hotline.order.registered").await.unwrap();
    analyst.flush().await.unwrap();

    // 110, simulated, connected as partner-110, accepts what it is handed.
    let (partner, _) = connect_as(&stack, "partner-110").await;
    let partner_stop = CancellationToken::new();
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    simulator::start(
        partner.clone(),
        Namespace::root(),
        "110".to_owned(),
        Mode::Accept,
        Some(seen_tx),
        partner_stop.clone(),
    )
    .await
    .unwrap();

    // An ordinary order, registration to closed.
    let receipt = submit(
        &stack,
        &json!({
            "channel": "web_message", "kind": "complaint",
            "requester": {"type": "person", "name": "张三", "phone": "13812345678"},
            "matter": "小区旁工地夜间施工，噪声扰民，希望有关部门处理。",
            "category": "environment.noise", "region_code": "520102",
            "address": "南明区花果园某小区",
        }),
    )
    .await;
    let number = receipt["number"].as_str().unwrap().to_owned();
    let check = receipt["check_code"].as_str().unwrap().to_owned();
    wait_for("the order to be dispatched", WAIT, || async {
        let v = stack.public_view(&number, &check).await?;
        (v["status"] == "dispatched" && !v["sign_due_at"].is_null()).then_some(())
    })
    .await;
    stack
        .sign_and_answer(&number, "520102-env", "staff-17")
        .await;
    wait_for("the order to be closed", WAIT, || async {
        let v = stack.public_view(&number, &check).await?;
        (v["status"] == "closed").then_some(())
    })
    .await;

    // An emergency goes to 110, which accepts; the bridge records it.
    let receipt = submit(
        &stack,
        &json!({
            "channel": "web_message", "kind": "help",
            "requester": {"type": "person", "phone": "13987654321"},
            "matter": "有人持刀在小区门口", "region_code": "520102",
        }),
    )
    .await;
    assert_eq!(receipt["disposition"], "transfer_requested", "{receipt}");
    let sent = tokio::time::timeout(WAIT, seen.recv())
        .await
        .expect("110 receives the transfer")
        .unwrap();
    assert!(sent.emergency);
    let pool = stack.db.pool().await;
    let order_id: uuid::Uuid = receipt["order_id"].as_str().unwrap().parse().unwrap();
    wait_for("the bridge to record 110's acceptance", WAIT, || async {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM emergency_bridge.outbound_transfers WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(&pool)
        .await
        .ok()?;
        (status.as_deref() == Some("accepted")).then_some(())
    })
    .await;
    partner_stop.cancel();

    // The analyst saw the registrations.
    let first = tokio::time::timeout(WAIT, registered.next())
        .await
        .expect("the analyst receives order.registered")
        .unwrap();
    assert_eq!(first.subject.as_str(), "hotline.order.registered");

    // All of that needed nothing the permissions refuse.
    let refused = violations_in_log(&stack);
    assert!(
        refused.is_empty(),
        "permissions violations:\n{}",
        refused.join("\n")
    );

    // The lists are narrow: the router may not publish intake's events…
    let (router, mut router_events) = connect_as(&stack, "router").await;
    router
        .publish("hotline.order.registered", "forged".into())
        .await
        .unwrap();
    router.flush().await.unwrap();
    assert!(
        next_violation(&mut router_events)
            .await
            .contains("hotline.order.registered")
    );
    // …nor serve intake's requests;
    let _ = router.subscribe("rpc.intake.progress").await.unwrap();
    assert!(
        next_violation(&mut router_events)
            .await
            .contains("rpc.intake.progress")
    );
    // a partner may not speak for another partner;
    let (partner, mut partner_events) = connect_as(&stack, "partner-110").await;
    partner
        .publish("partner.119.transfer.accepted", "forged".into())
        .await
        .unwrap();
    partner.flush().await.unwrap();
    assert!(
        next_violation(&mut partner_events)
            .await
            .contains("partner.119.transfer.accepted")
    );
    // an analyst publishes nothing and reads no requests (or their replies).
    analyst
        .publish("hotline.order.registered", "forged".into())
        .await
        .unwrap();
    analyst.flush().await.unwrap();
    assert!(
        next_violation(&mut analyst_events)
            .await
            .contains("hotline.order.registered")
    );
    let _ = analyst.subscribe("rpc.>").await.unwrap();
    assert!(next_violation(&mut analyst_events).await.contains("rpc.>"));
    let _ = analyst.subscribe("hotline.transfer.>").await.unwrap();
    assert!(
        next_violation(&mut analyst_events)
            .await
            .contains("hotline.transfer.>")
    );

    // PostgreSQL: every service ran as the role owning its schema; the router's role
    // cannot read intake's tables, nor write its own into intake's schema.
    let prefix = stack
        .db_roles
        .clone()
        .expect("the secured stack has per-service roles");
    let router_db = sqlx::PgPool::connect(&secured::role_url(&stack.db.url(), &prefix, "router"))
        .await
        .unwrap();
    let read = sqlx::query("SELECT count(*) FROM intake.orders")
        .execute(&router_db)
        .await
        .unwrap_err();
    assert_eq!(sqlx_code(&read).as_deref(), Some("42501"), "{read}");
    let created = sqlx::query("CREATE TABLE intake.forged (id int)")
        .execute(&router_db)
        .await
        .unwrap_err();
    assert_eq!(sqlx_code(&created).as_deref(), Some("42501"), "{created}");
    let own: i64 = sqlx::query_scalar("SELECT count(*) FROM router.units")
        .fetch_one(&router_db)
        .await
        .unwrap();
    assert!(own > 0, "the router reads its own tables");
    router_db.close().await;

    let admin_url = stack.db.url();
    stack.stop().await;
    secured::drop_roles(&admin_url, &prefix).await;
}

fn sqlx_code(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
}
