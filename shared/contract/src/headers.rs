//! NATS header names used on the bus.

/// JetStream de-duplication id; always equal to the CloudEvent `id` (and the outbox row id).
pub const NATS_MSG_ID: &str = "Nats-Msg-Id";
/// W3C trace context, so one order's journey is one trace.
pub const TRACEPARENT: &str = "traceparent";
/// The CloudEvent `type`, duplicated in a header so consumers and tools can route and
/// filter without parsing the body.
pub const CE_TYPE: &str = "ce-type";
/// The CloudEvent `subject` (the order id), duplicated for the same reason.
pub const CE_SUBJECT: &str = "ce-subject";
