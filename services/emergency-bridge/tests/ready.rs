//! The emergency bridge starts against a real nats-server and Postgres, migrates, and reports ready.

use hotline_emergency_bridge::EmergencyBridgeConfig;
use hotline_service_test::{TestEnv, assert_ready};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn started_service_reports_ready_with_the_emergency_partners_registered() {
    let env = TestEnv::new().await;
    let config = EmergencyBridgeConfig {
        common: env.common_config(),
    };
    let shutdown = CancellationToken::new();

    let running = hotline_emergency_bridge::start(config, shutdown.clone())
        .await
        .unwrap();
    assert_ready(running.ops_addr()).await;

    let pool = env.pool().await;
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
}
