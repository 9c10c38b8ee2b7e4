//! The loop the timer scans share: a pass every `interval` (the first one interval after
//! start, so the consumer catches up first), errors counted and retried at the next tick,
//! stop at shutdown.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// Run `pass` every `interval` (at least 1 s) until `shutdown`; `pass` returns how many
/// timers it handled.
pub async fn every<F, Fut, E>(
    scan: &'static str,
    interval: Duration,
    shutdown: CancellationToken,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, E>>,
    E: Display,
{
    let interval = interval.max(Duration::from_secs(1));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.cancelled() => break,
        }
        match pass().await {
            Ok(0) => {}
            Ok(handled) => tracing::info!(scan, handled, "scan pass handled timers"),
            Err(error) => {
                metrics::counter!("hotline_deadline_scan_errors_total", "scan" => scan)
                    .increment(1);
                tracing::warn!(scan, %error, "scan pass failed; retrying at the next tick");
            }
        }
    }
    tracing::info!(scan, "scan stopped");
}
