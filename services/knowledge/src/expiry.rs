//! Reminders before an article expires: every `expiry_scan_interval_secs`, published
//! versions whose validity ends within `expiry_reminder_days` get one
//! `knowledge.article_expiring` event each (per article version, recorded in
//! `knowledge.expiry_reminders` in the same transaction as the outbox row), so the owning
//! unit reviews the answer before it stops being returned.

use std::time::Duration;

use chrono::{DateTime, Days, Utc};
use hotline_contract::knowledge::ArticleExpiring;
use hotline_messaging::{Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::base::today;
use crate::store;

/// Versions claimed per transaction.
const BATCH: i64 = 200;

/// A scan failed (it is retried at the next tick).
#[derive(Debug, thiserror::Error)]
pub enum ExpiryError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

/// The expiry reminder scan.
#[derive(Debug, Clone)]
pub struct ExpiryScan {
    pool: PgPool,
    outbox: Outbox,
    days: u32,
}

impl ExpiryScan {
    pub fn new(pool: PgPool, outbox: Outbox, days: u32) -> Self {
        Self { pool, outbox, days }
    }

    /// Send the reminders due at `now`; returns how many were sent.
    pub async fn scan(&self, now: DateTime<Utc>) -> Result<usize, ExpiryError> {
        let first = today(now);
        let last = first
            .checked_add_days(Days::new(u64::from(self.days)))
            .unwrap_or(first);
        let mut sent = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let claimed = store::claim_expiring(&mut tx, first, last, BATCH).await?;
            for expiring in &claimed {
                if !store::record_expiry_reminder(&mut tx, expiring, now).await? {
                    continue;
                }
                self.outbox
                    .append(
                        &mut tx,
                        &TraceContext::new_root(),
                        ArticleExpiring {
                            article_id: expiring.article_id.clone(),
                            version: u32::try_from(expiring.version).unwrap_or_default(),
                            owner_unit_id: expiring.owner_unit_id.clone(),
                            title: expiring.title.clone(),
                            valid_until: expiring.valid_until,
                            reminded_at: now,
                        },
                    )
                    .await?;
                tracing::info!(article_id = %expiring.article_id, version = expiring.version, owner = %expiring.owner_unit_id, valid_until = %expiring.valid_until, "knowledge article expiring: owner reminded");
                sent += 1;
            }
            tx.commit().await?;
            if (claimed.len() as i64) < BATCH {
                return Ok(sent);
            }
        }
    }

    /// Scan at start and then every `interval` until `shutdown`.
    pub async fn run(self, interval: Duration, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(interval.max(Duration::from_secs(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = shutdown.cancelled() => break,
            }
            if let Err(error) = self.scan(Utc::now()).await {
                tracing::warn!(%error, "expiry scan failed; retrying at the next tick");
            }
        }
    }
}
