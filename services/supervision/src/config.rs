//! Supervision's configuration: the common sections and the escalation ladder.

use hotline_contract::events::SupervisionLevel;
use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct SupervisionConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub supervision: SupervisionSection,
}

/// `[supervision]`: `HOTLINE_SUPERVISION__LADDER`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SupervisionSection {
    /// A17: the rungs a case climbs while the unit does not rectify in time, lowest first.
    pub ladder: Vec<SupervisionLevel>,
    /// Accept a complete result at once (the foundation's automatic check). Off: every
    /// result waits for a reviewer, who accepts it (`rpc.supervision.accept_result`) or
    /// proposes a send-back (A16).
    pub auto_accept_complete: bool,
}

impl Default for SupervisionSection {
    fn default() -> Self {
        Self {
            ladder: crate::domain::case::default_ladder(),
            auto_accept_complete: true,
        }
    }
}
