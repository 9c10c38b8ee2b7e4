//! Hot-spot reports (A17.4): from intake's `hotspot.detected` and what supervision knows of
//! each order, the report to the people's government of the same level, published as
//! `supervision.hotspot_reported` and readable through `rpc.supervision.hotspots` and
//! `rpc.supervision.hotspot`.
//!
//! - [`Hotspots`] (consumer `supervision-hotspots`): keeps the latest version of each hot
//!   spot (an older or repeated version changes nothing) and reports on it.
//! - [`record_order_fact`] (consumer `supervision-orders`, [`crate::handlers::Orders`]):
//!   `order.dispatched`, `order.disputed`, `order.redispatched` and
//!   `order.consultation_opened` update how the order's responsibility was settled, and the
//!   hot spot holding the order is reported on again.
//! - [`refresh`]: builds the report ([`crate::domain::hotspot::build_report`]) and, if its
//!   content changed, stores it, appends a `hotspot_reported` row to the trail (A23; the
//!   row's `order_id` column holds the hot spot id) and queues the event, all in the
//!   caller's transaction. The hot spot's row is locked first, so the two consumers report
//!   on one hot spot one at a time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hotline_contract::Event;
use hotline_contract::events::{
    DispatchBasis, HotspotDetected, OrderConsultationOpened, OrderDispatched, OrderDisputed,
    OrderRedispatched, SupervisionHotspotReported,
};
use hotline_contract::hotspot::{HotspotQuery, HotspotReports, HotspotsQuery};
use hotline_contract::rpc::RpcError;
use hotline_messaging::{EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_telemetry::TraceContext;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::desk::{Desk, into_reply};
use crate::domain::hotspot::{Responsibility, build_report, county_of, list_query, same_content};

/// The actor of hot-spot reports on the trail.
pub const HOTSPOT_RULE: &str = "rule:hotspot";

/// Reports on hot spots as intake detects them (durable consumer `supervision-hotspots`).
#[derive(Debug, Clone)]
pub struct Hotspots {
    outbox: Outbox,
}

impl Hotspots {
    pub fn new(outbox: Outbox) -> Self {
        Self { outbox }
    }
}

impl EventHandler for Hotspots {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let env = &event.envelope;
        if env.event_type != HotspotDetected::TYPE {
            return Ok(());
        }
        let detected = env.decode::<HotspotDetected>()?.data;
        let stored: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO supervision.hotspots (hotspot_id, detected_version, detected, county_code) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (hotspot_id) DO UPDATE SET detected_version = EXCLUDED.detected_version, \
               detected = EXCLUDED.detected, county_code = EXCLUDED.county_code \
             WHERE supervision.hotspots.detected_version < EXCLUDED.detected_version \
             RETURNING hotspot_id",
        )
        .bind(detected.hotspot_id)
        .bind(i32::try_from(detected.version).unwrap_or(i32::MAX))
        .bind(Json(&detected))
        .bind(county_of(&detected.region_code))
        .fetch_optional(&mut *tx)
        .await?;
        if stored.is_none() {
            tracing::info!(hotspot_id = %detected.hotspot_id, version = detected.version, "hot spot version already known");
            return Ok(());
        }
        let ids: Vec<Uuid> = detected.orders.iter().map(|o| o.order_id).collect();
        sqlx::query(
            "INSERT INTO supervision.hotspot_orders (hotspot_id, order_id) \
             SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
        )
        .bind(detected.hotspot_id)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        refresh(
            tx,
            &self.outbox,
            &event.trace,
            detected.hotspot_id,
            Utc::now(),
        )
        .await?;
        Ok(())
    }
}

/// Record what an order event says about the order's responsibility, then report again on
/// the hot spot holding the order (if any). Other event types are ignored.
pub async fn record_order_fact(
    tx: &mut PgConnection,
    outbox: &Outbox,
    event: &IncomingEvent,
) -> Result<(), HandlerError> {
    let env = &event.envelope;
    let now = Utc::now();
    // (order, unit, basis, disputed, consulted, redispatched); `None` keeps what is stored.
    let (order_id, unit, basis, disputed, consulted, redispatched) = match env.event_type.as_str() {
        OrderDispatched::TYPE => {
            let d = env.decode::<OrderDispatched>()?.data;
            (
                d.order_id,
                Some(d.unit_id),
                Some(d.basis),
                false,
                false,
                false,
            )
        }
        OrderDisputed::TYPE => {
            let d = env.decode::<OrderDisputed>()?.data;
            (d.order_id, None, None, true, false, false)
        }
        OrderRedispatched::TYPE => {
            let d = env.decode::<OrderRedispatched>()?.data;
            (d.order_id, Some(d.unit_id), None, false, false, true)
        }
        OrderConsultationOpened::TYPE => {
            let d = env.decode::<OrderConsultationOpened>()?.data;
            (d.order_id, None, None, false, true, false)
        }
        _ => return Ok(()),
    };
    sqlx::query(
        "INSERT INTO supervision.order_responsibility \
           (order_id, unit_id, basis, disputed, consulted, redispatched, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (order_id) DO UPDATE SET \
           unit_id = COALESCE(EXCLUDED.unit_id, supervision.order_responsibility.unit_id), \
           basis = COALESCE(EXCLUDED.basis, supervision.order_responsibility.basis), \
           disputed = supervision.order_responsibility.disputed OR EXCLUDED.disputed, \
           consulted = supervision.order_responsibility.consulted OR EXCLUDED.consulted, \
           redispatched = supervision.order_responsibility.redispatched OR EXCLUDED.redispatched, \
           updated_at = EXCLUDED.updated_at",
    )
    .bind(order_id)
    .bind(unit)
    .bind(basis.map(DispatchBasis::code))
    .bind(disputed)
    .bind(consulted)
    .bind(redispatched)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let hotspots: Vec<Uuid> = sqlx::query_scalar(
        "SELECT hotspot_id FROM supervision.hotspot_orders WHERE order_id = $1 ORDER BY hotspot_id",
    )
    .bind(order_id)
    .fetch_all(&mut *tx)
    .await?;
    for hotspot_id in hotspots {
        refresh(tx, outbox, &event.trace, hotspot_id, now).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct HotspotRow {
    detected: Json<HotspotDetected>,
    report_version: i32,
    report: Option<Json<SupervisionHotspotReported>>,
}

#[derive(sqlx::FromRow)]
struct FactRow {
    order_id: Uuid,
    unit_id: Option<String>,
    basis: Option<String>,
    disputed: bool,
    consulted: bool,
    redispatched: bool,
}

/// Report on `hotspot_id` again if what the report says changed (see the module docs);
/// returns the report published, if any.
pub async fn refresh(
    tx: &mut PgConnection,
    outbox: &Outbox,
    trace: &TraceContext,
    hotspot_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<SupervisionHotspotReported>, HandlerError> {
    let Some(row): Option<HotspotRow> = sqlx::query_as(
        "SELECT detected, report_version, report FROM supervision.hotspots \
         WHERE hotspot_id = $1 FOR UPDATE",
    )
    .bind(hotspot_id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let detected = row.detected.0;
    let ids: Vec<Uuid> = detected.orders.iter().map(|o| o.order_id).collect();
    let facts: HashMap<Uuid, Responsibility> = sqlx::query_as::<_, FactRow>(
        "SELECT order_id, unit_id, basis, disputed, consulted, redispatched \
         FROM supervision.order_responsibility WHERE order_id = ANY($1)",
    )
    // Planned for each call with its ids: a generic plan made while the table was small
    // may scan it whole for ever (docs/performance.md, fifth round).
    .persistent(false)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|f| {
        let basis = f
            .basis
            .and_then(|code| serde_json::from_value(serde_json::Value::String(code)).ok());
        (
            f.order_id,
            Responsibility {
                unit_id: f.unit_id,
                basis,
                disputed: f.disputed,
                consulted: f.consulted,
                redispatched: f.redispatched,
            },
        )
    })
    .collect();
    let version = u32::try_from(row.report_version).unwrap_or(0) + 1;
    let report = build_report(&detected, &facts, version, now);
    if row
        .report
        .is_some_and(|previous| same_content(&previous.0, &report))
    {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE supervision.hotspots SET report_version = $2, report = $3, order_count = $4, \
           unclear_share = $5, reported_at = $6 WHERE hotspot_id = $1",
    )
    .bind(hotspot_id)
    .bind(i32::try_from(version).unwrap_or(i32::MAX))
    .bind(Json(&report))
    .bind(i32::try_from(report.order_count).unwrap_or(i32::MAX))
    .bind(report.unclear_share)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // A23: every report is on the trail (subject: the hot spot; no text).
    crate::trail::append(
        tx,
        &crate::trail::Entry {
            order_id: hotspot_id,
            kind: "hotspot_reported",
            subject_id: hotspot_id.to_string(),
            actor: HOTSPOT_RULE,
            what: format!(
                "to={} version={version} orders={} unclear={}",
                report.addressed_to, report.order_count, report.unclear_orders
            ),
        },
        now,
    )
    .await?;
    outbox.append(tx, trace, report.clone()).await?;
    tracing::info!(
        %hotspot_id,
        version,
        orders = report.order_count,
        unclear = report.unclear_orders,
        addressed_to = %report.addressed_to,
        "hot spot reported"
    );
    metrics::counter!("hotline_hotspot_reports_total").increment(1);
    Ok(Some(report))
}

impl Desk {
    /// `rpc.supervision.hotspots` (A17.4): the latest report of each hot spot, the largest
    /// unclear share first, then the most orders, then the latest.
    pub async fn hotspots(
        &self,
        query: HotspotsQuery,
        _trace: &TraceContext,
    ) -> Result<HotspotReports, RpcError> {
        let (county, limit) =
            list_query(query.region_code.as_deref(), query.limit).map_err(RpcError::invalid)?;
        let items = reports(&self.pool, county.as_deref(), i64::from(limit))
            .await
            .map_err(|e| into_reply(e.into(), "hotspots"))?;
        Ok(HotspotReports { items })
    }

    /// `rpc.supervision.hotspot` (A17.4): one hot spot's latest report.
    pub async fn hotspot(
        &self,
        query: HotspotQuery,
        _trace: &TraceContext,
    ) -> Result<SupervisionHotspotReported, RpcError> {
        let report: Option<Json<SupervisionHotspotReported>> = sqlx::query_scalar(
            "SELECT report FROM supervision.hotspots WHERE hotspot_id = $1 AND report IS NOT NULL",
        )
        .bind(query.hotspot_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| into_reply(e.into(), "hotspot"))?;
        report
            .map(|r| r.0)
            .ok_or_else(|| RpcError::not_found("未找到该热点问题报告"))
    }
}

async fn reports(
    pool: &PgPool,
    county: Option<&str>,
    limit: i64,
) -> Result<Vec<SupervisionHotspotReported>, sqlx::Error> {
    let rows: Vec<Json<SupervisionHotspotReported>> = sqlx::query_scalar(
        "SELECT report FROM supervision.hotspots \
         WHERE report IS NOT NULL AND ($1::text IS NULL OR county_code = $1) \
         ORDER BY unclear_share DESC, order_count DESC, reported_at DESC, hotspot_id \
         LIMIT $2",
    )
    .bind(county)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
