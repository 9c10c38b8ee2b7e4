//! Supervision events (A17, A18): cases opened against a unit, its rectification, the end
//! of a case. Published by the supervision service (issue 7); the deadline-watcher keeps
//! each case's rectification clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Event;
use crate::subjects::event;

/// What the center does about a unit (A17).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionMeasure {
    /// 督办单: a written supervision notice.
    Notice,
    /// 专题协调: a special coordination meeting.
    Coordination,
    /// 约谈提醒: an interview reminder with the unit's leadership.
    Interview,
}

/// `hotline.supervision.case_opened`: a supervision case was opened against a unit about an
/// order; the unit must report its rectification within the policy's limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionCaseOpened {
    pub case_id: Uuid,
    pub order_id: Uuid,
    /// The supervised unit.
    pub unit_id: String,
    pub measure: SupervisionMeasure,
    /// Why, as a code (`overdue`, `second_send_back`, `improper_dispute`, ...).
    pub reason_code: String,
    pub opened_at: DateTime<Utc>,
}

impl Event for SupervisionCaseOpened {
    const TYPE: &'static str = "cn.gov.12345.supervision.case_opened.v1";
    fn subject(&self) -> String {
        event::SUPERVISION_CASE_OPENED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.supervision.rectification_reported`: the unit reported what it rectified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionRectificationReported {
    pub case_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: String,
    pub reported_at: DateTime<Utc>,
}

impl Event for SupervisionRectificationReported {
    const TYPE: &'static str = "cn.gov.12345.supervision.rectification_reported.v1";
    fn subject(&self) -> String {
        event::SUPERVISION_RECTIFICATION_REPORTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.supervision.case_closed`: the case ended (rectified, or escalated and decided).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionCaseClosed {
    pub case_id: Uuid,
    pub order_id: Uuid,
    pub closed_at: DateTime<Utc>,
}

impl Event for SupervisionCaseClosed {
    const TYPE: &'static str = "cn.gov.12345.supervision.case_closed.v1";
    fn subject(&self) -> String {
        event::SUPERVISION_CASE_CLOSED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// A rung of the escalation ladder (A17): the three measures, then the authority or the
/// unit's line department.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionLevel {
    /// 督办单
    Notice,
    /// 专题协调
    Coordination,
    /// 约谈提醒
    Interview,
    /// 提请主管部门（上级机关）处理: the case goes to the authority or line department.
    Authority,
}

impl SupervisionLevel {
    /// The level's code (as serialized).
    pub fn code(self) -> &'static str {
        match self {
            Self::Notice => "notice",
            Self::Coordination => "coordination",
            Self::Interview => "interview",
            Self::Authority => "authority",
        }
    }

    /// The level a code names, if any.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "notice" => Some(Self::Notice),
            "coordination" => Some(Self::Coordination),
            "interview" => Some(Self::Interview),
            "authority" => Some(Self::Authority),
            _ => None,
        }
    }
}

impl From<SupervisionMeasure> for SupervisionLevel {
    fn from(measure: SupervisionMeasure) -> Self {
        match measure {
            SupervisionMeasure::Notice => Self::Notice,
            SupervisionMeasure::Coordination => Self::Coordination,
            SupervisionMeasure::Interview => Self::Interview,
        }
    }
}

/// `hotline.supervision.case_escalated`: the unit did not rectify in time; the case moved
/// one rung up the ladder (A17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionCaseEscalated {
    pub case_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: String,
    pub from: SupervisionLevel,
    pub to: SupervisionLevel,
    /// Why, as a code (`rectification_overdue`).
    pub reason_code: String,
    pub escalated_at: DateTime<Utc>,
}

impl Event for SupervisionCaseEscalated {
    const TYPE: &'static str = "cn.gov.12345.supervision.case_escalated.v1";
    fn subject(&self) -> String {
        event::SUPERVISION_CASE_ESCALATED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.supervision.unit_reminded`: supervision told a unit that one of its time limits
/// is near (A17: orders about to fall due are reminded), on a `deadline.reminder` from the
/// deadline-watcher. For the console; the unit was notified through the notification
/// channel. One per clock and due instant, however often the reminder is redelivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionUnitReminded {
    /// The reminder (the notification's idempotency key).
    pub reminder_id: Uuid,
    pub order_id: Uuid,
    /// The order's number, when supervision knows it (from `order.dispatched`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The unit reminded.
    pub unit_id: String,
    pub clock: super::DeadlineClock,
    /// The supervision case, on a `rectification` clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub reminded_at: DateTime<Utc>,
}

impl Event for SupervisionUnitReminded {
    const TYPE: &'static str = "cn.gov.12345.supervision.unit_reminded.v1";
    fn subject(&self) -> String {
        event::SUPERVISION_UNIT_REMINDED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}
