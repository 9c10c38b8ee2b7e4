//! Analytics' bulletins (A18, issue 9): weekly, monthly, quarterly and yearly reports on the
//! units' quality and efficiency — volumes, the KPIs of `docs/kpis.md`, units ranked within
//! tiers (分档), supervised cases and their rectification, hot spots — generated on a
//! schedule once each period closes, or on demand; stored immutable, published as
//! [`BulletinPublished`], readable as HTML (inline SVG charts), CSV or JSON.
//!
//! No personal data: units, order numbers, counts and hot spots' shared keywords only.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::analytics::KpiRow;

/// The period a bulletin covers (civil dates in Asia/Shanghai).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// Monday to Sunday.
    Week,
    Month,
    /// January, April, July or October, three months.
    Quarter,
    Year,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] = [Self::Week, Self::Month, Self::Quarter, Self::Year];

    /// The wire word (as serialized).
    pub fn code(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }

    /// The kind a wire word names.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The bulletin's name in Chinese: 周报, 月报, 季报, 年报.
    pub fn label(self) -> &'static str {
        match self {
            Self::Week => "周报",
            Self::Month => "月报",
            Self::Quarter => "季报",
            Self::Year => "年报",
        }
    }
}

/// What made a bulletin.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulletinTrigger {
    /// The schedule, once after the period closed (at most one per period).
    Schedule,
    /// A request (`rpc.analytics.generate_bulletin`); each one is a new edition.
    Demand,
}

/// Where the units' tiers came from (`docs/kpis.md`, "Bulletins").
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieringSource {
    /// The unit directory: level and type of each unit.
    Directory,
    /// The directory could not be read: tiers by the units' volume of dispatched orders.
    Volume,
}

/// One unit of a tier, with its place.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedUnit {
    /// 1 for the best of the tier; absent when the unit had nothing to score.
    pub rank: Option<u32>,
    /// The composite score, 0–100 (`docs/kpis.md`); absent with nothing to score.
    pub score: Option<f64>,
    /// The unit's KPIs (`key` is the unit id).
    pub kpis: KpiRow,
}

/// Units compared with each other (分档).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    /// `<level>.<unit_type>` (`county.department`), `volume.<large|medium|small>`, or
    /// `unlisted`.
    pub key: String,
    /// The tier's name in Chinese (`县级·部门`).
    pub label: String,
    /// Ranked, best first; unscored units last.
    pub units: Vec<RankedUnit>,
}

/// A supervision case on an order of the period.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisedCase {
    pub case_id: Uuid,
    pub order_number: Option<String>,
    pub unit_id: Option<String>,
    pub opened_at: Option<DateTime<Utc>>,
    /// Closed: rectified.
    pub closed_at: Option<DateTime<Utc>>,
}

/// Supervision of the period's orders (A17, A18 rectification).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupervisionSection {
    pub cases: i64,
    pub rectified: i64,
    pub rectification_rate: Option<f64>,
    /// The cases, oldest first, at most 200 (`cases` counts them all).
    pub list: Vec<SupervisedCase>,
}

/// A hot spot with orders registered in the period (A17.4, supervision's latest report).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulletinHotspot {
    pub hotspot_id: Uuid,
    pub region_code: String,
    pub addressed_to: String,
    pub keywords: Vec<String>,
    /// Of its orders, registered in the period.
    pub orders_in_period: i64,
    /// All its orders.
    pub order_count: i64,
    pub unclear_share: f64,
}

/// A bulletin's content (the JSON format).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bulletin {
    pub bulletin_id: Uuid,
    pub kind: PeriodKind,
    /// The first day of the period.
    pub period_start: NaiveDate,
    /// The day after the last day of the period.
    pub period_end: NaiveDate,
    /// 1, 2, ... per period: every bulletin of a period is kept.
    pub edition: i32,
    pub trigger: BulletinTrigger,
    pub generated_at: DateTime<Utc>,
    /// The period had ended when the bulletin was generated.
    pub complete: bool,
    /// The KPIs of every order registered in the period.
    pub totals: KpiRow,
    /// The KPIs per day (week, month), week (quarter) or month (year); `key` is the first
    /// day of the bucket (`2026-03-01`).
    pub trend: Vec<KpiRow>,
    pub tiering: TieringSource,
    pub tiers: Vec<Tier>,
    pub supervision: SupervisionSection,
    /// At most 10, most orders in the period first.
    pub hotspots: Vec<BulletinHotspot>,
}

/// A bulletin in a list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulletinSummary {
    pub bulletin_id: Uuid,
    pub kind: PeriodKind,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub edition: i32,
    pub trigger: BulletinTrigger,
    pub generated_at: DateTime<Utc>,
    pub complete: bool,
    /// Orders registered in the period.
    pub registered: i64,
}

/// `hotline.analytics.bulletin.published`: a bulletin was generated and stored (A18). What
/// is in the list, and the period's totals; the bulletin itself is read through
/// `rpc.analytics.bulletin` (`GET /api/v1/bulletins/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulletinPublished {
    #[serde(flatten)]
    pub summary: BulletinSummary,
    pub totals: KpiRow,
}

impl crate::Event for BulletinPublished {
    const TYPE: &'static str = "cn.gov.12345.analytics.bulletin_published.v1";
    fn subject(&self) -> String {
        crate::subjects::event::ANALYTICS_BULLETIN_PUBLISHED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.summary.bulletin_id.to_string()
    }
}

/// `rpc.analytics.bulletins`: the bulletins, newest period first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulletinsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PeriodKind>,
    /// 1..=200, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Reply to [`BulletinsQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulletinList {
    pub bulletins: Vec<BulletinSummary>,
}

/// A bulletin's rendering.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulletinFormat {
    /// A self-contained page with inline SVG charts (no script, no external asset).
    Html,
    /// The units' KPIs, one line per unit, by tier and rank (UTF-8 with a BOM).
    Csv,
    /// [`Bulletin`].
    Json,
}

impl BulletinFormat {
    /// The HTTP content type of the rendering.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
        }
    }
}

/// `rpc.analytics.bulletin`: one bulletin, rendered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulletinQuery {
    pub bulletin_id: Uuid,
    pub format: BulletinFormat,
}

/// Reply to [`BulletinQuery`]: the stored rendering as text.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulletinDocument {
    pub bulletin_id: Uuid,
    pub format: BulletinFormat,
    pub body: String,
}

/// `rpc.analytics.generate_bulletin`: a bulletin now, of the period starting on
/// `period_start` (a Monday, the first of a month, of a quarter, of a year); the period
/// must have begun. Replies with the new bulletin's summary.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateBulletin {
    pub kind: PeriodKind,
    pub period_start: NaiveDate,
}
