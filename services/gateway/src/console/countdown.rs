//! Deadline countdowns for the unit desk (A15: sign within one working day, handle within
//! the policy's limit; A17: an overdue order is supervised). Pure: the clock as the
//! deadline-watcher reports it and "now" in, the words and the CSS class out.
//!
//! A15 counts limits in working days, so a running clock the deadline-watcher counted in
//! working days reads "剩余 3 个工作日（截止 11月30日 24:00）": the whole working days left on
//! the official calendar (`working_days_left`, computed by the deadline-watcher on the
//! calendar it enforces) and the due instant in Beijing time. A clock in hours, or a reply
//! without the count (an older deadline-watcher, a year the calendar lacks), shows the
//! wall-clock time left, which `console.js` keeps current; the working-day text changes
//! only at midnight, so the script leaves it alone until the clock runs out.

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use hotline_contract::events::DeadlineClock;
use hotline_contract::rpc::{ClockState, ClockView};

use super::beijing;

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
/// day, or no whole working day, left), `overdue` (past due: red), `done` (stopped).
pub fn countdown(
    state: ClockState,
    due_at: DateTime<Utc>,
    working_days_left: Option<u32>,
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
            let near = left < chrono::Duration::hours(24) || working_days_left == Some(0);
            let class = if near { "near" } else { "due" };
            let text = match working_days_left {
                Some(0) => format!("剩余不足 1 个工作日（截止 {}）", due_label(due_at)),
                Some(days) => format!("剩余 {days} 个工作日（截止 {}）", due_label(due_at)),
                None => format!("剩余 {}", span(left)),
            };
            (text, class)
        }
    }
}

/// A clock's countdown as a `<span>`: live (`data-due`, kept current by `console.js`)
/// unless stopped; `data-workdays` marks the working-day text the script leaves alone.
pub fn countdown_span(clock: &ClockView, now: DateTime<Utc>) -> String {
    let (text, class) = countdown(clock.state, clock.due_at, clock.working_days_left, now);
    let live = match (class, clock.working_days_left) {
        ("done", _) => String::new(),
        ("overdue", _) | (_, None) => format!(r#" data-due="{}""#, clock.due_at.to_rfc3339()),
        (_, Some(days)) => format!(
            r#" data-due="{}" data-workdays="{days}""#,
            clock.due_at.to_rfc3339()
        ),
    };
    format!(r#"<span class="countdown {class}"{live}>{text}</span>"#)
}

/// A due instant as the desk reads it: "11月30日 17:00" in Beijing time; a limit ending at
/// midnight ends the day before, "11月30日 24:00" (R-A15.2: the end of the last working day).
pub fn due_label(due_at: DateTime<Utc>) -> String {
    in_beijing(due_at, "%-m月%-d日")
}

/// As [`due_label`] with the year, for tables: "2026-11-30 24:00".
pub fn due_time(due_at: DateTime<Utc>) -> String {
    in_beijing(due_at, "%Y-%m-%d")
}

/// `due_at` in Beijing time as `day_format` and the time, midnight as 24:00 of the day before.
fn in_beijing(due_at: DateTime<Utc>, day_format: &str) -> String {
    let Some(offset) = FixedOffset::east_opt(8 * 3600) else {
        return beijing(due_at);
    };
    let local = due_at.with_timezone(&offset);
    if (local.hour(), local.minute(), local.second()) == (0, 0, 0) {
        let day_before = local - chrono::Duration::days(1);
        return format!("{} 24:00", day_before.format(day_format));
    }
    local.format(&format!("{day_format} %H:%M")).to_string()
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
        let (text, class) = countdown(ClockState::Running, at("2026-03-04T03:30:00Z"), None, now);
        assert_eq!((text.as_str(), class), ("剩余 2 天 2 小时", "due"));
        let (text, class) = countdown(ClockState::Running, at("2026-03-02T06:15:00Z"), None, now);
        assert_eq!((text.as_str(), class), ("剩余 5 小时 15 分", "near"));
    }

    #[test]
    fn a_clock_in_working_days_says_the_working_days_left_and_the_due_time() {
        // Fri 2026-11-27 09:00, due at the end of Mon 11-30.
        let now = at("2026-11-27T09:00:00+08:00");
        let due = at("2026-12-01T00:00:00+08:00");
        let (text, class) = countdown(ClockState::Running, due, Some(1), now);
        assert_eq!(
            (text.as_str(), class),
            ("剩余 1 个工作日（截止 11月30日 24:00）", "due")
        );
        let (text, class) = countdown(ClockState::Running, due, Some(3), now);
        assert_eq!(text, "剩余 3 个工作日（截止 11月30日 24:00）");
        assert_eq!(class, "due");
        // On the due day: less than one working day, near.
        let (text, class) = countdown(
            ClockState::Running,
            at("2026-11-30T17:00:00+08:00"),
            Some(0),
            at("2026-11-30T09:00:00+08:00"),
        );
        assert_eq!(
            (text.as_str(), class),
            ("剩余不足 1 个工作日（截止 11月30日 17:00）", "near")
        );
    }

    #[test]
    fn past_due_is_overdue_even_before_the_watcher_says_so() {
        let now = at("2026-03-02T10:00:00Z");
        let (text, class) = countdown(ClockState::Running, at("2026-03-02T07:00:00Z"), None, now);
        assert_eq!((text.as_str(), class), ("已超期 3 小时 0 分", "overdue"));
        let (text, _) = countdown(
            ClockState::Running,
            at("2026-03-02T07:00:00Z"),
            Some(0),
            now,
        );
        assert_eq!(
            text, "已超期 3 小时 0 分",
            "the overdue text ignores a stale count"
        );
        let (_, class) = countdown(ClockState::Overdue, at("2026-03-01T07:00:00Z"), None, now);
        assert_eq!(class, "overdue");
    }

    #[test]
    fn stopped_clocks_show_no_countdown() {
        let now = at("2026-03-02T10:00:00Z");
        for state in [ClockState::Met, ClockState::Cancelled, ClockState::Paused] {
            let (_, class) = countdown(state, at("2026-03-01T07:00:00Z"), None, now);
            assert_eq!(class, "done");
        }
    }

    #[test]
    fn the_span_marks_working_day_text_for_the_script() {
        let clock = |state, working_days_left| ClockView {
            clock: DeadlineClock::Handling,
            unit_id: "u".to_owned(),
            case_id: None,
            state,
            started_at: at("2026-11-20T09:00:00+08:00"),
            due_at: at("2026-12-01T00:00:00+08:00"),
            policy: "handling-help-normal@v1".to_owned(),
            paused_at: None,
            changes: vec![],
            working_days_left,
        };
        let now = at("2026-11-27T09:00:00+08:00");
        let days = countdown_span(&clock(ClockState::Running, Some(1)), now);
        assert!(days.contains(r#"data-workdays="1""#), "{days}");
        assert!(days.contains("data-due="), "{days}");
        let wall = countdown_span(&clock(ClockState::Running, None), now);
        assert!(wall.contains("data-due=") && !wall.contains("data-workdays"));
        let met = countdown_span(&clock(ClockState::Met, None), now);
        assert!(!met.contains("data-due"), "{met}");
    }

    #[test]
    fn due_times_read_in_beijing_time_and_midnight_ends_the_day_before() {
        assert_eq!(due_label(at("2026-11-30T09:00:00Z")), "11月30日 17:00");
        assert_eq!(due_label(at("2026-10-08T16:00:00Z")), "10月8日 24:00");
        assert_eq!(due_time(at("2026-10-08T16:00:00Z")), "2026-10-08 24:00");
        assert_eq!(due_time(at("2026-11-30T09:00:00Z")), "2026-11-30 17:00");
    }
}
