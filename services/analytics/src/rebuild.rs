//! Rebuilding the analytics projection from the event stream (the runbook's "rebuild
//! analytics", docs/operations.md): after a projection bug is fixed, or to check the
//! numbers from scratch.
//!
//! The facts are a pure function of the `HOTLINE` stream, which keeps every event (limits
//! retention). `hotline-analytics rebuild`, run while analytics is scaled to zero:
//!
//! 1. empties the projection tables and the analytics consumers' inbox rows, in one
//!    transaction (published bulletins are documents of record and stay; so do the KPI
//!    snapshot keys, which only stop a minute's snapshot going out twice);
//! 2. deletes the analytics durable consumers from the stream.
//!
//! On start the service creates its consumers again, which deliver the stream from its
//! first event, and the facts are projected anew. Running it twice is harmless; if step 2
//! fails, run it again.

use async_nats::jetstream;
use hotline_contract::Namespace;
use hotline_contract::subjects::{self, HOTLINE_STREAM};

use crate::{AnalyticsConfig, SCHEMA, SERVICE};

/// Tables that hold what the events say, emptied by a rebuild.
pub const PROJECTION_TABLES: &[&str] = &[
    "order_facts",
    "order_send_backs",
    "order_cases",
    "hotspots",
    "staff_acts",
];

/// Tables a rebuild keeps: documents of record, delivery bookkeeping, migrations.
pub const KEPT_TABLES: &[&str] = &[
    "bulletins",
    "kpi_snapshots",
    "outbox",
    "inbox",
    "dead_letter",
    "_sqlx_migrations",
];

/// The consumers (purposes) whose deliveries make the projection.
pub const CONSUMERS: &[&str] = &["facts", "signals", "hotspots"];

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    /// Inbox rows forgotten, i.e. events that will be applied again.
    pub inbox_rows: u64,
    /// Durable consumers deleted (absent ones are not counted).
    pub consumers_deleted: usize,
}

/// Empties the projection and deletes its consumers (see the module docs).
pub async fn rebuild(config: &AnalyticsConfig) -> anyhow::Result<RebuildReport> {
    let pool = hotline_service_kit::db::connect(&config.common.database, SCHEMA).await?;
    let durables: Vec<String> = CONSUMERS
        .iter()
        .map(|purpose| subjects::durable_name(SERVICE, purpose))
        .collect();
    let mut tx = pool.begin().await?;
    sqlx::query(&format!(
        "TRUNCATE {}",
        PROJECTION_TABLES
            .iter()
            .map(|t| format!("{SCHEMA}.{t}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .execute(&mut *tx)
    .await?;
    let inbox_rows = sqlx::query(&format!(
        "DELETE FROM {SCHEMA}.inbox WHERE consumer = ANY($1)"
    ))
    .bind(&durables)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    pool.close().await;

    let namespace = Namespace::new(config.common.namespace.clone())?;
    let client = hotline_messaging::connect(SERVICE, &config.common.nats).await?;
    let stream = jetstream::new(client)
        .get_stream(namespace.stream(HOTLINE_STREAM))
        .await?;
    let mut consumers_deleted = 0;
    for durable in &durables {
        match stream.delete_consumer(durable).await {
            Ok(_) => consumers_deleted += 1,
            Err(e) if e.to_string().contains("not found") => {}
            Err(e) => return Err(anyhow::anyhow!("deleting consumer {durable}: {e}")),
        }
    }
    tracing::warn!(
        inbox_rows,
        consumers_deleted,
        "analytics projection emptied; it is rebuilt from the stream when the service starts"
    );
    Ok(RebuildReport {
        inbox_rows,
        consumers_deleted,
    })
}
