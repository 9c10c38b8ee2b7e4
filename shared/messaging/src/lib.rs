//! Reliable messaging on NATS JetStream and PostgreSQL.
//!
//! - [`connect`]: a NATS connection per service, with retries and credentials.
//! - [`provision`]: create-or-update of streams and durable consumers at start.
//! - [`outbox`] + [`relay`]: publish = a row in the service's transaction, relayed in order
//!   with `Nats-Msg-Id` after commit.
//! - [`consumer`] + [`handler`]: consume = inbox row + the handler's writes in one
//!   transaction, ack after commit, dead letters for what cannot be applied.
//! - [`rpc`]: typed request/reply on the NATS service API.

pub mod barrier;
pub mod connect;
pub mod consumer;
pub mod handler;
pub mod outbox;
pub mod provision;
pub mod relay;
pub mod rpc;
pub mod wake;

pub use barrier::{BarrierError, server_barrier, server_barrier_within};
pub use connect::{NatsConfig, connect};
pub use consumer::{ConsumerConfig, FaultInjection, run_consumer};
pub use handler::{EventHandler, HandlerError, IncomingEvent};
pub use outbox::{Outbox, OutboxError, OutboxRows};
pub use provision::{ConsumerSpec, ProvisionError, ensure_consumer, ensure_stream};
pub use relay::{OutboxRelay, RelayConfig, RelayError};
pub use rpc::{CallError, RpcServer, call};

/// The messaging tables (outbox, inbox, dead_letter), applied into each service's schema
/// before the service's own migrations. Versions 1..999 are reserved for this crate.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
