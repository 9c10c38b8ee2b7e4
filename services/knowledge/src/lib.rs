//! Knowledge: the knowledge base (A22) that agents answer consultations from at once (A9)
//! and the public searches.
//!
//! - Articles are versioned: every change is a new immutable version row; a version moves
//!   draft → submitted → approved/rejected → published → retired/unpublished under the
//!   rules of [`domain::workflow`] (the center reviews and publishes; another unit's change
//!   is a correction the owner or the center reviews; reviewer ≠ author). Publishing and
//!   unpublishing announce `knowledge.article_published` / `article_unpublished`; the
//!   [`expiry`] scan reminds owners before an article's validity ends
//!   (`knowledge.article_expiring`); feedback is recorded and announced
//!   (`knowledge.feedback_recorded`). Every event goes through the outbox.
//! - [`search`] is a tantivy index of the published articles with a jieba word tokenizer,
//!   a character-bigram tokenizer and the editors' synonym table; it lives in RAM (or a
//!   directory), is rebuilt from Postgres at start and on `reindex`, and is updated on each
//!   publish and unpublish, on every replica ([`follow`]). `suggest` adds a confidence for
//!   direct answers.
//! - [`api`] serves `rpc.knowledge.<verb>`; the gateway exposes them under
//!   `/api/v1/knowledge` (the design is in `docs/knowledge.md`).
//!
//! Roles come with issue 10: editing requests carry the acting user and unit, and the
//! gateway will enforce that the user holds that unit's editor role.

pub mod api;
pub mod base;
pub mod config;
pub mod domain;
pub mod evaluation;
pub mod expiry;
pub mod follow;
pub mod search;
pub mod seed;
pub mod store;
pub mod transfer;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hotline_reference::Regions;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::KnowledgeConfig;

use crate::base::{KnowledgeBase, Settings};
use crate::domain::workflow::Workflow;
use crate::search::{SearchIndex, Synonyms};

/// The service's name (NATS client, event source).
pub const SERVICE: &str = "knowledge";
/// The service's Postgres schema.
pub const SCHEMA: &str = "knowledge";
/// The service's own migrations (the messaging tables come from `hotline-messaging`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start knowledge; it runs until `shutdown` is cancelled.
pub async fn start(
    config: KnowledgeConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    let settings = &config.knowledge;
    let regions = Arc::new(Regions::bundled().context("load the division catalogue")?);
    let index = Arc::new(
        SearchIndex::open(settings.index_dir.as_deref(), Synonyms::default())
            .context("open the search index")?,
    );
    let (ctx, ops) = bootstrap::start(
        SERVICE,
        SCHEMA,
        &config.common,
        &[&MIGRATOR],
        shutdown.clone(),
    )
    .await
    .context("bootstrap")?;
    ctx.provision_hotline_stream()
        .await
        .context("provision the HOTLINE stream")?;
    let mut running = Running::for_context(&ctx, ops);
    let outbox = ctx.outbox();
    running.spawn_outbox_relay(&ctx);

    let base = KnowledgeBase::new(
        ctx.db.clone(),
        outbox.clone(),
        regions,
        Workflow {
            center_unit_id: settings.center_unit_id.clone(),
        },
        index.clone(),
        Settings {
            auto_answer_threshold: settings.auto_answer_threshold,
        },
    );
    if let Some(report) = seed::run(
        &ctx.db,
        &base,
        &settings.center_unit_id,
        settings.seed_on_first_start,
        settings.seed_file.as_deref(),
    )
    .await
    .context("seed the knowledge base")?
    {
        tracing::info!(?report, "knowledge base seeded");
    }
    let synonyms = store::synonym_groups(&ctx.db)
        .await
        .context("load the synonym table")?;
    index.set_synonyms(Synonyms::new(&synonyms));
    let report = base
        .reindex()
        .await
        .map_err(|e| anyhow::anyhow!("build the search index: {e}"))?;
    tracing::info!(
        articles = report.articles,
        took_ms = report.took_ms,
        "search index built"
    );

    running.spawn(
        "follow",
        follow::run(
            ctx.nats.clone(),
            ctx.namespace.clone(),
            base.clone(),
            shutdown.clone(),
        ),
    );
    let rpc = api::serve(&ctx, base)
        .await
        .context("serve the knowledge requests")?;
    running.spawn("rpc", rpc.wait());
    let scan = expiry::ExpiryScan::new(ctx.db.clone(), outbox, settings.expiry_reminder_days);
    running.spawn(
        "expiry-scan",
        scan.run(
            Duration::from_secs(settings.expiry_scan_interval_secs),
            shutdown.clone(),
        ),
    );
    tracing::info!(ops = %running.ops_addr(), "knowledge ready");
    Ok(running)
}
