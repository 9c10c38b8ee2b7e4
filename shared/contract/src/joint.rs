//! Joint handling with a partner hotline (A8: 联动, e.g. 12345 and 110 on a dispute that
//! needs the police on site): an order is marked for joint handling with a partner, the
//! partner is told, and both sides' steps are recorded in one log.
//!
//! - `rpc.emergency-bridge.start_joint_handling` ([`StartJointHandling`]) marks the order;
//!   the partner gets [`JointHandlingRequested`] on `hotline.transfer.<code>.joint_requested`.
//! - The partner reports its steps on `partner.<code>.joint.step` ([`PartnerJointStep`]);
//!   ours (dispatched, signed, progress, result, closed) come from the order's lifecycle
//!   events and go to the partner as [`JointStep`] on `hotline.transfer.<code>.joint.step`.
//! - `rpc.emergency-bridge.joint_handling` ([`JointHandlingQuery`]) lists the log, both
//!   sides in time order.
//!
//! Subjects follow the partner exchange's naming rule (`crate::transfer::subject`). No
//! payload carries anything about the requester (A21).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::Event;
use crate::transfer::subject;
use crate::vocabulary::{OrderStatus, RequestKind, Urgency};

/// `rpc.emergency-bridge.start_joint_handling`: handle an order jointly with a partner.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartJointHandling {
    pub number: String,
    pub partner_code: String,
    /// The staff member who decided it.
    pub started_by: String,
    /// Why, and what is asked of the partner (sent to it; no personal data).
    pub reason: String,
}

/// Reply to [`StartJointHandling`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointHandlingStarted {
    pub joint_id: Uuid,
    pub number: String,
    pub partner_code: String,
    pub started_at: DateTime<Utc>,
}

/// `hotline.transfer.<code>.joint_requested`: please handle this order with us (A8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointHandlingRequested {
    /// Our id of this joint handling (one per order and partner).
    pub joint_id: Uuid,
    pub partner_code: String,
    pub order_number: String,
    pub kind: RequestKind,
    pub region_code: String,
    pub urgency: Urgency,
    /// Where the order stands now.
    pub status: OrderStatus,
    /// What we ask of you, in our staff member's words.
    pub reason: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

impl Event for JointHandlingRequested {
    const TYPE: &'static str = "cn.gov.12345.transfer.joint_requested.v1";
    fn subject(&self) -> String {
        subject::to_partner_joint_requested(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.joint_id.to_string()
    }
}

/// `partner.<code>.joint.step`: a step the partner took on a jointly handled order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerJointStep {
    /// The partner's id of this step: sent again, it is recorded once.
    pub step_id: String,
    pub partner_code: String,
    pub order_number: String,
    /// What was done (e.g. `民警已到场处置`).
    pub text: String,
    /// Who did it, as the partner names them (an officer's name or unit).
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl Event for PartnerJointStep {
    const TYPE: &'static str = "cn.gov.12345.partner.joint_step.v1";
    fn subject(&self) -> String {
        subject::from_partner_joint_step(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.step_id.clone()
    }
}

/// `hotline.transfer.<code>.joint.step`: one of our steps on a jointly handled order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointStep {
    pub joint_id: Uuid,
    pub partner_code: String,
    pub order_number: String,
    /// `dispatched`, `signed`, `progress_reported`, `result_submitted`, `closed`.
    pub step: String,
    /// What happened, in Chinese.
    pub text: String,
    /// The unit or staff member who did it.
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl Event for JointStep {
    const TYPE: &'static str = "cn.gov.12345.transfer.joint_step.v1";
    fn subject(&self) -> String {
        subject::to_partner_joint_step(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.joint_id.to_string()
    }
}

/// `rpc.emergency-bridge.joint_handling`: the joint-handling log of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JointHandlingQuery {
    pub number: String,
}

/// Whose step it is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JointSide {
    /// 12345 and its handling units.
    Ours,
    /// The partner hotline.
    Partner,
}

/// A partner the order is handled with.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointPartner {
    pub joint_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub started_by: String,
    pub reason: String,
    pub started_at: DateTime<Utc>,
}

/// One step of the log.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointLogStep {
    pub partner_code: String,
    pub side: JointSide,
    /// `joint_requested`, one of [`JointStep::step`], or `partner_step`.
    pub step: String,
    pub text: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// Reply to [`JointHandlingQuery`]: the partners and every step, in time order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointHandlingLog {
    pub number: String,
    pub partners: Vec<JointPartner>,
    pub steps: Vec<JointLogStep>,
}
