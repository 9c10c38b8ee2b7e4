//! The harness the router's integration tests share: a router started on its own
//! nats-server and database, and a client to drive it.

// Each test binary uses part of the harness.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

pub use async_nats::HeaderMap;
pub use async_nats::jetstream::{self, stream::Stream};
pub use chrono::{Days, Utc};
pub use hotline_contract::envelope::Envelope;
pub use hotline_contract::events::{
    DispatchBasis, OrderDispatched, OrderRegistered, OrderResultSubmitted, OrderSigned,
    RequesterRef,
};
pub use hotline_contract::headers::NATS_MSG_ID;
pub use hotline_contract::rpc::{
    ResultReceipt, RpcErrorCode, SignCommand, SignReceipt, SubmitResultCommand, verbs,
};
pub use hotline_contract::subjects::{self, event};
pub use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
pub use hotline_contract::{Event, Namespace, RawEnvelope};
pub use hotline_messaging::CallError;
pub use hotline_router::RouterConfig;
pub use hotline_service_kit::running::Running;
pub use hotline_telemetry::TraceContext;
pub use hotline_test_support::{NatsServer, TestDatabase, unique_namespace, wait_for};
pub use secrecy::SecretString;
pub use serde::Serialize;
pub use serde::de::DeserializeOwned;
pub use sqlx::PgPool;
pub use std::time::Duration;
pub use tokio_util::sync::CancellationToken;
pub use uuid::Uuid;

pub const WAIT: Duration = Duration::from_secs(20);

/// A router started on its own NATS server and database, plus a client to drive it.
pub struct Harness {
    pub _nats_server: NatsServer,
    pub db: TestDatabase,
    pub pool: PgPool,
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub stream: Stream,
    pub ns: Namespace,
    pub shutdown: CancellationToken,
    pub running: Running,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// As [`Harness::start`], with the router's config adjusted first.
    pub async fn start_with(adjust: impl FnOnce(&mut RouterConfig)) -> Self {
        let nats_server = NatsServer::start().await;
        let db = TestDatabase::create().await;
        let ns = Namespace::new(unique_namespace()).unwrap();

        let mut config = RouterConfig::default();
        config.common.namespace = ns.as_str().to_owned();
        config.common.nats.url = nats_server.url();
        config.common.database.url = SecretString::from(db.url());
        config.common.ops.listen = "127.0.0.1:0".parse().unwrap();
        adjust(&mut config);
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
    pub async fn publish(&self, envelope: &Envelope<OrderRegistered>, msg_id: &str) -> u64 {
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

    /// Publish an event as its producer would (e.g. supervision's `order.sent_back`).
    pub async fn publish_event<E: Event>(&self, producer: &str, data: E) {
        let envelope = Envelope::new(producer, data.aggregate_id(), data);
        let mut headers = HeaderMap::new();
        headers.insert(NATS_MSG_ID, envelope.id.to_string().as_str());
        self.js
            .publish_with_headers(
                self.ns.subject(&envelope.data.subject()),
                headers,
                envelope.to_bytes().unwrap().into(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }

    pub async fn register(&self, order: OrderRegistered) -> Envelope<OrderRegistered> {
        let envelope = Envelope::new("intake", order.order_id.to_string(), order);
        self.publish(&envelope, &envelope.id.to_string()).await;
        envelope
    }

    /// Every event on `subject` (un-prefixed) in the stream, oldest first.
    pub async fn events(&self, subject: &str) -> Vec<RawEnvelope> {
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
    pub async fn events_about<E: Event>(&self, subject: &str, order_id: Uuid) -> Vec<Envelope<E>> {
        self.events(subject)
            .await
            .into_iter()
            .filter(|e| e.subject == order_id.to_string())
            .map(|e| e.decode::<E>().unwrap())
            .collect()
    }

    pub async fn wait_for_event<E: Event>(&self, subject: &str, order_id: Uuid) -> E {
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
    pub async fn wait_until_handled(&self, seq: u64) {
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

    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
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

    pub async fn sign(&self, command: &SignCommand) -> Result<SignReceipt, CallError> {
        self.call(verbs::ROUTER_SIGN, command).await
    }

    pub async fn submit(&self, command: &SubmitResultCommand) -> Result<ResultReceipt, CallError> {
        self.call(verbs::ROUTER_SUBMIT_RESULT, command).await
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.running.wait())
            .await
            .expect("router stops within the deadline");
        self.pool.close().await;
        self.db.drop_database().await;
    }
}

pub fn registered(number: &str, category: Option<&str>, region: &str) -> OrderRegistered {
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

pub fn error_code<T: std::fmt::Debug>(result: Result<T, CallError>) -> (RpcErrorCode, Vec<String>) {
    match result {
        Err(CallError::Rpc(error)) => (
            error.code,
            error.fields.into_iter().map(|f| f.field).collect(),
        ),
        other => panic!("expected a typed error reply, got {other:?}"),
    }
}

pub fn sign_as(number: &str, unit: &str, who: &str) -> SignCommand {
    SignCommand {
        number: number.to_owned(),
        unit_id: unit.to_owned(),
        signed_by: who.to_owned(),
    }
}

pub const REPLY: &str =
    "您好，您反映的南明区某工地夜间施工噪声问题，经核查属实，已责令其停止夜间施工。";

pub fn result_of(number: &str, unit: &str) -> SubmitResultCommand {
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
