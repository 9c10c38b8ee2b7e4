//! Deadline events from the deadline-watcher (A15, A17).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Event;
use crate::subjects::event;

/// Which clock a deadline belongs to; the clocks run separately.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineClock {
    /// A15: sign within 1 working day of dispatch.
    Sign,
    /// A15: handle within the limit for the kind and urgency.
    Handling,
    /// A14: a co-handling unit reports its part to the lead unit (one clock per co-unit).
    CoHandling,
    /// A17/A18: a supervised unit reports its rectification (one clock per supervision
    /// case; the events name the case).
    Rectification,
}

/// The unit a time limit is counted in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// Working days on the official calendar (R-A15.2).
    WorkingDays,
    /// Calendar hours, weekends and holidays included.
    Hours,
}

/// A length of time as a policy or an extension states it: `value` working days or hours.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeLimit {
    pub unit: LimitUnit,
    pub value: u32,
}

/// `hotline.deadline.scheduled`: a clock started for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineScheduled {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: String,
    /// The supervision case, on a `rectification` clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
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
    /// The supervision case, on a `rectification` clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
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
    /// The supervision case, on a `rectification` clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
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

/// Why a running clock's due instant moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RescheduleCause {
    /// The center granted more time (A14, `order.extension_granted`).
    Extension,
    /// A suspension ended; the clock restarted with the time it had left (`order.resumed`).
    Resumed,
}

/// `hotline.deadline.rescheduled`: a clock's due instant moved (an extension, or the end of
/// a suspension). The latest `due_at` is the one in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineRescheduled {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: String,
    /// The supervision case, on a `rectification` clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    pub cause: RescheduleCause,
    pub previous_due_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub rescheduled_at: DateTime<Utc>,
}

impl Event for DeadlineRescheduled {
    const TYPE: &'static str = "cn.gov.12345.deadline.rescheduled.v1";
    fn subject(&self) -> String {
        event::DEADLINE_RESCHEDULED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.deadline.paused`: a clock stopped because the order was suspended and its policy
/// stops the clock meanwhile; no reminder or overdue fires until it resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePaused {
    pub order_id: Uuid,
    pub clock: DeadlineClock,
    pub unit_id: String,
    /// The supervision case, on a `rectification` clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    /// The due instant when it stopped.
    pub due_at: DateTime<Utc>,
    pub paused_at: DateTime<Utc>,
}

impl Event for DeadlinePaused {
    const TYPE: &'static str = "cn.gov.12345.deadline.paused.v1";
    fn subject(&self) -> String {
        event::DEADLINE_PAUSED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}
