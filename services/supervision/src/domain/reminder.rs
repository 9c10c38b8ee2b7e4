//! Reminders to units before a time limit (A17: orders about to fall due are reminded).
//! The deadline-watcher announces `deadline.reminder`; supervision notifies the unit once
//! per clock and due instant. A redelivered or re-announced reminder (same order, clock,
//! unit, case and due instant) notifies nobody again; a new due instant (an extension) is a
//! new reminder.

use hotline_contract::events::DeadlineReminder;

/// The key that makes a reminder notify once.
pub fn dedup_key(reminder: &DeadlineReminder) -> String {
    format!(
        "{}:{}:{}:{}:{}",
        reminder.order_id,
        clock_code(reminder),
        reminder.unit_id,
        reminder.case_id.map(|c| c.to_string()).unwrap_or_default(),
        reminder.due_at.timestamp_micros()
    )
}

/// The clock's code (as serialized).
pub fn clock_code(reminder: &DeadlineReminder) -> &'static str {
    use hotline_contract::events::DeadlineClock::*;
    match reminder.clock {
        Sign => "sign",
        Handling => "handling",
        CoHandling => "co_handling",
        Rectification => "rectification",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use hotline_contract::events::DeadlineClock;
    use uuid::Uuid;

    fn reminder(due_at: DateTime<Utc>) -> DeadlineReminder {
        DeadlineReminder {
            order_id: Uuid::nil(),
            clock: DeadlineClock::Handling,
            unit_id: "520102-env".to_owned(),
            case_id: None,
            due_at,
            reminded_at: Utc::now(),
        }
    }

    #[test]
    fn the_same_due_instant_is_one_reminder_and_a_new_one_another() {
        let due = Utc::now();
        let mut again = reminder(due);
        again.reminded_at = due;
        assert_eq!(dedup_key(&reminder(due)), dedup_key(&again));
        assert_ne!(
            dedup_key(&reminder(due)),
            dedup_key(&reminder(due + chrono::Duration::days(1)))
        );
        let mut other_clock = reminder(due);
        other_clock.clock = DeadlineClock::Sign;
        assert_ne!(dedup_key(&reminder(due)), dedup_key(&other_clock));
    }
}
