//! The span a handler runs in, tied to the trace of the message it handles.
//!
//! The span's own fields carry the trace for the logs (`trace_id`, `span_id` of the
//! incoming context); its OpenTelemetry parent carries it for the trace backend: when the
//! OpenTelemetry layer is installed, the span is parented on a *remote* span context built
//! from the incoming [`TraceContext`], so the exported span joins the caller's trace.
//! Without that layer the parent is simply not set (nothing to join).

use opentelemetry::Context;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::TraceContext;

/// The `tracing` target of [`event_span`]. [`init`](crate::init) always enables it at
/// `info`, whatever the configured filter, so that a warning logged by a handler under a
/// `warn` filter still carries `trace_id` and `order_id`.
pub const EVENT_SPAN_TARGET: &str = "hotline::event";

/// Opens (does not enter) the span for one unit of work triggered by a message or request.
///
/// Fields: `service`, `operation`, `trace_id`, `span_id` (of the incoming context),
/// `order_id` (when known). Enter it, or `.instrument()` the handler's future with it.
pub fn event_span(
    service: &str,
    operation: &str,
    ctx: &TraceContext,
    order_id: Option<&str>,
) -> tracing::Span {
    let span = tracing::info_span!(
        target: EVENT_SPAN_TARGET,
        "event",
        service,
        operation,
        trace_id = %ctx.trace_id_hex(),
        span_id = %ctx.span_id_hex(),
        order_id,
        // Read by the OpenTelemetry layer only (left out of the JSON logs).
        otel.name = operation,
        otel.kind = "consumer",
    );
    // Fails only when no OpenTelemetry layer is installed or the span is disabled: then
    // there is no exported span to parent, which is fine.
    let _ = span.set_parent(remote_parent(ctx));
    span
}

/// An OpenTelemetry context whose active span is the remote span described by `ctx`.
pub(crate) fn remote_parent(ctx: &TraceContext) -> Context {
    let flags = if ctx.sampled() {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let span_context = SpanContext::new(
        TraceId::from_bytes(ctx.trace_id_bytes()),
        SpanId::from_bytes(ctx.span_id_bytes()),
        flags,
        true,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(span_context)
}
