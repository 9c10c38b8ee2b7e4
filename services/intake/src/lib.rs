//! Intake: registers requests from every channel as work orders (A3, A11), keeps the
//! requester's personal data to itself (A21), and answers the public progress query from a
//! projection of the order events.
//!
//! Flow: the gateway posts a registration to the internal HTTP API → [`registration`]
//! validates it ([`domain::registration`]), numbers it, stores it and queues
//! `order.registered` in one transaction → the outbox relay publishes it. The
//! [`handlers::StatusProjection`] consumer follows `hotline.order.>` (and sign deadlines)
//! to keep the public status current; [`api::progress`] serves `rpc.intake.progress`.
//! [`triage`] gives every request one disposition (A9, A10), the [`vault`] keeps the
//! requester's personal data encrypted (A21), [`aftercare`] records the satisfaction visit
//! and harassment flags (A24). [`category`] suggests an order's category from its text
//! (A12), trained on the knowledge base's seed articles and on confirmed dispatches.
//! [`hotspots`] clusters recent orders of one region about the same matter and publishes
//! `hotspot.detected` (A17.4).

pub mod aftercare;
pub mod api;
pub mod category;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod hotspots;
pub mod http;
pub mod knowledge;
pub mod registration;
pub mod repeats;
pub mod reveal;
pub mod store;
pub mod transfer_outcomes;
pub mod triage;
pub mod vault;

use std::sync::Arc;

use anyhow::Context;
use hotline_contract::rpc::verbs;
use hotline_contract::subjects::event;
use hotline_messaging::RpcServer;
use hotline_reference::Regions;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

pub use config::IntakeConfig;

use crate::domain::phone::PhoneHasher;
use crate::registration::Registrar;
use crate::vault::Vault;

pub const SERVICE: &str = "intake";
pub const SCHEMA: &str = "intake";
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The vault the config describes. A21: its blind index of identity numbers shares the
/// phone-hash key.
fn vault_from(config: &IntakeConfig) -> anyhow::Result<Vault> {
    let key = config.intake.phone_hash_key.expose_secret();
    Vault::from_config(&config.intake.vault, key.as_bytes()).context("vault keys")
}

/// The ops command `hotline-intake rotate-keys` (docs/architecture.md, "Personal data"):
/// re-encrypt every requester row not yet under the active vault key, `batch_size` rows
/// per transaction. Run it after making a new key active (`HOTLINE_INTAKE__VAULT__ACTIVE_KEY`)
/// and before removing the old one from the ring; it can run while intake serves, and an
/// interrupted run resumes where it stopped.
pub async fn rotate_keys(
    config: &IntakeConfig,
    batch_size: u32,
) -> anyhow::Result<vault::RotationReport> {
    let vault = vault_from(config)?;
    let pool = hotline_service_kit::db::connect(&config.common.database, SCHEMA)
        .await
        .context("connect to the database")?;
    let report = vault::rotate(&pool, &vault, batch_size)
        .await
        .context("rotate the vault keys")?;
    pool.close().await;
    Ok(report)
}

/// Start intake; it runs until `shutdown` is cancelled.
pub async fn start(config: IntakeConfig, shutdown: CancellationToken) -> anyhow::Result<Running> {
    let key = config.intake.phone_hash_key.expose_secret();
    if key == config::DEV_PHONE_HASH_KEY {
        tracing::warn!(
            "HOTLINE_INTAKE__PHONE_HASH_KEY is not set: using the development key; never do this in production"
        );
    }
    let hasher = PhoneHasher::new(key.as_bytes()).context("phone hash key")?;
    let vault = vault_from(&config)?;
    if vault.key_ring().uses_development_key() {
        tracing::warn!(
            "HOTLINE_INTAKE__VAULT__KEYS holds the development key: personal data is encrypted with a \
             publicly known key; never do this in production"
        );
    }
    let regions = Arc::new(Regions::bundled().context("divisions data")?);

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

    running.spawn_consumer(
        &ctx,
        ctx.consumer(
            "status",
            &[
                event::ALL_ORDER,
                event::DEADLINE_SCHEDULED,
                event::DEADLINE_RESCHEDULED,
            ],
        ),
        handlers::StatusProjection {
            nats: ctx.nats.clone(),
            namespace: ctx.namespace.clone(),
        },
    );

    let mut rpc = RpcServer::start(&ctx.nats, SERVICE, &ctx.namespace, shutdown.clone()).await?;
    let (pool, progress_hasher) = (ctx.db.clone(), hasher.clone());
    rpc.endpoint(verbs::INTAKE_PROGRESS.1, 64, move |query, _trace| {
        let (pool, hasher) = (pool.clone(), progress_hasher.clone());
        async move { api::progress(&pool, &hasher, query).await }
    })
    .await?;
    let pool = ctx.db.clone();
    rpc.endpoint(verbs::INTAKE_PUBLIC_STATUS.1, 64, move |query, _trace| {
        let pool = pool.clone();
        async move { api::public_status(&pool, query).await }
    })
    .await?;
    let (pool, visit_outbox) = (ctx.db.clone(), ctx.outbox());
    rpc.endpoint(
        verbs::INTAKE_RECORD_SATISFACTION.1,
        16,
        move |input, trace| {
            let (pool, outbox) = (pool.clone(), visit_outbox.clone());
            async move { aftercare::record_satisfaction(&pool, &outbox, &trace, input).await }
        },
    )
    .await?;
    let pool = ctx.db.clone();
    rpc.endpoint(verbs::INTAKE_FLAG_HARASSMENT.1, 16, move |input, _trace| {
        let pool = pool.clone();
        async move { aftercare::flag_harassment(&pool, input).await }
    })
    .await?;
    let repeat_window = chrono::Duration::days(config.intake.repeat_window_days.max(1));
    let (pool, repeat_hasher, repeat_regions) = (ctx.db.clone(), hasher.clone(), regions.clone());
    rpc.endpoint(verbs::INTAKE_REPEAT_CANDIDATES.1, 16, move |query, _trace| {
        let (pool, hasher, regions) = (pool.clone(), repeat_hasher.clone(), repeat_regions.clone());
        async move { api::repeat_candidates(&pool, &hasher, &regions, repeat_window, query).await }
    })
    .await?;
    // A12: category suggestion, from the seed corpus at once and retrained in the
    // background as dispatches are confirmed.
    let suggester = Arc::new(
        category::CategorySuggester::from_seed(domain::category_model::Params::default())
            .context("category model")?,
    );
    let (suggest_suggester, suggest_regions) = (suggester.clone(), regions.clone());
    rpc.endpoint(
        verbs::INTAKE_SUGGEST_CATEGORY.1,
        32,
        move |query, _trace| {
            let (suggester, regions) = (suggest_suggester.clone(), suggest_regions.clone());
            async move { suggester.suggest(&regions, query).await }
        },
    )
    .await?;
    let registrar = Registrar {
        pool: ctx.db.clone(),
        outbox,
        regions: regions.clone(),
        hasher,
        vault,
        repeat_window,
        knowledge: config
            .intake
            .knowledge_auto_answer
            .then(|| knowledge::KnowledgeAdvisor {
                nats: ctx.nats.clone(),
                namespace: ctx.namespace.clone(),
                timeout: std::time::Duration::from_millis(config.intake.knowledge_timeout_ms),
            }),
    };
    // A8: matters handed over by partner hotlines, through the emergency bridge.
    let transfer_registrar = registrar.clone();
    rpc.endpoint(
        verbs::INTAKE_REGISTER_TRANSFER.1,
        16,
        move |input, trace| {
            let registrar = transfer_registrar.clone();
            async move { api::register_transfer(&registrar, input, &trace).await }
        },
    )
    .await?;
    // A10.1, A21: the caller's contact for the emergency partner, audited in the vault.
    let (pool, reveal_vault) = (ctx.db.clone(), registrar.vault.clone());
    rpc.endpoint(
        verbs::INTAKE_REVEAL_FOR_TRANSFER.1,
        16,
        move |input, _trace| {
            let (pool, vault) = (pool.clone(), reveal_vault.clone());
            async move { reveal::reveal_for_transfer(&pool, &vault, input).await }
        },
    )
    .await?;
    running.spawn("rpc", rpc.wait());
    running.spawn(
        "category-retrain",
        category::run_retraining(
            suggester,
            ctx.db.clone(),
            std::time::Duration::from_secs(config.intake.category_retrain_interval_secs),
            config.intake.category_training_max_orders.max(0),
            shutdown.clone(),
        ),
    );

    // A17.4: the hot-spot scan, every few minutes over a sliding window.
    let hotspot_defaults = domain::hotspot::HotspotParams::default();
    running.spawn(
        "hotspot-scan",
        hotspots::run_periodically(
            hotspots::HotspotScanner {
                pool: ctx.db.clone(),
                outbox: ctx.outbox(),
                townships: Arc::new(domain::hotspot::Townships::from_regions(&regions)),
                params: domain::hotspot::HotspotParams {
                    similarity: config.intake.hotspot_similarity,
                    min_requesters: config.intake.hotspot_min_requesters.max(2),
                    ..hotspot_defaults
                },
                window: chrono::Duration::days(config.intake.hotspot_window_days.max(1)),
            },
            std::time::Duration::from_secs(config.intake.hotspot_scan_interval_secs.max(1)),
            shutdown.clone(),
        ),
    );

    // A10.3: load the segmentation dictionary now rather than on the first request, and
    // give orders registered before the repeat index existed their words.
    let (pool, since) = (ctx.db.clone(), chrono::Utc::now() - repeat_window);
    running.spawn("repeat-index", async move {
        if tokio::task::spawn_blocking(domain::similarity::warm_up)
            .await
            .is_err()
        {
            tracing::error!("the word segmenter failed to load");
        }
        loop {
            match repeats::index_missing(&pool, since, 500).await {
                Ok(0) => break,
                Ok(n) => tracing::info!(orders = n, "repeat index backfilled"),
                Err(error) => {
                    tracing::warn!(%error, "repeat index backfill stopped");
                    break;
                }
            }
        }
    });

    let (http_addr, http) = hotline_service_kit::http::serve(
        config.http.listen,
        http::router(registrar),
        shutdown.clone(),
    )
    .await
    .with_context(|| format!("bind {}", config.http.listen))?;
    running.set_http_addr(http_addr);
    running.spawn("http", async move {
        let _ = http.await;
    });
    tracing::info!(%http_addr, "intake ready");
    Ok(running)
}
