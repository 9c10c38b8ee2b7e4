//! Analytics' configuration: the common sections and `[monitor]` (A20 dynamic monitoring).

use hotline_contract::analytics::KpiSlice;
use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

use crate::domain::monitor::Thresholds;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct AnalyticsConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub monitor: MonitorSection,
}

/// `[monitor]` (`HOTLINE_MONITOR__...`): when an order counts as stuck at a stage, and the
/// KPI snapshot published for analysts. Defaults in `docs/kpis.md` ("Dynamic monitoring").
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MonitorSection {
    /// Registered → dispatched, minutes (default 10).
    pub dispatch_minutes: i64,
    /// Dispatched → signed, working days (default 1), unless the deadline-watcher said
    /// overdue first.
    pub sign_working_days: u32,
    /// Signed → a result, working days (default 15), unless the deadline-watcher said
    /// overdue first.
    pub result_working_days: u32,
    /// A result → closed, working days (default 1).
    pub close_working_days: u32,
    /// Seconds between KPI snapshots (default 60; at least 1).
    pub kpi_snapshot_interval_secs: u64,
    /// The slices snapshotted, each on `hotline.analytics.kpi.<slice>` (default `[all]`).
    pub kpi_snapshot_slices: Vec<KpiSlice>,
}

impl MonitorSection {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            dispatch_minutes: self.dispatch_minutes.max(0),
            sign_working_days: self.sign_working_days,
            result_working_days: self.result_working_days,
            close_working_days: self.close_working_days,
        }
    }
}

impl Default for MonitorSection {
    fn default() -> Self {
        let t = Thresholds::default();
        Self {
            dispatch_minutes: t.dispatch_minutes,
            sign_working_days: t.sign_working_days,
            result_working_days: t.result_working_days,
            close_working_days: t.close_working_days,
            kpi_snapshot_interval_secs: 60,
            kpi_snapshot_slices: vec![KpiSlice::All],
        }
    }
}
