//! Graceful shutdown: one [`CancellationToken`] per process, cancelled on SIGTERM or SIGINT.
//!
//! Every long-running part of a service (consumers, relay, ops server) takes a child or
//! clone of the token and stops taking new work when it is cancelled, finishing what is in
//! flight; `main` then drains NATS and flushes telemetry. Tests skip signals and cancel the
//! token directly.

use tokio_util::sync::CancellationToken;

/// Returns a token cancelled when the process receives SIGTERM (Kubernetes) or SIGINT
/// (Ctrl-C). Logs which signal arrived. Must be called inside a Tokio runtime.
pub fn on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let signal = wait_for_signal().await;
        tracing::info!(signal, "shutdown requested; finishing in-flight work");
        cancel.cancel();
    });
    token
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};

    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(stream) => Some(stream),
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM; only SIGINT will stop the service");
            None
        }
    };
    let sigterm = async {
        match terminate.as_mut() {
            Some(stream) => {
                stream.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = sigterm => "SIGTERM",
        () = ctrl_c() => "SIGINT",
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    ctrl_c().await;
    "Ctrl-C"
}

async fn ctrl_c() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::error!(%error, "cannot listen for SIGINT");
        std::future::pending::<()>().await;
    }
}
