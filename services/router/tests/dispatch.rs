//! The router against a real nats-server and a fresh PostgreSQL database: a registered
//! order is dispatched by the rules or the territory, signed for and answered over
//! request/reply, and neither redeliveries nor bad requests cause a second effect.

// The harness's helpers fail the test loudly when the environment misbehaves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream::Stream};
use chrono::{Days, Utc};
use hotline_contract::envelope::Envelope;
use hotline_contract::events::{
    DispatchBasis, OrderDispatched, OrderRegistered, OrderResultSubmitted, OrderSigned,
    RequesterRef,
};
use hotline_contract::headers::NATS_MSG_ID;
use hotline_contract::rpc::{
    ResultReceipt, RpcErrorCode, SignCommand, SignReceipt, SubmitResultCommand, verbs,
};
use hotline_contract::subjects::{self, event};
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_contract::{Event, Namespace, RawEnvelope};
use hotline_messaging::CallError;
use hotline_router::RouterConfig;
use hotline_service_kit::running::Running;
use hotline_telemetry::TraceContext;
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace, wait_for};
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(20);

/// A router started on its own NATS server and database, plus a client to drive it.
struct Harness {
    _nats_server: NatsServer,
    db: TestDatabase,
    pool: PgPool,
    client: async_nats::Client,
    js: jetstream::Context,
    stream: Stream,
    ns: Namespace,
    shutdown: CancellationToken,
    running: Running,
}

impl Harness {
    async fn start() -> Self {
        let nats_server = NatsServer::start().await;
        let db = TestDatabase::create().await;
        let ns = Namespace::new(unique_namespace()).unwrap();

        let mut config = RouterConfig::default();
        config.common.namespace = ns.as_str().to_owned();
        config.common.nats.url = nats_server.url();
        config.common.database.url = SecretString::from(db.url());
        config.common.ops.listen = "127.0.0.1:0".parse().unwrap();
        let shutdown = CancellationToken::new();
        let running = hotline_router::start(config, shutdown.clone())
            .await
            .expect("router starts");

        let client = async_nats::connect(nats_server.url()).await.unwrap();
        let js = jetstream::new(client.clone());
        // The router provisions the stream too; ensuring it here as well keeps the test
        // independent of start-up order.
        let stream = hotline_messaging::ensure_stream(&js, &subjects::hotline_stream(&ns, 1))
            .await
            .unwrap();
        let pool = db.pool().await;
        Self {
            _nats_server: nats_server,
            db,
            pool,
            client,
            js,
            stream,
            ns,
            shutdown,
            running,
        }
    }

    /// Publish an envelope as intake's relay would, with `msg_id` as `Nats-Msg-Id`;
    /// returns its stream sequence.
    async fn publish(&self, envelope: &Envelope<OrderRegistered>, msg_id: &str) -> u64 {
        let mut headers = HeaderMap::new();
        headers.insert(NATS_MSG_ID, msg_id);
        let ack = self
            .js
            .publish_with_headers(
                self.ns.subject(event::ORDER_REGISTERED),
                headers,
                envelope.to_bytes().unwrap().into(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(!ack.duplicate, "the stream took the message as a duplicate");
        ack.sequence
    }

    async fn register(&self, order: OrderRegistered) -> Envelope<OrderRegistered> {
        let envelope = Envelope::new("intake", order.order_id.to_string(), order);
        self.publish(&envelope, &envelope.id.to_string()).await;
        envelope
    }

    /// Every event on `subject` (un-prefixed) in the stream, oldest first.
    async fn events(&self, subject: &str) -> Vec<RawEnvelope> {
        let subject = self.ns.subject(subject);
        let mut found = Vec::new();
        let mut next = 1;
        loop {
            let message = self
                .stream
                .raw_message_builder()
                .sequence(next)
                .next_by_subject(subject.clone())
                .send()
                .await;
            match message {
                Ok(message) => {
                    next = message.sequence + 1;
                    found.push(RawEnvelope::parse(&message.payload).unwrap());
                }
                Err(_) => return found,
            }
        }
    }

    /// The events of type `E` about `order_id`.
    async fn events_about<E: Event>(&self, subject: &str, order_id: Uuid) -> Vec<Envelope<E>> {
        self.events(subject)
            .await
            .into_iter()
            .filter(|e| e.subject == order_id.to_string())
            .map(|e| e.decode::<E>().unwrap())
            .collect()
    }

    async fn wait_for_event<E: Event>(&self, subject: &str, order_id: Uuid) -> E {
        wait_for(&format!("{subject} about {order_id}"), WAIT, || async {
            self.events_about::<E>(subject, order_id)
                .await
                .into_iter()
                .next()
                .map(|e| e.data)
        })
        .await
    }

    /// Wait until the dispatch consumer has handled (and acknowledged) everything up to
    /// stream sequence `seq`, and the outbox has published everything it holds.
    async fn wait_until_handled(&self, seq: u64) {
        wait_for("the dispatch consumer to catch up", WAIT, || async {
            let info = self.stream.consumer_info("router-dispatch").await.ok()?;
            (info.delivered.stream_sequence >= seq && info.num_ack_pending == 0).then_some(())
        })
        .await;
        wait_for("the outbox to drain", WAIT, || async {
            let unsent: i64 =
                sqlx::query_scalar("SELECT count(*) FROM router.outbox WHERE sent_at IS NULL")
                    .fetch_one(&self.pool)
                    .await
                    .ok()?;
            (unsent == 0).then_some(())
        })
        .await;
    }

    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        verb: (&str, &str),
        request: &Req,
    ) -> Result<Resp, CallError> {
        hotline_messaging::call(
            &self.client,
            &self.ns,
            verb,
            request,
            &TraceContext::new_root(),
            Duration::from_secs(10),
        )
        .await
    }

    async fn sign(&self, command: &SignCommand) -> Result<SignReceipt, CallError> {
        self.call(verbs::ROUTER_SIGN, command).await
    }

    async fn submit(&self, command: &SubmitResultCommand) -> Result<ResultReceipt, CallError> {
        self.call(verbs::ROUTER_SUBMIT_RESULT, command).await
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.running.wait())
            .await
            .expect("router stops within the deadline");
        self.pool.close().await;
        self.db.drop_database().await;
    }
}

fn registered(number: &str, category: Option<&str>, region: &str) -> OrderRegistered {
    let now = Utc::now();
    OrderRegistered {
        order_id: Uuid::now_v7(),
        number: number.to_owned(),
        channel: Channel::Phone,
        kind: RequestKind::Complaint,
        category: category.map(str::to_owned),
        region_code: region.to_owned(),
        urgency: Urgency::Normal,
        requester: RequesterRef {
            requester_type: RequesterType::Person,
            phone_masked: Some("138****1234".to_owned()),
            phone_hash: Some("ab".repeat(32)),
            confidential: false,
        },
        requested_at: now,
        registered_at: now,
        registered_by: Some("agent-007".to_owned()),
        follow_up_of: None,
    }
}

fn error_code<T: std::fmt::Debug>(result: Result<T, CallError>) -> (RpcErrorCode, Vec<String>) {
    match result {
        Err(CallError::Rpc(error)) => (
            error.code,
            error.fields.into_iter().map(|f| f.field).collect(),
        ),
        other => panic!("expected a typed error reply, got {other:?}"),
    }
}

fn sign_as(number: &str, unit: &str, who: &str) -> SignCommand {
    SignCommand {
        number: number.to_owned(),
        unit_id: unit.to_owned(),
        signed_by: who.to_owned(),
    }
}

const REPLY: &str =
    "您好，您反映的南明区某工地夜间施工噪声问题，经核查属实，已责令其停止夜间施工。";

fn result_of(number: &str, unit: &str) -> SubmitResultCommand {
    SubmitResultCommand {
        number: number.to_owned(),
        unit_id: unit.to_owned(),
        submitted_by: "李强".to_owned(),
        basis: "《中华人民共和国噪声污染防治法》第四十三条".to_owned(),
        findings: "现场核查：该工地22时后仍在施工，未办理夜间施工证明。".to_owned(),
        reply: REPLY.to_owned(),
        promised_by: None,
    }
}

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
    // A rule exists for the category, but only for Guiyang: Zunyi's district handles it.
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
