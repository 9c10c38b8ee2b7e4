//! The transactional outbox: events are rows written in the same Postgres transaction as
//! the state change that caused them.
//!
//! A service never publishes to NATS directly. It calls [`Outbox::append`] inside its
//! transaction; after commit, [`crate::relay::OutboxRelay`] publishes the rows in order.
//! So an accepted change can never lose its event (the row is committed with it), and an
//! event can never announce a change that was rolled back. Appending wakes the process's
//! relay of the schema ([`crate::wake`]; not `NOTIFY`, which serialises commits); the relay
//! also polls, so a missed wake only delays.
//!
//! Ordering: rows are published in `seq` order. Append a change's events *after* the
//! statement that locks the aggregate's row, so a later transaction on the same order
//! (which waits for that lock) always gets a higher `seq`.

use hotline_contract::envelope::Envelope;
use hotline_contract::{Event, Namespace};
use std::sync::Arc;

use hotline_telemetry::TraceContext;
use sqlx::PgConnection;
use tokio::sync::Notify;
use uuid::Uuid;

/// Writing to the outbox failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("event could not be encoded: {0}")]
    Encode(#[from] hotline_contract::EnvelopeError),
    #[error("outbox insert failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// Events encoded for the outbox and not yet written ([`Outbox::stage`]).
#[derive(Debug, Default)]
pub struct OutboxRows {
    ids: Vec<Uuid>,
    subjects: Vec<String>,
    payloads: Vec<Vec<u8>>,
    traceparents: Vec<String>,
}

/// A service's outbox, in its own schema.
#[derive(Debug, Clone)]
pub struct Outbox {
    service: &'static str,
    namespace: Namespace,
    insert_sql: String,
    insert_many_sql: String,
    /// Wakes this process's relay of the schema.
    wake: Arc<Notify>,
}

/// The `NOTIFY` channel the relay of `schema` listens on (for wake-ups from other
/// processes, such as `hotlinectl replay-outbox`).
pub fn notify_channel(schema: &str) -> String {
    format!("hotline_outbox_{schema}")
}

impl Outbox {
    /// `schema` must be the service's validated schema name (it is part of the SQL).
    pub fn new(service: &'static str, schema: &str, namespace: Namespace) -> Self {
        Self {
            service,
            namespace,
            insert_sql: format!(
                "INSERT INTO {schema}.outbox (id, subject, payload, traceparent) VALUES ($1, $2, $3, $4)"
            ),
            // `ORDER BY n`: rows get their `seq` in the order given.
            insert_many_sql: format!(
                "INSERT INTO {schema}.outbox (id, subject, payload, traceparent) \
                 SELECT id, subject, payload, traceparent \
                 FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::text[]) \
                      WITH ORDINALITY AS e(id, subject, payload, traceparent, n) \
                 ORDER BY n"
            ),
            wake: crate::wake::for_schema(schema),
        }
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// Add `event` to the transaction `tx`. The envelope's id (UUIDv7) becomes the row id
    /// and the `Nats-Msg-Id`. `trace` is the context of the step that caused the event.
    pub async fn append<E: Event>(
        &self,
        tx: &mut PgConnection,
        trace: &TraceContext,
        event: E,
    ) -> Result<Uuid, OutboxError> {
        let subject = self.namespace.subject(&event.subject());
        let envelope = Envelope::new(self.service, event.aggregate_id(), event);
        self.append_envelope(tx, trace, &subject, &envelope).await
    }

    /// As [`Outbox::append`] for many events at once (a scan's batch): one multi-row
    /// insert instead of a round trip per event. The rows are
    /// published in the order given. Returns the envelope ids, in that order.
    pub async fn append_all<E: Event>(
        &self,
        tx: &mut PgConnection,
        events: impl IntoIterator<Item = (TraceContext, E)>,
    ) -> Result<Vec<Uuid>, OutboxError> {
        let mut rows = OutboxRows::default();
        for (trace, event) in events {
            self.stage(&mut rows, &trace, event)?;
        }
        self.append_rows(tx, rows).await
    }

    /// Encode `event` as the next row of `rows`, to be written later with
    /// [`Outbox::append_rows`] (a batch whose events are of several types). Returns the
    /// envelope id.
    pub fn stage<E: Event>(
        &self,
        rows: &mut OutboxRows,
        trace: &TraceContext,
        event: E,
    ) -> Result<Uuid, OutboxError> {
        let subject = self.namespace.subject(&event.subject());
        let envelope = Envelope::new(self.service, event.aggregate_id(), event);
        rows.payloads.push(envelope.to_bytes()?);
        rows.subjects.push(subject);
        rows.ids.push(envelope.id);
        rows.traceparents.push(trace.child().to_string());
        Ok(envelope.id)
    }

    /// Write staged rows in one multi-row insert, published in the order they were staged.
    /// Returns their envelope ids, in that order.
    pub async fn append_rows(
        &self,
        tx: &mut PgConnection,
        rows: OutboxRows,
    ) -> Result<Vec<Uuid>, OutboxError> {
        if rows.ids.is_empty() {
            return Ok(rows.ids);
        }
        sqlx::query(&self.insert_many_sql)
            .bind(&rows.ids)
            .bind(&rows.subjects)
            .bind(&rows.payloads)
            .bind(&rows.traceparents)
            .execute(&mut *tx)
            .await?;
        self.wake.notify_one();
        Ok(rows.ids)
    }

    /// As [`Outbox::append`] for a prepared envelope and an already namespaced subject.
    pub async fn append_envelope<E: Event>(
        &self,
        tx: &mut PgConnection,
        trace: &TraceContext,
        subject: &str,
        envelope: &Envelope<E>,
    ) -> Result<Uuid, OutboxError> {
        let payload = envelope.to_bytes()?;
        sqlx::query(&self.insert_sql)
            .bind(envelope.id)
            .bind(subject)
            .bind(payload)
            .bind(trace.child().to_string())
            .execute(&mut *tx)
            .await?;
        // Before the commit: the relay chases it (crate::wake).
        self.wake.notify_one();
        Ok(envelope.id)
    }
}
