#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The emergency bridge starts against a real nats-server and Postgres, migrates, and reports ready.

use hotline_emergency_bridge::EmergencyBridgeConfig;
use hotline_service_test::{TestEnv, assert_ready};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn started_service_reports_ready_with_emergency_utility_and_sub_center_partners_registered() {
    let env = TestEnv::new().await;
    let config = EmergencyBridgeConfig {
        common: env.common_config(),
        ..Default::default()
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
    assert_eq!(
        codes,
        ["110", "119", "120", "122", "12315", "12366", "95598"]
    );
    for (code, kind, timeout) in &partners {
        let expected = match code.as_str() {
            "95598" => "utility",
            "12315" | "12366" => "sub_center",
            _ => "emergency",
        };
        assert_eq!((kind.as_str(), *timeout > 0), (expected, true), "{code}");
    }
    // The fallback is each partner's own public number (never an invented one).
    let fallbacks: Vec<(String, String)> =
        sqlx::query_as("SELECT code, fallback_phone FROM emergency_bridge.partners")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(fallbacks.iter().all(|(code, phone)| code == phone));
    pool.close().await;

    shutdown.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(20), running.wait())
        .await
        .expect("the service stops after shutdown");
}
