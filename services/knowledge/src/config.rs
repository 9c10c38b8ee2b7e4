//! Knowledge's configuration: the common sections plus `[knowledge]`
//! (`HOTLINE_KNOWLEDGE__<KEY>` in the environment).

use std::path::PathBuf;

use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

use crate::search::confidence::DEFAULT_AUTO_ANSWER_THRESHOLD;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct KnowledgeConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub knowledge: KnowledgeSection,
}

/// `[knowledge]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct KnowledgeSection {
    /// The unit id of the hotline center: its editors review and publish (A22).
    pub center_unit_id: String,
    /// Keep the search index in this directory instead of RAM (it is rebuilt from the
    /// articles table at every start either way).
    pub index_dir: Option<PathBuf>,
    /// Load the seed set (and the default synonym table) on the first start with an empty
    /// knowledge base.
    pub seed_on_first_start: bool,
    /// A seed file (JSON, the import format) to load instead of the bundled one.
    pub seed_file: Option<PathBuf>,
    /// A9: confidence from which a web message may be answered without an agent
    /// (`docs/knowledge.md` explains the value).
    pub auto_answer_threshold: f64,
    /// Remind the owning unit this many days before an article's validity ends.
    pub expiry_reminder_days: u32,
    /// Seconds between two scans for articles about to expire.
    pub expiry_scan_interval_secs: u64,
}

impl Default for KnowledgeSection {
    fn default() -> Self {
        Self {
            center_unit_id: "hotline-center".to_owned(),
            index_dir: None,
            seed_on_first_start: true,
            seed_file: None,
            auto_answer_threshold: DEFAULT_AUTO_ANSWER_THRESHOLD,
            expiry_reminder_days: 30,
            expiry_scan_interval_secs: 3600,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_the_knowledge_section_of_the_environment() {
        let env = [
            ("HOTLINE_KNOWLEDGE__AUTO_ANSWER_THRESHOLD", "0.9"),
            ("HOTLINE_KNOWLEDGE__INDEX_DIR", "/var/lib/hotline/kb-index"),
            ("HOTLINE_KNOWLEDGE__SEED_ON_FIRST_START", "false"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let config: KnowledgeConfig = hotline_service_kit::config::load_from(&env, None).unwrap();
        assert_eq!(config.knowledge.auto_answer_threshold, 0.9);
        assert!(!config.knowledge.seed_on_first_start);
        assert_eq!(
            config.knowledge.index_dir,
            Some(PathBuf::from("/var/lib/hotline/kb-index"))
        );
        assert_eq!(
            config.knowledge.center_unit_id, "hotline-center",
            "default kept"
        );
        assert_eq!(config.knowledge.expiry_reminder_days, 30);
    }
}
