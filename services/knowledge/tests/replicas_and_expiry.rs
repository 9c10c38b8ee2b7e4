//! Against a real nats-server and Postgres: two replicas keep their search indexes in step
//! (the one that did not publish follows the event), and an article about to expire
//! reminds its owner once per version, through the outbox.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{Days, Utc};
use hotline_contract::knowledge::*;
use hotline_contract::rpc::verbs;
use hotline_contract::subjects::event;
use hotline_knowledge::base::today;
use hotline_knowledge::expiry::ExpiryScan;
use hotline_knowledge::{KnowledgeConfig, SCHEMA, SERVICE};
use hotline_messaging::Outbox;
use hotline_service_kit::running::Running;
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use hotline_test_support::wait_for;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

const CENTER: &str = "hotline-center";

async fn start(env: &TestEnv, shutdown: &CancellationToken) -> Running {
    let mut config = KnowledgeConfig {
        common: env.common_config(),
        ..KnowledgeConfig::default()
    };
    config.knowledge.seed_on_first_start = false;
    hotline_knowledge::start(config, shutdown.clone())
        .await
        .unwrap()
}

async fn call<Req: Serialize, Resp: DeserializeOwned>(
    env: &TestEnv,
    verb: (&str, &str),
    request: &Req,
) -> Resp {
    hotline_messaging::call(
        &env.client,
        &env.ns,
        verb,
        request,
        &TraceContext::new_root(),
        Duration::from_secs(10),
    )
    .await
    .unwrap()
}

fn actor(user: &str, unit: &str) -> Actor {
    Actor {
        user_id: user.to_owned(),
        unit_id: unit.to_owned(),
    }
}

/// Draft (by the center, for `owner`), submit, approve and publish an article.
async fn publish(env: &TestEnv, title: &str, valid_until: Option<chrono::NaiveDate>) -> String {
    let receipt: VersionReceipt = call(
        env,
        verbs::KNOWLEDGE_DRAFT,
        &DraftArticle {
            actor: actor("author", CENTER),
            article_id: None,
            content: ArticleContent {
                title: title.to_owned(),
                questions: vec![],
                answer: "按规定办理。".to_owned(),
                category: "civil_affairs.assistance".to_owned(),
                region_code: "520100".to_owned(),
                owner_unit_id: Some("520100-civil-affairs".to_owned()),
                legal_basis: None,
                valid_from: None,
                valid_until,
                tags: vec![],
            },
            note: None,
        },
    )
    .await;
    let id = receipt.article_id;
    let step = |user: &str| VersionCommand {
        actor: actor(user, CENTER),
        article_id: id.clone(),
        version: 1,
    };
    let _: VersionReceipt = call(env, verbs::KNOWLEDGE_SUBMIT, &step("author")).await;
    let _: VersionReceipt = call(
        env,
        verbs::KNOWLEDGE_REVIEW,
        &ReviewVersion {
            actor: actor("reviewer", CENTER),
            article_id: id.clone(),
            version: 1,
            decision: ReviewDecision::Approve,
            reason: None,
        },
    )
    .await;
    let published: VersionReceipt = call(env, verbs::KNOWLEDGE_PUBLISH, &step("publisher")).await;
    assert_eq!(published.status, VersionStatus::Published);
    id
}

#[tokio::test]
async fn every_replica_finds_an_article_another_replica_published() {
    let env = TestEnv::new().await;
    let shutdown = CancellationToken::new();
    let first = start(&env, &shutdown).await;
    let second = start(&env, &shutdown).await;

    let id = publish(&env, "双副本斑鸠测试补助申请", None).await;
    // Requests are spread over both replicas: twenty searches in a row that all find the
    // article have asked both.
    let query = SearchQuery {
        q: "斑鸠测试补助".to_owned(),
        region_code: Some("520102".to_owned()),
        category: None,
        limit: None,
    };
    wait_for("both replicas to index the article", PATIENCE, || async {
        for _ in 0..20 {
            let results: SearchResults = call(&env, verbs::KNOWLEDGE_SEARCH, &query).await;
            if results.hits.first().map(|h| h.article_id.as_str()) != Some(id.as_str()) {
                return None;
            }
        }
        Some(())
    })
    .await;

    shutdown.cancel();
    first.wait().await;
    second.wait().await;
}

#[tokio::test]
async fn an_article_about_to_expire_reminds_its_owner_once() {
    let env = TestEnv::new().await;
    let shutdown = CancellationToken::new();
    let running = start(&env, &shutdown).await;
    let soon = today(Utc::now()).checked_add_days(Days::new(10));
    let id = publish(&env, "即将到期的鹈鹕测试政策", soon).await;

    let pool = env.pool().await;
    let scan = ExpiryScan::new(
        pool.clone(),
        Outbox::new(SERVICE, SCHEMA, env.ns.clone()),
        30,
    );
    // The service's own scan may have run already; between them, one reminder.
    scan.scan(Utc::now()).await.unwrap();
    assert_eq!(scan.scan(Utc::now()).await.unwrap(), 0, "reminded once");
    let reminded = env
        .wait_for_event::<ArticleExpiring>(event::KNOWLEDGE_ARTICLE_EXPIRING, |e| {
            e.article_id == id
        })
        .await;
    assert_eq!(reminded.data.owner_unit_id, "520100-civil-affairs");
    assert_eq!(Some(reminded.data.valid_until), soon);
    let reminders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM knowledge.expiry_reminders WHERE article_id = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(reminders, 1);
    // An article valid for years is not reminded.
    let later = today(Utc::now()).checked_add_days(Days::new(400));
    let _ = publish(&env, "长期有效的政策", later).await;
    assert_eq!(scan.scan(Utc::now()).await.unwrap(), 0);

    pool.close().await;
    shutdown.cancel();
    running.wait().await;
}
