//! Dead letters: what a consumer could not apply, and why.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Event;
use crate::subjects::event;

/// `hotline.deadletter.<service>`: a message was terminated as permanently unprocessable.
/// It carries the original bytes (base64 would hide nothing: the message was already on
/// the bus in this form) so an operator can repair and replay it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterRecorded {
    pub service: String,
    pub consumer: String,
    /// Subject the message arrived on, without the namespace prefix.
    pub original_subject: String,
    /// The message's `Nats-Msg-Id`, or `seq:<n>` when it had none.
    pub message_id: String,
    pub stream_sequence: Option<u64>,
    /// Why it could not be applied, in words an operator can act on.
    pub reason: String,
    /// The original payload, as UTF-8 text when it was text, else base64 with a prefix.
    pub payload: String,
    pub recorded_at: DateTime<Utc>,
}

impl Event for DeadLetterRecorded {
    const TYPE: &'static str = "cn.gov.12345.deadletter.recorded.v1";
    fn subject(&self) -> String {
        event::dead_letter(&self.service)
    }
    fn aggregate_id(&self) -> String {
        self.message_id.clone()
    }
}
