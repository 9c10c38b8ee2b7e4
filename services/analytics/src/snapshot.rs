//! The KPI snapshot (A20): every interval (a minute by default) analytics publishes, per
//! configured slice, the KPIs of the current day and month so far on
//! `hotline.analytics.kpi.<slice>`, through its outbox, for analysts to follow live.
//!
//! **Once per interval, however many replicas**: a snapshot first claims its key (slice,
//! interval start) in `analytics.kpi_snapshots`, in the transaction that appends the event.
//! A second replica's claim waits on the first's row and then finds it taken; if the first
//! fails, its claim rolls back with its event, and the other replica may publish. Keys
//! older than a day are pruned as snapshots go.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use hotline_contract::analytics::{AnalyticsKpiSnapshot, KpiReport, KpiSlice};
use hotline_messaging::{Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain::monitor::{day_start, interval_start, month_start};
use crate::kpis;

/// Publishes the KPI snapshots.
#[derive(Debug, Clone)]
pub struct KpiSnapshots {
    pub pool: PgPool,
    pub outbox: Outbox,
    pub slices: Vec<KpiSlice>,
    pub interval: StdDuration,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
}

impl KpiSnapshots {
    /// Take the snapshots of the interval `now` falls in that no replica has taken yet;
    /// returns how many this call published.
    pub async fn take(&self, now: DateTime<Utc>) -> Result<usize, SnapshotError> {
        let key = interval_start(now, self.interval);
        let mut published = 0;
        for &slice in &self.slices {
            let mut tx = self.pool.begin().await?;
            let claimed = sqlx::query(
                "INSERT INTO analytics.kpi_snapshots (slice, taken_at) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(slice.code())
            .bind(key)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !claimed {
                continue;
            }
            let report = |from: DateTime<Utc>| async move {
                let rows = kpis::rows(&self.pool, from, now, slice, "").await?;
                Ok::<_, sqlx::Error>(KpiReport {
                    from,
                    to: now,
                    slice,
                    rows,
                })
            };
            let event = AnalyticsKpiSnapshot {
                slice,
                taken_at: key,
                day: report(day_start(now)).await?,
                month: report(month_start(now)).await?,
            };
            self.outbox
                .append(&mut tx, &TraceContext::new_root(), event)
                .await?;
            sqlx::query(
                "DELETE FROM analytics.kpi_snapshots WHERE taken_at < $1 - interval '1 day'",
            )
            .bind(key)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            published += 1;
        }
        Ok(published)
    }

    /// Take snapshots every interval until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let interval = self.interval.max(StdDuration::from_secs(1));
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            match self.take(Utc::now()).await {
                Ok(n) => {
                    metrics::counter!("hotline_kpi_snapshots_published_total")
                        .increment(u64::try_from(n).unwrap_or(0));
                }
                // Transient (the database, most likely): the next interval tries again.
                Err(error) => tracing::warn!(%error, "kpi snapshot failed"),
            }
        }
    }
}
