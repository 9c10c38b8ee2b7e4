//! Dynamic monitoring (`rpc.analytics.monitor`, A20): the orders at each stage now, the
//! stuck ones, and today's registrations against the same weekday last week.
//!
//! Two reads of the fact rows: the **open** orders of the division (not closed, not closed
//! at intake, not transferred to a partner hotline; a partial index keeps this small), each
//! classified by the pure rules of [`crate::domain::monitor`]; and counts of today's
//! closes and registrations. Nothing here carries personal data: stuck orders are listed by
//! number, region and unit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hotline_contract::analytics::{
    MonitorQuery, MonitorReport, RegionStages, Stage, StageCounts, StuckOrder, TodayVsLastWeek,
};
use hotline_contract::rpc::RpcError;
use hotline_workday::Calendar;
use sqlx::PgPool;

use crate::domain::monitor::{self, OpenOrder, Thresholds};
use crate::kpis::{invalid, region_filter, unavailable};

/// Stuck orders listed when the query does not say.
const DEFAULT_STUCK_LIMIT: u32 = 50;
/// Most stuck orders listed in one reply.
const MAX_STUCK_LIMIT: u32 = 500;

/// What the monitor needs besides the database.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub pool: PgPool,
    pub calendar: Calendar,
    pub thresholds: Thresholds,
}

/// One open order's row.
#[derive(sqlx::FromRow)]
struct OpenRow {
    number: Option<String>,
    region_code: Option<String>,
    unit_id: Option<String>,
    registered_at: Option<DateTime<Utc>>,
    dispatched_at: Option<DateTime<Utc>>,
    signed_at: Option<DateTime<Utc>>,
    result_submitted_at: Option<DateTime<Utc>>,
    sign_overdue: bool,
    handling_overdue: bool,
}

impl OpenRow {
    fn order(&self) -> OpenOrder {
        OpenOrder {
            registered_at: self.registered_at,
            dispatched_at: self.dispatched_at,
            signed_at: self.signed_at,
            result_submitted_at: self.result_submitted_at,
            sign_overdue: self.sign_overdue,
            handling_overdue: self.handling_overdue,
        }
    }
}

fn count(counts: &mut StageCounts, stage: Stage) {
    match stage {
        Stage::AwaitingDispatch => counts.awaiting_dispatch += 1,
        Stage::AwaitingSign => counts.awaiting_sign += 1,
        Stage::AwaitingResult => counts.awaiting_result += 1,
        Stage::AwaitingClose => counts.awaiting_close += 1,
    }
}

impl Monitor {
    /// Answer `rpc.analytics.monitor` as of `now`.
    pub async fn report(
        &self,
        query: MonitorQuery,
        now: DateTime<Utc>,
    ) -> Result<MonitorReport, RpcError> {
        let limit = query.stuck_limit.unwrap_or(DEFAULT_STUCK_LIMIT);
        if !(1..=MAX_STUCK_LIMIT).contains(&limit) {
            return Err(invalid("stuck_limit", "stuck_limit 须在 1 到 500 之间"));
        }
        let prefix = region_filter(query.region_code.as_deref())?;
        let fail = |error: sqlx::Error| unavailable("monitor", &error);

        // Open orders: registered (every cohort starts there, docs/kpis.md), not closed, not
        // with a partner hotline.
        let open: Vec<OpenRow> = sqlx::query_as(
            "SELECT number, region_code, unit_id, registered_at, dispatched_at, signed_at, \
                    result_submitted_at, sign_overdue, handling_overdue \
               FROM analytics.order_facts \
              WHERE closed_at IS NULL AND registered_at IS NOT NULL \
                AND transfer_requested_at IS NULL \
                AND ($1 = '' OR region_code LIKE $1 || '%')",
        )
        .bind(&prefix)
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        let day_start = monitor::day_start(now);
        let closed: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT region_code, count(*) FROM analytics.order_facts \
              WHERE closed_at >= $1 AND closed_at <= $2 \
                AND ($3 = '' OR region_code LIKE $3 || '%') GROUP BY 1",
        )
        .bind(day_start)
        .bind(now)
        .bind(&prefix)
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        let ((from, to), (last_from, last_to)) = monitor::today_and_last_week(now);
        let (today, last_week): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE registered_at >= $1 AND registered_at < $2), \
                    count(*) FILTER (WHERE registered_at >= $3 AND registered_at < $4) \
               FROM analytics.order_facts \
              WHERE registered_at >= $3 AND registered_at < $2 \
                AND ($5 = '' OR region_code LIKE $5 || '%')",
        )
        .bind(from)
        .bind(to)
        .bind(last_from)
        .bind(last_to)
        .bind(&prefix)
        .fetch_one(&self.pool)
        .await
        .map_err(fail)?;

        let mut counts = StageCounts::default();
        let mut regions: BTreeMap<String, StageCounts> = BTreeMap::new();
        let region_of = |code: Option<&str>| {
            let rollup = query.rollup?;
            Some(
                code.and_then(|c| monitor::rollup_key(c, rollup))
                    .unwrap_or_default(),
            )
        };
        let mut stuck = Vec::new();
        for row in &open {
            let order = row.order();
            let Some((stage, _)) = monitor::stage(&order) else {
                continue;
            };
            let is_stuck = monitor::stuck(&self.calendar, &self.thresholds, &order, now);
            let tally = |c: &mut StageCounts| {
                count(c, stage);
                c.stuck += i64::from(is_stuck.is_some());
            };
            tally(&mut counts);
            if let Some(key) = region_of(row.region_code.as_deref()) {
                tally(regions.entry(key).or_default());
            }
            if let Some((stage, since, expected_by)) = is_stuck {
                stuck.push(StuckOrder {
                    number: row.number.clone().unwrap_or_default(),
                    stage,
                    since,
                    expected_by,
                    region_code: row.region_code.clone(),
                    unit_id: row.unit_id.clone(),
                });
            }
        }
        for (code, n) in closed {
            counts.closed_today += n;
            if let Some(key) = region_of(code.as_deref()) {
                regions.entry(key).or_default().closed_today += n;
            }
        }
        // Oldest first; the number breaks ties so the list is stable.
        stuck.sort_by(|a, b| (a.since, &a.number).cmp(&(b.since, &b.number)));
        stuck.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(MonitorReport {
            at: now,
            counts,
            regions: regions
                .into_iter()
                .map(|(region_code, counts)| RegionStages {
                    region_code,
                    counts,
                })
                .collect(),
            stuck,
            registrations: TodayVsLastWeek {
                today,
                same_weekday_last_week: last_week,
                change: monitor::change(today, last_week),
            },
        })
    }
}
