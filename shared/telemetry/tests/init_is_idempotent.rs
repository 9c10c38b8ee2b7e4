//! Several services share one process in the end-to-end tests: only the first `init`
//! installs a subscriber, later calls succeed and change nothing.

use hotline_telemetry::{LogCapture, TelemetryConfig, init, init_with_writer};

#[test]
fn a_second_init_is_a_harmless_no_op() {
    let first = LogCapture::new();
    let second = LogCapture::new();
    let config = TelemetryConfig::default();

    let guard = init_with_writer("intake", &config, first.clone()).unwrap();
    let again = init_with_writer("router", &config, second.clone()).unwrap();
    let stdout = init("supervision", &config).unwrap();
    assert!(!again.is_exporting());
    assert!(!stdout.is_exporting());

    tracing::info!(check = "global", "hello from the test");
    assert!(first.contents().contains("hello from the test"));
    assert!(second.contents().is_empty());

    again.shutdown();
    stdout.shutdown();
    guard.shutdown();
}
