//! The loop the timer scans share: a pass every `interval` (the first one interval after
//! start, so the consumer catches up first), errors counted and retried at the next tick,
//! stop at shutdown. A pass may ask for the next one sooner (the overdue scan wakes when
//! the next timer falls due).

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

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
    every_or_sooner(scan, interval, shutdown, || {
        let handled = pass();
        async move { handled.await.map(|handled| (handled, None)) }
    })
    .await;
}

/// As [`every`], but `pass` also returns how soon it wants the next pass: the next one
/// starts that long after the pass ended, or one `interval` (at least 1 s) after the
/// previous one started, whichever comes first. The first pass starts one `interval` after
/// the call; after a failed pass the next waits for the regular tick (and at least a
/// second).
pub async fn every_or_sooner<F, Fut, E>(
    scan: &'static str,
    interval: Duration,
    shutdown: CancellationToken,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(usize, Option<Duration>), E>>,
    E: Display,
{
    let interval = interval.max(Duration::from_secs(1));
    let mut next = tokio::time::Instant::now() + interval;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = shutdown.cancelled() => break,
        }
        let started = tokio::time::Instant::now();
        // A pass that overran its interval is followed by the next at once, not by a burst
        // of the ticks it missed.
        let regular = (next + interval).max(started);
        next = match pass().await {
            Ok((handled, sooner)) => {
                if handled > 0 {
                    tracing::info!(scan, handled, "scan pass handled timers");
                }
                match sooner {
                    Some(wait) => regular.min(tokio::time::Instant::now() + wait),
                    None => regular,
                }
            }
            Err(error) => {
                metrics::counter!("hotline_deadline_scan_errors_total", "scan" => scan)
                    .increment(1);
                tracing::warn!(scan, %error, "scan pass failed; retrying at the next tick");
                regular.max(tokio::time::Instant::now() + interval.min(Duration::from_secs(1)))
            }
        };
    }
    tracing::info!(scan, "scan stopped");
}
