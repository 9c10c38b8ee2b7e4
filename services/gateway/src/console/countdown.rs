//! Deadline countdowns for the unit desk (A15: sign within one working day, handle within
//! the policy's limit; A17: an overdue order is supervised). Pure: the clock as the
//! deadline-watcher reports it and "now" in, the words and the CSS class out. The due
//! instant the watcher reports already counts working days on the official calendar, so
//! the page shows the wall-clock time left until it; `console.js` keeps the text current.

use chrono::{DateTime, Utc};
use hotline_contract::events::DeadlineClock;
use hotline_contract::rpc::ClockState;

/// The clock's name in the console.
pub fn clock_label(clock: DeadlineClock) -> &'static str {
    match clock {
        DeadlineClock::Sign => "签收时限",
        DeadlineClock::Handling => "办理时限",
        DeadlineClock::CoHandling => "协办报送时限",
        DeadlineClock::Rectification => "整改时限",
    }
}

/// What the countdown says and its class: `due` (running, time left), `near` (less than a
/// day left), `overdue` (past due: red), `done` (stopped).
pub fn countdown(
    state: ClockState,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (String, &'static str) {
    match state {
        ClockState::Met => ("已按时完成".to_owned(), "done"),
        ClockState::Cancelled => ("已结束".to_owned(), "done"),
        ClockState::Paused => ("已中止计时".to_owned(), "done"),
        ClockState::Overdue => (format!("已超期 {}", span(now - due_at)), "overdue"),
        ClockState::Running if due_at <= now => {
            (format!("已超期 {}", span(now - due_at)), "overdue")
        }
        ClockState::Running => {
            let left = due_at - now;
            let class = if left < chrono::Duration::hours(24) {
                "near"
            } else {
                "due"
            };
            (format!("剩余 {}", span(left)), class)
        }
    }
}

/// A length of time in days and hours, or hours and minutes under a day.
fn span(d: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    if days > 0 {
        format!("{days} 天 {hours} 小时")
    } else {
        format!("{hours} 小时 {mins} 分")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn running_clock_counts_down_and_turns_near_under_a_day() {
        let now = at("2026-03-02T01:00:00Z");
        let (text, class) = countdown(ClockState::Running, at("2026-03-04T03:30:00Z"), now);
        assert_eq!((text.as_str(), class), ("剩余 2 天 2 小时", "due"));
        let (text, class) = countdown(ClockState::Running, at("2026-03-02T06:15:00Z"), now);
        assert_eq!((text.as_str(), class), ("剩余 5 小时 15 分", "near"));
    }

    #[test]
    fn past_due_is_overdue_even_before_the_watcher_says_so() {
        let now = at("2026-03-02T10:00:00Z");
        let (text, class) = countdown(ClockState::Running, at("2026-03-02T07:00:00Z"), now);
        assert_eq!((text.as_str(), class), ("已超期 3 小时 0 分", "overdue"));
        let (_, class) = countdown(ClockState::Overdue, at("2026-03-01T07:00:00Z"), now);
        assert_eq!(class, "overdue");
    }

    #[test]
    fn stopped_clocks_show_no_countdown() {
        let now = at("2026-03-02T10:00:00Z");
        for state in [ClockState::Met, ClockState::Cancelled, ClockState::Paused] {
            let (_, class) = countdown(state, at("2026-03-01T07:00:00Z"), now);
            assert_eq!(class, "done");
        }
    }
}
