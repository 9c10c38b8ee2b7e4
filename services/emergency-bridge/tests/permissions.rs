#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The deployment's NATS config (deploy/nats/server.conf with auth.conf) loaded into the
//! pinned nats-server: a partner may publish under its own `partner.<code>.>` only and
//! subscribe to its own `hotline.transfer.<code>.>` only; the server refuses the rest.
//! (`ops` stands in for the hotline side; tests/e2e/nats_permissions.rs runs the services
//! under their own users.)

use std::time::Duration;

use futures::StreamExt;
use hotline_test_support::NatsServer;
use hotline_test_support::nats_users::{connect_watching, next_violation};

const CODES: &[&str] = &["110", "119", "120", "122", "95598", "12315", "12366"];

/// Every user of deploy/nats/auth.conf, with a test password each.
fn passwords() -> Vec<(String, String)> {
    let services = [
        "INTAKE",
        "ROUTER",
        "DEADLINE_WATCHER",
        "SUPERVISION",
        "ANALYTICS",
        "KNOWLEDGE",
        "EMERGENCY_BRIDGE",
        "GATEWAY",
        "ANALYST",
    ];
    let mut env: Vec<(String, String)> = services
        .iter()
        .map(|u| (format!("NATS_{u}_PASSWORD"), format!("pw-{u}")))
        .collect();
    env.push(("NATS_OPS_PASSWORD".to_owned(), "hotline-test".to_owned()));
    for code in CODES {
        env.push((
            format!("NATS_PARTNER_{code}_PASSWORD"),
            format!("pw-{code}"),
        ));
    }
    env
}

async fn start_server() -> NatsServer {
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nats/server.conf");
    NatsServer::start_with_config(&config, passwords()).await
}

#[tokio::test]
async fn partner_publishing_or_subscribing_outside_its_subjects_is_refused_by_nats() {
    let server = start_server().await;
    let (hotline, _) = connect_watching(&server.url(), "ops", "hotline-test").await;
    let mut watch = hotline.subscribe("partner.>").await.unwrap();
    let mut orders = hotline.subscribe("hotline.order.>").await.unwrap();
    hotline_messaging::server_barrier(&hotline).await.unwrap();

    let (partner, mut events) = connect_watching(&server.url(), "partner-110", "pw-110").await;
    // Its own subject goes through…
    partner
        .publish("partner.110.transfer.accepted", "ok".into())
        .await
        .unwrap();
    partner.flush().await.unwrap();
    let own = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(own.subject.as_str(), "partner.110.transfer.accepted");

    // …another partner's subject and our event subjects are refused.
    partner
        .publish("partner.119.transfer.accepted", "forged".into())
        .await
        .unwrap();
    partner.flush().await.unwrap();
    assert!(
        next_violation(&mut events)
            .await
            .contains("partner.119.transfer.accepted")
    );
    partner
        .publish("hotline.order.registered", "forged".into())
        .await
        .unwrap();
    partner.flush().await.unwrap();
    assert!(
        next_violation(&mut events)
            .await
            .contains("hotline.order.registered")
    );
    // Nothing forged arrived.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), watch.next())
            .await
            .is_err()
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(200), orders.next())
            .await
            .is_err()
    );

    // It may read its own transfers, not another partner's.
    let mut mine = partner.subscribe("hotline.transfer.110.>").await.unwrap();
    let _theirs = partner.subscribe("hotline.transfer.119.>").await.unwrap();
    partner.flush().await.unwrap();
    assert!(
        next_violation(&mut events)
            .await
            .contains("hotline.transfer.119.>")
    );
    hotline
        .publish("hotline.transfer.110.requested", "x".into())
        .await
        .unwrap();
    hotline_messaging::server_barrier(&hotline).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), mine.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.subject.as_str(), "hotline.transfer.110.requested");
    drop(server);
}
