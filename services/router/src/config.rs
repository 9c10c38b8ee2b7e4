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
    /// Seed the demo line departments and rules of Guiyang and Nanming at start (see
    /// [`crate::seed`]); `HOTLINE_ROUTER__DEMO_DIRECTORY=false` where the real directory
    /// is maintained by the center. Governments are always seeded.
    pub demo_directory: bool,
    /// A13: a dispute the center has not settled after this long goes to the authority.
    pub dispute_escalation_after_secs: u64,
    /// How often open disputes are checked against that limit.
    pub dispute_scan_interval_secs: u64,
}

impl Default for RouterSection {
    fn default() -> Self {
        Self {
            demo_directory: true,
            // One day: the center coordinates within the unit's own 1-working-day window.
            dispute_escalation_after_secs: 24 * 3600,
            dispute_scan_interval_secs: 60,
        }
    }
}
