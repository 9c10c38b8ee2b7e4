//! The wire contract of the 12345 hotline platform: every name and shape that crosses NATS.
//!
//! - [`envelope`]: the CloudEvents 1.0 structured-JSON envelope every event travels in.
//! - [`events`]: typed, versioned payloads for the work-order lifecycle.
//! - [`subjects`]: subject, stream and consumer names, all built through a [`Namespace`]
//!   prefix so tests (and tenants) can share one NATS server.
//! - [`rpc`]: request/reply subjects and the typed error body of a failed request.
//! - [`headers`]: NATS header names.
//! - [`category`]: category suggestion's request and reply bodies (A12).
//! - [`analytics`]: analytics' KPI report (issue 9).
//! - [`bulletin`]: analytics' bulletins (A18, issue 9).
//! - [`dispatch_desk`]: the router's unit and center request bodies (issue 5).
//! - [`directory`]: the unit directory, dispatch catalogue and rules (issue 5).
//! - [`hotspot`]: the hot-spot reports' request bodies (A17.4).
//! - [`joint`]: joint handling of an order with a partner hotline (A8, issue 8).
//! - [`knowledge`]: the knowledge base's request bodies and events.
//! - [`policies`]: the deadline-watcher's time-limit policies, listed and edited (A15).
//! - [`supervision_desk`]: supervision's review and case request bodies (issue 7).
//! - [`transfer`]: transfers to and from partner hotlines (issue 8).
//!
//! A service never writes a subject string inline; it asks this crate. Wire formats are
//! frozen by snapshot tests (`tests/wire_format.rs`): a change that breaks one is a new
//! event version, never an edit of an old one.

pub mod analytics;
pub mod bulletin;
pub mod category;
pub mod directory;
pub mod dispatch_desk;
pub mod envelope;
pub mod events;
pub mod headers;
pub mod hotspot;
pub mod joint;
pub mod knowledge;
pub mod policies;
pub mod rpc;
pub mod subjects;
pub mod supervision_desk;
pub mod transfer;
pub mod vocabulary;

pub use envelope::{Envelope, EnvelopeError, RawEnvelope};
pub use events::Event;
pub use subjects::Namespace;
