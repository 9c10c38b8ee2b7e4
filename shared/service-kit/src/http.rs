//! Serving an axum application with graceful shutdown: on cancel, stop accepting, let
//! in-flight requests finish, return.

use std::net::SocketAddr;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Bind `listen` (port 0 picks a free port) and serve `app` until `shutdown`. Handlers
/// and middleware can read the peer address with `ConnectInfo<SocketAddr>` (the gateway's
/// per-client rate limits do).
pub async fn serve(
    listen: SocketAddr,
    app: axum::Router,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let result = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
        if let Err(error) = result {
            tracing::error!(%error, %addr, "HTTP server failed");
        }
    });
    Ok((addr, handle))
}
