//! Bulletins (A18): weekly, monthly, quarterly and yearly reports on the units' quality and
//! efficiency. [`Bulletins::generate`] gathers the period's volumes and KPIs (the orders
//! registered in it, as `docs/kpis.md` defines them), the units ranked within tiers (分档,
//! rules in [`crate::domain::bulletin`]), the supervised cases and their rectification and
//! the hot spots with orders in the period; renders HTML and CSV ([`crate::render`]);
//! stores all three renderings (immutable) and appends
//! `hotline.analytics.bulletin.published` to the outbox in the same transaction.
//!
//! **Once per period, however many replicas**: the schedule ([`Bulletins::run`]) asks
//! for the period that closed (plus a grace) and stores it under a transaction-scoped
//! advisory lock of (kind, period), after checking no scheduled bulletin of that period
//! exists; a second replica waits on the lock and then finds it made (the partial unique
//! index on scheduled bulletins backs this up). On demand (`rpc.analytics.generate_bulletin`)
//! every request is a new edition of its period.
//!
//! Tiers come from the unit directory (`rpc.router.export_units`), asked at generation
//! time; when the router does not answer, the bulletin is tiered by volume and says so.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::analytics::{KpiRow, KpiSlice};
use hotline_contract::bulletin::{
    Bulletin, BulletinDocument, BulletinFormat, BulletinHotspot, BulletinList, BulletinPublished,
    BulletinQuery, BulletinSummary, BulletinTrigger, BulletinsQuery, GenerateBulletin, PeriodKind,
    SupervisedCase, SupervisionSection,
};
use hotline_contract::directory::{ExportUnits, TransferFormat, UnitRecord};
use hotline_contract::events::SupervisionHotspotReported;
use hotline_contract::rpc::{RpcError, verbs};
use hotline_contract::{Event, Namespace};
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::bulletin::{
    UnitInfo, is_period_start, last_closed, period_end, rank_in_tiers, trend_bucket,
};
use crate::domain::kpi::{Counts, civil_date, kpis, rate};
use crate::domain::monitor::midnight;
use crate::kpis::{invalid, rows, rows_keyed, unavailable};
use crate::render;

/// Most supervised cases listed in a bulletin (all are counted).
const MAX_CASES_LISTED: i64 = 200;
/// Most hot spots in a bulletin.
const MAX_HOTSPOTS: i64 = 10;

/// Makes, stores and serves the bulletins.
#[derive(Debug, Clone)]
pub struct Bulletins {
    pub pool: PgPool,
    pub outbox: Outbox,
    pub nats: async_nats::Client,
    pub namespace: Namespace,
    /// How long to wait for the unit directory.
    pub directory_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BulletinError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("period out of range")]
    Period,
}

/// What the schedule does: the kinds, the grace after a period's end, how often it looks.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub kinds: Vec<PeriodKind>,
    pub grace: chrono::Duration,
    pub interval: Duration,
}

/// The gathered numbers of a period, before they become an edition.
struct Gathered {
    totals: KpiRow,
    trend: Vec<KpiRow>,
    units: Vec<KpiRow>,
    supervision: SupervisionSection,
    hotspots: Vec<BulletinHotspot>,
}

/// A stored bulletin's list columns.
type SummaryRow = (
    Uuid,
    String,
    NaiveDate,
    NaiveDate,
    i32,
    String,
    DateTime<Utc>,
    bool,
    i64,
);

/// A hot spot's bulletin columns.
type HotspotRow = (Uuid, String, String, Vec<String>, i64, i32, f64);

/// A supervision case's bulletin columns.
type CaseRow = (
    Uuid,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn code<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn summary_of(row: SummaryRow) -> Option<BulletinSummary> {
    let (
        bulletin_id,
        kind,
        period_start,
        period_end,
        edition,
        trigger,
        generated_at,
        complete,
        registered,
    ) = row;
    Some(BulletinSummary {
        bulletin_id,
        kind: PeriodKind::from_code(&kind)?,
        period_start,
        period_end,
        edition,
        trigger: serde_json::from_value(serde_json::Value::String(trigger)).ok()?,
        generated_at,
        complete,
        registered,
    })
}

impl Bulletins {
    /// The unit directory's level and type of every unit, or `None` when the router does
    /// not answer (the bulletin is then tiered by volume).
    async fn directory(&self) -> Option<HashMap<String, UnitInfo>> {
        let request = ExportUnits {
            format: TransferFormat::Json,
            region_code: None,
            unit_type: None,
            include_inactive: true,
        };
        let reply: Result<hotline_contract::directory::ExportData, _> = hotline_messaging::call(
            &self.nats,
            &self.namespace,
            verbs::ROUTER_EXPORT_UNITS,
            &request,
            &TraceContext::new_root(),
            self.directory_timeout,
        )
        .await;
        let units: Vec<UnitRecord> = match reply
            .map_err(|e| e.to_string())
            .and_then(|data| serde_json::from_str(&data.data).map_err(|e| e.to_string()))
        {
            Ok(units) => units,
            Err(error) => {
                tracing::warn!(%error, "unit directory unreadable: bulletin tiered by volume");
                return None;
            }
        };
        Some(
            units
                .into_iter()
                .map(|u| {
                    (
                        u.unit_id,
                        UnitInfo {
                            level: u.level,
                            unit_type: u.unit_type,
                        },
                    )
                })
                .collect(),
        )
    }

    /// Everything a bulletin of `[start, end)` says.
    async fn gather(
        &self,
        kind: PeriodKind,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Gathered, sqlx::Error> {
        let (from, to) = (midnight(start), midnight(end));
        let totals = rows(&self.pool, from, to, KpiSlice::All, "")
            .await?
            .into_iter()
            .next()
            .unwrap_or_else(|| kpis("all".to_owned(), Counts::default()));
        let units = rows(&self.pool, from, to, KpiSlice::Unit, "").await?;
        // Buckets start on the period's first day at the earliest (a quarter's first week
        // may begin before it).
        let key = format!(
            "to_char(greatest(date_trunc('{}', f.registered_at AT TIME ZONE 'Asia/Shanghai'), \
             $1 AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD')",
            trend_bucket(kind)
        );
        let mut by_bucket: HashMap<String, KpiRow> = rows_keyed(&self.pool, from, to, &key, "")
            .await?
            .into_iter()
            .map(|r| (r.key.clone(), r))
            .collect();
        let trend = buckets(kind, start, end)
            .into_iter()
            .map(|day| {
                let key = day.format("%Y-%m-%d").to_string();
                by_bucket
                    .remove(&key)
                    .unwrap_or_else(|| kpis(key, Counts::default()))
            })
            .collect();
        let cases: Vec<CaseRow> = sqlx::query_as(
            "SELECT oc.case_id, f.number, f.unit_id, oc.opened_at, oc.closed_at \
             FROM analytics.order_cases oc JOIN analytics.order_facts f ON f.order_id = oc.order_id \
             WHERE f.registered_at >= $1 AND f.registered_at < $2 \
             ORDER BY oc.opened_at NULLS LAST, oc.case_id LIMIT $3",
        )
        .bind(from)
        .bind(to)
        .bind(MAX_CASES_LISTED)
        .fetch_all(&self.pool)
        .await?;
        let supervision = SupervisionSection {
            cases: totals.counts.cases,
            rectified: totals.counts.cases_closed,
            rectification_rate: rate(totals.counts.cases_closed, totals.counts.cases),
            list: cases
                .into_iter()
                .map(
                    |(case_id, order_number, unit_id, opened_at, closed_at)| SupervisedCase {
                        case_id,
                        order_number,
                        unit_id,
                        opened_at,
                        closed_at,
                    },
                )
                .collect(),
        };
        let hotspots: Vec<HotspotRow> = sqlx::query_as(
            "SELECT * FROM (SELECT hotspot_id, region_code, addressed_to, keywords, \
               (SELECT count(*) FROM unnest(registered) r WHERE r >= $1 AND r < $2) AS in_period, \
               order_count, unclear_share FROM analytics.hotspots) h \
             WHERE in_period > 0 ORDER BY in_period DESC, order_count DESC, hotspot_id LIMIT $3",
        )
        .bind(from)
        .bind(to)
        .bind(MAX_HOTSPOTS)
        .fetch_all(&self.pool)
        .await?;
        let hotspots = hotspots
            .into_iter()
            .map(
                |(hotspot_id, region_code, addressed_to, keywords, in_period, count, unclear)| {
                    BulletinHotspot {
                        hotspot_id,
                        region_code,
                        addressed_to,
                        keywords,
                        orders_in_period: in_period,
                        order_count: i64::from(count),
                        unclear_share: unclear,
                    }
                },
            )
            .collect();
        Ok(Gathered {
            totals,
            trend,
            units,
            supervision,
            hotspots,
        })
    }

    /// Make, store and publish a bulletin of the `kind` period starting on `start`. A
    /// scheduled one is made once per period: `None` when it already exists.
    pub async fn generate(
        &self,
        kind: PeriodKind,
        start: NaiveDate,
        trigger: BulletinTrigger,
        now: DateTime<Utc>,
    ) -> Result<Option<BulletinSummary>, BulletinError> {
        let end = period_end(kind, start).ok_or(BulletinError::Period)?;
        if trigger == BulletinTrigger::Schedule && self.scheduled_exists(kind, start).await? {
            return Ok(None);
        }
        let gathered = self.gather(kind, start, end).await?;
        let directory = self.directory().await;
        if waits_for_directory(trigger, directory.is_some(), !gathered.units.is_empty()) {
            // A published bulletin is immutable: rather than tier a scheduled one by volume
            // because the router is not up yet (a fresh start), try again next interval.
            tracing::info!(?kind, %start, "scheduled bulletin waits for the unit directory");
            return Ok(None);
        }
        let (tiering, tiers) = rank_in_tiers(gathered.units, directory.as_ref());

        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("analytics.bulletin:{}:{start}", kind.code()))
            .execute(&mut *tx)
            .await?;
        if trigger == BulletinTrigger::Schedule {
            let made: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM analytics.bulletins \
                 WHERE kind = $1 AND period_start = $2 AND trigger = 'schedule')",
            )
            .bind(kind.code())
            .bind(start)
            .fetch_one(&mut *tx)
            .await?;
            if made {
                return Ok(None);
            }
        }
        let edition: i32 = sqlx::query_scalar(
            "SELECT coalesce(max(edition), 0) + 1 FROM analytics.bulletins \
             WHERE kind = $1 AND period_start = $2",
        )
        .bind(kind.code())
        .bind(start)
        .fetch_one(&mut *tx)
        .await?;
        let bulletin = Bulletin {
            bulletin_id: Uuid::now_v7(),
            kind,
            period_start: start,
            period_end: end,
            edition,
            trigger,
            generated_at: now,
            complete: now >= midnight(end),
            totals: gathered.totals,
            trend: gathered.trend,
            tiering,
            tiers,
            supervision: gathered.supervision,
            hotspots: gathered.hotspots,
        };
        let summary = BulletinSummary {
            bulletin_id: bulletin.bulletin_id,
            kind,
            period_start: start,
            period_end: end,
            edition,
            trigger,
            generated_at: now,
            complete: bulletin.complete,
            registered: bulletin.totals.counts.registered,
        };
        sqlx::query(
            "INSERT INTO analytics.bulletins (bulletin_id, kind, period_start, period_end, edition, \
             trigger, generated_at, complete, registered, json, html, csv) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(bulletin.bulletin_id)
        .bind(kind.code())
        .bind(start)
        .bind(end)
        .bind(edition)
        .bind(code(trigger))
        .bind(now)
        .bind(bulletin.complete)
        .bind(summary.registered)
        .bind(serde_json::to_string(&bulletin)?)
        .bind(render::html(&bulletin))
        .bind(render::csv(&bulletin))
        .execute(&mut *tx)
        .await?;
        self.outbox
            .append(
                &mut tx,
                &TraceContext::new_root(),
                BulletinPublished {
                    summary: summary.clone(),
                    totals: bulletin.totals,
                },
            )
            .await?;
        tx.commit().await?;
        metrics::counter!("hotline_bulletins_published_total", "kind" => kind.code()).increment(1);
        Ok(Some(summary))
    }

    async fn scheduled_exists(
        &self,
        kind: PeriodKind,
        start: NaiveDate,
    ) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM analytics.bulletins \
             WHERE kind = $1 AND period_start = $2 AND trigger = 'schedule')",
        )
        .bind(kind.code())
        .bind(start)
        .fetch_one(&self.pool)
        .await
    }

    /// The scheduled bulletins owed at `now`: for each kind, the latest period that ended
    /// at least `grace` ago, unless made. Returns how many this call made.
    pub async fn take_scheduled(
        &self,
        schedule: &Schedule,
        now: DateTime<Utc>,
    ) -> Result<usize, BulletinError> {
        let mut made = 0;
        for &kind in &schedule.kinds {
            let Some(start) = last_closed(kind, civil_date(now - schedule.grace)) else {
                continue;
            };
            if self
                .generate(kind, start, BulletinTrigger::Schedule, now)
                .await?
                .is_some()
            {
                made += 1;
            }
        }
        Ok(made)
    }

    /// Look for owed bulletins every interval until `shutdown`.
    pub async fn run(self, schedule: Schedule, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(schedule.interval.max(Duration::from_secs(1)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            // Shutdown does not wait for a bulletin in the making: its transaction rolls
            // back and the next start makes it.
            let taken = tokio::select! {
                () = shutdown.cancelled() => return,
                taken = self.take_scheduled(&schedule, Utc::now()) => taken,
            };
            if let Err(error) = taken {
                // Transient (the database, most likely): the next look tries again.
                tracing::warn!(%error, "scheduled bulletin failed");
            }
        }
    }

    /// Answer `rpc.analytics.generate_bulletin`.
    pub async fn on_demand(
        &self,
        request: GenerateBulletin,
        now: DateTime<Utc>,
    ) -> Result<BulletinSummary, RpcError> {
        check_period(request.kind, request.period_start, now)?;
        match self
            .generate(
                request.kind,
                request.period_start,
                BulletinTrigger::Demand,
                now,
            )
            .await
        {
            Ok(Some(summary)) => Ok(summary),
            Ok(None) | Err(BulletinError::Period) => {
                Err(invalid("period_start", "统计期间超出可处理范围"))
            }
            Err(BulletinError::Db(error)) => Err(unavailable("bulletin", &error)),
            Err(error) => {
                tracing::error!(%error, "bulletin not stored");
                Err(RpcError::new(
                    hotline_contract::rpc::RpcErrorCode::Unavailable,
                    "暂时无法生成通报，请稍后重试",
                ))
            }
        }
    }

    /// Answer `rpc.analytics.bulletins`: newest period first, then newest edition.
    pub async fn list(&self, query: BulletinsQuery) -> Result<BulletinList, RpcError> {
        let limit = query.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(invalid("limit", "limit 须在 1 到 200 之间"));
        }
        let rows: Vec<SummaryRow> = sqlx::query_as(
            "SELECT bulletin_id, kind, period_start, period_end, edition, trigger, generated_at, \
             complete, registered FROM analytics.bulletins WHERE ($1::text IS NULL OR kind = $1) \
             ORDER BY period_start DESC, kind, edition DESC LIMIT $2",
        )
        .bind(query.kind.map(PeriodKind::code))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|error| unavailable("bulletins", &error))?;
        Ok(BulletinList {
            bulletins: rows.into_iter().filter_map(summary_of).collect(),
        })
    }

    /// Answer `rpc.analytics.bulletin`: the stored rendering.
    pub async fn document(&self, query: BulletinQuery) -> Result<BulletinDocument, RpcError> {
        let column = match query.format {
            BulletinFormat::Html => "html",
            BulletinFormat::Csv => "csv",
            BulletinFormat::Json => "json",
        };
        let body: Option<String> = sqlx::query_scalar(&format!(
            "SELECT {column} FROM analytics.bulletins WHERE bulletin_id = $1"
        ))
        .bind(query.bulletin_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|error| unavailable("bulletin", &error))?;
        body.map(|body| BulletinDocument {
            bulletin_id: query.bulletin_id,
            format: query.format,
            body,
        })
        .ok_or_else(|| RpcError::not_found("没有这期通报"))
    }
}

/// The first day of each trend bucket of `[start, end)`.
fn buckets(kind: PeriodKind, start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut day = start;
    while day < end {
        out.push(day);
        let next = match trend_bucket(kind) {
            "day" => day.succ_opt(),
            "week" => crate::domain::bulletin::period_end(
                PeriodKind::Week,
                crate::domain::bulletin::period_containing(PeriodKind::Week, day),
            ),
            _ => period_end(PeriodKind::Month, day),
        };
        match next {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

/// An on-demand period must start on its kind's first day and have begun.
fn check_period(kind: PeriodKind, start: NaiveDate, now: DateTime<Utc>) -> Result<(), RpcError> {
    if !is_period_start(kind, start) {
        let rule = match kind {
            PeriodKind::Week => "周报的起始日须为星期一",
            PeriodKind::Month => "月报的起始日须为每月1日",
            PeriodKind::Quarter => "季报的起始日须为1月、4月、7月或10月的1日",
            PeriodKind::Year => "年报的起始日须为1月1日",
        };
        return Err(invalid("period_start", rule));
    }
    if midnight(start) > now {
        return Err(invalid("period_start", "统计期间尚未开始"));
    }
    Ok(())
}

/// Keeps the latest report of each hot spot (`analytics-hotspots` on
/// `hotline.supervision.hotspot_reported`): a lower version than the one kept changes
/// nothing, so order and repeats do not matter.
#[derive(Debug, Clone, Default)]
pub struct Hotspots;

impl EventHandler for Hotspots {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        if env.event_type != SupervisionHotspotReported::TYPE {
            return Ok(());
        }
        let e = env.decode::<SupervisionHotspotReported>()?.data;
        let registered: Vec<DateTime<Utc>> = e.orders.iter().map(|o| o.registered_at).collect();
        sqlx::query(
            "INSERT INTO analytics.hotspots (hotspot_id, version, region_code, addressed_to, \
             keywords, order_count, unclear_share, registered, reported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (hotspot_id) DO UPDATE SET version = EXCLUDED.version, \
             region_code = EXCLUDED.region_code, addressed_to = EXCLUDED.addressed_to, \
             keywords = EXCLUDED.keywords, order_count = EXCLUDED.order_count, \
             unclear_share = EXCLUDED.unclear_share, registered = EXCLUDED.registered, \
             reported_at = EXCLUDED.reported_at \
             WHERE analytics.hotspots.version < EXCLUDED.version",
        )
        .bind(e.hotspot_id)
        .bind(i32::try_from(e.version).unwrap_or(i32::MAX))
        .bind(&e.region_code)
        .bind(&e.addressed_to)
        .bind(&e.keywords)
        .bind(i32::try_from(e.order_count).unwrap_or(i32::MAX))
        .bind(e.unclear_share)
        .bind(&registered)
        .bind(e.reported_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// Whether a bulletin must wait for the unit directory: a scheduled one with units to tier
/// waits (it is retried next interval); one made on demand is tiered by volume instead and
/// says so; one with no units needs no tiers.
fn waits_for_directory(trigger: BulletinTrigger, directory: bool, has_units: bool) -> bool {
    trigger == BulletinTrigger::Schedule && !directory && has_units
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn only_a_scheduled_bulletin_with_units_waits_for_the_directory() {
        use BulletinTrigger::{Demand, Schedule};
        assert!(waits_for_directory(Schedule, false, true));
        assert!(!waits_for_directory(Schedule, true, true));
        assert!(!waits_for_directory(Schedule, false, false));
        assert!(!waits_for_directory(Demand, false, true));
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn trend_buckets_cover_the_period() {
        let march = buckets(PeriodKind::Month, date(2026, 3, 1), date(2026, 4, 1));
        assert_eq!(march.len(), 31);
        // Q1 2026 starts on a Thursday: the first bucket is Jan 1, then Mondays.
        let q1 = buckets(PeriodKind::Quarter, date(2026, 1, 1), date(2026, 4, 1));
        assert_eq!(
            &q1[..3],
            &[date(2026, 1, 1), date(2026, 1, 5), date(2026, 1, 12)]
        );
        let year = buckets(PeriodKind::Year, date(2026, 1, 1), date(2027, 1, 1));
        assert_eq!(year.len(), 12);
    }

    #[test]
    fn on_demand_periods_start_on_their_first_day_and_have_begun() {
        let now = Utc.with_ymd_and_hms(2026, 3, 15, 0, 0, 0).unwrap();
        assert!(check_period(PeriodKind::Month, date(2026, 3, 1), now).is_ok());
        for (kind, start) in [
            (PeriodKind::Month, date(2026, 3, 2)),
            (PeriodKind::Week, date(2026, 3, 1)),
            (PeriodKind::Month, date(2026, 4, 1)),
        ] {
            let error = check_period(kind, start, now).unwrap_err();
            assert_eq!(error.fields[0].field, "period_start");
        }
    }
}
