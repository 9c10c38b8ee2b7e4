//! Hot spots (A17.4): clusters of similar orders in one region within a time window.
//!
//! Intake detects them, because the order text lives there, and publishes
//! `hotspot.detected`; supervision joins what it knows of each order (unit, disputes,
//! consultations), addresses the report to the people's government of the region and
//! publishes `supervision.hotspot_reported` (`docs/hotspots.md`).
//!
//! No personal data: the orders travel as ids and numbers, the matter only as the
//! **shared keywords**, words that many different requesters used (a word one requester
//! wrote, such as a name or a phone number, never qualifies).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Event;
use crate::subjects::event;

/// The level of the region a hot spot is attributed to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HotspotLevel {
    /// The order's recorded region (a county-level code, 6 digits).
    County,
    /// A township or street office (9 digits) that most of the orders name.
    Township,
}

impl HotspotLevel {
    /// The level's code (as serialized).
    pub fn code(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::Township => "township",
        }
    }

    /// The level a code names, if any.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "county" => Some(Self::County),
            "township" => Some(Self::Township),
            _ => None,
        }
    }
}

/// One order of a hot spot.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotOrder {
    pub order_id: Uuid,
    pub number: String,
    pub registered_at: DateTime<Utc>,
}

/// Orders registered on one day (Asia/Shanghai): a point of the trend.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    pub day: NaiveDate,
    pub orders: u32,
}

/// `hotline.hotspot.detected`: intake found (or grew) a cluster of similar orders in one
/// region (A17.4). One hot spot keeps its id while it grows; each change is a new
/// `version` carrying the whole hot spot, so a consumer keeps the highest version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotDetected {
    pub hotspot_id: Uuid,
    /// 1 on first detection, +1 whenever orders join.
    pub version: u32,
    /// The county (6 digits) or township (9 digits; its first 6 digits are its county).
    pub region_code: String,
    pub region_level: HotspotLevel,
    /// Every order of the hot spot, oldest first.
    pub orders: Vec<HotspotOrder>,
    /// How many different requesters (keyed phone hashes) the orders come from.
    pub requesters: u32,
    /// Orders per day, oldest day first (days without orders left out).
    pub trend: Vec<DayCount>,
    /// Words shared by many different requesters' matters, most shared first.
    pub keywords: Vec<String>,
    /// The detection window (days) the scan used.
    pub window_days: u32,
    pub detected_at: DateTime<Utc>,
}

impl Event for HotspotDetected {
    const TYPE: &'static str = "cn.gov.12345.hotspot.detected.v1";
    fn subject(&self) -> String {
        event::HOTSPOT_DETECTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.hotspot_id.to_string()
    }
}

/// One order of a hot-spot report, with what supervision knows of its handling.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotReportOrder {
    pub order_id: Uuid,
    pub number: String,
    pub registered_at: DateTime<Utc>,
    /// The unit handling it now; absent while it is not dispatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
    /// Responsibility was unclear: disputed, redispatched, sent to the pre-dispatch
    /// consultation, or dispatched to the region's government for want of a rule (A12).
    pub unclear: bool,
}

/// A unit involved in a hot spot and how many of its orders it has.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotspotUnit {
    pub unit_id: String,
    pub orders: u32,
}

/// `hotline.supervision.hotspot_reported`: the hot-spot report to the people's government
/// of the same level (A17.4). Published again (a higher `version`) when the hot spot grows
/// or what supervision knows of its orders changes. Also the reply of
/// `rpc.supervision.hotspot` and an item of `rpc.supervision.hotspots`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupervisionHotspotReported {
    pub hotspot_id: Uuid,
    /// The report's version: 1 on the first report, +1 on each change.
    pub version: u32,
    /// The `hotspot.detected` version it reports on.
    pub detected_version: u32,
    /// The government it goes to: `gov-<code>` (see `docs/hotspots.md`).
    pub addressed_to: String,
    pub region_code: String,
    pub region_level: HotspotLevel,
    pub keywords: Vec<String>,
    pub orders: Vec<HotspotReportOrder>,
    /// Units involved, most orders first; orders not yet dispatched are not counted.
    pub units: Vec<HotspotUnit>,
    pub trend: Vec<DayCount>,
    pub order_count: u32,
    pub requesters: u32,
    /// Orders whose responsibility was unclear.
    pub unclear_orders: u32,
    /// `unclear_orders / order_count`, rounded to three decimals: reports are ranked by it.
    pub unclear_share: f64,
    pub reported_at: DateTime<Utc>,
}

impl Event for SupervisionHotspotReported {
    const TYPE: &'static str = "cn.gov.12345.supervision.hotspot_reported.v1";
    fn subject(&self) -> String {
        event::SUPERVISION_HOTSPOT_REPORTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.hotspot_id.to_string()
    }
}
