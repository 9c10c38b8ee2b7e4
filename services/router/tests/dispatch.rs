//! The router against a real nats-server and a fresh PostgreSQL database: a registered
//! order is dispatched by the rules or the territory, signed for and answered over
//! request/reply, and neither redeliveries nor bad requests cause a second effect.

// The harness's helpers fail the test loudly when the environment misbehaves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hotline_contract::directory::{RuleView, SaveRuleCommand};
use support::*;

#[tokio::test]
async fn a_registered_order_is_dispatched_by_rule_then_signed_for_and_answered() {
    let h = Harness::start().await;
    let number = "5201022611270001";
    let order = h
        .register(registered(number, Some("environment.noise"), "520102"))
        .await
        .data;

    // A12: clear duty → the district's environment branch, by its rule.
    let dispatched: OrderDispatched = h
        .wait_for_event(event::ORDER_DISPATCHED, order.order_id)
        .await;
    assert_eq!(dispatched.number, number);
    assert_eq!(dispatched.unit_id, "520102-env");
    assert_eq!(dispatched.basis, DispatchBasis::Rule);
    assert_eq!(
        dispatched.rule_id.as_deref(),
        Some("520102:environment.noise")
    );
    assert_eq!(dispatched.kind, RequestKind::Complaint);
    assert_eq!(dispatched.urgency, Urgency::Normal);
    let (unit, status): (String, String) =
        sqlx::query_as("SELECT unit_id, status FROM router.assignments WHERE order_id = $1")
            .bind(order.order_id)
            .fetch_one(&h.pool)
            .await
            .unwrap();
    assert_eq!(
        (unit.as_str(), status.as_str()),
        ("520102-env", "dispatched")
    );

    // Refusals before signing.
    let (code, _) = error_code(h.submit(&result_of(number, "520102-env")).await);
    assert_eq!(code, RpcErrorCode::Conflict, "a result before signing");
    let (code, _) = error_code(h.sign(&sign_as(number, "520100-env", "张伟")).await);
    assert_eq!(code, RpcErrorCode::Forbidden, "another unit signs");
    let (code, _) = error_code(
        h.sign(&sign_as("5201022611279999", "520102-env", "张伟"))
            .await,
    );
    assert_eq!(code, RpcErrorCode::NotFound, "an unknown number");
    let (code, fields) = error_code(h.sign(&sign_as(number, "520102-env", "  ")).await);
    assert_eq!(code, RpcErrorCode::InvalidRequest);
    assert_eq!(fields, ["signed_by"]);

    // A15: the unit signs for it.
    let receipt = h
        .sign(&sign_as(number, "520102-env", "张伟"))
        .await
        .unwrap();
    assert_eq!(receipt.order_id, order.order_id);
    assert_eq!(receipt.number, number);
    let signed: OrderSigned = h.wait_for_event(event::ORDER_SIGNED, order.order_id).await;
    assert_eq!(signed.unit_id, "520102-env");
    assert_eq!(signed.signed_by, "张伟");
    assert_eq!(signed.signed_at, receipt.signed_at);
    let (code, _) = error_code(h.sign(&sign_as(number, "520102-env", "张伟")).await);
    assert_eq!(code, RpcErrorCode::Conflict, "signing twice");

    // A16: an incomplete result is refused field by field.
    let mut empty_reply = result_of(number, "520102-env");
    empty_reply.reply = " \n ".to_owned();
    let (code, fields) = error_code(h.submit(&empty_reply).await);
    assert_eq!(code, RpcErrorCode::InvalidRequest);
    assert_eq!(fields, ["reply"]);

    // A16: the complete result is stored; the event carries only its checklist.
    let promised = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(3))
        .unwrap();
    let mut complete = result_of(number, "520102-env");
    complete.promised_by = Some(promised);
    let receipt = h.submit(&complete).await.unwrap();
    assert_eq!(receipt.order_id, order.order_id);
    let submitted: OrderResultSubmitted = h
        .wait_for_event(event::ORDER_RESULT_SUBMITTED, order.order_id)
        .await;
    assert_eq!(submitted.result_id, receipt.result_id);
    assert_eq!(submitted.unit_id, "520102-env");
    assert_eq!(submitted.submitted_by, "李强");
    assert!(submitted.checklist.is_complete());
    assert_eq!(submitted.checklist.promised_by, Some(promised));
    let on_the_wire =
        serde_json::to_string(&h.events(event::ORDER_RESULT_SUBMITTED).await).unwrap();
    assert!(
        !on_the_wire.contains("噪声"),
        "result texts must not travel in events"
    );

    let (reply, status): (String, String) = sqlx::query_as(
        "SELECT r.reply, a.status FROM router.results r JOIN router.assignments a USING (order_id) \
         WHERE r.result_id = $1",
    )
    .bind(receipt.result_id)
    .fetch_one(&h.pool)
    .await
    .unwrap();
    assert_eq!(reply, REPLY);
    assert_eq!(status, "result_submitted");
    let (code, _) = error_code(h.submit(&complete).await);
    assert_eq!(code, RpcErrorCode::Conflict, "submitting twice");

    h.stop().await;
}

#[tokio::test]
async fn an_order_without_a_matching_rule_goes_to_its_region_government() {
    let h = Harness::start().await;
    // A category no rule covers in Huaxi district.
    let huaxi = h
        .register(registered(
            "5201112611270001",
            Some("roads.potholes"),
            "520111",
        ))
        .await
        .data;
    // No category, a township (street) of Nanming: its county's government.
    let street = h
        .register(registered("5201022611270002", None, "520102016"))
        .await
        .data;
    // Rules cover noise in Zunyi's district and city, but the operators deactivated both
    // environment offices: a rule naming an inactive unit is skipped, the district's
    // government handles it.
    sqlx::query(
        "UPDATE router.units SET active = FALSE WHERE unit_id IN ('520302-env', '520300-env')",
    )
    .execute(&h.pool)
    .await
    .unwrap();
    let zunyi = h
        .register(registered(
            "5203022611270001",
            Some("environment.noise"),
            "520302",
        ))
        .await
        .data;

    for (order, unit) in [
        (&huaxi, "gov-520111"),
        (&street, "gov-520102"),
        (&zunyi, "gov-520302"),
    ] {
        let dispatched: OrderDispatched = h
            .wait_for_event(event::ORDER_DISPATCHED, order.order_id)
            .await;
        assert_eq!(dispatched.unit_id, unit, "order in {}", order.region_code);
        assert_eq!(dispatched.basis, DispatchBasis::Territorial);
        assert_eq!(dispatched.rule_id, None);
    }

    // The territorial government signs for it like any unit.
    let receipt = h
        .sign(&sign_as("5201112611270001", "gov-520111", "赵敏"))
        .await
        .unwrap();
    assert_eq!(receipt.order_id, huaxi.order_id);

    h.stop().await;
}

#[tokio::test]
async fn a_redelivered_registration_does_not_dispatch_the_order_twice() {
    let h = Harness::start().await;
    let envelope = h
        .register(registered(
            "5201022611270003",
            Some("housing.property"),
            "520102",
        ))
        .await;
    let order_id = envelope.data.order_id;
    let first: OrderDispatched = h.wait_for_event(event::ORDER_DISPATCHED, order_id).await;
    assert_eq!(first.unit_id, "520102-housing");

    // The same event again after JetStream's de-duplication window (a new Nats-Msg-Id),
    // as after a relay replay: the inbox absorbs it.
    h.publish(&envelope, &Uuid::now_v7().to_string()).await;
    // A new event for the same order (a re-registration): the assignment absorbs it.
    let again = Envelope::new("intake", order_id.to_string(), envelope.data.clone());
    let last = h.publish(&again, &again.id.to_string()).await;
    h.wait_until_handled(last).await;

    let dispatched = h
        .events_about::<OrderDispatched>(event::ORDER_DISPATCHED, order_id)
        .await;
    assert_eq!(dispatched.len(), 1, "exactly one order.dispatched");
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM router.assignments WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&h.pool)
            .await
            .unwrap();
    assert_eq!(rows, 1);
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM router.dead_letter")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    assert_eq!(dead, 0, "a redelivery is not an error");

    h.stop().await;
}

#[tokio::test]
async fn a_registration_reusing_another_orders_number_is_dead_lettered_not_dispatched() {
    let h = Harness::start().await;
    let number = "5201022611270004";
    let first = h
        .register(registered(number, Some("labour.wages"), "520102"))
        .await
        .data;
    let _: OrderDispatched = h
        .wait_for_event(event::ORDER_DISPATCHED, first.order_id)
        .await;

    let clash = registered(number, Some("labour.wages"), "520102");
    let clash_id = clash.order_id;
    let envelope = Envelope::new("intake", clash_id.to_string(), clash);
    let seq = h.publish(&envelope, &envelope.id.to_string()).await;
    h.wait_until_handled(seq).await;

    let reasons: Vec<String> = sqlx::query_scalar("SELECT reason FROM router.dead_letter")
        .fetch_all(&h.pool)
        .await
        .unwrap();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains(number), "{reasons:?}");
    assert!(
        h.events_about::<OrderDispatched>(event::ORDER_DISPATCHED, clash_id)
            .await
            .is_empty()
    );

    h.stop().await;
}

#[tokio::test]
async fn a_rule_edit_takes_effect_for_the_next_order_without_a_restart() {
    let h = Harness::start().await;
    let first = h
        .register(registered(
            "5201022611270005",
            Some("environment.noise"),
            "520102",
        ))
        .await
        .data;
    let dispatched: OrderDispatched = h
        .wait_for_event(event::ORDER_DISPATCHED, first.order_id)
        .await;
    assert_eq!(dispatched.unit_id, "520102-env");

    // An operator edits the rule while the router runs (`rpc.router.save_rule`): a new
    // version, another unit.
    let saved: RuleView = h
        .call(
            verbs::ROUTER_SAVE_RULE,
            &SaveRuleCommand {
                rule_id: "520102:environment.noise".to_owned(),
                category: "environment.noise".to_owned(),
                region_code: "520102".to_owned(),
                kind: None,
                unit_id: "520102-market".to_owned(),
                priority: 0,
                active: true,
                reason: Some("试点：噪声投诉由市场监管局统一受理".to_owned()),
                expected_version: Some(1),
                edited_by: "center-admin".to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    let next = h
        .register(registered(
            "5201022611270006",
            Some("environment.noise"),
            "520102",
        ))
        .await
        .data;
    let dispatched: OrderDispatched = h
        .wait_for_event(event::ORDER_DISPATCHED, next.order_id)
        .await;
    assert_eq!(dispatched.unit_id, "520102-market");
    assert_eq!(
        dispatched.rule_id.as_deref(),
        Some("520102:environment.noise")
    );
    // Every dispatch records the rule and the version that decided it.
    let versions: Vec<(String, Option<i32>)> =
        sqlx::query_as("SELECT number, rule_version FROM router.assignments ORDER BY number")
            .fetch_all(&h.pool)
            .await
            .unwrap();
    assert_eq!(
        versions,
        [
            ("5201022611270005".to_owned(), Some(1)),
            ("5201022611270006".to_owned(), Some(2))
        ]
    );
    h.stop().await;
}
