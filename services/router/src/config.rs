//! The router's configuration: the common sections (NATS, database, ops, telemetry,
//! namespace) plus its own `[router]` section.

use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

/// Everything the router reads at start (defaults < file < `HOTLINE_*` environment).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct RouterConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub router: RouterSection,
}

/// `[router]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RouterSection {
    /// Seed the standard directory at start: the line departments of the province, every
    /// prefecture and county, and the rules the dispatch catalogue implies (see
    /// [`crate::seed`]); existing rows are never changed. `HOTLINE_ROUTER__SEED_DIRECTORY=false`
    /// where the center loads its own directory from the start. Governments and the
    /// catalogue are always seeded. (`demo_directory`, its former name, still works.)
    #[serde(alias = "demo_directory")]
    pub seed_directory: bool,
    /// A13: a dispute the center has not settled after this long goes to the authority.
    pub dispute_escalation_after_secs: u64,
    /// How often open disputes are checked against that limit.
    pub dispute_scan_interval_secs: u64,
}

impl Default for RouterSection {
    fn default() -> Self {
        Self {
            seed_directory: true,
            // One day: the center coordinates within the unit's own 1-working-day window.
            dispute_escalation_after_secs: 24 * 3600,
            dispute_scan_interval_secs: 60,
        }
    }
}
