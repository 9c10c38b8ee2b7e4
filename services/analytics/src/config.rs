//! Analytics' configuration: the common sections, `[monitor]` (A20 dynamic monitoring) and
//! `[bulletins]` (A18).

use hotline_contract::analytics::KpiSlice;
use hotline_contract::bulletin::PeriodKind;
use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

use crate::bulletins::Schedule;
use crate::domain::monitor::Thresholds;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct AnalyticsConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub monitor: MonitorSection,
    pub bulletins: BulletinsSection,
}

/// `[bulletins]` (`HOTLINE_BULLETINS__...`): the scheduled bulletins (A18). Defaults in
/// `docs/kpis.md` ("Bulletins").
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct BulletinsSection {
    /// The kinds made on schedule (default all four: week, month, quarter, year).
    pub kinds: Vec<PeriodKind>,
    /// Hours after a period's end before its bulletin is made, so that the period's last
    /// events have arrived (default 24).
    pub grace_hours: u32,
    /// Seconds between looks for an owed bulletin (default 300).
    pub interval_secs: u64,
    /// Seconds to wait for the unit directory (default 5).
    pub directory_timeout_secs: u64,
}

impl Default for BulletinsSection {
    fn default() -> Self {
        Self {
            kinds: PeriodKind::ALL.to_vec(),
            grace_hours: 24,
            interval_secs: 300,
            directory_timeout_secs: 5,
        }
    }
}

impl BulletinsSection {
    pub fn schedule(&self) -> Schedule {
        Schedule {
            kinds: self.kinds.clone(),
            grace: chrono::Duration::hours(i64::from(self.grace_hours)),
            interval: std::time::Duration::from_secs(self.interval_secs.max(1)),
        }
    }
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
