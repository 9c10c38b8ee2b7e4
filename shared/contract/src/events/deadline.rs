//! Deadline events from the deadline-watcher (A15, A17).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Event;
use crate::subjects::event;

/// Which clock a deadline belongs to; the clocks run separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineClock {
    /// A15: sign within 1 working day of dispatch.
    Sign,
    /// A15: handle within the limit for the kind and urgency.
    Handling,
}

/// `hotline.deadline.scheduled`: a clock started for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineScheduled {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: String,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The policy that set the limit (e.g. `sign-1wd`).
    pub policy: String,
}

impl Event for DeadlineScheduled {
    const TYPE: &'static str = "cn.gov.12345.deadline.scheduled.v1";
    fn subject(&self) -> String {
        event::DEADLINE_SCHEDULED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.deadline.reminder`: a deadline is near (A17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineReminder {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: String,
    pub due_at: DateTime<Utc>,
    pub reminded_at: DateTime<Utc>,
}

impl Event for DeadlineReminder {
    const TYPE: &'static str = "cn.gov.12345.deadline.reminder.v1";
    fn subject(&self) -> String {
        event::DEADLINE_REMINDER.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.deadline.overdue`: a deadline passed unmet; supervision opens a case (A17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineOverdue {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: String,
    pub due_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
}

impl Event for DeadlineOverdue {
    const TYPE: &'static str = "cn.gov.12345.deadline.overdue.v1";
    fn subject(&self) -> String {
        event::DEADLINE_OVERDUE.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}
