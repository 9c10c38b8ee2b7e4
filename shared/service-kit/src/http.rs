//! Serving an axum application with graceful shutdown: on cancel, stop accepting, let
//! in-flight requests finish, return.

use std::net::SocketAddr;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Bind `listen` (port 0 picks a free port) and serve `app` until `shutdown`.
pub async fn serve(
    listen: SocketAddr,
    app: axum::Router,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(error) = result {
            tracing::error!(%error, %addr, "HTTP server failed");
        }
    });
    Ok((addr, handle))
}
