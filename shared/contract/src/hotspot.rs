//! Request and reply bodies of the hot-spot reports (A17.4): `rpc.supervision.hotspots`
//! lists the reports, unclear responsibility first; `rpc.supervision.hotspot` reads one.
//! The report itself is [`crate::events::SupervisionHotspotReported`].

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::SupervisionHotspotReported;

/// `rpc.supervision.hotspots`: the latest report of each hot spot, ranked: the largest
/// share of orders with unclear responsibility first, then the most orders, then the
/// latest report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotsQuery {
    /// Only hot spots of this county (6 digits; a township's hot spots count for its
    /// county).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// 1..=200, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Reply to [`HotspotsQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotspotReports {
    pub items: Vec<SupervisionHotspotReported>,
}

/// `rpc.supervision.hotspot`: one hot spot's latest report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotQuery {
    pub hotspot_id: Uuid,
}
