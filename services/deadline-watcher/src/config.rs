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
    /// The longest time, in seconds, between two overdue scans (at least 1); the reminder
    /// scan runs at this interval. Between two regular passes the overdue scan also wakes
    /// just after the next running timer falls due, so a timer is flagged within a fraction
    /// of a second of its due instant; only a timer started or moved to fall due less than
    /// an interval ahead can wait up to this long (`docs/performance.md`).
    pub scan_interval_secs: u64,
    /// Timers claimed per scan transaction (a pass claims batch after batch until the
    /// backlog is drained).
    pub scan_batch_size: i64,
    /// An operator-supplied working-day calendar (CSV, the workday crate's format) to use
    /// instead of the embedded one, e.g. once the State Council publishes a new year.
    pub calendar_file: Option<PathBuf>,
    /// Seconds between two checks that next year's calendar is loaded.
    pub calendar_check_interval_secs: u64,
    /// A17: when to remind the unit before a due instant, as fractions of the time allowed
    /// (each strictly between 0 and 1, kept to thousandths). The reminder scan runs every
    /// `scan_interval_secs`.
    pub reminder_fractions: Vec<f64>,
}

impl Default for WatcherSection {
    fn default() -> Self {
        Self {
            scan_interval_secs: 30,
            scan_batch_size: 500,
            calendar_file: None,
            calendar_check_interval_secs: 3600,
            reminder_fractions: vec![0.5, 0.8],
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

    #[test]
    fn reminders_come_at_half_and_four_fifths_of_the_time_by_default() {
        let config = DeadlineWatcherConfig::default();
        assert_eq!(config.deadline_watcher.reminder_fractions, [0.5, 0.8]);
    }

    #[test]
    fn reminder_fractions_can_be_set_in_the_environment() {
        let env = [(
            "HOTLINE_DEADLINE_WATCHER__REMINDER_FRACTIONS",
            "[0.25, 0.75, 0.9]",
        )]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let config: DeadlineWatcherConfig =
            hotline_service_kit::config::load_from(&env, None).unwrap();
        assert_eq!(
            config.deadline_watcher.reminder_fractions,
            [0.25, 0.75, 0.9]
        );
    }
}
