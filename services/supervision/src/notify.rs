//! Notifying units (A17: orders about to fall due are reminded).
//!
//! [`NotificationChannel`] is the interface an SMS gateway or a unit's webhook will
//! implement; for now [`LoggingChannel`] writes a log line. A notification carries the unit,
//! the order number and the due instant only: nothing about the requester or the matter.
//! Supervision calls the channel inside the consumer's transaction, after recording the
//! reminder and before committing: a reminder already recorded is never notified again;
//! a commit that fails after the channel answered (rare) lets the redelivery notify again,
//! so real channels should drop repeats of the same `reminder_id`.

use std::future::Future;

use chrono::{DateTime, Utc};
use hotline_contract::events::DeadlineClock;
use uuid::Uuid;

/// What a unit is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitNotice {
    /// The notification's idempotency key.
    pub reminder_id: Uuid,
    pub unit_id: String,
    pub order_id: Uuid,
    /// The order's number, when supervision knows it.
    pub number: Option<String>,
    pub clock: DeadlineClock,
    pub due_at: DateTime<Utc>,
}

/// The channel could not deliver; the reminder is retried (the consumer redelivers).
#[derive(Debug, thiserror::Error)]
#[error("notification channel: {0}")]
pub struct NotifyError(pub String);

/// A way to reach units.
pub trait NotificationChannel: Send + Sync + 'static {
    fn notify(&self, notice: &UnitNotice) -> impl Future<Output = Result<(), NotifyError>> + Send;
}

/// Logs the notice (unit id, order number, due time; no personal data).
#[derive(Debug, Clone, Copy, Default)]
pub struct LoggingChannel;

impl NotificationChannel for LoggingChannel {
    async fn notify(&self, notice: &UnitNotice) -> Result<(), NotifyError> {
        tracing::info!(
            unit_id = %notice.unit_id,
            number = notice.number.as_deref().unwrap_or("unknown"),
            due_at = %notice.due_at,
            "unit reminded of a time limit"
        );
        Ok(())
    }
}
