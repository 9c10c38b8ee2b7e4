//! Log lines written inside an `event_span` carry the trace of the message being handled.

// `capture_with` is a test helper; a bad config there is a broken test.
#![allow(clippy::expect_used)]

use hotline_telemetry::{LogCapture, TelemetryConfig, TraceContext, build_dispatch, event_span};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn capture_with(config: &TelemetryConfig, work: impl FnOnce()) -> LogCapture {
    let capture = LogCapture::new();
    let (dispatch, _guard) =
        build_dispatch("intake", config, capture.clone()).expect("valid telemetry config");
    tracing::dispatcher::with_default(&dispatch, work);
    capture
}

#[test]
fn lines_inside_an_event_span_carry_trace_id_service_and_order_id() {
    let ctx = TraceContext::parse(TRACEPARENT).unwrap();
    let capture = capture_with(&TelemetryConfig::default(), || {
        let span = event_span("intake", "order.registered", &ctx, Some("WO-2024-0001"));
        let _event = span.enter();
        // A nested span must not hide the outer span's fields.
        let store = tracing::info_span!("store", table = "orders");
        let _store = store.enter();
        tracing::info!(attempt = 2, "order stored");
    });

    let lines = capture.json_lines();
    assert_eq!(lines.len(), 1, "{}", capture.contents());
    let line = &lines[0];
    assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(line["span_id"], "00f067aa0ba902b7");
    assert_eq!(line["service"], "intake");
    assert_eq!(line["operation"], "order.registered");
    assert_eq!(line["order_id"], "WO-2024-0001");
    assert_eq!(line["table"], "orders");
    assert_eq!(line["attempt"], 2);
    assert_eq!(line["message"], "order stored");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["span"], "store");
    assert!(line.contains_key("timestamp"));
    assert!(
        !line.keys().any(|k| k.starts_with("otel.")),
        "otel.* fields are for the exporter only: {line:?}"
    );
}

#[test]
fn lines_outside_any_span_have_no_trace_id() {
    let capture = capture_with(&TelemetryConfig::default(), || {
        tracing::info!(port = 8080, "listening");
    });
    let lines = capture.json_lines();
    assert_eq!(lines.len(), 1, "{}", capture.contents());
    assert_eq!(lines[0]["message"], "listening");
    assert_eq!(lines[0]["port"], 8080);
    assert!(!lines[0].contains_key("trace_id"));
}

#[test]
fn an_order_without_id_leaves_order_id_out() {
    let ctx = TraceContext::new_root();
    let capture = capture_with(&TelemetryConfig::default(), || {
        let _span = event_span("analytics", "kpi.computed", &ctx, None).entered();
        tracing::info!("computed");
    });
    let lines = capture.json_lines();
    assert_eq!(lines[0]["trace_id"], ctx.trace_id_hex().as_str());
    assert!(!lines[0].contains_key("order_id"));
}

#[test]
fn a_warning_under_a_warn_filter_still_carries_the_trace() {
    let ctx = TraceContext::parse(TRACEPARENT).unwrap();
    let config = TelemetryConfig {
        log_filter: "warn".to_owned(),
        ..TelemetryConfig::default()
    };
    let capture = capture_with(&config, || {
        let _span = event_span("router", "order.dispatched", &ctx, Some("WO-7")).entered();
        tracing::info!("filtered out");
        tracing::warn!("unit has no active handler");
    });
    let lines = capture.json_lines();
    assert_eq!(lines.len(), 1, "{}", capture.contents());
    assert_eq!(lines[0]["message"], "unit has no active handler");
    assert_eq!(lines[0]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(lines[0]["order_id"], "WO-7");
}

#[test]
fn text_mode_is_readable_and_still_shows_the_trace_id() {
    let ctx = TraceContext::parse(TRACEPARENT).unwrap();
    let config = TelemetryConfig {
        json: false,
        ..TelemetryConfig::default()
    };
    let capture = capture_with(&config, || {
        let _span = event_span("intake", "order.registered", &ctx, Some("WO-1")).entered();
        tracing::info!("registered");
    });
    let text = capture.contents();
    assert!(capture.json_lines().is_empty(), "{text}");
    assert!(text.contains("registered"), "{text}");
    assert!(
        text.contains("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no ANSI colours in captured text: {text}"
    );
}
