//! Telemetry shared by every service: JSON logs through `tracing`, W3C trace context carried
//! across HTTP and NATS, optional OpenTelemetry OTLP export, and Prometheus metrics.
//!
//! * [`init`] installs the process-wide `tracing` subscriber once: an `EnvFilter` built from
//!   the configured directives (this crate never reads `RUST_LOG`; the service's config
//!   does), JSON lines on stdout (or readable text), and, when an OTLP endpoint is
//!   configured, a `tracing-opentelemetry` layer exporting spans over OTLP/HTTP.
//!   Several services may share one process (the end-to-end tests do): every call after
//!   the first is a no-op that returns an inert [`TelemetryGuard`].
//! * [`event_span`] opens the span every handler runs in. Its fields (`trace_id`,
//!   `service`, `order_id` ...) are flattened into each JSON log line logged inside it, and
//!   its OpenTelemetry parent is the remote span of the incoming [`TraceContext`], so one
//!   order's journey is one trace both in the logs and in the trace backend.
//! * [`metrics_handle`] installs the process-wide Prometheus recorder once; the ops server
//!   renders it on `/metrics`. Names follow `hotline_<thing>_<unit>[_total]`.
//! * [`LogCapture`] collects log lines in memory for tests (pass it to [`init_with_writer`]).

mod capture;
mod json;
mod prometheus;
mod span;
mod subscriber;
pub mod trace_context;

pub use capture::LogCapture;
pub use prometheus::metrics_handle;
pub use span::{EVENT_SPAN_TARGET, event_span};
pub use subscriber::{
    TelemetryConfig, TelemetryError, TelemetryGuard, build_dispatch, init, init_with_writer,
};
pub use trace_context::{TRACEPARENT, TraceContext, TraceParentError, extract_nats, inject_nats};
