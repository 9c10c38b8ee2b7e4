//! Start-up shared by every service: connect, migrate, open the ops port.
//!
//! Order matters: NATS first (a service is useless without it), then Postgres, then the
//! migrations (messaging tables first, the service's own next), and only then the ops
//! server, so `/readyz` never reports ready for a service whose schema is not in place.
//! Every step waits for its dependency with bounded retries, and the whole start-up gives
//! up at once if shutdown is requested meanwhile.

use std::future::Future;

use hotline_contract::subjects::{InvalidNamespace, Namespace};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

use crate::config::CommonConfig;
use crate::db::{self, DbError};
use crate::ops::{self, OpsServer, Readiness};

/// What every service needs to run, connected and migrated.
#[derive(Clone, Debug)]
pub struct ServiceContext {
    /// The service's name (NATS client name, log field).
    pub service: &'static str,
    /// The service's Postgres schema (its tables, outbox, inbox and dead letters).
    pub schema: String,
    /// Subject/stream prefix (empty in production), validated from `common.namespace`.
    pub namespace: Namespace,
    /// Replicas of the streams the service provisions (1 locally, 3 in production).
    pub stream_replicas: usize,
    /// Lanes of the service's consumers (`common.consumer_lanes`, at least 1).
    pub consumer_lanes: usize,
    /// Events a lane applies in one transaction at most (`common.consumer_batch_max`).
    pub consumer_batch_max: usize,
    /// How long a lane waits for its batch to fill (`common.consumer_linger_ms`).
    pub consumer_linger: std::time::Duration,
    /// The NATS connection.
    pub nats: async_nats::Client,
    /// JetStream on that connection.
    pub jetstream: async_nats::jetstream::Context,
    /// Pool on the service's schema.
    pub db: PgPool,
    /// Cancelled when the service must stop.
    pub shutdown: CancellationToken,
}

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// `namespace` cannot prefix subjects and stream names.
    #[error(transparent)]
    Namespace(#[from] InvalidNamespace),
    /// No NATS connection.
    #[error(transparent)]
    Nats(#[from] hotline_messaging::connect::ConnectError),
    /// No database connection, or migrations failed.
    #[error(transparent)]
    Database(#[from] DbError),
    /// The ops port could not be bound.
    #[error("cannot listen on the ops address {addr}: {source}")]
    OpsListener {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// `consumer_lanes` is 0: a consumer needs a lane to apply anything.
    #[error("consumer_lanes must be at least 1 (HOTLINE_CONSUMER_LANES)")]
    NoConsumerLanes,
    /// `consumer_batch_max` is 0: a batch must hold an event.
    #[error("consumer_batch_max must be at least 1 (HOTLINE_CONSUMER_BATCH_MAX)")]
    NoConsumerBatch,
    /// `consumer_linger_ms` is above [`crate::config::MAX_CONSUMER_LINGER_MS`].
    #[error(
        "consumer_linger_ms must be at most {max} (HOTLINE_CONSUMER_LINGER_MS), got {got}",
        max = crate::config::MAX_CONSUMER_LINGER_MS
    )]
    ConsumerLingerTooLong { got: u64 },
    /// Shutdown was requested before start-up finished.
    #[error("shutdown requested during start-up")]
    Cancelled,
}

/// Validates the namespace and schema name, connects NATS and the pool for `schema`, runs
/// `hotline_messaging::MIGRATOR` then `migrators`, and starts the ops server on
/// `common.ops.listen`.
///
/// Logs the configuration at start; secrets print redacted.
pub async fn start(
    service: &'static str,
    schema: &str,
    common: &CommonConfig,
    migrators: &[&Migrator],
    shutdown: CancellationToken,
) -> Result<(ServiceContext, OpsServer), BootstrapError> {
    tracing::info!(service, schema, config = ?common, "starting");
    let namespace = Namespace::new(common.namespace.clone())?;
    if common.consumer_lanes == 0 {
        return Err(BootstrapError::NoConsumerLanes);
    }
    if common.consumer_batch_max == 0 {
        return Err(BootstrapError::NoConsumerBatch);
    }
    if common.consumer_linger_ms > crate::config::MAX_CONSUMER_LINGER_MS {
        return Err(BootstrapError::ConsumerLingerTooLong {
            got: common.consumer_linger_ms,
        });
    }
    db::validate_schema(schema)?;

    let nats =
        unless_cancelled(&shutdown, hotline_messaging::connect(service, &common.nats)).await??;
    let jetstream = async_nats::jetstream::new(nats.clone());

    let db = unless_cancelled(&shutdown, db::connect(&common.database, schema)).await??;
    let mut all: Vec<&Migrator> = Vec::with_capacity(migrators.len() + 1);
    all.push(&hotline_messaging::MIGRATOR);
    all.extend_from_slice(migrators);
    unless_cancelled(&shutdown, db::migrate(&db, schema, &all)).await??;

    let readiness = Readiness::new(Some(nats.clone()), Some(db.clone()));
    let ops = ops::serve(common.ops.listen, readiness, shutdown.clone())
        .await
        .map_err(|source| BootstrapError::OpsListener {
            addr: common.ops.listen,
            source,
        })?;

    tracing::info!(service, ops = %ops.local_addr, "started");
    let context = ServiceContext {
        service,
        schema: schema.to_owned(),
        namespace,
        stream_replicas: common.stream_replicas,
        consumer_lanes: common.consumer_lanes,
        consumer_batch_max: common.consumer_batch_max,
        consumer_linger: std::time::Duration::from_millis(common.consumer_linger_ms),
        nats,
        jetstream,
        db,
        shutdown,
    };
    Ok((context, ops))
}

/// Runs `step` unless (or until) `shutdown` is cancelled.
async fn unless_cancelled<T>(
    shutdown: &CancellationToken,
    step: impl Future<Output = T>,
) -> Result<T, BootstrapError> {
    tokio::select! {
        () = shutdown.cancelled() => Err(BootstrapError::Cancelled),
        output = step => Ok(output),
    }
}
