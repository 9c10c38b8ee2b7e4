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

impl KpiSlice {
    /// Every slice, in declaration order.
    pub const ALL: [KpiSlice; 8] = [
        Self::All,
        Self::Unit,
        Self::Province,
        Self::Prefecture,
        Self::County,
        Self::Kind,
        Self::Channel,
        Self::Category,
    ];

    /// The slice's wire word (as serialized), also the last token of its snapshot subject.
    pub fn code(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Unit => "unit",
            Self::Province => "province",
            Self::Prefecture => "prefecture",
            Self::County => "county",
            Self::Kind => "kind",
            Self::Channel => "channel",
            Self::Category => "category",
        }
    }
}

/// `hotline.analytics.kpi.<slice>`: the KPIs of the current day and month so far
/// (Asia/Shanghai), one slice, published by analytics every minute for analysts (A20
/// dynamic monitoring). At most one snapshot per slice and interval, however many replicas
/// run; `taken_at` is the start of that interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsKpiSnapshot {
    pub slice: KpiSlice,
    pub taken_at: DateTime<Utc>,
    /// Orders registered from today's midnight (Asia/Shanghai) up to `taken_at`.
    pub day: KpiReport,
    /// Orders registered from the first of this month (Asia/Shanghai) up to `taken_at`.
    pub month: KpiReport,
}

impl crate::Event for AnalyticsKpiSnapshot {
    const TYPE: &'static str = "cn.gov.12345.analytics.kpi_snapshot.v1";
    fn subject(&self) -> String {
        crate::subjects::event::kpi_snapshot(self.slice.code())
    }
    fn aggregate_id(&self) -> String {
        format!("kpi.{}", self.slice.code())
    }
}

/// A stage of handling an open order is at now (A20 dynamic monitoring).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Registered for dispatch, not dispatched yet.
    AwaitingDispatch,
    /// Dispatched, not signed for yet.
    AwaitingSign,
    /// Signed for, no result yet.
    AwaitingResult,
    /// A result submitted, the order not closed yet (review, send-back, visit).
    AwaitingClose,
}

/// How the monitor rolls its counts up by region.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorRollup {
    Prefecture,
    County,
}

/// `rpc.analytics.monitor`: the live picture of handling now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorQuery {
    /// Only orders in this division (6-digit GB/T 2260 code: province, prefecture, county).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// Also the counts per prefecture or county.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup: Option<MonitorRollup>,
    /// How many stuck orders to list, 1..=500 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stuck_limit: Option<u32>,
}

/// Orders at each stage now, and closed today.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageCounts {
    pub awaiting_dispatch: i64,
    pub awaiting_sign: i64,
    pub awaiting_result: i64,
    pub awaiting_close: i64,
    /// Closed since today's midnight (Asia/Shanghai).
    pub closed_today: i64,
    /// Of the open orders above, how many are stuck (see `docs/kpis.md`).
    pub stuck: i64,
}

/// One division's counts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionStages {
    /// The division's code (`520100`, `520102`).
    pub region_code: String,
    pub counts: StageCounts,
}

/// An order at a stage for longer than expected. No personal data: the number, the
/// region and the unit only.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckOrder {
    pub number: String,
    pub stage: Stage,
    /// When the order entered the stage.
    pub since: DateTime<Utc>,
    /// When it was expected to leave it.
    pub expected_by: DateTime<Utc>,
    pub region_code: Option<String>,
    pub unit_id: Option<String>,
}

/// Registrations today so far against the same weekday a week ago, up to the same time of
/// day (Asia/Shanghai).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TodayVsLastWeek {
    pub today: i64,
    pub same_weekday_last_week: i64,
    /// `today / same_weekday_last_week - 1`; absent when a week ago had none.
    pub change: Option<f64>,
}

/// Reply to [`MonitorQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorReport {
    pub at: DateTime<Utc>,
    pub counts: StageCounts,
    /// Per division when a roll-up was asked for, by code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionStages>,
    /// The stuck orders, oldest first, at most `stuck_limit`.
    pub stuck: Vec<StuckOrder>,
    pub registrations: TodayVsLastWeek,
}

/// `rpc.analytics.staff_assessment` (A19): every agent and reviewer who acted in
/// `[from, to)` (by the time of the act). Definitions: `docs/kpis.md`, "Staff assessment
/// (A19)". Staff are named by their user ids only; automatic decisions (`rule:<name>`)
/// are nobody's.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffAssessmentQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The counted parts of one agent's assessment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AgentCounts {
    /// Orders the agent registered in the period.
    pub registered: i64,
    /// Orders the agent answered directly from the knowledge base in the period.
    pub answered_directly: i64,
    /// Of those, answers that did not hold: the order was dispatched anyway, or a later
    /// order followed it up or was linked to it as a repeat.
    pub answers_not_holding: i64,
    /// Registrations with a request time (the ones handling time is measured on).
    pub timed: i64,
    /// Seconds from request to registration, summed over `timed`.
    pub handling_seconds_sum: i64,
}

/// One agent (A19): what they registered and answered, and how well.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentAssessment {
    pub agent_id: String,
    pub counts: AgentCounts,
    /// Direct answers / registrations.
    pub direct_answer_rate: Option<f64>,
    /// Direct answers that held / direct answers.
    pub direct_answer_accuracy: Option<f64>,
    /// Mean seconds from request to registration.
    pub average_handling_seconds: Option<f64>,
}

/// The counted parts of one reviewer's assessment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewerCounts {
    /// Results accepted (orders closed on review) in the period.
    pub accepted: i64,
    /// Results sent back in the period.
    pub sent_back: i64,
    /// Extensions and suspensions approved in the period.
    pub approvals: i64,
    /// Reviews (accepted or sent back) whose result's submission is known.
    pub timed: i64,
    /// Seconds from the result's submission to the review, summed over `timed`.
    pub review_seconds_sum: i64,
}

/// One reviewer (A19): review outcomes and approvals.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewerAssessment {
    pub reviewer_id: String,
    pub counts: ReviewerCounts,
    /// Accepted + sent back.
    pub reviewed: i64,
    /// Sent back / reviewed.
    pub send_back_rate: Option<f64>,
    /// Mean seconds from a result's submission to its review.
    pub average_review_seconds: Option<f64>,
}

/// Reply to [`StaffAssessmentQuery`], agents and reviewers by id.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffAssessment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub agents: Vec<AgentAssessment>,
    pub reviewers: Vec<ReviewerAssessment>,
}
