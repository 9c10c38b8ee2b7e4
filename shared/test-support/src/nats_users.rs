//! Clients of a nats-server that enforces permissions (the deployment's `deploy/nats/`
//! config): connect as a user and watch what the server refuses.

use std::time::Duration;

use tokio::sync::mpsc;

/// A client connected as `user` to `url`, with the server's asynchronous errors (such as
/// permissions violations) forwarded to the receiver. Retries for up to 10 s while the
/// server is still starting.
pub async fn connect_watching(
    url: &str,
    user: &str,
    password: &str,
) -> (async_nats::Client, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = crate::wait_for(
        &format!("{user} to connect to {url}"),
        Duration::from_secs(10),
        || {
            let tx = tx.clone();
            async move {
                async_nats::ConnectOptions::with_user_and_password(
                    user.to_owned(),
                    password.to_owned(),
                )
                .event_callback(move |event| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(event.to_string());
                    }
                })
                .connect(url)
                .await
                .ok()
            }
        },
    )
    .await;
    (client, rx)
}

/// The next permissions violation the server reports on `events` (within 5 s, or the test
/// fails); other events are skipped.
pub async fn next_violation(events: &mut mpsc::UnboundedReceiver<String>) -> String {
    loop {
        let event = match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Some(event)) => event,
            Ok(None) => panic!("the client's event channel closed"),
            Err(_) => panic!("the server reported no permissions violation within 5 s"),
        };
        if event.to_lowercase().contains("permission") {
            return event;
        }
    }
}
