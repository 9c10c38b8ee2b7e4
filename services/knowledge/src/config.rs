//! Knowledge's configuration: the common sections only, for now.

use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct KnowledgeConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
}
