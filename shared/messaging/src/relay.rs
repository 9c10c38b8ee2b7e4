//! The outbox relay: publishes committed outbox rows to JetStream, in order, exactly once
//! as far as consumers can tell.
//!
//! One pass: if any row is unsent (one statement, outside a transaction: most passes of a
//! chase find nothing), in a transaction take a per-schema advisory lock (so two replicas of a
//! service never publish the same rows side by side, which would break ordering), read up
//! to `batch_size` unsent rows in `seq` order, publish them all (pipelined), await every
//! JetStream ack in order, mark the acknowledged prefix sent, commit. A publish that fails
//! (NATS down, stream missing, timeout) stops the pass; the rows stay unsent and are tried
//! again with exponential backoff. A row published but not marked (crash between ack and
//! commit) is published again with the same `Nats-Msg-Id`, and JetStream drops it as a
//! duplicate inside the stream's duplicate window.
//!
//! Wake-ups: from this process's outboxes of the schema, chased until the writer's commit
//! ([`crate::wake`]); `LISTEN hotline_outbox_<schema>` for other processes
//! (`hotlinectl replay-outbox`); polling every `poll_interval` as the fallback.

use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, message::PublishMessage};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::outbox::notify_channel;

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub batch_size: i64,
    pub poll_interval: Duration,
    pub max_backoff: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_size: 256,
            poll_interval: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Why a relay pass stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("publish of outbox row {id} to {subject} failed: {reason}")]
    Publish {
        id: Uuid,
        subject: String,
        reason: String,
    },
}

/// Publishes one schema's outbox.
#[derive(Debug, Clone)]
pub struct OutboxRelay {
    pool: PgPool,
    jetstream: jetstream::Context,
    schema: String,
    config: RelayConfig,
    /// Woken by this process's outboxes of the schema.
    wake: Arc<Notify>,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    seq: i64,
    id: Uuid,
    subject: String,
    payload: Vec<u8>,
    traceparent: Option<String>,
}

impl OutboxRelay {
    pub fn new(
        pool: PgPool,
        jetstream: jetstream::Context,
        schema: &str,
        config: RelayConfig,
    ) -> Self {
        Self {
            pool,
            jetstream,
            schema: schema.to_owned(),
            config,
            wake: crate::wake::for_schema(schema),
        }
    }

    /// Run until `shutdown`; then finish the pass in progress and return.
    pub async fn run(self, shutdown: CancellationToken) {
        let channel = notify_channel(&self.schema);
        let mut listener = None;
        let mut backoff = Duration::from_millis(100);
        let mut chase = None;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            match self.drain().await {
                Ok(published) => {
                    backoff = Duration::from_millis(100);
                    chase = crate::wake::next_chase(chase, published);
                }
                Err(error) => {
                    metrics::counter!("hotline_outbox_publish_errors_total").increment(1);
                    tracing::warn!(schema = %self.schema, %error, retry_in_ms = backoff.as_millis() as u64, "outbox relay pass failed; rows stay queued");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.cancelled() => break,
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    continue;
                }
            }
            if let Some(next) = chase {
                // Chasing a wake: the writer's commit is due any moment. Wakes meanwhile
                // are kept by the Notify's permit.
                tokio::select! {
                    _ = tokio::time::sleep(next) => {}
                    _ = shutdown.cancelled() => break,
                }
                continue;
            }
            if listener.is_none() {
                listener = self.listen(&channel).await;
            }
            let wait = tokio::time::sleep(self.config.poll_interval);
            let listened = async {
                match listener.as_mut() {
                    // Err or Ok(None): the connection dropped; re-listen next time (rows
                    // committed meanwhile are found by the next pass).
                    Some(l) => matches!(l.try_recv().await, Ok(Some(_))),
                    None => std::future::pending().await,
                }
            };
            let woken = tokio::select! {
                _ = self.wake.notified() => true,
                alive = listened => {
                    if !alive {
                        listener = None;
                    }
                    false
                }
                _ = wait => false,
                _ = shutdown.cancelled() => break,
            };
            if woken {
                // The writer has not committed yet: give it the chase's first step.
                chase = Some(crate::wake::CHASE_FIRST);
                tokio::select! {
                    _ = tokio::time::sleep(crate::wake::CHASE_FIRST) => {}
                    _ = shutdown.cancelled() => break,
                }
            }
        }
        // Last pass so a clean shutdown leaves nothing it could have sent.
        if let Err(error) = self.drain().await {
            tracing::info!(schema = %self.schema, %error, "outbox rows left for the next start");
        }
    }

    async fn listen(&self, channel: &str) -> Option<PgListener> {
        match PgListener::connect_with(&self.pool).await {
            Ok(mut l) => match l.listen(channel).await {
                Ok(()) => Some(l),
                Err(error) => {
                    tracing::warn!(%error, "LISTEN failed; polling only");
                    None
                }
            },
            Err(error) => {
                tracing::warn!(%error, "LISTEN connection failed; polling only");
                None
            }
        }
    }

    /// Publish until the outbox is empty. Returns the number of rows published.
    pub async fn drain(&self) -> Result<u64, RelayError> {
        let mut total = 0;
        loop {
            let n = self.publish_batch().await?;
            total += n;
            if n < self.config.batch_size as u64 {
                return Ok(total);
            }
        }
    }

    /// One pass: publish up to `batch_size` rows. Returns how many were sent.
    pub async fn publish_batch(&self) -> Result<u64, RelayError> {
        // Most passes of a chase find nothing: one statement says so, without the
        // transaction, the lock and the rollback of a real pass.
        if !self.anything_unsent().await? {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(format!("hotline-outbox-relay:{}", self.schema))
                .fetch_one(&mut *tx)
                .await?;
        if !locked {
            // Another replica is publishing this schema's outbox right now.
            return Ok(0);
        }
        let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
            "SELECT seq, id, subject, payload, traceparent FROM {}.outbox \
             WHERE sent_at IS NULL ORDER BY seq LIMIT $1",
            self.schema
        ))
        .bind(self.config.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }

        // Pipeline the publishes, then await the acks in order.
        let mut pending = Vec::with_capacity(rows.len());
        let mut failure = None;
        for row in &rows {
            let mut headers = HeaderMap::new();
            if let Some(tp) = &row.traceparent {
                headers.insert(hotline_contract::headers::TRACEPARENT, tp.as_str());
            }
            // Headers first: `headers()` replaces the map that `message_id()` writes into.
            let publish = PublishMessage::build()
                .payload(row.payload.clone().into())
                .headers(headers)
                .message_id(row.id.to_string());
            match self
                .jetstream
                .send_publish(row.subject.clone(), publish)
                .await
            {
                Ok(ack) => pending.push((row, ack)),
                Err(error) => {
                    failure = Some(publish_error(row, error.to_string()));
                    break;
                }
            }
        }
        let mut sent: Vec<i64> = Vec::with_capacity(pending.len());
        for (row, ack) in pending {
            match ack.await {
                Ok(_) => sent.push(row.seq),
                Err(error) => {
                    failure.get_or_insert_with(|| publish_error(row, error.to_string()));
                    break;
                }
            }
        }
        if !sent.is_empty() {
            // Planned for its values on every call (an unnamed statement): a connection's
            // generic plan, made while the outbox was a page or two, is a sequential scan,
            // and it went on scanning the whole outbox as the table grew (docs/performance.md).
            sqlx::query(&format!(
                "UPDATE {}.outbox SET sent_at = now(), attempts = attempts + 1 WHERE seq = ANY($1)",
                self.schema
            ))
            .persistent(false)
            .bind(&sent)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("hotline_outbox_published_total").increment(sent.len() as u64);
        match failure {
            Some(error) => Err(error),
            None => Ok(sent.len() as u64),
        }
    }

    /// Whether any row waits to be published (the outbox's partial index of unsent rows).
    async fn anything_unsent(&self) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {}.outbox WHERE sent_at IS NULL)",
            self.schema
        ))
        .fetch_one(&self.pool)
        .await
    }

    /// Rows not yet published (for readiness details and metrics).
    pub async fn backlog(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {}.outbox WHERE sent_at IS NULL",
            self.schema
        ))
        .fetch_one(&self.pool)
        .await
    }
}

fn publish_error(row: &OutboxRow, reason: String) -> RelayError {
    RelayError::Publish {
        id: row.id,
        subject: row.subject.clone(),
        reason,
    }
}
