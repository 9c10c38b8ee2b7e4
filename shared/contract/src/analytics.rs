//! Request and reply bodies of analytics' KPI report (issue 9; A18, A20). The definitions
//! of every KPI are published in `docs/kpis.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a KPI report is sliced.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiSlice {
    /// One row for the whole cohort.
    All,
    /// The unit of the first dispatch.
    Unit,
    /// The province (roll-up of everything).
    Province,
    /// The prefecture of the order's region.
    Prefecture,
    /// The county of the order's region.
    County,
    Kind,
    Channel,
    Category,
}

/// `rpc.analytics.kpis`: the KPIs of the orders registered in `[from, to)`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(default = "all")]
    pub slice: KpiSlice,
    /// Only orders in this division (a GB/T 2260 code: province, prefecture or county).
    #[serde(default)]
    pub region_code: Option<String>,
}

fn all() -> KpiSlice {
    KpiSlice::All
}

/// The counted parts of one slice (see `docs/kpis.md`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KpiCounts {
    pub registered: i64,
    pub answered_directly: i64,
    pub repeats: i64,
    pub dispatched: i64,
    pub signed: i64,
    pub sign_decided: i64,
    pub signed_on_time: i64,
    pub completion_decided: i64,
    pub completed_on_time: i64,
    pub with_result: i64,
    pub redone: i64,
    pub disputed: i64,
    pub redispatched: i64,
    pub visited: i64,
    pub satisfied: i64,
    pub resolved: i64,
    pub cases: i64,
    pub cases_closed: i64,
    pub timed: i64,
    pub working_days_sum: i64,
}

/// The KPIs of one slice; a rate is absent when there was nothing to measure.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiRow {
    /// The slice's key (unit id, region code, kind, ...); `all` for the whole cohort.
    pub key: String,
    pub counts: KpiCounts,
    pub on_time_sign_rate: Option<f64>,
    pub response_rate: Option<f64>,
    pub on_time_completion_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub direct_answer_rate: Option<f64>,
    pub dispute_rate: Option<f64>,
    pub dispatch_accuracy: Option<f64>,
    pub redo_rate: Option<f64>,
    pub repeat_rate: Option<f64>,
    pub supervision_cases: i64,
    pub rectification_rate: Option<f64>,
    pub average_handling_working_days: Option<f64>,
}

/// Reply to [`KpiQuery`], rows by key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub slice: KpiSlice,
    pub rows: Vec<KpiRow>,
}
