//! Work-order lifecycle events (see the lifecycle in docs/architecture.md).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Event;
use super::deadline::TimeLimit;
use crate::subjects::event;
use crate::vocabulary::{Channel, RedirectReason, RequestKind, RequesterType, Urgency};

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
    /// A new order with new facts about an earlier one (A10.3): the earlier order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_of: Option<Uuid>,
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
    /// Neither: the center decided after a pre-dispatch consultation (会商, A12).
    Consultation,
    /// The center redispatched it after a dispute (A13).
    Dispute,
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
            Self::Consultation => "consultation",
            Self::Dispute => "dispute",
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultChecklist {
    pub basis_given: bool,
    pub findings_given: bool,
    pub reply_given: bool,
    /// The date the unit promises the matter done by, when not done yet.
    pub promised_by: Option<NaiveDate>,
}

impl ResultChecklist {
    /// A result with a basis, findings and a reply, and no promised date: complete (A16).
    pub fn complete() -> Self {
        Self {
            basis_given: true,
            findings_given: true,
            reply_given: true,
            promised_by: None,
        }
    }

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

/// `hotline.order.answered`: a consultation answered at once from the knowledge base and
/// closed (A9). Carries the registration facts, since the order is never dispatched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAnswered {
    pub registration: OrderRegistered,
    pub article_id: String,
    pub article_version: u32,
    /// The agent who chose the article, or `rule:<name>` for an automatic answer.
    pub answered_by: String,
    pub answered_at: DateTime<Utc>,
}

impl Event for OrderAnswered {
    const TYPE: &'static str = "cn.gov.12345.order.answered.v1";
    fn subject(&self) -> String {
        event::ORDER_ANSWERED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.registration.order_id.to_string()
    }
}

/// `hotline.order.redirected`: closed at intake with the proper route told, or an
/// explanation or persuasion given (A10.2, A10.4, A10.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRedirected {
    pub registration: OrderRegistered,
    pub reason: RedirectReason,
    pub decided_by: String,
    pub redirected_at: DateTime<Utc>,
}

impl Event for OrderRedirected {
    const TYPE: &'static str = "cn.gov.12345.order.redirected.v1";
    fn subject(&self) -> String {
        event::ORDER_REDIRECTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.registration.order_id.to_string()
    }
}

/// `hotline.order.repeat_linked`: a repeat of an earlier order with no new facts or
/// reasons; linked to it and closed, the requester told its progress or result (A10.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRepeatLinked {
    pub registration: OrderRegistered,
    pub earlier_order_id: Uuid,
    pub earlier_number: String,
    pub decided_by: String,
    pub linked_at: DateTime<Utc>,
}

impl Event for OrderRepeatLinked {
    const TYPE: &'static str = "cn.gov.12345.order.repeat_linked.v1";
    fn subject(&self) -> String {
        event::ORDER_REPEAT_LINKED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.registration.order_id.to_string()
    }
}

/// `hotline.order.transfer_requested`: an emergency or utility matter to be transferred
/// at once to a partner hotline (A10.1); the emergency bridge carries it. Contact details
/// are not in the event: the bridge asks intake for what the partner needs, and intake
/// records that disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransferRequested {
    pub registration: OrderRegistered,
    /// The partner hotline: `110`, `119`, `120`, `122`, a utility or sub-center code.
    pub partner_code: String,
    /// True for 110/119/120/122: the bridge uses its emergency lane.
    pub emergency: bool,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

impl Event for OrderTransferRequested {
    const TYPE: &'static str = "cn.gov.12345.order.transfer_requested.v1";
    fn subject(&self) -> String {
        // A10.1: emergencies on their own subject (the bridge's emergency lane).
        if self.emergency {
            event::ORDER_TRANSFER_REQUESTED_EMERGENCY.to_owned()
        } else {
            event::ORDER_TRANSFER_REQUESTED.to_owned()
        }
    }
    fn aggregate_id(&self) -> String {
        self.registration.order_id.to_string()
    }
}

/// How the satisfaction visit was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitChannel {
    /// An agent called the requester back.
    AgentCallback,
    /// The requester answered online with the number and check code.
    Online,
}

/// `hotline.order.satisfaction_recorded`: the requester's verdict after closing (回访; A18
/// counts satisfaction). The requester's comment stays in intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSatisfactionRecorded {
    pub order_id: Uuid,
    pub verdict: crate::vocabulary::SatisfactionVerdict,
    /// Whether the requester considers the matter resolved.
    pub resolved: bool,
    pub via: VisitChannel,
    /// The agent, or `requester` for an online answer.
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

impl Event for OrderSatisfactionRecorded {
    const TYPE: &'static str = "cn.gov.12345.order.satisfaction_recorded.v1";
    fn subject(&self) -> String {
        event::ORDER_SATISFACTION_RECORDED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.extension_granted`: the center approved a unit's request for more time to
/// handle the order (A14: a unit that cannot finish in time says why; extension requests go
/// to the center). The handling deadline moves by `extension`, counted from the deadline in
/// force (docs/deadlines.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderExtensionGranted {
    pub order_id: Uuid,
    pub unit_id: String,
    /// The approval, so a repeated grant is applied once.
    pub extension_id: Uuid,
    pub extension: TimeLimit,
    /// The unit's reason, as a code (free text stays with the router).
    pub reason_code: String,
    /// The center's staff member who approved.
    pub approved_by: String,
    pub granted_at: DateTime<Utc>,
}

impl Event for OrderExtensionGranted {
    const TYPE: &'static str = "cn.gov.12345.order.extension_granted.v1";
    fn subject(&self) -> String {
        event::ORDER_EXTENSION_GRANTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// Why the handling of an order is suspended (挂起): time the unit cannot act, which the
/// policy may take off its clock.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspensionReason {
    /// Waiting for the requester to supply facts or documents.
    AwaitingRequester,
    /// Waiting for an inspection, test, appraisal or survey (检验、检测、鉴定).
    AwaitingAppraisal,
    /// Waiting for another statutory procedure (e.g. a court, an arbitration) to finish.
    AwaitingOtherProcedure,
}

/// `hotline.order.suspended`: the center approved suspending the handling (挂起); clocks
/// whose policy stops while suspended pause until `order.resumed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSuspended {
    pub order_id: Uuid,
    pub unit_id: String,
    pub reason: SuspensionReason,
    pub approved_by: String,
    pub suspended_at: DateTime<Utc>,
}

impl Event for OrderSuspended {
    const TYPE: &'static str = "cn.gov.12345.order.suspended.v1";
    fn subject(&self) -> String {
        event::ORDER_SUSPENDED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.resumed`: the handling of a suspended order goes on; paused clocks
/// restart with the time they had left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResumed {
    pub order_id: Uuid,
    pub unit_id: String,
    pub resumed_at: DateTime<Utc>,
}

impl Event for OrderResumed {
    const TYPE: &'static str = "cn.gov.12345.order.resumed.v1";
    fn subject(&self) -> String {
        event::ORDER_RESUMED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.co_handling_assigned`: a unit was given part of the order to handle with
/// the lead unit (A14: the first receiver leads; co-handling units report their part to
/// it within their own limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCoHandlingAssigned {
    pub order_id: Uuid,
    pub lead_unit_id: String,
    /// The co-handling unit.
    pub unit_id: String,
    pub assigned_at: DateTime<Utc>,
}

impl Event for OrderCoHandlingAssigned {
    const TYPE: &'static str = "cn.gov.12345.order.co_handling_assigned.v1";
    fn subject(&self) -> String {
        event::ORDER_CO_HANDLING_ASSIGNED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.co_handling_reported`: a co-handling unit reported its part to the lead
/// unit (A14). The report itself stays with the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCoHandlingReported {
    pub order_id: Uuid,
    pub lead_unit_id: String,
    pub unit_id: String,
    pub reported_at: DateTime<Utc>,
}

impl Event for OrderCoHandlingReported {
    const TYPE: &'static str = "cn.gov.12345.order.co_handling_reported.v1";
    fn subject(&self) -> String {
        event::ORDER_CO_HANDLING_REPORTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}
