//! The deadline-watcher's configuration: the common sections plus `[deadline_watcher]`
//! (`HOTLINE_DEADLINE_WATCHER__<KEY>` in the environment).

use std::path::PathBuf;

use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct DeadlineWatcherConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub deadline_watcher: WatcherSection,
}

/// `[deadline_watcher]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WatcherSection {
    /// Seconds between two overdue scans (at least 1). A timer is flagged at most this
    /// long after it falls due.
    pub scan_interval_secs: u64,
    /// Timers claimed per scan transaction.
    pub scan_batch_size: i64,
    /// An operator-supplied working-day calendar (CSV, the workday crate's format) to use
    /// instead of the embedded one, e.g. once the State Council publishes a new year.
    pub calendar_file: Option<PathBuf>,
    /// Seconds between two checks that next year's calendar is loaded.
    pub calendar_check_interval_secs: u64,
}

impl Default for WatcherSection {
    fn default() -> Self {
        Self {
            scan_interval_secs: 30,
            scan_batch_size: 500,
            calendar_file: None,
            calendar_check_interval_secs: 3600,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn watcher_settings_come_from_their_own_section_of_the_environment() {
        let env = [
            ("HOTLINE_DEADLINE_WATCHER__SCAN_INTERVAL_SECS", "5"),
            (
                "HOTLINE_DEADLINE_WATCHER__CALENDAR_FILE",
                "/etc/hotline/holidays-2027.csv",
            ),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let config: DeadlineWatcherConfig =
            hotline_service_kit::config::load_from(&env, None).unwrap();
        assert_eq!(config.deadline_watcher.scan_interval_secs, 5);
        assert_eq!(
            config.deadline_watcher.calendar_file.as_deref(),
            Some(Path::new("/etc/hotline/holidays-2027.csv"))
        );
        assert_eq!(config.deadline_watcher.scan_batch_size, 500, "default kept");
    }

    #[test]
    fn by_default_the_scan_runs_every_thirty_seconds_on_the_embedded_calendar() {
        let config = DeadlineWatcherConfig::default();
        assert_eq!(config.deadline_watcher.scan_interval_secs, 30);
        assert_eq!(config.deadline_watcher.calendar_file, None);
    }
}
