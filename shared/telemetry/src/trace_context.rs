//! W3C Trace Context (`traceparent`) carried explicitly from the HTTP edge, through the
//! outbox rows, across NATS headers, into every consumer.
//!
//! Design: the context is a plain value passed by hand (request → outbox row → message
//! header → handler), not hidden in thread-locals. That keeps one order's journey one trace
//! even when OpenTelemetry export is off: every log line of a handler carries `trace_id`
//! from its span, and the OTLP layer (when configured) takes the same ids as its parent.

use std::fmt;

use rand::RngCore;

/// Header name used on HTTP requests and NATS messages.
pub const TRACEPARENT: &str = "traceparent";

/// A parsed `traceparent`: version 00, 16-byte trace id, 8-byte parent span id, flags.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceContext {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
}

/// Why a `traceparent` value was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TraceParentError {
    #[error("traceparent must be 55 characters of the form 00-<32 hex>-<16 hex>-<2 hex>")]
    Malformed,
    #[error("traceparent version {0:?} is not supported")]
    UnsupportedVersion(String),
    #[error("traceparent has an all-zero trace id or span id")]
    ZeroId,
}

impl TraceContext {
    /// A fresh trace: random trace id and span id, sampled.
    pub fn new_root() -> Self {
        let mut rng = rand::rng();
        let mut trace_id = [0u8; 16];
        let mut span_id = [0u8; 8];
        loop {
            rng.fill_bytes(&mut trace_id);
            if trace_id != [0u8; 16] {
                break;
            }
        }
        loop {
            rng.fill_bytes(&mut span_id);
            if span_id != [0u8; 8] {
                break;
            }
        }
        Self {
            trace_id,
            span_id,
            flags: 0x01,
        }
    }

    /// The same trace with a new span id: the context a step hands to the next hop.
    pub fn child(&self) -> Self {
        let mut span_id = [0u8; 8];
        let mut rng = rand::rng();
        loop {
            rng.fill_bytes(&mut span_id);
            if span_id != [0u8; 8] {
                break;
            }
        }
        Self {
            trace_id: self.trace_id,
            span_id,
            flags: self.flags,
        }
    }

    /// Parse a `traceparent` header value.
    pub fn parse(value: &str) -> Result<Self, TraceParentError> {
        let value = value.trim();
        let parts: Vec<&str> = value.split('-').collect();
        if parts.len() < 4 {
            return Err(TraceParentError::Malformed);
        }
        let (version, trace, span, flags) = (parts[0], parts[1], parts[2], parts[3]);
        if version.len() != 2 || !is_lower_hex(version) {
            return Err(TraceParentError::Malformed);
        }
        if version == "ff" {
            return Err(TraceParentError::UnsupportedVersion(version.to_owned()));
        }
        // Version 00 has exactly four fields; later versions may append more.
        if version == "00" && parts.len() != 4 {
            return Err(TraceParentError::Malformed);
        }
        if trace.len() != 32 || span.len() != 16 || flags.len() != 2 {
            return Err(TraceParentError::Malformed);
        }
        if !(is_lower_hex(trace) && is_lower_hex(span) && is_lower_hex(flags)) {
            return Err(TraceParentError::Malformed);
        }
        let mut trace_id = [0u8; 16];
        let mut span_id = [0u8; 8];
        let mut flag = [0u8; 1];
        hex::decode_to_slice(trace, &mut trace_id).map_err(|_| TraceParentError::Malformed)?;
        hex::decode_to_slice(span, &mut span_id).map_err(|_| TraceParentError::Malformed)?;
        hex::decode_to_slice(flags, &mut flag).map_err(|_| TraceParentError::Malformed)?;
        if trace_id == [0u8; 16] || span_id == [0u8; 8] {
            return Err(TraceParentError::ZeroId);
        }
        Ok(Self {
            trace_id,
            span_id,
            flags: flag[0],
        })
    }

    /// Parse, or start a new trace when the value is absent or invalid (an edge must
    /// never refuse work because of a bad tracing header).
    pub fn parse_or_new(value: Option<&str>) -> Self {
        value
            .and_then(|v| Self::parse(v).ok())
            .unwrap_or_else(Self::new_root)
    }

    /// The 32-hex-digit trace id, as it appears in logs (`trace_id`).
    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }

    /// The 16-hex-digit span id.
    pub fn span_id_hex(&self) -> String {
        hex::encode(self.span_id)
    }

    pub fn trace_id_bytes(&self) -> [u8; 16] {
        self.trace_id
    }

    pub fn span_id_bytes(&self) -> [u8; 8] {
        self.span_id
    }

    pub fn sampled(&self) -> bool {
        self.flags & 0x01 == 0x01
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id_hex(),
            self.span_id_hex(),
            self.flags
        )
    }
}

impl fmt::Debug for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceContext({self})")
    }
}

/// Put the context on a NATS message's headers.
pub fn inject_nats(headers: &mut async_nats::HeaderMap, ctx: &TraceContext) {
    headers.insert(TRACEPARENT, ctx.to_string().as_str());
}

/// Read the context from a NATS message's headers, if present and valid.
pub fn extract_nats(headers: Option<&async_nats::HeaderMap>) -> Option<TraceContext> {
    headers
        .and_then(|h| h.get(TRACEPARENT))
        .and_then(|v| TraceContext::parse(v.as_str()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_w3c_example() {
        let v = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ctx = TraceContext::parse(v).unwrap();
        assert_eq!(ctx.to_string(), v);
        assert_eq!(ctx.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(ctx.sampled());
    }

    #[test]
    fn child_keeps_the_trace_and_changes_the_span() {
        let root = TraceContext::new_root();
        let child = root.child();
        assert_eq!(root.trace_id_hex(), child.trace_id_hex());
        assert_ne!(root.span_id_hex(), child.span_id_hex());
    }

    #[test]
    fn rejects_malformed_and_zero_ids() {
        assert_eq!(
            TraceContext::parse("00-abc-def-01"),
            Err(TraceParentError::Malformed)
        );
        assert_eq!(
            TraceContext::parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            Err(TraceParentError::ZeroId)
        );
        assert_eq!(
            TraceContext::parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            Err(TraceParentError::Malformed)
        );
        assert!(matches!(
            TraceContext::parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Err(TraceParentError::UnsupportedVersion(_))
        ));
    }

    #[test]
    fn bad_header_at_the_edge_starts_a_new_trace() {
        let ctx = TraceContext::parse_or_new(Some("garbage"));
        assert_eq!(ctx.trace_id_hex().len(), 32);
    }
}
