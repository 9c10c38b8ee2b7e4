//! Create-or-update of streams and durable consumers at service start.
//!
//! Every service provisions what it uses, idempotently, so a fresh NATS server (or a test
//! namespace) needs no manual set-up and a changed config (new filter subject, replicas)
//! is applied on the next deploy.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use hotline_contract::subjects::StreamSpec;

/// Provisioning failed; callers treat this as fatal at start-up (with retries around it).
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("could not create or update stream {name}: {source}")]
    Stream {
        name: String,
        source: async_nats::jetstream::context::CreateStreamError,
    },
    #[error("could not look up stream {name}: {source}")]
    GetStream {
        name: String,
        source: async_nats::jetstream::context::GetStreamError,
    },
    #[error("could not create or update consumer {name} on {stream}: {source}")]
    Consumer {
        stream: String,
        name: String,
        source: async_nats::jetstream::stream::ConsumerError,
    },
}

/// What a durable pull consumer must look like.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerSpec {
    /// `<service>-<purpose>`, see `hotline_contract::subjects::durable_name`.
    pub durable: String,
    /// Namespaced subject filters.
    pub filter_subjects: Vec<String>,
    /// How long the server waits for an ack before redelivering.
    pub ack_wait: Duration,
    /// Deliveries before the server gives up (then the message is on the advisory only);
    /// our loop dead-letters long before that, so this is a last resort.
    pub max_deliver: i64,
    /// In-flight messages across all lanes.
    pub max_ack_pending: i64,
}

impl ConsumerSpec {
    /// Defaults suited to event handlers that commit to Postgres in milliseconds.
    pub fn new(durable: impl Into<String>, filter_subjects: Vec<String>) -> Self {
        Self {
            durable: durable.into(),
            filter_subjects,
            ack_wait: Duration::from_secs(30),
            max_deliver: 100,
            max_ack_pending: 1024,
        }
    }
}

/// Create the stream, or update it to match `spec`.
pub async fn ensure_stream(
    js: &jetstream::Context,
    spec: &StreamSpec,
) -> Result<stream::Stream, ProvisionError> {
    let config = stream::Config {
        name: spec.name.clone(),
        subjects: spec.subjects.clone(),
        description: Some(spec.description.clone()),
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: spec.duplicate_window,
        num_replicas: spec.replicas,
        allow_direct: true,
        ..Default::default()
    };
    js.create_or_update_stream(config)
        .await
        .map_err(|source| ProvisionError::Stream {
            name: spec.name.clone(),
            source,
        })?;
    js.get_stream(&spec.name)
        .await
        .map_err(|source| ProvisionError::GetStream {
            name: spec.name.clone(),
            source,
        })
}

/// Create the durable pull consumer, or update it to match `spec`.
pub async fn ensure_consumer(
    stream: &stream::Stream,
    stream_name: &str,
    spec: &ConsumerSpec,
) -> Result<consumer::PullConsumer, ProvisionError> {
    let config = consumer::pull::Config {
        durable_name: Some(spec.durable.clone()),
        filter_subjects: spec.filter_subjects.clone(),
        ack_policy: consumer::AckPolicy::Explicit,
        deliver_policy: consumer::DeliverPolicy::All,
        ack_wait: spec.ack_wait,
        max_deliver: spec.max_deliver,
        max_ack_pending: spec.max_ack_pending,
        ..Default::default()
    };
    stream
        .create_consumer(config)
        .await
        .map_err(|source| ProvisionError::Consumer {
            stream: stream_name.to_owned(),
            name: spec.durable.clone(),
            source,
        })
}
