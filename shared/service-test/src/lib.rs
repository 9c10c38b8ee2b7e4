//! Harness for testing one service against a real nats-server and a real PostgreSQL: a
//! fresh database, a random namespace, the `HOTLINE` stream, and helpers to publish events
//! the way a producing service would (CloudEvents envelope, `Nats-Msg-Id` = envelope id), to
//! wait for the events the service publishes, and to count its inbox and outbox rows.

// Harness code fails the test loudly on any broken step, like the tests themselves
// (clippy's allow-unwrap-in-tests only covers `#[test]` functions). Not every test file
// uses every helper.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod machine;

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer::DeliverPolicy};
use futures::StreamExt;
use hotline_contract::envelope::Envelope;
use hotline_contract::subjects::{self, HOTLINE_STREAM};
use hotline_contract::{Event, Namespace, RawEnvelope};
use hotline_service_kit::config::CommonConfig;
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace};
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

/// How long a test waits for something that should happen within a second or two.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Everything a test needs around the service under test.
#[derive(Debug)]
pub struct TestEnv {
    pub nats: NatsServer,
    pub db: TestDatabase,
    pub ns: Namespace,
    pub client: async_nats::Client,
    pub jetstream: jetstream::Context,
}

impl TestEnv {
    pub async fn new() -> Self {
        let nats = NatsServer::start().await;
        let db = TestDatabase::create().await;
        let ns = Namespace::new(unique_namespace()).unwrap();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let jetstream = jetstream::new(client.clone());
        hotline_messaging::ensure_stream(&jetstream, &subjects::hotline_stream(&ns, 1))
            .await
            .unwrap();
        Self {
            nats,
            db,
            ns,
            client,
            jetstream,
        }
    }

    /// The common config pointing at this environment, ops on a free port.
    pub fn common_config(&self) -> CommonConfig {
        let mut common = CommonConfig {
            namespace: self.ns.as_str().to_owned(),
            ..CommonConfig::default()
        };
        common.database.url = SecretString::from(self.db.url());
        common.nats.url = self.nats.url();
        common.ops.listen = "127.0.0.1:0".parse().unwrap();
        common
    }

    pub async fn pool(&self) -> PgPool {
        self.db.pool().await
    }

    /// Publish `data` as `producer` would: in an envelope whose id is the `Nats-Msg-Id`.
    /// Returns the envelope id.
    pub async fn publish<E: Event>(&self, producer: &str, data: E) -> Uuid {
        let subject = self.ns.subject(&data.subject());
        let envelope = Envelope::new(producer, data.aggregate_id(), data);
        let mut headers = HeaderMap::new();
        headers.insert(
            hotline_contract::headers::NATS_MSG_ID,
            envelope.id.to_string().as_str(),
        );
        self.jetstream
            .publish_with_headers(subject, headers, envelope.to_bytes().unwrap().into())
            .await
            .unwrap()
            .await
            .unwrap();
        envelope.id
    }

    /// Wait for an event of type `E` on `subject` (un-namespaced) that `matches`.
    pub async fn wait_for_event<E: Event>(
        &self,
        subject: &str,
        matches: impl Fn(&E) -> bool,
    ) -> Envelope<E> {
        let stream = self
            .jetstream
            .get_stream(self.ns.stream(HOTLINE_STREAM))
            .await
            .unwrap();
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig {
                filter_subject: self.ns.subject(subject),
                deliver_policy: DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut messages = consumer.messages().await.unwrap();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let next = tokio::time::timeout_at(deadline, messages.next()).await;
            let message = match next {
                Err(_) => panic!(
                    "timed out after {PATIENCE:?} waiting for a {} event",
                    E::TYPE
                ),
                Ok(None) => panic!("message stream ended while waiting for {}", E::TYPE),
                Ok(Some(message)) => message.unwrap(),
            };
            let raw = RawEnvelope::parse(&message.payload).unwrap();
            if raw.event_type != E::TYPE {
                continue;
            }
            let envelope = raw.decode::<E>().unwrap();
            if matches(&envelope.data) {
                return envelope;
            }
        }
    }

    /// How many messages the consumer `durable` has taken into the inbox of `schema`.
    pub async fn inbox_count(&self, pool: &PgPool, schema: &str, durable: &str) -> i64 {
        sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {schema}.inbox WHERE consumer = $1"
        ))
        .bind(durable)
        .fetch_one(pool)
        .await
        .unwrap()
    }

    /// How many events about `order_id` the service queued on `subject` (un-namespaced).
    pub async fn outbox_count(
        &self,
        pool: &PgPool,
        schema: &str,
        subject: &str,
        order_id: Uuid,
    ) -> i64 {
        sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {schema}.outbox WHERE subject = $1 \
             AND convert_from(payload, 'UTF8')::jsonb #>> '{{data,order_id}}' = $2"
        ))
        .bind(self.ns.subject(subject))
        .bind(order_id.to_string())
        .fetch_one(pool)
        .await
        .unwrap()
    }
}

/// Assert that the ops server at `ops` reports ready (`/readyz` answers 200).
pub async fn assert_ready(ops: std::net::SocketAddr) {
    let ready = reqwest::get(format!("http://{ops}/readyz")).await.unwrap();
    let status = ready.status();
    assert_eq!(status, 200, "{}", ready.text().await.unwrap());
}

/// A pool on `db` whose connections work in `schema`, migrated as the service migrates at
/// start (the messaging tables, then `migrator`): for tests of a service's SQL without
/// starting the service.
pub async fn migrated_pool(
    db: &TestDatabase,
    schema: &str,
    migrator: &sqlx::migrate::Migrator,
    max_connections: u32,
) -> PgPool {
    let config = hotline_service_kit::config::DatabaseConfig {
        url: SecretString::from(db.url()),
        max_connections,
        ..hotline_service_kit::config::DatabaseConfig::default()
    };
    let pool = hotline_service_kit::db::connect(&config, schema)
        .await
        .unwrap();
    hotline_service_kit::db::migrate(&pool, schema, &[&hotline_messaging::MIGRATOR, migrator])
        .await
        .unwrap();
    pool
}

/// `data` as a consumer hands it to a handler: a fresh envelope (producer `test`), the
/// event's subject, a new trace, first delivery. For tests that call a handler directly.
pub fn incoming_event<E: Event>(data: E) -> hotline_messaging::IncomingEvent {
    let subject = data.subject();
    let envelope = Envelope::new("test", data.aggregate_id(), data);
    hotline_messaging::IncomingEvent {
        envelope: RawEnvelope::parse(&envelope.to_bytes().unwrap()).unwrap(),
        subject,
        trace: hotline_telemetry::TraceContext::new_root(),
        stream_sequence: 1,
        delivered: 1,
    }
}

/// A [`json_state`] query: the events `schema`'s outbox holds about the order `$1`, in
/// order, as their subjects and data without `varying` (the keys that differ between twins:
/// the order's id, its number, instants taken from the clock).
pub fn outbox_events_sql(schema: &str, varying: &[&str]) -> String {
    let dropped: String = varying.iter().map(|key| format!(" - '{key}'")).collect();
    format!(
        "SELECT jsonb_agg(jsonb_build_object('subject', subject, 'data', \
         (convert_from(payload, 'UTF8')::jsonb -> 'data'){dropped}) ORDER BY seq) \
         FROM {schema}.outbox \
         WHERE convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'order_id' = $1::text"
    )
}

/// Each of `queries` (at most one JSON value each, about the aggregate `$1`) run for `id`:
/// what the batch-equivalence tests compare between an aggregate given its events one at a
/// time and its twin given them as one batch.
pub async fn json_state(
    pool: &PgPool,
    queries: &[&str],
    id: Uuid,
) -> Vec<Option<serde_json::Value>> {
    let mut state = Vec::with_capacity(queries.len());
    for sql in queries {
        let value: Option<Option<serde_json::Value>> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(pool)
            .await
            .unwrap();
        state.push(value.flatten());
    }
    state
}
