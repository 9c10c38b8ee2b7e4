//! The process-wide Prometheus recorder.
//!
//! `metrics` allows one global recorder per process, and several services may share one
//! process in tests, so the recorder is installed lazily by the first caller of
//! [`metrics_handle`] and every later call returns a clone of the same handle. Histograms
//! whose name ends in `_seconds` get latency buckets (real Prometheus histograms that can be
//! aggregated across pods) instead of the exporter's default summaries. A small background
//! thread runs the recorder's upkeep so histogram state does not grow without bound.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Bucket bounds (seconds) for every `*_seconds` histogram: 1 ms .. 60 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The handle of the process-wide Prometheus recorder, installing it on first use.
///
/// Safe to call any number of times from any thread. If some other recorder was already
/// installed globally (not by this function), the returned handle renders an empty page
/// and a warning is logged.
pub fn metrics_handle() -> PrometheusHandle {
    HANDLE.get_or_init(install).clone()
}

fn install() -> PrometheusHandle {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
        // Only fails on an empty bucket list, which LATENCY_BUCKETS is not.
        .unwrap_or_else(|_| PrometheusBuilder::new());
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if ::metrics::set_global_recorder(recorder).is_err() {
        tracing::warn!(
            "another metrics recorder is already installed; hotline metrics will not be rendered"
        );
    }
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                upkeep.run_upkeep();
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "could not start the metrics upkeep thread");
    }
    handle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handle_renders_metrics_recorded_through_the_facade() {
        let first = metrics_handle();
        let second = metrics_handle();
        metrics::counter!("hotline_test_events_total", "kind" => "unit").increment(3);
        metrics::histogram!("hotline_test_handler_duration_seconds").record(0.02);

        let page = second.render();
        assert!(
            page.contains("hotline_test_events_total{kind=\"unit\"} 3"),
            "{page}"
        );
        // `_seconds` histograms are real histograms with our buckets.
        assert!(
            page.contains("hotline_test_handler_duration_seconds_bucket{le=\"0.025\"} 1"),
            "{page}"
        );
        assert_eq!(first.render(), second.render());
    }
}
