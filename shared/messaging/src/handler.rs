//! What a consumer hands to a service's event handler, and how a handler says it failed.

use std::future::Future;

use hotline_contract::RawEnvelope;
use hotline_telemetry::TraceContext;
use sqlx::PgConnection;

/// One event, decoded as far as the envelope, with its delivery facts.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    pub envelope: RawEnvelope,
    /// The subject without the namespace prefix (`hotline.order.registered`).
    pub subject: String,
    /// The trace this event belongs to, continued from the producer; a new root if the
    /// producer sent none.
    pub trace: TraceContext,
    pub stream_sequence: u64,
    /// 1 on first delivery.
    pub delivered: i64,
}

/// A handler's failure, classified explicitly (STYLE: decide transient vs permanent).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying: a database hiccup, a prerequisite event not applied yet.
    #[error("transient: {0}")]
    Transient(String),
    /// Retrying cannot help: a payload that breaks its schema, an impossible transition.
    /// The message is dead-lettered with this reason.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl HandlerError {
    pub fn transient(reason: impl Into<String>) -> Self {
        Self::Transient(reason.into())
    }
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent(reason.into())
    }
}

impl From<sqlx::Error> for HandlerError {
    /// Database errors are transient, except constraint violations, which mean the event
    /// contradicts what is stored and will do so every time.
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db)
                if matches!(
                    db.kind(),
                    sqlx::error::ErrorKind::CheckViolation
                        | sqlx::error::ErrorKind::NotNullViolation
                        | sqlx::error::ErrorKind::ForeignKeyViolation
                ) =>
            {
                Self::Permanent(format!("constraint violated: {db}"))
            }
            _ => Self::Transient(format!("database: {error}")),
        }
    }
}

impl From<hotline_contract::EnvelopeError> for HandlerError {
    fn from(error: hotline_contract::EnvelopeError) -> Self {
        Self::Permanent(error.to_string())
    }
}

impl From<crate::outbox::OutboxError> for HandlerError {
    fn from(error: crate::outbox::OutboxError) -> Self {
        match error {
            crate::outbox::OutboxError::Database(e) => e.into(),
            other => Self::Permanent(other.to_string()),
        }
    }
}

/// A service's reaction to the events of one consumer. It runs inside the transaction
/// that also records the event in the inbox; it must do all its writes (state and outbox
/// rows) through `tx`, and nothing outside it.
///
/// **Set-based batches.** Under load a consumer applies several events in one transaction
/// (see `crate::consumer`). By default it calls [`EventHandler::handle`] for each. A
/// handler whose work is the same few statements for every event (a projection) can set
/// [`EventHandler::BATCHED`] and implement [`EventHandler::handle_batch`] to apply the whole
/// batch with set-based statements: one round trip for the batch instead of one per event,
/// which is what a saturated database spends its time on. The batch form must leave the
/// same state as `handle` applied to each event in order; if it fails, the consumer rolls
/// the batch back and applies its events one at a time with `handle`.
pub trait EventHandler: Send + Sync + 'static {
    /// Whether the consumer should hand whole batches to [`EventHandler::handle_batch`].
    const BATCHED: bool = false;

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a IncomingEvent,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;

    /// Apply `events` (in stream order, none of them a duplicate) in the batch's
    /// transaction. Called only when [`EventHandler::BATCHED`] is set; the default applies
    /// them one by one.
    fn handle_batch<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [&'a IncomingEvent],
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a {
        async move {
            for event in events {
                self.handle(&mut *tx, event).await?;
            }
            Ok(())
        }
    }
}
