//! What every hotline service does the same way, so each service's `main` stays short:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use hotline_service_kit::{bootstrap, config, shutdown};
//!
//! let common: config::CommonConfig = config::load()?;
//! let _telemetry = hotline_telemetry::init("intake", &common.telemetry)?;
//! let (ctx, ops) = bootstrap::start("intake", "intake", &common, &[], shutdown::on_signals()).await?;
//! // ... run consumers with ctx until ctx.shutdown is cancelled ...
//! ops.wait().await;
//! # Ok(())
//! # }
//! ```
//!
//! * [`config`]: defaults < TOML file < `HOTLINE_*` env, with secrets as `SecretString`.
//! * [`shutdown`]: a cancellation token fired by SIGTERM/SIGINT.
//! * [`db`]: a Postgres pool pinned to the service's schema; migrations under a lock.
//! * [`ops`]: `/healthz`, `/readyz`, `/metrics`.
//! * [`bootstrap`]: all of the above in the right order.
//! * [`http`]: serving a service's own axum API with graceful shutdown.
//! * [`running`]: a started service's tasks and addresses, awaited on shutdown.
//! * [`replay`]: the `replay-outbox` command (publish again what a lost JetStream store lost).
//! * [`hash_chain`]: SHA-256 link hashes for tamper-evident append-only records.
//! * [`Allocator`]: the memory allocator every service binary declares as its global one.

pub mod bootstrap;
pub mod config;
pub mod db;
pub mod hash_chain;
pub mod http;
pub mod json_body;
pub mod ops;
pub mod replay;
pub mod running;
pub mod shutdown;
pub mod wiring;

pub use bootstrap::{BootstrapError, ServiceContext};
pub use config::{CommonConfig, ConfigError, DatabaseConfig, OpsConfig};
pub use db::DbError;

/// The allocator of the service binaries (mimalloc): each `main.rs` declares
/// `#[global_allocator] static ALLOCATOR: hotline_service_kit::Allocator = hotline_service_kit::Allocator;`.
/// Under load a sixth of the services' CPU time went to the system allocator
/// (docs/performance.md); the services allocate and free many small buffers per message.
pub use mimalloc::MiMalloc as Allocator;
pub use ops::{OpsServer, Readiness, ReadinessWarnings};
pub use running::Running;
