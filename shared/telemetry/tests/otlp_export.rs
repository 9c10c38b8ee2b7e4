//! With an OTLP endpoint configured, handler spans are exported over OTLP/HTTP and join the
//! trace of the incoming `traceparent` (same trace id, parented on the caller's span).

// Test helpers outside `#[test]` functions panic on purpose when the fake collector breaks.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use hotline_telemetry::{LogCapture, TelemetryConfig, TraceContext, build_dispatch, event_span};

/// Path and body of each request received.
type Requests = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A minimal OTLP/HTTP collector: records each request's path and body, answers 200.
#[derive(Clone, Default)]
struct FakeCollector {
    requests: Requests,
}

impl FakeCollector {
    fn start(&self) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let me = self.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let me = me.clone();
                std::thread::spawn(move || me.serve(stream));
            }
        });
        port
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        loop {
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                return;
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 {
                    return;
                }
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).unwrap();
            self.requests.lock().unwrap().push((path, body));
            writer
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
                )
                .unwrap();
        }
    }

    fn requests(&self) -> Vec<(String, Vec<u8>)> {
        self.requests.lock().unwrap().clone()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn handler_spans_are_exported_into_the_callers_trace() {
    let collector = FakeCollector::default();
    let port = collector.start();
    let config = TelemetryConfig {
        otlp_endpoint: Some(format!("http://127.0.0.1:{port}")),
        ..TelemetryConfig::default()
    };
    let ctx =
        TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();

    let logs = LogCapture::new();
    let (dispatch, guard) = build_dispatch("intake", &config, logs.clone()).unwrap();
    assert!(guard.is_exporting());
    tracing::dispatcher::with_default(&dispatch, || {
        let _span = event_span("intake", "order.registered", &ctx, Some("WO-1")).entered();
        tracing::info!("registered");
    });
    // Flushes the batch processor synchronously.
    guard.shutdown();

    let requests = collector.requests();
    assert!(!requests.is_empty(), "nothing was exported");
    assert!(requests.iter().all(|(path, _)| path == "/v1/traces"));
    let body: Vec<u8> = requests.into_iter().flat_map(|(_, body)| body).collect();
    assert!(
        contains(&body, &ctx.trace_id_bytes()),
        "exported span is not in the caller's trace"
    );
    assert!(
        contains(&body, &ctx.span_id_bytes()),
        "exported span is not parented on the caller's span"
    );
    assert!(contains(&body, b"intake"), "service.name missing");
    assert!(contains(&body, b"order.registered"), "span name missing");
    // Logging is unaffected by export.
    assert_eq!(
        logs.json_lines()[0]["trace_id"],
        ctx.trace_id_hex().as_str()
    );
}

#[test]
fn an_unsampled_trace_is_not_exported() {
    let collector = FakeCollector::default();
    let port = collector.start();
    let config = TelemetryConfig {
        otlp_endpoint: Some(format!("http://127.0.0.1:{port}/v1/traces")),
        ..TelemetryConfig::default()
    };
    let ctx =
        TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
    let (dispatch, guard) = build_dispatch("intake", &config, LogCapture::new()).unwrap();
    tracing::dispatcher::with_default(&dispatch, || {
        let _span = event_span("intake", "order.registered", &ctx, None).entered();
        tracing::info!("registered");
    });
    guard.shutdown();
    let body: Vec<u8> = collector
        .requests()
        .into_iter()
        .flat_map(|(_, body)| body)
        .collect();
    assert!(!contains(&body, &ctx.trace_id_bytes()));
}

/// Services build and shut down telemetry inside `#[tokio::main]`: neither the blocking
/// HTTP client nor the batch processor may trip over the runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_works_when_set_up_and_shut_down_inside_a_tokio_runtime() {
    let collector = FakeCollector::default();
    let port = collector.start();
    let config = TelemetryConfig {
        otlp_endpoint: Some(format!("http://127.0.0.1:{port}")),
        ..TelemetryConfig::default()
    };
    let ctx = TraceContext::new_root();
    let (dispatch, guard) = build_dispatch("router", &config, LogCapture::new()).unwrap();
    tracing::dispatcher::with_default(&dispatch, || {
        let _span = event_span("router", "order.dispatched", &ctx, Some("WO-9")).entered();
        tracing::info!("dispatched");
    });
    guard.shutdown();
    let body: Vec<u8> = collector
        .requests()
        .into_iter()
        .flat_map(|(_, body)| body)
        .collect();
    assert!(contains(&body, &ctx.trace_id_bytes()));
}
