//! "At rest": nothing of the system's own work is left on the way.
//!
//! Every service publishes through its outbox, and every consumer acknowledges an event
//! only after the commit that applied it (which also wrote the events it causes into an
//! outbox). So once
//!
//! 1. no outbox holds an unsent row,
//! 2. no durable consumer of the namespace's streams has an event pending or delivered but
//!    unacknowledged, and
//! 3. still no outbox holds an unsent row (a consumer may have committed new rows while (2)
//!    was read),
//!
//! every effect of what went in is in the streams: a late duplicate, if the system made
//! one, can be counted now. The load tool checks this after its drain, and the runbook test
//! before it counts the published events. Scheduled work (a reminder due in days) is not
//! "on the way" and is not waited for.

use futures::StreamExt;
use hotline_contract::Namespace;

/// Every service's schema that has an outbox.
pub const OUTBOX_SCHEMAS: &[&str] = &[
    "intake",
    "router",
    "deadline_watcher",
    "supervision",
    "analytics",
    "knowledge",
    "emergency_bridge",
    "emergency_bridge_lane",
    "gateway",
];

/// Outbox rows that have been published (`sent`) or not yet, in all schemas. A schema that
/// is missing (its service never started) counts 0.
pub async fn outbox_rows(pool: &sqlx::PgPool, sent: bool) -> i64 {
    let mut total = 0;
    let condition = if sent { "IS NOT NULL" } else { "IS NULL" };
    for schema in OUTBOX_SCHEMAS {
        let n: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM \"{schema}\".outbox WHERE sent_at {condition}"
        ))
        .fetch_optional(pool)
        .await
        .ok()
        .flatten();
        total += n.unwrap_or(0);
    }
    total
}

/// The names of the namespace's streams.
pub async fn streams_of(js: &async_nats::jetstream::Context, ns: &Namespace) -> Vec<String> {
    // `ns.stream("")` is the namespace's stream-name prefix (empty without a namespace).
    let prefix = ns.stream("");
    let mut names = js.stream_names();
    let mut streams = Vec::new();
    while let Some(name) = names.next().await {
        match name {
            Ok(name) if name.starts_with(&prefix) => streams.push(name),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    streams
}

/// Whether no durable consumer of `streams` has an event pending or unacknowledged.
/// `None` when the server cannot tell right now (restarting, say).
pub async fn consumers_idle(
    js: &async_nats::jetstream::Context,
    streams: &[String],
) -> Option<bool> {
    for name in streams {
        let stream = js.get_stream(name).await.ok()?;
        let mut consumers = stream.consumers();
        while let Some(info) = consumers.next().await {
            let info = info.ok()?;
            let durable = info.config.durable_name.is_some();
            if durable && (info.num_pending > 0 || info.num_ack_pending > 0) {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// Whether the system is at rest now (see the module docs).
pub async fn at_rest(
    js: &async_nats::jetstream::Context,
    streams: &[String],
    pool: &sqlx::PgPool,
) -> bool {
    outbox_rows(pool, false).await == 0
        && consumers_idle(js, streams).await == Some(true)
        && outbox_rows(pool, false).await == 0
}
