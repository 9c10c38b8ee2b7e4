//! Request and reply bodies of the router's desks (issue 5): what units and the center ask
//! of the router after the first dispatch. Units: dispute an order (A13), report progress
//! and ask for more time or a suspension (A14), report a co-handling part to the lead unit
//! (A14), see their orders. The center: decide disputes (and the authority, after
//! escalation), assign co-handling units, decide requests, run the pre-dispatch
//! consultation (会商, A12), read dispatch accuracy (A12).
//!
//! Every unit command names the acting unit (`unit_id`); the router checks it against the
//! order's assignment. Until logins come (issue 10) the unit id is a request field.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::{DisputeDecider, DisputeOutcome, DisputeReason, SuspensionReason, TimeLimit};

/// `rpc.router.dispute`: a unit disputes an order dispatched to it, before signing (A13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeCommand {
    pub number: String,
    pub unit_id: String,
    pub reason: DisputeReason,
    /// 异议理由: the facts behind the reason, in the unit's words (stays in the router).
    pub explanation: String,
    /// The unit it believes responsible, where it can name one.
    #[serde(default)]
    pub proposed_unit_id: Option<String>,
    pub disputed_by: String,
}

/// Reply to [`DisputeCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeReceipt {
    pub order_id: Uuid,
    pub number: String,
    pub dispute_id: Uuid,
    pub disputed_at: DateTime<Utc>,
}

/// `rpc.router.decide_dispute`: the center (an open dispute) or the authority (an
/// escalated one, finally) upholds the dispatch or redispatches the order (A13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideDisputeCommand {
    pub dispute_id: Uuid,
    pub decider: DisputeDecider,
    pub outcome: DisputeOutcome,
    /// The new unit, for `redispatched`.
    #[serde(default)]
    pub unit_id: Option<String>,
    pub decided_by: String,
}

/// Reply to [`DecideDisputeCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeDecision {
    pub dispute_id: Uuid,
    pub order_id: Uuid,
    pub outcome: DisputeOutcome,
    pub decider: DisputeDecider,
    /// The unit that has the order now.
    pub unit_id: String,
    /// The authority rejected the dispute: recorded as improper (A17).
    pub improper: bool,
    pub decided_at: DateTime<Utc>,
}

/// `rpc.router.escalate_dispute`: the center sends a dispute it cannot settle to the
/// authority (disputes left open too long go up on their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalateDisputeCommand {
    pub dispute_id: Uuid,
    pub escalated_by: String,
}

/// Reply to [`EscalateDisputeCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationReceipt {
    pub dispute_id: Uuid,
    pub order_id: Uuid,
    pub escalated_at: DateTime<Utc>,
}

/// `rpc.router.assign_co_handling`: the center gives co-handling units a part of the order
/// (A14); the order's unit leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignCoHandlingCommand {
    pub number: String,
    pub unit_ids: Vec<String>,
    pub assigned_by: String,
}

/// Reply to [`AssignCoHandlingCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoHandlingReceipt {
    pub order_id: Uuid,
    pub lead_unit_id: String,
    pub unit_ids: Vec<String>,
    pub assigned_at: DateTime<Utc>,
}

/// `rpc.router.report_co_handling`: a co-handling unit reports its part to the lead unit
/// (A14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportCoHandlingCommand {
    pub number: String,
    pub unit_id: String,
    /// The part's findings and what was done (stays in the router; the lead unit reads it).
    pub report: String,
    pub reported_by: String,
}

/// `rpc.router.report_progress`: a unit that cannot finish in time says why and reports
/// its interim progress (A14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportProgressCommand {
    pub number: String,
    pub unit_id: String,
    /// Why it cannot finish in time, as a code (`needs_site_survey`, ...).
    pub reason_code: String,
    /// 阶段性办理情况.
    pub progress: String,
    pub reported_by: String,
}

/// Reply to a unit's report (co-handling part or interim progress).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReceipt {
    pub order_id: Uuid,
    pub number: String,
    pub report_id: Uuid,
    pub reported_at: DateTime<Utc>,
}

/// `rpc.router.request_extension`: a unit asks the center for more time (A14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestExtensionCommand {
    pub number: String,
    pub unit_id: String,
    pub extension: TimeLimit,
    pub reason_code: String,
    /// The reason in the unit's words.
    pub explanation: String,
    pub requested_by: String,
}

/// `rpc.router.request_suspension`: a unit asks the center to suspend the handling (挂起).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSuspensionCommand {
    pub number: String,
    pub unit_id: String,
    pub reason: SuspensionReason,
    pub explanation: String,
    pub requested_by: String,
}

/// Reply to a unit's extension or suspension request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRequestReceipt {
    /// For an extension, also its `extension_id` in the events.
    pub request_id: Uuid,
    pub order_id: Uuid,
    pub number: String,
    pub requested_at: DateTime<Utc>,
}

/// `rpc.router.decide_request`: the center approves or refuses a unit's extension or
/// suspension request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideRequestCommand {
    pub request_id: Uuid,
    pub approve: bool,
    pub decided_by: String,
}

/// Reply to [`DecideRequestCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDecision {
    pub request_id: Uuid,
    pub order_id: Uuid,
    /// `extension` or `suspension`.
    pub kind: String,
    pub approved: bool,
    pub decided_at: DateTime<Utc>,
}

/// `rpc.router.resume`: the center ends a suspension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeCommand {
    pub number: String,
    pub resumed_by: String,
}

/// Reply to [`ResumeCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeReceipt {
    pub order_id: Uuid,
    pub number: String,
    pub resumed_at: DateTime<Utc>,
}

/// `rpc.router.unit_order`: one order as a unit sees it; only its lead or co-handling unit
/// may ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitOrderQuery {
    pub number: String,
    pub unit_id: String,
}

/// A co-handling unit of an order and its report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoUnitView {
    pub unit_id: String,
    pub assigned_at: DateTime<Utc>,
    pub reported_at: Option<DateTime<Utc>>,
    /// The report, shown to the lead unit and to the co-unit itself.
    pub report: Option<String>,
}

/// One dispute of an order and where it stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeView {
    pub dispute_id: Uuid,
    pub unit_id: String,
    pub reason: DisputeReason,
    pub proposed_unit_id: Option<String>,
    /// `open`, `escalated`, `upheld` or `redispatched`.
    pub status: String,
    pub improper: bool,
    pub disputed_at: DateTime<Utc>,
    /// Every step (`disputed`, `escalated`, `upheld`, `redispatched`, `marked_improper`).
    pub steps: Vec<DisputeStep>,
}

/// One recorded step of a dispute (A13: every step is recorded).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeStep {
    pub step: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// Reply to [`UnitOrderQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitOrderView {
    pub order_id: Uuid,
    pub number: String,
    /// The lead unit (the order's unit).
    pub lead_unit_id: String,
    /// `lead` or `co_handling`: the asking unit's part.
    pub role: String,
    /// `dispatched`, `signed` or `result_submitted`.
    pub status: String,
    pub suspended: bool,
    /// How many times a result was sent back (A16: each is a redo).
    pub redo_count: i32,
    /// `rule`, `territorial`, `consultation` or `dispute`.
    pub basis: String,
    /// The rule that decided the current dispatch and its version.
    pub rule_id: Option<String>,
    pub rule_version: Option<i32>,
    pub dispatched_at: DateTime<Utc>,
    pub co_units: Vec<CoUnitView>,
    pub disputes: Vec<DisputeView>,
}

/// `rpc.router.unit_orders`: the orders a unit leads or co-handles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitOrdersQuery {
    pub unit_id: String,
}

/// One line of [`UnitOrders`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitOrderLine {
    pub number: String,
    pub role: String,
    pub status: String,
    pub dispatched_at: DateTime<Utc>,
}

/// Reply to [`UnitOrdersQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitOrders {
    pub unit_id: String,
    pub orders: Vec<UnitOrderLine>,
}

/// `rpc.router.consultations`: the pre-dispatch consultation queue (会商, A12). The body is
/// `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultationQueueQuery {}

/// A unit invited to a consultation and its view.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationInvitee {
    pub unit_id: String,
    pub invited_at: DateTime<Utc>,
    pub view: Option<String>,
    /// Whether the unit considers the matter within its duties.
    pub within_duties: Option<bool>,
    pub responded_at: Option<DateTime<Utc>>,
}

/// One order waiting for consultation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationView {
    pub order_id: Uuid,
    pub number: String,
    pub category: Option<String>,
    pub region_code: String,
    pub opened_at: DateTime<Utc>,
    pub invitees: Vec<ConsultationInvitee>,
}

/// Reply to [`ConsultationQueueQuery`]: open consultations, oldest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationQueue {
    pub consultations: Vec<ConsultationView>,
}

/// `rpc.router.invite`: the center invites candidate units to a consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteUnitsCommand {
    pub number: String,
    pub unit_ids: Vec<String>,
    pub invited_by: String,
}

/// `rpc.router.record_view`: an invited unit gives its view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordViewCommand {
    pub number: String,
    pub unit_id: String,
    pub view: String,
    pub within_duties: bool,
    pub responded_by: String,
}

/// `rpc.router.decide_consultation`: the center decides the lead unit and the co-handling
/// units; the order is dispatched to the lead (basis `consultation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideConsultationCommand {
    pub number: String,
    pub lead_unit_id: String,
    #[serde(default)]
    pub co_unit_ids: Vec<String>,
    pub decided_by: String,
}

/// Reply to the consultation commands: the consultation as it stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationReceipt {
    pub order_id: Uuid,
    pub number: String,
    /// `open` or `decided`.
    pub status: String,
    pub lead_unit_id: Option<String>,
    pub co_unit_ids: Vec<String>,
    pub at: DateTime<Utc>,
}

/// `rpc.router.dispatch_accuracy`: the share of dispatches not changed after a dispute
/// (A12). The body is `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchAccuracyQuery {}

/// Accuracy of one group of dispatches.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyLine {
    /// The category (`(none)` without one) or the dispatcher (`rule:<id>`,
    /// `territorial`, or the center's staff id).
    pub key: String,
    pub dispatches: i64,
    pub changed_after_dispute: i64,
    /// `(dispatches - changed) / dispatches`; 1.0 when there are none.
    pub accuracy: f64,
}

/// Reply to [`DispatchAccuracyQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchAccuracy {
    pub overall: AccuracyLine,
    pub by_category: Vec<AccuracyLine>,
    pub by_dispatcher: Vec<AccuracyLine>,
}
