//! Category suggestion (A12, issue 5 item 3): trains the classifier of
//! [`crate::domain::category_model`] on the seed articles and on the orders whose category a
//! dispatch confirmed, keeps the current model in memory, and answers
//! `rpc.intake.suggest_category`. The dispatcher confirms; nothing here files an order.
//!
//! **What counts as confirmed.** An order is a training example when it was registered
//! with a category, a unit signed for it (a unit disputes *instead of* signing, A13, so a
//! signature means the dispatch stood), and it was never redispatched after a dispute. The
//! last fact comes from `order.redispatched`, which the status consumer records in
//! `intake.redispatched_orders` ([`record_redispatch`], idempotent through the inbox). An
//! upheld dispute leaves the order in: the center or the authority confirmed the dispatch.
//!
//! **Retraining.** [`run_retraining`] looks every `intake.category_retrain_interval_secs`
//! (default 600) at a fingerprint of the training set (how many confirmed orders, the
//! latest signature, how many redispatched orders) and retrains only when it changed: it
//! reads up to `intake.category_training_max_orders` (default 50,000) most recent confirmed
//! orders, featurises and trains on the blocking pool, and swaps the new model in. Requests
//! are never blocked: each takes the `Arc` of the model in force (a read lock held for one
//! pointer copy) and scores without a lock, so a retrain only changes which model the next
//! request gets.
//!
//! **Personal data.** The text is the order's matter or an agent's draft of it, so it may
//! hold names and addresses (A21): it is never logged, never put in an error, and never
//! leaves intake; the reply carries category codes and numbers only.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline_contract::category::{
    CategoryModelInfo, CategorySuggestion, CategorySuggestions, SuggestCategoryQuery,
};
use hotline_contract::rpc::RpcError;
use hotline_contract::vocabulary::OrderStatus;
use hotline_reference::Regions;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::category_model::{
    CategoryModel, Example, Params, SEED_ARTICLES, SeedError, check_query, features, seed_examples,
};

/// What can go wrong while training.
#[derive(Debug, thiserror::Error)]
pub enum CategoryError {
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error("reading the training orders failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the training task failed")]
    Training,
}

/// A trained model and what it was trained on.
#[derive(Debug)]
pub struct TrainedModel {
    pub model: CategoryModel,
    pub info: CategoryModelInfo,
    fingerprint: Option<Fingerprint>,
}

/// Changes whenever the set of confirmed orders may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Fingerprint {
    pub confirmed: i64,
    pub latest_signed: Option<DateTime<Utc>>,
    pub redispatched: i64,
}

/// The model in force, swapped whole on every retrain.
#[derive(Debug)]
pub struct CategorySuggester {
    current: RwLock<Arc<TrainedModel>>,
    seed: Arc<Vec<Example>>,
    params: Params,
}

impl CategorySuggester {
    /// A suggester trained on the bundled seed articles alone (model version 1).
    pub fn from_seed(params: Params) -> Result<Self, CategoryError> {
        let seed = Arc::new(seed_examples(SEED_ARTICLES)?);
        let model = CategoryModel::train(&seed, params);
        let info = info(1, &model, seed.len(), 0);
        Ok(Self {
            current: RwLock::new(Arc::new(TrainedModel {
                model,
                info,
                fingerprint: None,
            })),
            seed,
            params,
        })
    }

    /// The model in force.
    pub fn current(&self) -> Arc<TrainedModel> {
        // A poisoned lock still holds a whole model (the writer only swaps an `Arc`).
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn install(&self, model: TrainedModel) {
        let model = Arc::new(model);
        match self.current.write() {
            Ok(mut guard) => *guard = model,
            Err(poisoned) => *poisoned.into_inner() = model,
        }
    }

    /// Retrain on the seed and up to `max_orders` confirmed orders if the training set
    /// changed since the model in force was trained; returns whether it retrained.
    pub async fn retrain_if_changed(
        &self,
        pool: &PgPool,
        max_orders: i64,
    ) -> Result<bool, CategoryError> {
        let fingerprint = fingerprint(pool).await?;
        let current = self.current();
        if current.fingerprint == Some(fingerprint) {
            return Ok(false);
        }
        let orders = confirmed_orders(pool, max_orders).await?;
        let (seed, params, version) = (self.seed.clone(), self.params, current.info.version + 1);
        let trained = tokio::task::spawn_blocking(move || {
            let order_examples: Vec<Example> = orders
                .into_iter()
                .map(|o| Example::from_text(o.category, &o.matter))
                .collect();
            let orders_used = order_examples
                .iter()
                .filter(|e| !e.features.is_empty())
                .count();
            let mut all = Vec::with_capacity(seed.len() + order_examples.len());
            all.extend(seed.iter().cloned());
            all.extend(order_examples);
            let model = CategoryModel::train(&all, params);
            let info = info(version, &model, seed.len(), orders_used);
            TrainedModel {
                model,
                info,
                fingerprint: Some(fingerprint),
            }
        })
        .await
        .map_err(|_| CategoryError::Training)?;
        tracing::info!(
            version = trained.info.version,
            orders = trained.info.order_examples,
            categories = trained.info.categories,
            "category model retrained"
        );
        self.install(trained);
        Ok(true)
    }

    /// `rpc.intake.suggest_category`: the `k` most likely categories for the text.
    pub async fn suggest(
        &self,
        regions: &Regions,
        query: SuggestCategoryQuery,
    ) -> Result<CategorySuggestions, RpcError> {
        let checked = check_query(&query, regions).map_err(RpcError::invalid)?;
        let trained = self.current();
        let model = trained.clone();
        // Segmenting up to 4000 characters takes about a millisecond: off the async workers.
        let ranked = tokio::task::spawn_blocking(move || {
            model.model.suggest(&features(&checked.text), checked.k)
        })
        .await
        .map_err(|_| {
            tracing::error!("category suggestion task failed");
            RpcError::internal()
        })?;
        Ok(CategorySuggestions {
            suggestions: ranked
                .into_iter()
                .map(|s| CategorySuggestion {
                    category: s.category,
                    confidence: s.confidence,
                })
                .collect(),
            model: trained.info.clone(),
        })
    }
}

fn info(version: u64, model: &CategoryModel, seed: usize, orders: usize) -> CategoryModelInfo {
    CategoryModelInfo {
        version,
        trained_at: Utc::now(),
        seed_examples: u64::try_from(seed).unwrap_or(u64::MAX),
        order_examples: u64::try_from(orders).unwrap_or(u64::MAX),
        categories: u64::try_from(model.categories()).unwrap_or(u64::MAX),
    }
}

/// Retrain every `interval` until `shutdown` (see the module docs). A failed round is
/// logged and the model in force stays.
pub async fn run_retraining(
    suggester: Arc<CategorySuggester>,
    pool: PgPool,
    interval: Duration,
    max_orders: i64,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(interval.max(Duration::from_secs(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if let Err(error) = suggester.retrain_if_changed(&pool, max_orders).await {
            tracing::warn!(%error, "category model retraining failed; the current model stays");
        }
    }
}

/// An order whose category a dispatch confirmed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConfirmedOrder {
    pub order_id: Uuid,
    pub category: String,
    /// The matter (personal data possible: never logged).
    pub matter: String,
}

/// The condition of a confirmed order `o` (see the module docs).
const CONFIRMED: &str = "o.category IS NOT NULL \
     AND EXISTS (SELECT 1 FROM intake.order_history h WHERE h.order_id = o.order_id AND h.status = $1) \
     AND NOT EXISTS (SELECT 1 FROM intake.redispatched_orders r WHERE r.order_id = o.order_id)";

/// Up to `limit` confirmed orders, the most recently registered first.
pub async fn confirmed_orders(
    pool: &PgPool,
    limit: i64,
) -> Result<Vec<ConfirmedOrder>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT o.order_id, o.category, o.matter FROM intake.orders o WHERE {CONFIRMED} \
         ORDER BY o.registered_at DESC LIMIT $2"
    ))
    .bind(OrderStatus::Signed.code())
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The training set's fingerprint.
pub async fn fingerprint(pool: &PgPool) -> Result<Fingerprint, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT \
           (SELECT count(*) FROM intake.orders o WHERE {CONFIRMED}) AS confirmed, \
           (SELECT max(at) FROM intake.order_history WHERE status = $1) AS latest_signed, \
           (SELECT count(*) FROM intake.redispatched_orders) AS redispatched"
    ))
    .bind(OrderStatus::Signed.code())
    .fetch_one(pool)
    .await
}

/// Record that the order was redispatched after a dispute (A13): it leaves the training
/// set. Orders intake does not know are ignored (not ours, like the status projection).
pub async fn record_redispatch(
    tx: &mut PgConnection,
    order_id: Uuid,
    redispatched_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO intake.redispatched_orders (order_id, first_redispatched_at, redispatches) \
         SELECT $1, $2, 1 WHERE EXISTS (SELECT 1 FROM intake.orders WHERE order_id = $1) \
         ON CONFLICT (order_id) DO UPDATE SET \
           first_redispatched_at = LEAST(intake.redispatched_orders.first_redispatched_at, $2), \
           redispatches = intake.redispatched_orders.redispatches + 1",
    )
    .bind(order_id)
    .bind(redispatched_at)
    .execute(tx)
    .await
    .map(|_| ())
}
