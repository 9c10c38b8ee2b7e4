//! Events of the router's work after the first dispatch (issue 5): disputes and their
//! resolution (A13), redispatch, pre-dispatch consultation (A12), a unit's interim
//! progress and its extension requests (A14), and the center sending a result back (A16).
//!
//! Free text (a dispute's reasons, a progress report, a co-unit's report) stays with the
//! router; events carry codes and ids only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Event;
use super::deadline::TimeLimit;
use crate::subjects::event;
use crate::vocabulary::{RequestKind, Urgency};

/// Why a unit says an order is not theirs (A13).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeReason {
    /// The matter is outside the unit's duties (职责不符).
    NotOurDuty,
    /// The place is outside the unit's territory (辖区不符).
    NotOurTerritory,
    /// Another unit is already handling the same matter (已由其他单位办理).
    HandledElsewhere,
}

impl DisputeReason {
    /// The wire code (same as the serde form).
    pub fn code(self) -> &'static str {
        match self {
            Self::NotOurDuty => "not_our_duty",
            Self::NotOurTerritory => "not_our_territory",
            Self::HandledElsewhere => "handled_elsewhere",
        }
    }

    /// Parse a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::NotOurDuty,
            Self::NotOurTerritory,
            Self::HandledElsewhere,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// `hotline.order.disputed`: a unit disputes the dispatch of an order to it (A13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDisputed {
    pub order_id: Uuid,
    pub dispute_id: Uuid,
    /// The disputing unit (the order's current unit).
    pub unit_id: String,
    pub reason: DisputeReason,
    /// The unit the disputing unit believes responsible, where it can name one.
    pub proposed_unit_id: Option<String>,
    pub disputed_by: String,
    pub disputed_at: DateTime<Utc>,
}

impl Event for OrderDisputed {
    const TYPE: &'static str = "cn.gov.12345.order.disputed.v1";
    fn subject(&self) -> String {
        event::ORDER_DISPUTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// Why a dispute went to the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationCause {
    /// The center could not settle it within the configured time.
    Timeout,
    /// The center sent it up itself.
    Center,
}

/// `hotline.order.dispute_escalated`: the center did not settle a dispute; the authority
/// (the government's designated department) decides, finally (A13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDisputeEscalated {
    pub order_id: Uuid,
    pub dispute_id: Uuid,
    pub unit_id: String,
    pub cause: EscalationCause,
    /// The center's staff member, or `rule:dispute-timeout`.
    pub escalated_by: String,
    pub escalated_at: DateTime<Utc>,
}

impl Event for OrderDisputeEscalated {
    const TYPE: &'static str = "cn.gov.12345.order.dispute_escalated.v1";
    fn subject(&self) -> String {
        event::ORDER_DISPUTE_ESCALATED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// How a dispute ended.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeOutcome {
    /// The dispatch stands: the disputing unit keeps the order.
    Upheld,
    /// The order goes to another unit (`order.redispatched` follows).
    Redispatched,
}

/// Who decided a dispute.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeDecider {
    /// The 12345 center, coordinating.
    Center,
    /// The authority, after escalation; its decision is final.
    Authority,
}

/// `hotline.order.dispute_resolved`: the center or the authority decided a dispute (A13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDisputeResolved {
    pub order_id: Uuid,
    pub dispute_id: Uuid,
    /// The disputing unit.
    pub unit_id: String,
    pub outcome: DisputeOutcome,
    pub decider: DisputeDecider,
    /// The unit that has the order after the decision.
    pub decided_unit_id: String,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

impl Event for OrderDisputeResolved {
    const TYPE: &'static str = "cn.gov.12345.order.dispute_resolved.v1";
    fn subject(&self) -> String {
        event::ORDER_DISPUTE_RESOLVED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.dispute_marked_improper`: the authority rejected a unit's dispute; the
/// dispute is recorded as improper (不当退单), which supervision counts against the unit
/// (A17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDisputeMarkedImproper {
    pub order_id: Uuid,
    pub dispute_id: Uuid,
    pub unit_id: String,
    pub reason: DisputeReason,
    pub decided_by: String,
    pub marked_at: DateTime<Utc>,
}

impl Event for OrderDisputeMarkedImproper {
    const TYPE: &'static str = "cn.gov.12345.order.dispute_marked_improper.v1";
    fn subject(&self) -> String {
        event::ORDER_DISPUTE_MARKED_IMPROPER.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.redispatched`: the order left one unit for another (after a dispute).
/// The deadline-watcher cancels the old unit's sign clock and starts one for the new unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRedispatched {
    pub order_id: Uuid,
    pub number: String,
    /// This dispatch (the order's dispatch history is one row per dispatch).
    pub dispatch_id: Uuid,
    pub from_unit_id: String,
    pub unit_id: String,
    /// The dispute that caused it.
    pub dispute_id: Option<Uuid>,
    pub kind: RequestKind,
    pub urgency: Urgency,
    pub decided_by: String,
    pub redispatched_at: DateTime<Utc>,
}

impl Event for OrderRedispatched {
    const TYPE: &'static str = "cn.gov.12345.order.redispatched.v1";
    fn subject(&self) -> String {
        event::ORDER_REDISPATCHED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.consultation_opened`: the order has neither a clear unit nor a known
/// region; it waits in the pre-dispatch consultation queue (会商, A12) until the center
/// decides its lead and co-handling units (then `order.dispatched` with basis
/// `consultation`, and `order.co_handling_assigned` per co-unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderConsultationOpened {
    pub order_id: Uuid,
    pub number: String,
    pub category: Option<String>,
    pub region_code: String,
    pub opened_at: DateTime<Utc>,
}

impl Event for OrderConsultationOpened {
    const TYPE: &'static str = "cn.gov.12345.order.consultation_opened.v1";
    fn subject(&self) -> String {
        event::ORDER_CONSULTATION_OPENED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.progress_reported`: a unit that cannot finish in time said why and
/// reported its interim progress (A14). The report stays with the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderProgressReported {
    pub order_id: Uuid,
    pub unit_id: String,
    pub report_id: Uuid,
    /// Why it cannot finish in time, as a code (e.g. `needs_site_survey`).
    pub reason_code: String,
    pub reported_by: String,
    pub reported_at: DateTime<Utc>,
}

impl Event for OrderProgressReported {
    const TYPE: &'static str = "cn.gov.12345.order.progress_reported.v1";
    fn subject(&self) -> String {
        event::ORDER_PROGRESS_REPORTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.extension_requested`: a unit asked the center for more time (A14); the
/// center answers with `order.extension_granted` (same `extension_id`) or
/// `order.extension_refused`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderExtensionRequested {
    pub order_id: Uuid,
    pub unit_id: String,
    pub extension_id: Uuid,
    pub extension: TimeLimit,
    pub reason_code: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

impl Event for OrderExtensionRequested {
    const TYPE: &'static str = "cn.gov.12345.order.extension_requested.v1";
    fn subject(&self) -> String {
        event::ORDER_EXTENSION_REQUESTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.extension_refused`: the center refused an extension request; the
/// deadline stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderExtensionRefused {
    pub order_id: Uuid,
    pub unit_id: String,
    pub extension_id: Uuid,
    pub refused_by: String,
    pub refused_at: DateTime<Utc>,
}

impl Event for OrderExtensionRefused {
    const TYPE: &'static str = "cn.gov.12345.order.extension_refused.v1";
    fn subject(&self) -> String {
        event::ORDER_EXTENSION_REFUSED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.sent_back`: the center's review disagreed with a result and, with the
/// approval of the center's head, sent the order back to the same unit (A16.2); it counts
/// as a redo. Published by supervision (issue 7); the router returns the order to the
/// unit, which submits a new result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSentBack {
    pub order_id: Uuid,
    /// The unit whose result was sent back (and which gets the order again).
    pub unit_id: String,
    /// The result sent back.
    pub result_id: Uuid,
    /// What was wrong, as a code (e.g. `reply_incomplete`).
    pub reason_code: String,
    pub sent_back_by: String,
    pub sent_back_at: DateTime<Utc>,
}

impl Event for OrderSentBack {
    const TYPE: &'static str = "cn.gov.12345.order.sent_back.v1";
    fn subject(&self) -> String {
        event::ORDER_SENT_BACK.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispute_reason_codes_round_trip_and_match_serde() {
        for r in [
            DisputeReason::NotOurDuty,
            DisputeReason::NotOurTerritory,
            DisputeReason::HandledElsewhere,
        ] {
            assert_eq!(DisputeReason::from_code(r.code()), Some(r));
            assert_eq!(
                serde_json::to_value(r).ok(),
                Some(serde_json::Value::from(r.code()))
            );
        }
        assert_eq!(DisputeReason::from_code("other"), None);
    }
}
