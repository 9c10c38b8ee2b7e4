//! The emergency bridge's configuration: the common sections and the bridge's own
//! (`HOTLINE_BRIDGE__…`).

use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct EmergencyBridgeConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub bridge: BridgeSection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct BridgeSection {
    /// How often the answer clock looks for overdue transfers.
    pub timer_interval_ms: u64,
    /// How long an inbound transfer waits for intake to register it.
    pub intake_timeout_ms: u64,
    /// The emergency relay's fallback poll (it is woken by NOTIFY at commit anyway).
    pub emergency_poll_ms: u64,
    /// How long an emergency transfer waits for intake to reveal the caller's contact
    /// (`HOTLINE_BRIDGE__REVEAL_TIMEOUT_MS`); past it, the transfer goes out without it.
    pub reveal_timeout_ms: u64,
}

impl Default for BridgeSection {
    fn default() -> Self {
        Self {
            timer_interval_ms: 250,
            intake_timeout_ms: 5_000,
            emergency_poll_ms: 100,
            reveal_timeout_ms: 300,
        }
    }
}
