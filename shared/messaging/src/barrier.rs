//! A round trip through the server on one connection: once [`server_barrier`] returns, the
//! server has processed everything this connection sent before it (subscriptions included).
//!
//! Why not `Client::flush`: in async-nats (0.51) `flush` only writes the client's buffer to
//! the socket; it does not wait for the server's PONG. A subscription "flushed" that way may
//! still be unknown to the server when another connection publishes a moment later, and a
//! request then gets "no responders" (seen in CI right after a service started). The server
//! handles one connection's protocol in order, so the answer to a request sent after the
//! `SUB` proves the `SUB` was processed. The request goes to a subject nobody serves; the
//! server's immediate "no responders" status *is* the answer we wait for.

use std::time::Duration;

use async_nats::RequestErrorKind;

/// The round trip did not come back.
#[derive(Debug, thiserror::Error)]
#[error("no round trip through the NATS server: {0}")]
pub struct BarrierError(String);

/// How long to wait for the round trip; the server answers at once when it is up.
const PATIENCE: Duration = Duration::from_secs(10);

/// Returns once the server has processed every operation this connection sent before it.
pub async fn server_barrier(client: &async_nats::Client) -> Result<(), BarrierError> {
    server_barrier_within(client, PATIENCE).await
}

/// [`server_barrier`] with an explicit patience: an error once `patience` has passed without
/// the server's answer (the server is down, or the connection is closed).
pub async fn server_barrier_within(
    client: &async_nats::Client,
    patience: Duration,
) -> Result<(), BarrierError> {
    let subject = format!("_HOTLINE.BARRIER.{}", client.new_inbox().replace('.', "-"));
    let request = async_nats::Request::new().timeout(Some(patience));
    match client.send_request(subject, request).await {
        // Someone answered (a wildcard subscriber): still a round trip.
        Ok(_) => Ok(()),
        Err(e) if e.kind() == RequestErrorKind::NoResponders => Ok(()),
        Err(e) => Err(BarrierError(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use hotline_test_support::NatsServer;

    use super::*;

    /// A subscription made on one connection receives, at once, what another connection
    /// publishes right after the barrier; no waiting or retrying on the subscriber side.
    #[tokio::test]
    async fn a_subscription_is_known_to_the_server_after_the_barrier() {
        let server = NatsServer::start().await;
        let subscriber = async_nats::connect(server.url()).await.unwrap();
        let publisher = async_nats::connect(server.url()).await.unwrap();
        for round in 0..50 {
            let subject = format!("barrier.test.{round}");
            let mut sub = subscriber.subscribe(subject.clone()).await.unwrap();
            server_barrier(&subscriber).await.unwrap();
            // A core request has no retry: it fails with "no responders" if the server does
            // not know the subscription yet.
            let asked = publisher.request(subject, "ping".into());
            let answered = async {
                let msg = futures::StreamExt::next(&mut sub).await.unwrap();
                subscriber
                    .publish(msg.reply.unwrap(), "pong".into())
                    .await
                    .unwrap();
            };
            let (reply, ()) = tokio::join!(asked, answered);
            assert_eq!(reply.unwrap().payload.as_ref(), b"pong", "round {round}");
        }
    }

    /// With the server gone nothing can answer: the barrier fails after its patience instead
    /// of pretending the round trip happened.
    #[tokio::test]
    async fn a_stopped_server_is_an_error_after_the_patience() {
        let server = NatsServer::start().await;
        let client = async_nats::connect(server.url()).await.unwrap();
        server_barrier(&client).await.unwrap();
        drop(server);
        let outcome = server_barrier_within(&client, Duration::from_millis(300)).await;
        assert!(outcome.is_err(), "{outcome:?}");
    }
}
