//! Knowledge starts against a real nats-server and Postgres, migrates, and reports ready.

use hotline_knowledge::KnowledgeConfig;
use hotline_service_test::{TestEnv, assert_ready};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn started_service_reports_ready_with_its_schema_in_place() {
    let env = TestEnv::new().await;
    let config = KnowledgeConfig {
        common: env.common_config(),
    };
    let shutdown = CancellationToken::new();

    let running = hotline_knowledge::start(config, shutdown.clone())
        .await
        .unwrap();
    assert_ready(running.ops_addr()).await;

    let pool = env.pool().await;
    let published: i64 =
        sqlx::query_scalar("SELECT count(*) FROM knowledge.articles WHERE status = 'published'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(published, 0);
    pool.close().await;

    shutdown.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(20), running.wait())
        .await
        .expect("the service stops after shutdown");
}
