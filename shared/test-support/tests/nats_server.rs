//! Starts the real pinned nats-server, talks to it with async-nats, and checks
//! that JetStream state survives a kill + restart on the same port.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use futures::StreamExt;
use hotline_test_support::{NatsServer, unique_namespace, wait_for};

#[tokio::test]
async fn starts_with_jetstream_and_serves_pub_sub() {
    let mut server = NatsServer::start().await;
    assert!(server.is_running());
    assert_eq!(server.url(), format!("nats://127.0.0.1:{}", server.port()));
    assert!(format!("{server:?}").contains("NatsServer"));

    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client.clone());
    let account = js.query_account().await.unwrap();
    assert_eq!(account.streams, 0);

    let ns = unique_namespace();
    let subject = format!("{ns}.ping");
    let mut sub = client.subscribe(subject.clone()).await.unwrap();
    client.publish(subject, "hello".into()).await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&msg.payload[..], b"hello");
}

#[tokio::test]
async fn jetstream_stream_survives_stop_and_restart() {
    let mut server = NatsServer::start().await;
    let port = server.port();
    let ns = unique_namespace();
    let stream_name = format!("{ns}_EVENTS");

    {
        let client = async_nats::connect(server.url()).await.unwrap();
        let js = jetstream::new(client.clone());
        js.create_stream(stream::Config {
            name: stream_name.clone(),
            subjects: vec![format!("{ns}.events.>")],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .unwrap();
        for i in 0..3 {
            js.publish(format!("{ns}.events.{i}"), format!("event {i}").into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
        client.flush().await.unwrap();
    }

    // A client that stays connected across the crash must reconnect by itself.
    let survivor = async_nats::connect(server.url()).await.unwrap();

    server.stop();
    assert!(!server.is_running());
    assert!(
        async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_millis(500))
            .connect(server.url())
            .await
            .is_err(),
        "server still accepts connections after stop()"
    );

    server.restart().await;
    assert!(server.is_running());
    assert_eq!(server.port(), port, "restart must keep the port");

    // A fresh client sees the stream and its messages.
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = jetstream::new(client);
    let info = js
        .get_stream(&stream_name)
        .await
        .unwrap()
        .get_info()
        .await
        .unwrap();
    assert_eq!(info.config.name, stream_name);
    assert_eq!(info.state.messages, 3);

    // The old client reconnects and sees it too.
    let js_old = jetstream::new(survivor);
    let messages = wait_for(
        "the pre-restart client to reconnect",
        Duration::from_secs(10),
        || {
            let js_old = js_old.clone();
            let name = stream_name.clone();
            async move {
                let stream = js_old.get_stream(name).await.ok()?;
                Some(stream.get_info().await.ok()?.state.messages)
            }
        },
    )
    .await;
    assert_eq!(messages, 3);
}

#[tokio::test]
async fn servers_are_independent() {
    let a = NatsServer::start().await;
    let b = NatsServer::start().await;
    assert_ne!(a.port(), b.port());
    assert_ne!(a.store_dir(), b.store_dir());
}

#[tokio::test]
async fn drop_kills_the_server() {
    let server = NatsServer::start().await;
    let url = server.url();
    drop(server);
    let result = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_millis(500))
        .connect(url)
        .await;
    assert!(result.is_err(), "server still reachable after drop");
}
