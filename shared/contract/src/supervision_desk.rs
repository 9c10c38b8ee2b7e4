//! Request and reply bodies of supervision's desks (issue 7): the center's reviewers
//! propose sending a result back and the center's head approves (A16, two people); cases
//! against units are opened by hand, the unit reports its rectification, the center closes
//! the case (A17, A18).
//!
//! Until logins come (issue 10) the acting person and their role are request fields;
//! supervision checks the role against the step and refuses with `forbidden`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::{SupervisionLevel, SupervisionMeasure};

/// Who acts at the center (A16: the reviewer proposes, the head approves).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CenterRole {
    /// 审核员: reviews results, proposes send-backs, opens cases.
    Reviewer,
    /// 中心负责人: the center's head; approves send-backs, closes cases.
    Head,
}

/// `rpc.supervision.accept_result`: a reviewer accepts the result under review; the order
/// closes (A16).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptResultCommand {
    pub order_id: Uuid,
    pub accepted_by: String,
    pub role: CenterRole,
}

/// Reply to [`AcceptResultCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultAcceptance {
    pub order_id: Uuid,
    pub result_id: Uuid,
    pub accepted_at: DateTime<Utc>,
}

/// `rpc.supervision.propose_send_back`: a reviewer proposes sending the result under review
/// back to its unit (A16).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposeSendBackCommand {
    pub order_id: Uuid,
    /// What is wrong, as a code (e.g. `reply_incomplete`), carried by `order.sent_back`.
    pub reason_code: String,
    /// 退回理由: the reasons in words (stays in supervision).
    pub reasons: String,
    pub proposed_by: String,
    pub role: CenterRole,
}

/// Reply to [`ProposeSendBackCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendBackProposal {
    pub proposal_id: Uuid,
    pub order_id: Uuid,
    pub result_id: Uuid,
    pub unit_id: String,
    pub proposed_at: DateTime<Utc>,
}

/// `rpc.supervision.approve_send_back`: the center's head approves a proposed send-back.
/// The proposer cannot approve their own proposal.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveSendBackCommand {
    pub proposal_id: Uuid,
    pub approved_by: String,
    pub role: CenterRole,
}

/// What an approved send-back did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendBackOutcome {
    /// `order.sent_back`: the same unit redoes the order.
    SentBack,
    /// The order had been sent back before: a supervision case instead of a third round.
    CaseOpened,
}

/// Reply to [`ApproveSendBackCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendBackApproval {
    pub proposal_id: Uuid,
    pub order_id: Uuid,
    pub outcome: SendBackOutcome,
    /// The case opened, when `outcome` is `case_opened`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    pub approved_at: DateTime<Utc>,
}

/// `rpc.supervision.open_case`: the center opens a case by hand (a refusal, poor handling).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseCommand {
    pub order_id: Uuid,
    pub unit_id: String,
    /// Why, as a code (e.g. `refused`, `poor_handling`).
    pub reason_code: String,
    /// The first measure; a supervision notice when not given.
    #[serde(default)]
    pub measure: Option<SupervisionMeasure>,
    pub opened_by: String,
    pub role: CenterRole,
}

/// A case as it stands (reply to the case commands).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReceipt {
    pub case_id: Uuid,
    pub order_id: Uuid,
    pub unit_id: String,
    pub level: SupervisionLevel,
    /// `open`, `rectified` or `closed`.
    pub status: String,
    pub at: DateTime<Utc>,
}

/// `rpc.supervision.report_rectification`: the supervised unit reports what it rectified
/// (A18).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRectificationCommand {
    pub case_id: Uuid,
    pub unit_id: String,
    /// 整改情况
    pub report: String,
    pub reported_by: String,
}

/// `rpc.supervision.close_case`: the center ends a case.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseCaseCommand {
    pub case_id: Uuid,
    pub closed_by: String,
    pub role: CenterRole,
}
