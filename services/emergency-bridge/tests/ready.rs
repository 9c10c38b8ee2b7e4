//! The emergency bridge starts against a real nats-server and Postgres, migrates, and reports ready.

use hotline_emergency_bridge::EmergencyBridgeConfig;
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn started_service_reports_ready_with_the_emergency_partners_registered() {
    let nats = NatsServer::start().await;
    let db = TestDatabase::create().await;
    let mut config = EmergencyBridgeConfig::default();
    config.common.namespace = unique_namespace();
    config.common.database.url = SecretString::from(db.url());
    config.common.nats.url = nats.url();
    config.common.ops.listen = "127.0.0.1:0".parse().unwrap();
    let shutdown = CancellationToken::new();

    let running = hotline_emergency_bridge::start(config, shutdown.clone())
        .await
        .unwrap();
    let ready = reqwest::get(format!("http://{}/readyz", running.ops_addr()))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());

    let pool = db.pool().await;
    let partners: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT code, kind, ack_timeout_secs FROM emergency_bridge.partners ORDER BY code",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let codes: Vec<&str> = partners.iter().map(|(code, _, _)| code.as_str()).collect();
    assert_eq!(codes, ["110", "119", "120", "122"]);
    assert!(
        partners
            .iter()
            .all(|(_, kind, timeout)| kind == "emergency" && *timeout > 0)
    );
    pool.close().await;

    shutdown.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(20), running.wait())
        .await
        .expect("the service stops after shutdown");
    db.drop_database().await;
}
