//! Knowledge starts against a real nats-server and Postgres, migrates, and reports ready.

use hotline_knowledge::KnowledgeConfig;
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn started_service_reports_ready_with_its_schema_in_place() {
    let nats = NatsServer::start().await;
    let db = TestDatabase::create().await;
    let mut config = KnowledgeConfig::default();
    config.common.namespace = unique_namespace();
    config.common.database.url = SecretString::from(db.url());
    config.common.nats.url = nats.url();
    config.common.ops.listen = "127.0.0.1:0".parse().unwrap();
    let shutdown = CancellationToken::new();

    let running = hotline_knowledge::start(config, shutdown.clone())
        .await
        .unwrap();
    let ready = reqwest::get(format!("http://{}/readyz", running.ops_addr()))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "{}", ready.text().await.unwrap());

    let pool = db.pool().await;
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
    db.drop_database().await;
}
