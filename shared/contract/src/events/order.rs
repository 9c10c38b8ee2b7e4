//! Work-order lifecycle events (see the lifecycle in docs/architecture.md).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Event;
use crate::subjects::event;
use crate::vocabulary::{Channel, RequestKind, RequesterType, Urgency};

/// The requester as other services may see them: never a name, an address or a phone
/// number in clear (A21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequesterRef {
    #[serde(rename = "type")]
    pub requester_type: RequesterType,
    /// `138****1234`: enough for an agent to confirm a call-back number.
    pub phone_masked: Option<String>,
    /// Keyed hash (HMAC-SHA-256, hex) of the normalised phone number: lets repeat
    /// detection and analytics group requests by requester without knowing who it is.
    pub phone_hash: Option<String>,
    /// A confidential requester is hidden from the handling unit (A21).
    pub confidential: bool,
}

/// `hotline.order.registered`: intake registered a request as a work order (A11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRegistered {
    pub order_id: Uuid,
    /// The human-readable number the requester uses to follow the order.
    pub number: String,
    pub channel: Channel,
    pub kind: RequestKind,
    /// Category from the dispatch catalogue; may be unknown at intake.
    pub category: Option<String>,
    /// GB/T 2260 administrative division code (6 digits) of the matter's place.
    pub region_code: String,
    pub urgency: Urgency,
    pub requester: RequesterRef,
    /// When the requester made the request (A11: time of request).
    pub requested_at: DateTime<Utc>,
    pub registered_at: DateTime<Utc>,
    /// The agent who registered it; absent for web messages.
    pub registered_by: Option<String>,
}

impl Event for OrderRegistered {
    const TYPE: &'static str = "cn.gov.12345.order.registered.v1";
    fn subject(&self) -> String {
        event::ORDER_REGISTERED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// Why the router chose the unit (A9, A12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchBasis {
    /// A dispatch rule matched: clear duty and jurisdiction (职权法定).
    Rule,
    /// No rule, region known: the region's government organises the handling (属地管理).
    Territorial,
}

/// `hotline.order.dispatched`: the order went to a handling unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDispatched {
    pub order_id: Uuid,
    pub number: String,
    pub unit_id: String,
    pub basis: DispatchBasis,
    /// The rule that decided it, when `basis` is `rule` (every dispatch records its rule).
    pub rule_id: Option<String>,
    pub kind: RequestKind,
    pub urgency: Urgency,
    pub dispatched_at: DateTime<Utc>,
}

impl DispatchBasis {
    /// The wire code (same as the serde form).
    pub fn code(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::Territorial => "territorial",
        }
    }
}

impl Event for OrderDispatched {
    const TYPE: &'static str = "cn.gov.12345.order.dispatched.v1";
    fn subject(&self) -> String {
        event::ORDER_DISPATCHED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.signed`: the unit signed for the order (A15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSigned {
    pub order_id: Uuid,
    pub unit_id: String,
    /// The unit's staff member who signed.
    pub signed_by: String,
    pub signed_at: DateTime<Utc>,
}

impl Event for OrderSigned {
    const TYPE: &'static str = "cn.gov.12345.order.signed.v1";
    fn subject(&self) -> String {
        event::ORDER_SIGNED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// Which parts a result contains (A16: basis, time, findings, reply). The texts stay with
/// the router (they may name people); reviewers fetch them by request/reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultChecklist {
    pub basis_given: bool,
    pub findings_given: bool,
    pub reply_given: bool,
    /// The date the unit promises the matter done by, when not done yet.
    pub promised_by: Option<NaiveDate>,
}

impl ResultChecklist {
    /// A16: a complete result has a basis, findings and a reply.
    pub fn is_complete(&self) -> bool {
        self.basis_given && self.findings_given && self.reply_given
    }
}

/// `hotline.order.result_submitted`: the unit submitted its result (A16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResultSubmitted {
    pub order_id: Uuid,
    pub unit_id: String,
    pub result_id: Uuid,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub checklist: ResultChecklist,
}

impl Event for OrderResultSubmitted {
    const TYPE: &'static str = "cn.gov.12345.order.result_submitted.v1";
    fn subject(&self) -> String {
        event::ORDER_RESULT_SUBMITTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// How an order came to be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closure {
    /// The center reviewed the unit's result and accepted it (A16).
    ResultAccepted,
    /// A consultation answered at once from the knowledge base (A9).
    AnsweredDirectly,
}

/// `hotline.order.closed`: the order is closed and archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderClosed {
    pub order_id: Uuid,
    pub closure: Closure,
    /// The reviewer, or `rule:<name>` when an automatic check decided.
    pub closed_by: String,
    pub closed_at: DateTime<Utc>,
}

impl Event for OrderClosed {
    const TYPE: &'static str = "cn.gov.12345.order.closed.v1";
    fn subject(&self) -> String {
        event::ORDER_CLOSED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}
