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
}

impl Default for RouterSection {
    fn default() -> Self {
        Self {
            demo_directory: true,
        }
    }
}
