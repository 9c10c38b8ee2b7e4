//! Knowledge starts against a real nats-server and Postgres, migrates, loads the seed set
//! once, builds its search index and reports ready.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hotline_knowledge::KnowledgeConfig;
use hotline_service_test::{TestEnv, assert_ready};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn started_service_reports_ready_with_the_seed_set_published_and_indexed() {
    let env = TestEnv::new().await;
    let config = KnowledgeConfig {
        common: env.common_config(),
        ..KnowledgeConfig::default()
    };
    let shutdown = CancellationToken::new();

    let running = hotline_knowledge::start(config, shutdown.clone())
        .await
        .unwrap();
    assert_ready(running.ops_addr()).await;

    let pool = env.pool().await;
    let published = || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM knowledge.article_versions WHERE status = 'published'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        n
    };
    let seeded = hotline_knowledge::seed::articles().unwrap().len();
    assert!(seeded >= 200, "the seed set has {seeded} articles");
    assert_eq!(published().await, seeded as i64);
    let synonyms: i64 = sqlx::query_scalar("SELECT count(*) FROM knowledge.synonym_groups")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(synonyms > 10);

    shutdown.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(20), running.wait())
        .await
        .expect("the service stops after shutdown");

    // A second start finds the base seeded and loads nothing again.
    let shutdown = CancellationToken::new();
    let config = KnowledgeConfig {
        common: env.common_config(),
        ..KnowledgeConfig::default()
    };
    let running = hotline_knowledge::start(config, shutdown.clone())
        .await
        .unwrap();
    assert_eq!(published().await, seeded as i64);
    pool.close().await;
    shutdown.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(20), running.wait())
        .await
        .expect("the service stops after shutdown");
}
