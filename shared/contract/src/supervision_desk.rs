//! Request and reply bodies of supervision's desks (issue 7): the center's reviewers
//! propose sending a result back and the center's head approves (A16, two people); cases
//! against units are opened by hand, the unit reports its rectification, the center closes
//! the case (A17, A18).
//!
//! The review desk (A16) also serves the reviewers' queue, their checklist beyond
//! completeness, the call-back to the requester, and the archive record written when a
//! result is accepted.
//!
//! Until logins come (issue 10) the acting person and their role are request fields;
//! supervision checks the role against the step and refuses with `forbidden`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::{ResultChecklist, SupervisionLevel, SupervisionMeasure};
use crate::vocabulary::{RequestKind, SatisfactionVerdict};

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
    /// The reviewer's checklist items that failed (A16): every item recorded as failed on
    /// the result must be cited, and only those.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_items: Vec<ReviewItem>,
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

/// An item of the reviewer's checklist beyond completeness (A16: the center checks the
/// result against the matter). Accepting a result requires every item recorded as passed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewItem {
    /// 办理依据已引用
    BasisCited,
    /// 办理时间或承诺办结时间已写明
    TimeGiven,
    /// 调查核实情况已写明
    FindingsPresent,
    /// 已答复群众且答复合理可信
    ReplyPlausible,
    /// 答复回应了所反映的诉求
    ReplyAnswersMatter,
    /// 承办单位正确
    RightUnit,
}

impl ReviewItem {
    /// Every item, in the order the checklist shows them.
    pub const ALL: [Self; 6] = [
        Self::BasisCited,
        Self::TimeGiven,
        Self::FindingsPresent,
        Self::ReplyPlausible,
        Self::ReplyAnswersMatter,
        Self::RightUnit,
    ];

    /// The wire code (same as the serde form).
    pub fn code(self) -> &'static str {
        match self {
            Self::BasisCited => "basis_cited",
            Self::TimeGiven => "time_given",
            Self::FindingsPresent => "findings_present",
            Self::ReplyPlausible => "reply_plausible",
            Self::ReplyAnswersMatter => "reply_answers_matter",
            Self::RightUnit => "right_unit",
        }
    }

    /// The Chinese label shown to reviewers.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::BasisCited => "办理依据已引用",
            Self::TimeGiven => "办理时间已写明",
            Self::FindingsPresent => "调查核实情况已写明",
            Self::ReplyPlausible => "已答复且答复合理可信",
            Self::ReplyAnswersMatter => "答复回应了诉求",
            Self::RightUnit => "承办单位正确",
        }
    }

    /// The item a code names, if any.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|item| item.code() == code)
    }
}

/// Which results the review queue lists.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewQueueStatus {
    /// Submitted results waiting for a reviewer (including those with a send-back
    /// proposal waiting for the head).
    #[default]
    Pending,
}

/// The most results one page of the queue holds, and the page size when none is asked.
pub const REVIEW_QUEUE_MAX_LIMIT: u32 = 200;
pub const REVIEW_QUEUE_DEFAULT_LIMIT: u32 = 50;

/// `rpc.supervision.review_queue`: the reviewers' work queue (A16), oldest submission
/// first, one page at a time.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewQueueQuery {
    #[serde(default)]
    pub status: ReviewQueueStatus,
    /// 1 to [`REVIEW_QUEUE_MAX_LIMIT`]; [`REVIEW_QUEUE_DEFAULT_LIMIT`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The `next_after` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// One result waiting for review.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueueItem {
    pub order_id: Uuid,
    /// The order's number (absent until supervision has seen the order dispatched).
    pub number: Option<String>,
    pub unit_id: String,
    /// The request kind (absent like `number`).
    pub kind: Option<RequestKind>,
    pub result_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    /// Which parts the result contains (absent for results recorded before supervision
    /// kept it).
    pub checklist: Option<ResultChecklist>,
    /// A send-back proposal waits for the head's approval.
    pub send_back_pending: bool,
    /// The proposal waiting for the head's approval (absent when none waits, and from
    /// supervision versions before the head's list of pending send-backs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<Uuid>,
}

/// Reply to [`ReviewQueueQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueue {
    pub items: Vec<ReviewQueueItem>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// One checklist item as the reviewer records it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckEntry {
    pub item: ReviewItem,
    pub passed: bool,
    /// 说明 (optional; no personal data: no phone numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `rpc.supervision.record_checklist`: the reviewer records checklist items for the
/// result under review (A16). An item recorded again replaces its earlier value (the trail
/// keeps both).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordChecklistCommand {
    pub order_id: Uuid,
    pub items: Vec<CheckEntry>,
    /// The reviewer judges the handling poor (A17); absent: unchanged. With an
    /// "unsatisfied" call-back this opens a supervision case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poor_handling: Option<bool>,
    pub recorded_by: String,
    pub role: CenterRole,
}

/// A recorded checklist item.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCheck {
    pub item: ReviewItem,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// The reviewer's checklist of a result as it stands (reply to
/// [`RecordChecklistCommand`]).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewChecklist {
    pub order_id: Uuid,
    pub result_id: Uuid,
    /// Recorded items, in checklist order.
    pub items: Vec<RecordedCheck>,
    /// Items not recorded yet.
    pub missing: Vec<ReviewItem>,
    pub poor_handling: bool,
    /// Every item recorded and passed: the result may be accepted.
    pub all_passed: bool,
    /// The supervision case this step opened (unsatisfied requester, poor handling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
}

/// `rpc.supervision.record_call_back`: the reviewer called the requester back about the
/// result under review (A16). No personal data: the record holds no phone number, and
/// `verified` may not contain one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCallBackCommand {
    pub order_id: Uuid,
    /// Whether the requester was reached.
    pub reached: bool,
    /// 核实情况: what was verified with the requester (required when reached).
    #[serde(default)]
    pub verified: String,
    /// The requester's verdict: required when reached, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<SatisfactionVerdict>,
    pub called_by: String,
    pub role: CenterRole,
}

/// A recorded call-back.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallBack {
    pub call_back_id: Uuid,
    pub result_id: Uuid,
    pub reached: bool,
    pub verified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<SatisfactionVerdict>,
    pub called_by: String,
    pub called_at: DateTime<Utc>,
}

/// Reply to [`RecordCallBackCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallBackReceipt {
    pub order_id: Uuid,
    pub call_back: CallBack,
    /// The supervision case this step opened (unsatisfied requester, poor handling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
}

/// `rpc.supervision.archive`: the archive record of a closed order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveQuery {
    /// The order's number (an order id is accepted too).
    pub number: String,
}

/// The archive record (A16: closed and archived), written when the result is accepted and
/// never changed afterwards (the database refuses UPDATE and DELETE).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveRecord {
    pub order_id: Uuid,
    pub number: Option<String>,
    pub unit_id: String,
    pub kind: Option<RequestKind>,
    pub result_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    /// Which parts the result contains.
    pub result_checklist: Option<ResultChecklist>,
    /// The reviewer's checklist (empty when the automatic completeness check accepted).
    pub review_checklist: Vec<RecordedCheck>,
    pub poor_handling: bool,
    /// Every call-back to the requester about this result, oldest first.
    pub call_backs: Vec<CallBack>,
    /// `accepted`.
    pub decision: String,
    /// The reviewer, or `rule:complete-result`.
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    /// The trail row of the acceptance (its strand and seq) and its hash (hex): the chain
    /// up to the archive. Strand 0 is left out of the JSON, so records written before the
    /// trail had strands read and digest as they did.
    #[serde(default, skip_serializing_if = "is_strand_zero")]
    pub trail_strand: i16,
    pub trail_seq: i64,
    pub trail_hash: String,
}

fn is_strand_zero(strand: &i16) -> bool {
    *strand == 0
}

/// The most cases one reply of [`CasesQuery`] holds, and the count when none is asked.
pub const CASES_MAX_LIMIT: u32 = 200;
pub const CASES_DEFAULT_LIMIT: u32 = 50;

/// `rpc.supervision.cases`: the supervision cases not closed yet (督办案件, A17, A18),
/// the most recently opened first; read by the supervision board. No personal data.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesQuery {
    /// Only this unit's cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
    /// 1 to [`CASES_MAX_LIMIT`]; [`CASES_DEFAULT_LIMIT`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One open (or rectified, not yet closed) supervision case.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub case_id: Uuid,
    pub order_id: Uuid,
    /// The order's number (absent until supervision has seen the order dispatched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub unit_id: String,
    /// Why the case was opened, as a code (e.g. `overdue`, `refused`, `poor_handling`).
    pub reason_code: String,
    /// The level the case stands at now.
    pub level: SupervisionLevel,
    /// `open` or `rectified`.
    pub status: String,
    pub opened_at: DateTime<Utc>,
    /// How often the case was escalated (升级督办, A18).
    pub escalations: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_escalated_at: Option<DateTime<Utc>>,
}

/// Reply to [`CasesQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseList {
    pub items: Vec<CaseSummary>,
}
