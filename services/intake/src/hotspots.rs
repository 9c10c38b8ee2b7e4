//! Hot-spot scan (A17.4): every `intake.hotspot_scan_interval_secs` intake clusters the
//! orders of the last `intake.hotspot_window_days` ([`crate::domain::hotspot`]) and
//! publishes `hotspot.detected` for each cluster that is new or has grown.
//!
//! - **Which orders**: registered within the window and triaged for dispatch (A9.3): an
//!   answered consultation, a transfer, a redirection or a linked repeat is not a problem a
//!   unit handles (and a repeat is already counted by its original).
//! - **Stable hot spots**: `intake.hotspot_orders` records which hot spot each order joined
//!   (an order joins one hot spot, the first). A cluster continues the hot spot holding most
//!   of its orders ([`continue_hotspots`]); it is published again, with `version + 1` and
//!   every order it ever held, only when orders joined it. A scan that finds nothing new
//!   publishes nothing, so scans are idempotent; the window slides, but a hot spot never
//!   loses orders (an order that left the window stays in its trend).
//! - **One scanner at a time**: the scan's writes take a transaction-scoped advisory lock;
//!   a replica that does not get it skips that round.
//! - **Personal data**: the matter is read and featurised here and never leaves intake. The
//!   event carries ids, numbers, counts and the shared keywords ([`keywords`]); nothing is
//!   logged but counts.
//!
//! [`keywords`]: crate::domain::hotspot::keywords

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use hotline_contract::events::{HotspotDetected, HotspotOrder};
use hotline_messaging::{Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::hotspot::{
    Cluster, HotspotParams, ScannedOrder, Townships, continue_hotspots, find_clusters, trend,
};
use crate::domain::similarity::MatterFeatures;

/// A scan failed.
#[derive(Debug, thiserror::Error)]
pub enum HotspotError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
    /// The clustering task panicked or was cancelled.
    #[error("clustering the orders failed")]
    Clustering,
}

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Orders in the window.
    pub orders: usize,
    /// Clusters large enough to be hot spots.
    pub clusters: usize,
    /// `hotspot.detected` events queued (new or grown hot spots).
    pub published: usize,
    /// Another replica held the scan lock: nothing was written.
    pub skipped: bool,
}

/// Finds hot spots and queues their events.
#[derive(Debug, Clone)]
pub struct HotspotScanner {
    pub pool: PgPool,
    pub outbox: Outbox,
    pub townships: Arc<Townships>,
    pub params: HotspotParams,
    /// How far back a scan looks.
    pub window: Duration,
}

#[derive(sqlx::FromRow)]
struct WindowRow {
    order_id: Uuid,
    region_code: String,
    registered_at: DateTime<Utc>,
    matter: String,
    phone_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    order_id: Uuid,
    number: String,
    registered_at: DateTime<Utc>,
    phone_hash: Option<String>,
}

impl HotspotScanner {
    /// Scan the window ending at `now` and queue an event per new or grown hot spot.
    pub async fn scan(&self, now: DateTime<Utc>) -> Result<ScanOutcome, HotspotError> {
        let since = now
            .checked_sub_signed(self.window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let rows: Vec<WindowRow> = sqlx::query_as(
            "SELECT o.order_id, o.region_code, o.registered_at, o.matter, r.phone_hash \
               FROM intake.orders o \
               JOIN intake.triage t USING (order_id) \
               LEFT JOIN intake.requesters r USING (order_id) \
              WHERE o.registered_at >= $1 AND o.registered_at <= $2 \
                AND t.disposition = 'dispatch'",
        )
        .bind(since)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let order_count = rows.len();
        let (townships, params) = (self.townships.clone(), self.params);
        // Segmenting is CPU work: the blocking pool, not the runtime.
        let (orders, clusters) = tokio::task::spawn_blocking(move || {
            let orders: Vec<ScannedOrder> = rows
                .into_iter()
                .map(|row| ScannedOrder {
                    order_id: row.order_id,
                    township: townships.named_in(&row.region_code, &row.matter),
                    features: MatterFeatures::new(&row.matter),
                    region_code: row.region_code,
                    registered_at: row.registered_at,
                    requester: row.phone_hash.unwrap_or_else(|| row.order_id.to_string()),
                })
                .collect();
            let clusters = find_clusters(&orders, &params);
            let ids: Vec<Uuid> = orders.iter().map(|o| o.order_id).collect();
            (ids, clusters)
        })
        .await
        .map_err(|_| HotspotError::Clustering)?;
        let mut outcome = ScanOutcome {
            orders: order_count,
            clusters: clusters.len(),
            ..ScanOutcome::default()
        };
        if clusters.is_empty() {
            return Ok(outcome);
        }

        let mut tx = self.pool.begin().await?;
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('intake.hotspot_scan'))")
                .fetch_one(&mut *tx)
                .await?;
        if !locked {
            outcome.skipped = true;
            return Ok(outcome);
        }
        let members: Vec<Vec<Uuid>> = clusters
            .iter()
            .map(|c| c.members.iter().map(|&i| orders[i]).collect())
            .collect();
        let all: Vec<Uuid> = members.iter().flatten().copied().collect();
        let known: HashMap<Uuid, Uuid> = sqlx::query_as::<_, (Uuid, Uuid)>(
            "SELECT order_id, hotspot_id FROM intake.hotspot_orders WHERE order_id = ANY($1)",
        )
        // Planned for each call with its ids: a generic plan made while the table was
        // small may scan it whole for ever (docs/performance.md, fifth round).
        .persistent(false)
        .bind(&all)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let continued = continue_hotspots(&members, &known);
        for ((cluster, ids), hotspot) in clusters.iter().zip(&members).zip(continued) {
            let joining: Vec<Uuid> = ids
                .iter()
                .copied()
                .filter(|id| !known.contains_key(id))
                .collect();
            if joining.is_empty() {
                continue;
            }
            let event = self
                .record(&mut tx, hotspot, cluster, &joining, now)
                .await?;
            self.outbox
                .append(&mut tx, &TraceContext::new_root(), event)
                .await?;
            outcome.published += 1;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Add `joining` to `hotspot` (or to a new hot spot) and build its event.
    async fn record(
        &self,
        tx: &mut PgConnection,
        hotspot: Option<Uuid>,
        cluster: &Cluster,
        joining: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<HotspotDetected, sqlx::Error> {
        let hotspot_id = hotspot.unwrap_or_else(Uuid::now_v7);
        let version: i32 = sqlx::query_scalar(
            "INSERT INTO intake.hotspots \
               (hotspot_id, region_code, region_level, version, keywords, first_detected_at, updated_at) \
             VALUES ($1, $2, $3, 1, $4, $5, $5) \
             ON CONFLICT (hotspot_id) DO UPDATE SET \
               region_code = EXCLUDED.region_code, region_level = EXCLUDED.region_level, \
               version = intake.hotspots.version + 1, keywords = EXCLUDED.keywords, \
               updated_at = EXCLUDED.updated_at \
             RETURNING version",
        )
        .bind(hotspot_id)
        .bind(&cluster.region_code)
        .bind(cluster.region_level.code())
        .bind(&cluster.keywords)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO intake.hotspot_orders (order_id, hotspot_id) \
             SELECT unnest($1::uuid[]), $2 ON CONFLICT (order_id) DO NOTHING",
        )
        .bind(joining)
        .bind(hotspot_id)
        .execute(&mut *tx)
        .await?;
        let rows: Vec<MemberRow> = sqlx::query_as(
            "SELECT o.order_id, o.number, o.registered_at, r.phone_hash \
               FROM intake.hotspot_orders h \
               JOIN intake.orders o USING (order_id) \
               LEFT JOIN intake.requesters r USING (order_id) \
              WHERE h.hotspot_id = $1 \
              ORDER BY o.registered_at, o.order_id",
        )
        .bind(hotspot_id)
        .fetch_all(&mut *tx)
        .await?;
        let requesters = rows
            .iter()
            .map(|r| {
                r.phone_hash
                    .clone()
                    .unwrap_or_else(|| r.order_id.to_string())
            })
            .collect::<HashSet<_>>()
            .len();
        Ok(HotspotDetected {
            hotspot_id,
            version: u32::try_from(version).unwrap_or(u32::MAX),
            region_code: cluster.region_code.clone(),
            region_level: cluster.region_level,
            trend: trend(rows.iter().map(|r| r.registered_at)),
            orders: rows
                .into_iter()
                .map(|r| HotspotOrder {
                    order_id: r.order_id,
                    number: r.number,
                    registered_at: r.registered_at,
                })
                .collect(),
            requesters: u32::try_from(requesters).unwrap_or(u32::MAX),
            keywords: cluster.keywords.clone(),
            window_days: u32::try_from(self.window.num_days()).unwrap_or(0),
            detected_at: now,
        })
    }
}

/// Scan every `interval` until `shutdown`; the first scan one interval after start.
pub async fn run_periodically(
    scanner: HotspotScanner,
    interval: StdDuration,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match scanner.scan(Utc::now()).await {
            Ok(outcome) if outcome.published > 0 => {
                tracing::info!(
                    orders = outcome.orders,
                    clusters = outcome.clusters,
                    published = outcome.published,
                    "hot spots detected"
                );
                metrics::counter!("hotline_hotspots_published_total")
                    .increment(u64::try_from(outcome.published).unwrap_or(0));
            }
            Ok(_) => {}
            // Transient (the database, most likely): the next round tries again.
            Err(error) => tracing::warn!(%error, "hot-spot scan failed"),
        }
    }
}
