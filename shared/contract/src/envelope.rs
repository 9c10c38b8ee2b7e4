//! CloudEvents 1.0 structured-mode JSON envelope.
//!
//! `id` is a UUIDv7: time-ordered, unique, and reused as the JetStream `Nats-Msg-Id` and as
//! the outbox row id, so a re-published event is recognised as the same event everywhere.
//! `subject` is the aggregate id (the work order's UUID for order events), which lets
//! consumers keep the events of one order in order. `type` carries the version
//! (`cn.gov.12345.order.registered.v1`).

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::events::Event;

/// The CloudEvents spec version we emit.
pub const SPEC_VERSION: &str = "1.0";
/// Media type of `data`.
pub const DATA_CONTENT_TYPE: &str = "application/json";

/// One event on the wire with a typed payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub specversion: String,
    pub id: Uuid,
    /// The producing service, as a URI reference: `/hotline/<service>`.
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The aggregate the event is about (for order events: the order's UUID).
    pub subject: String,
    pub time: DateTime<Utc>,
    pub datacontenttype: String,
    pub data: T,
}

/// An envelope whose payload has not been decoded yet: consumers read it first to learn
/// the id, type and subject, then decode `data` into the type the `type` names.
pub type RawEnvelope = Envelope<serde_json::Value>;

/// Why bytes on the wire are not a valid event.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("message is not a CloudEvents JSON envelope: {0}")]
    NotAnEnvelope(serde_json::Error),
    #[error("unsupported CloudEvents specversion {0:?}")]
    SpecVersion(String),
    #[error("event type {found:?} where {expected:?} was expected")]
    WrongType {
        expected: &'static str,
        found: String,
    },
    #[error("payload of {event_type} does not match its schema: {source}")]
    BadPayload {
        event_type: String,
        source: serde_json::Error,
    },
    #[error("event could not be encoded: {0}")]
    Encode(serde_json::Error),
}

impl<T: Event> Envelope<T> {
    /// A new event from `service` about `subject`, stamped now with a fresh UUIDv7.
    pub fn new(service: &str, subject: impl Into<String>, data: T) -> Self {
        Self::at(service, subject, Utc::now(), data)
    }

    /// As [`Envelope::new`] with an explicit time (tests, replays).
    pub fn at(service: &str, subject: impl Into<String>, time: DateTime<Utc>, data: T) -> Self {
        Self {
            specversion: SPEC_VERSION.to_owned(),
            id: Uuid::now_v7(),
            source: format!("/hotline/{service}"),
            event_type: T::TYPE.to_owned(),
            subject: subject.into(),
            // Microsecond precision: what PostgreSQL keeps, so a value read back is equal.
            time: time.trunc_subsecs(6),
            datacontenttype: DATA_CONTENT_TYPE.to_owned(),
            data,
        }
    }

    /// JSON bytes for the wire.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        serde_json::to_vec(self).map_err(EnvelopeError::Encode)
    }
}

impl RawEnvelope {
    /// Parse the envelope without decoding `data`.
    pub fn parse(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        let env: RawEnvelope =
            serde_json::from_slice(bytes).map_err(EnvelopeError::NotAnEnvelope)?;
        if env.specversion != SPEC_VERSION {
            return Err(EnvelopeError::SpecVersion(env.specversion));
        }
        Ok(env)
    }

    /// Decode `data` as `T`, checking that `type` names `T`.
    pub fn decode<T: Event + DeserializeOwned>(&self) -> Result<Envelope<T>, EnvelopeError> {
        if self.event_type != T::TYPE {
            return Err(EnvelopeError::WrongType {
                expected: T::TYPE,
                found: self.event_type.clone(),
            });
        }
        let data = T::deserialize(&self.data).map_err(|source| EnvelopeError::BadPayload {
            event_type: self.event_type.clone(),
            source,
        })?;
        Ok(Envelope {
            specversion: self.specversion.clone(),
            id: self.id,
            source: self.source.clone(),
            event_type: self.event_type.clone(),
            subject: self.subject.clone(),
            time: self.time,
            datacontenttype: self.datacontenttype.clone(),
            data,
        })
    }
}
