//! Request/reply: subjects `rpc.<service>.<verb>` and the typed reply body.
//!
//! A reply is always JSON: `{"ok": <payload>}` on success or `{"error": {...}}` with a
//! machine-readable [`RpcErrorCode`], a message in words, and field-level details for
//! validation failures. The gateway maps codes to HTTP problem+json statuses.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vocabulary::{Channel, OrderStatus, RequestKind};

/// Build `rpc.<service>.<verb>` (un-prefixed; apply the namespace).
pub fn subject(service: &str, verb: &str) -> String {
    format!("rpc.{service}.{verb}")
}

/// Known request subjects.
pub mod verbs {
    pub const INTAKE_PROGRESS: (&str, &str) = ("intake", "progress");
    pub const ROUTER_SIGN: (&str, &str) = ("router", "sign");
    pub const ROUTER_SUBMIT_RESULT: (&str, &str) = ("router", "submit_result");
    pub const ANALYTICS_SUMMARY: (&str, &str) = ("analytics", "summary");
    pub const INTAKE_RECORD_SATISFACTION: (&str, &str) = ("intake", "record_satisfaction");
    pub const ROUTER_RESULT_REPLY: (&str, &str) = ("router", "result_reply");
    pub const INTAKE_REPEAT_CANDIDATES: (&str, &str) = ("intake", "repeat_candidates");
    pub const INTAKE_FLAG_HARASSMENT: (&str, &str) = ("intake", "flag_harassment");
    pub const DEADLINE_WATCHER_DUE: (&str, &str) = ("deadline-watcher", "due");
    pub const DEADLINE_WATCHER_CALENDAR: (&str, &str) = ("deadline-watcher", "calendar");
    // The knowledge base (bodies in `crate::knowledge`).
    pub const KNOWLEDGE_SEARCH: (&str, &str) = ("knowledge", "search");
    pub const KNOWLEDGE_SUGGEST: (&str, &str) = ("knowledge", "suggest");
    pub const KNOWLEDGE_ARTICLE: (&str, &str) = ("knowledge", "article");
    pub const KNOWLEDGE_HISTORY: (&str, &str) = ("knowledge", "history");
    pub const KNOWLEDGE_DIFF: (&str, &str) = ("knowledge", "diff");
    pub const KNOWLEDGE_DRAFT: (&str, &str) = ("knowledge", "draft");
    pub const KNOWLEDGE_SUBMIT: (&str, &str) = ("knowledge", "submit");
    pub const KNOWLEDGE_REVIEW: (&str, &str) = ("knowledge", "review");
    pub const KNOWLEDGE_PUBLISH: (&str, &str) = ("knowledge", "publish");
    pub const KNOWLEDGE_UNPUBLISH: (&str, &str) = ("knowledge", "unpublish");
    pub const KNOWLEDGE_FEEDBACK: (&str, &str) = ("knowledge", "feedback");
    pub const KNOWLEDGE_IMPORT: (&str, &str) = ("knowledge", "import");
    pub const KNOWLEDGE_EXPORT: (&str, &str) = ("knowledge", "export");
    pub const KNOWLEDGE_SYNONYMS: (&str, &str) = ("knowledge", "synonyms");
    pub const KNOWLEDGE_SET_SYNONYMS: (&str, &str) = ("knowledge", "set_synonyms");
    pub const KNOWLEDGE_REINDEX: (&str, &str) = ("knowledge", "reindex");
    pub const DEADLINE_WATCHER_DEADLINES: (&str, &str) = ("deadline-watcher", "deadlines");
    // The router's desks (bodies in `crate::dispatch_desk`).
    pub const ROUTER_DISPUTE: (&str, &str) = ("router", "dispute");
    pub const ROUTER_DECIDE_DISPUTE: (&str, &str) = ("router", "decide_dispute");
    pub const ROUTER_ESCALATE_DISPUTE: (&str, &str) = ("router", "escalate_dispute");
    pub const ROUTER_ASSIGN_CO_HANDLING: (&str, &str) = ("router", "assign_co_handling");
    pub const ROUTER_REPORT_CO_HANDLING: (&str, &str) = ("router", "report_co_handling");
    pub const ROUTER_REPORT_PROGRESS: (&str, &str) = ("router", "report_progress");
    pub const ROUTER_REQUEST_EXTENSION: (&str, &str) = ("router", "request_extension");
    pub const ROUTER_REQUEST_SUSPENSION: (&str, &str) = ("router", "request_suspension");
    pub const ROUTER_DECIDE_REQUEST: (&str, &str) = ("router", "decide_request");
    pub const ROUTER_RESUME: (&str, &str) = ("router", "resume");
    pub const ROUTER_UNIT_ORDER: (&str, &str) = ("router", "unit_order");
    pub const ROUTER_UNIT_ORDERS: (&str, &str) = ("router", "unit_orders");
    pub const ROUTER_CONSULTATIONS: (&str, &str) = ("router", "consultations");
    pub const ROUTER_INVITE: (&str, &str) = ("router", "invite");
    pub const ROUTER_RECORD_VIEW: (&str, &str) = ("router", "record_view");
    pub const ROUTER_DECIDE_CONSULTATION: (&str, &str) = ("router", "decide_consultation");
    pub const ROUTER_DISPATCH_ACCURACY: (&str, &str) = ("router", "dispatch_accuracy");
    // The router's directory (bodies in `crate::directory`).
    pub const ROUTER_EXPORT_UNITS: (&str, &str) = ("router", "export_units");
    pub const ROUTER_IMPORT_UNITS: (&str, &str) = ("router", "import_units");
    pub const ROUTER_CATALOGUE: (&str, &str) = ("router", "catalogue");
    pub const ROUTER_RULES: (&str, &str) = ("router", "rules");
    pub const ROUTER_SAVE_RULE: (&str, &str) = ("router", "save_rule");
    pub const ROUTER_RULE_HISTORY: (&str, &str) = ("router", "rule_history");
    // Analytics' KPI report (bodies in `crate::analytics`).
    pub const ANALYTICS_KPIS: (&str, &str) = ("analytics", "kpis");
    pub const ANALYTICS_MONITOR: (&str, &str) = ("analytics", "monitor");
    // Analytics' bulletins (bodies in `crate::bulletin`).
    pub const ANALYTICS_BULLETINS: (&str, &str) = ("analytics", "bulletins");
    pub const ANALYTICS_BULLETIN: (&str, &str) = ("analytics", "bulletin");
    pub const ANALYTICS_GENERATE_BULLETIN: (&str, &str) = ("analytics", "generate_bulletin");
    // Staff assessment (A19): agents and reviewers over a period.
    pub const ANALYTICS_STAFF_ASSESSMENT: (&str, &str) = ("analytics", "staff_assessment");
    // Supervision's desks (bodies in `crate::supervision_desk`).
    pub const SUPERVISION_ACCEPT_RESULT: (&str, &str) = ("supervision", "accept_result");
    pub const SUPERVISION_PROPOSE_SEND_BACK: (&str, &str) = ("supervision", "propose_send_back");
    pub const SUPERVISION_APPROVE_SEND_BACK: (&str, &str) = ("supervision", "approve_send_back");
    pub const SUPERVISION_OPEN_CASE: (&str, &str) = ("supervision", "open_case");
    pub const SUPERVISION_REPORT_RECTIFICATION: (&str, &str) =
        ("supervision", "report_rectification");
    pub const SUPERVISION_CLOSE_CASE: (&str, &str) = ("supervision", "close_case");
    // Category suggestion (bodies in `crate::category`).
    pub const INTAKE_SUGGEST_CATEGORY: (&str, &str) = ("intake", "suggest_category");
    pub const SUPERVISION_REVIEW_QUEUE: (&str, &str) = ("supervision", "review_queue");
    pub const SUPERVISION_RECORD_CHECKLIST: (&str, &str) = ("supervision", "record_checklist");
    pub const SUPERVISION_RECORD_CALL_BACK: (&str, &str) = ("supervision", "record_call_back");
    pub const SUPERVISION_ARCHIVE: (&str, &str) = ("supervision", "archive");
    // Issue 8: a matter handed over by a partner hotline (A8).
    pub const INTAKE_REGISTER_TRANSFER: (&str, &str) = ("intake", "register_transfer");
    // Issue 8: the caller's contact for an emergency partner (A10.1, A21 audited).
    pub const INTAKE_REVEAL_FOR_TRANSFER: (&str, &str) = ("intake", "reveal_for_transfer");
    // Hot-spot reports (A17.4).
    pub const SUPERVISION_HOTSPOTS: (&str, &str) = ("supervision", "hotspots");
    pub const SUPERVISION_HOTSPOT: (&str, &str) = ("supervision", "hotspot");
    // The open supervision cases and escalations, for the supervision board (issue 10).
    pub const SUPERVISION_CASES: (&str, &str) = ("supervision", "cases");
    // Joint handling with a partner hotline (A8, issue 8).
    pub const EMERGENCY_BRIDGE_START_JOINT_HANDLING: (&str, &str) =
        ("emergency-bridge", "start_joint_handling");
    pub const EMERGENCY_BRIDGE_JOINT_HANDLING: (&str, &str) =
        ("emergency-bridge", "joint_handling");
    // The Open311 facade (issue 10): status by order number alone, no personal data.
    pub const INTAKE_PUBLIC_STATUS: (&str, &str) = ("intake", "public_status");
    // The time-limit policies (A15; bodies in `crate::policies`).
    pub const DEADLINE_WATCHER_POLICIES: (&str, &str) = ("deadline-watcher", "policies");
    pub const DEADLINE_WATCHER_SAVE_POLICY: (&str, &str) = ("deadline-watcher", "save_policy");
    // The clocks about to run out, for the supervision board (A17).
    pub const DEADLINE_WATCHER_NEAR_DUE: (&str, &str) = ("deadline-watcher", "near_due");

    /// Every verb above; docs and tests check themselves against this list.
    pub const ALL: &[(&str, &str)] = &[
        INTAKE_PROGRESS,
        ROUTER_SIGN,
        ROUTER_SUBMIT_RESULT,
        ANALYTICS_SUMMARY,
        INTAKE_RECORD_SATISFACTION,
        ROUTER_RESULT_REPLY,
        INTAKE_REPEAT_CANDIDATES,
        INTAKE_FLAG_HARASSMENT,
        DEADLINE_WATCHER_DUE,
        DEADLINE_WATCHER_CALENDAR,
        KNOWLEDGE_SEARCH,
        KNOWLEDGE_SUGGEST,
        KNOWLEDGE_ARTICLE,
        KNOWLEDGE_HISTORY,
        KNOWLEDGE_DIFF,
        KNOWLEDGE_DRAFT,
        KNOWLEDGE_SUBMIT,
        KNOWLEDGE_REVIEW,
        KNOWLEDGE_PUBLISH,
        KNOWLEDGE_UNPUBLISH,
        KNOWLEDGE_FEEDBACK,
        KNOWLEDGE_IMPORT,
        KNOWLEDGE_EXPORT,
        KNOWLEDGE_SYNONYMS,
        KNOWLEDGE_SET_SYNONYMS,
        KNOWLEDGE_REINDEX,
        DEADLINE_WATCHER_DEADLINES,
        ROUTER_DISPUTE,
        ROUTER_DECIDE_DISPUTE,
        ROUTER_ESCALATE_DISPUTE,
        ROUTER_ASSIGN_CO_HANDLING,
        ROUTER_REPORT_CO_HANDLING,
        ROUTER_REPORT_PROGRESS,
        ROUTER_REQUEST_EXTENSION,
        ROUTER_REQUEST_SUSPENSION,
        ROUTER_DECIDE_REQUEST,
        ROUTER_RESUME,
        ROUTER_UNIT_ORDER,
        ROUTER_UNIT_ORDERS,
        ROUTER_CONSULTATIONS,
        ROUTER_INVITE,
        ROUTER_RECORD_VIEW,
        ROUTER_DECIDE_CONSULTATION,
        ROUTER_DISPATCH_ACCURACY,
        ROUTER_EXPORT_UNITS,
        ROUTER_IMPORT_UNITS,
        ROUTER_CATALOGUE,
        ROUTER_RULES,
        ROUTER_SAVE_RULE,
        ROUTER_RULE_HISTORY,
        ANALYTICS_KPIS,
        ANALYTICS_MONITOR,
        ANALYTICS_BULLETINS,
        ANALYTICS_BULLETIN,
        ANALYTICS_GENERATE_BULLETIN,
        ANALYTICS_STAFF_ASSESSMENT,
        SUPERVISION_ACCEPT_RESULT,
        SUPERVISION_PROPOSE_SEND_BACK,
        SUPERVISION_APPROVE_SEND_BACK,
        SUPERVISION_OPEN_CASE,
        SUPERVISION_REPORT_RECTIFICATION,
        SUPERVISION_CLOSE_CASE,
        INTAKE_SUGGEST_CATEGORY,
        SUPERVISION_REVIEW_QUEUE,
        SUPERVISION_RECORD_CHECKLIST,
        SUPERVISION_RECORD_CALL_BACK,
        SUPERVISION_ARCHIVE,
        INTAKE_REGISTER_TRANSFER,
        INTAKE_REVEAL_FOR_TRANSFER,
        SUPERVISION_HOTSPOTS,
        SUPERVISION_HOTSPOT,
        SUPERVISION_CASES,
        EMERGENCY_BRIDGE_START_JOINT_HANDLING,
        EMERGENCY_BRIDGE_JOINT_HANDLING,
        INTAKE_PUBLIC_STATUS,
        DEADLINE_WATCHER_POLICIES,
        DEADLINE_WATCHER_SAVE_POLICY,
        DEADLINE_WATCHER_NEAR_DUE,
    ];
}

/// What went wrong, for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RpcErrorCode {
    /// The request body could not be decoded or failed validation.
    InvalidRequest,
    /// The thing named does not exist (or the caller may not know it exists).
    NotFound,
    /// The request is valid but not in the current state (e.g. signing twice).
    Conflict,
    /// The caller lacks the permission.
    Forbidden,
    /// A dependency failed; retrying later may work.
    Unavailable,
    /// A bug on our side; the message says nothing internal.
    Internal,
}

impl RpcErrorCode {
    /// The HTTP status the gateway answers with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidRequest => 422,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::Forbidden => 403,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }
}

/// One invalid field.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// JSON pointer-ish path: `requester.phone`.
    pub field: String,
    /// Machine code: `required`, `too_long`, `invalid_format` ...
    pub code: String,
    /// Human message (Chinese, shown to users).
    pub message: String,
}

/// The error body of a failed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct RpcError {
    pub code: RpcErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// With a conflict: the id of what stands in the request's way (the send-back
    /// proposal already waiting for approval, say), so the caller can go on from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflicting_id: Option<String>,
}

impl RpcError {
    pub fn new(code: RpcErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
            conflicting_id: None,
        }
    }

    /// A conflict with `id`, the thing in the way.
    pub fn conflict_with(message: impl Into<String>, id: impl ToString) -> Self {
        Self {
            conflicting_id: Some(id.to_string()),
            ..Self::conflict(message)
        }
    }

    pub fn invalid(fields: Vec<FieldError>) -> Self {
        Self {
            fields,
            ..Self::new(RpcErrorCode::InvalidRequest, "请求内容有误")
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(RpcErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(RpcErrorCode::Conflict, message)
    }

    pub fn internal() -> Self {
        Self::new(RpcErrorCode::Internal, "内部错误，请稍后重试")
    }

    /// The working-day calendar has no data for `year`, so the answer cannot be given
    /// without guessing (`not_found`, one field error `year` /
    /// [`CALENDAR_YEAR_MISSING`]; both messages name the year).
    pub fn calendar_year_missing(year: i32) -> Self {
        Self {
            fields: vec![FieldError {
                field: "year".to_owned(),
                code: CALENDAR_YEAR_MISSING.to_owned(),
                message: format!("没有 {year} 年的工作日历数据"),
            }],
            ..Self::new(
                RpcErrorCode::NotFound,
                format!("没有 {year} 年的工作日历数据，须待运维人员加载国务院公布的节假日安排"),
            )
        }
    }
}

/// The field-error code of [`RpcError::calendar_year_missing`]: the working-day calendar
/// does not cover a year the answer needs.
pub const CALENDAR_YEAR_MISSING: &str = "calendar_year_missing";

/// The reply body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RpcReply<T> {
    Ok(T),
    Error(RpcError),
}

impl<T> From<Result<T, RpcError>> for RpcReply<T> {
    fn from(r: Result<T, RpcError>) -> Self {
        match r {
            Ok(v) => Self::Ok(v),
            Err(e) => Self::Error(e),
        }
    }
}

impl<T> From<RpcReply<T>> for Result<T, RpcError> {
    fn from(r: RpcReply<T>) -> Self {
        match r {
            RpcReply::Ok(v) => Ok(v),
            RpcReply::Error(e) => Err(e),
        }
    }
}

/// `rpc.intake.progress`: the public progress query (A11: the requester looks up progress
/// and result by order number plus the check code given at registration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressQuery {
    pub number: String,
    /// The 6-digit check code from the receipt, or the last 4 digits of the requester's
    /// phone.
    pub check_code: String,
}

/// `rpc.intake.public_status`: what anyone may know of orders from their numbers alone
/// (the Open311 facade, issue 10). Unlike [`ProgressQuery`] no check code is needed, so
/// the answer carries nothing about the requester or the matter (A21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicStatusQuery {
    /// 1 to [`PublicStatusQuery::MAX_NUMBERS`] order numbers.
    pub numbers: Vec<String>,
}

impl PublicStatusQuery {
    /// Most numbers one query may name.
    pub const MAX_NUMBERS: usize = 50;
}

/// The non-personal status of one order: where it stands, its category as registered,
/// and its dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub number: String,
    pub status: OrderStatus,
    /// The category (service code) the order was registered with, if any.
    pub category: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The handling deadline, once the unit signed (A15).
    pub expected_completion_at: Option<DateTime<Utc>>,
    /// A transferred order's partner outcome (A10.1), in Chinese: `已转 110 并被受理`,
    /// `110 未受理：<reason>`, `已转 110，等待对方确认` (issue 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_note: Option<String>,
}

/// Reply to [`PublicStatusQuery`]: the orders found, in the order asked; numbers not
/// found are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatuses {
    pub orders: Vec<PublicStatus>,
}

/// One step of an order's progress as the requester sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressStep {
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
}

/// The answer to a progress query: no personal data, no internal ids beyond the number.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressView {
    pub number: String,
    pub status: OrderStatus,
    /// Chinese label of `status`.
    pub status_label: String,
    pub kind: RequestKind,
    pub channel: Channel,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the handling unit must sign by, once dispatched.
    pub sign_due_at: Option<DateTime<Utc>>,
    /// When the order is expected to be finished: the handling deadline set when the unit
    /// signed (A15), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_completion_at: Option<DateTime<Utc>>,
    /// The unit's reply, once the order is closed after review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// A transferred order's partner outcome (A10.1), in Chinese (issue 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_note: Option<String>,
    pub history: Vec<ProgressStep>,
}

/// `rpc.router.sign`: a unit signs for an order it was dispatched (A15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignCommand {
    pub number: String,
    pub unit_id: String,
    pub signed_by: String,
}

/// Reply to [`SignCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignReceipt {
    pub order_id: Uuid,
    pub number: String,
    pub signed_at: DateTime<Utc>,
}

/// `rpc.router.submit_result`: a unit submits its result (A16: basis, time, findings,
/// reply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResultCommand {
    pub number: String,
    pub unit_id: String,
    pub submitted_by: String,
    /// 办理依据
    pub basis: String,
    /// 调查核实情况
    pub findings: String,
    /// 答复内容
    pub reply: String,
    /// 承诺办结时间, when the matter is not done yet.
    pub promised_by: Option<NaiveDate>,
}

/// Reply to [`SubmitResultCommand`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultReceipt {
    pub order_id: Uuid,
    pub number: String,
    pub result_id: Uuid,
    pub submitted_at: DateTime<Utc>,
}

/// The requester as given at registration. Personal data: it goes into intake's vault
/// and nowhere else.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterInput {
    #[serde(rename = "type")]
    pub requester_type: crate::vocabulary::RequesterType,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Resident identity card number (GB 11643, 18 characters with check digit), or the
    /// unified social credit code of a legal person or organisation.
    #[serde(default)]
    pub id_number: Option<String>,
}

/// Register a request as a work order (A11). Sent by the gateway to intake over HTTP
/// (`POST /internal/v1/orders`), so the public can submit even while the bus is down.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterOrder {
    pub channel: Channel,
    pub kind: RequestKind,
    pub requester: RequesterInput,
    /// 诉求内容: the matter, in the requester's words.
    pub matter: String,
    pub category: Option<String>,
    pub region_code: String,
    pub address: Option<String>,
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
    pub urgency: crate::vocabulary::Urgency,
    /// When the requester called or wrote; defaults to the time of registration.
    pub requested_at: Option<DateTime<Utc>>,
    /// The registering agent (required for phone and online chat).
    pub agent_id: Option<String>,
    /// The agent's triage decision (A9, A10); absent means dispatch. Web messages may not
    /// carry one: intake's own rules triage them.
    #[serde(default)]
    pub triage: Option<TriageInput>,
}

/// An agent's triage decision for a request (A9, A10): exactly one per order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "disposition", rename_all = "snake_case", deny_unknown_fields)]
pub enum TriageInput {
    /// Dispatch to the handling unit (A9.3).
    Dispatch,
    /// A consultation answered at once from the knowledge base (A9.2).
    Answer {
        article_id: String,
        article_version: u32,
    },
    /// An emergency or utility matter: transfer to the partner hotline (A10.1).
    Transfer { partner_code: String },
    /// Tell the route, explain, or persuade (A10.2, A10.4, A10.5).
    Redirect {
        reason: crate::vocabulary::RedirectReason,
    },
    /// A repeat of an earlier order (A10.3): with no new facts it is linked and closed;
    /// with new facts it is a new order, dispatched as a follow-up of the earlier one.
    Repeat {
        earlier_number: String,
        new_facts: bool,
    },
}

/// How intake disposed of a request (A9, A10): the outcome the receipt reports.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Dispatched,
    AnsweredDirectly,
    TransferRequested,
    Redirected,
    RepeatLinked,
}

/// The acknowledgement a requester gets (A11: a number to follow the order with).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationReceipt {
    pub order_id: Uuid,
    pub number: String,
    /// Needed with the number for the public progress query.
    pub check_code: String,
    pub registered_at: DateTime<Utc>,
    /// What happens to the request next.
    pub disposition: Disposition,
    /// Something the requester must know at once (e.g. to call 119 now), in Chinese.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

/// `rpc.analytics.summary`: no filters yet, the body is `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {}

/// How many orders reached each step of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderSummary {
    pub registered: i64,
    pub dispatched: i64,
    pub signed: i64,
    pub result_submitted: i64,
    pub closed: i64,
}

/// `rpc.intake.record_satisfaction`: the satisfaction visit after closing (回访). Either an
/// agent records what the requester said on a callback (`agent_id`), or the requester
/// answers online, proving it is theirs with the check code.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSatisfaction {
    pub number: String,
    pub verdict: crate::vocabulary::SatisfactionVerdict,
    pub resolved: bool,
    #[serde(default)]
    pub comment: Option<String>,
    /// The agent who called back; absent for an online answer.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// Required for an online answer: the check code from the receipt.
    #[serde(default)]
    pub check_code: Option<String>,
}

/// Reply to [`RecordSatisfaction`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SatisfactionReceipt {
    pub number: String,
    pub recorded_at: DateTime<Utc>,
}

/// `rpc.intake.flag_harassment`: an agent flags abusive contact on an order (A24). The
/// note stays in intake (kept for handing to public security).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagHarassment {
    pub number: String,
    pub agent_id: String,
    /// What happened, in the agent's words.
    pub note: String,
}

/// Reply to [`FlagHarassment`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarassmentReceipt {
    pub number: String,
    /// Flags on this requester within the window, this one included.
    pub flags_in_window: i64,
    /// True once the requester is marked (repeated flags, A24).
    pub requester_marked: bool,
}

/// `rpc.router.result_reply`: the reply of the latest result of an order, for the
/// requester's progress view once the order is closed (A11, A16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultReplyQuery {
    pub order_id: Uuid,
}

/// Reply to [`ResultReplyQuery`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultReply {
    pub result_id: Uuid,
    /// 答复内容: the unit's reply to the requester.
    pub reply: String,
    pub submitted_at: DateTime<Utc>,
    /// The unit that gave the result (partners asking for the result see its name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
}

/// `rpc.intake.repeat_candidates`: while registering, an agent asks which earlier orders
/// this request may repeat (A10.3), and then decides.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatCandidatesQuery {
    pub phone: String,
    pub region_code: String,
    pub matter: String,
}

/// One earlier order the request may repeat; no personal data.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatCandidateView {
    pub number: String,
    pub registered_at: DateTime<Utc>,
    pub status: Option<OrderStatus>,
    /// How alike the two matters read, 0..1.
    pub similarity: f64,
    /// The same requester (same phone).
    pub same_requester: bool,
    /// The combined score the list is ranked by, 0..1.
    pub score: f64,
}

/// `rpc.deadline-watcher.due`: when a time limit starting at `from` runs out, on the
/// official working-day calendar (R-A15.2; `docs/deadlines.md`). Exactly one of
/// `working_days` and `hours` is given.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// When the clock starts (e.g. dispatch or sign).
    pub from: DateTime<Utc>,
    /// "Within N working days": ends at 00:00 Asia/Shanghai after the N-th working day
    /// following the day of `from` (that day is not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_days: Option<u32>,
    /// "Within N hours": calendar hours, weekends and holidays included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
}

/// Which kind of time limit a [`DueAnswer`] counted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueRule {
    /// Working days on the official calendar.
    WorkingDays,
    /// Calendar hours.
    Hours,
}

/// Reply to [`DueQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueAnswer {
    pub from: DateTime<Utc>,
    /// When the limit runs out.
    pub due_at: DateTime<Utc>,
    pub rule: DueRule,
    /// How many working days or hours.
    pub n: u32,
    /// For `working_days`: the N-th working day counted (Asia/Shanghai), the day whose end
    /// is `due_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_working_day: Option<NaiveDate>,
}

/// `rpc.deadline-watcher.calendar`: the official working-day calendar of one year.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    pub year: i32,
}

/// One date of a [`CalendarYear`] (a civil date in Asia/Shanghai).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    /// Whether time limits in working days count this date.
    pub working: bool,
    /// The public holiday the date belongs to (e.g. `国庆节`): one of its rest days, or the
    /// adjusted working day that makes up for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday: Option<String>,
    /// A Saturday or Sunday that is a working day (调休).
    pub adjusted_working_day: bool,
}

/// Reply to [`CalendarQuery`]: every date of the year, in order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarYear {
    pub year: i32,
    /// How many of `days` are working days.
    pub working_days: u32,
    pub days: Vec<CalendarDay>,
}

/// Request to `rpc.deadline-watcher.deadlines`: the clocks of one order, for the unit and the
/// center (A15, A17).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDeadlinesQuery {
    pub order_id: Uuid,
}

/// Where a clock stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    /// Stopped while the order is suspended.
    Paused,
    /// Done in time.
    Met,
    /// The order closed first.
    Cancelled,
    /// The due instant passed unmet (A17).
    Overdue,
}

/// One move of a clock's due instant.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockChange {
    /// `paused`, `resumed`, `extended` or `extension_refused`.
    pub change: String,
    pub previous_due_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The suspension reason or the extension's reason code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who approved (center staff id), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// One clock of an order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockView {
    pub clock: crate::events::DeadlineClock,
    pub unit_id: String,
    /// The supervision case, on a `rectification` clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    pub state: ClockState,
    pub started_at: DateTime<Utc>,
    /// The due instant in force.
    pub due_at: DateTime<Utc>,
    /// The policy that set the limit, `<policy_id>@v<version>`.
    pub policy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<DateTime<Utc>>,
    /// Every pause, resumption and extension, oldest first.
    pub changes: Vec<ClockChange>,
    /// A running clock counted in working days (A15): the whole working days left on the
    /// official calendar, after today (Asia/Shanghai) up to and including the day it is due
    /// on; 0 on that day. Absent for other clocks, for limits in hours, when the calendar
    /// lacks a year, and in replies of older deadline-watchers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_days_left: Option<u32>,
}

/// The most near-due clocks one [`NearDueQuery`] lists.
pub const NEAR_DUE_MAX_LIMIT: u32 = 500;

/// Request to `rpc.deadline-watcher.near_due`: the running clocks that run out by the end
/// of the next working day (A17: supervise before a limit is missed), soonest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearDueQuery {
    /// At most this many (default 200, at most [`NEAR_DUE_MAX_LIMIT`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One running clock near its due instant. No personal data: the order's number, the
/// unit and the clock.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearDueClock {
    pub order_id: Uuid,
    /// The order's number (absent for orders dispatched before the deadline-watcher kept
    /// numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub clock: crate::events::DeadlineClock,
    pub unit_id: String,
    pub due_at: DateTime<Utc>,
    /// As [`ClockView::working_days_left`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_days_left: Option<u32>,
}

/// Reply to [`NearDueQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearDue {
    /// When the answer was computed.
    pub at: DateTime<Utc>,
    /// The end of the window: the end of the next working day (or 24 hours on, when the
    /// calendar cannot say).
    pub until: DateTime<Utc>,
    /// Soonest first.
    pub clocks: Vec<NearDueClock>,
    /// More clocks are near due than listed.
    pub truncated: bool,
}

/// Reply to [`OrderDeadlinesQuery`]: the order's clocks (none before it is dispatched).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDeadlines {
    pub order_id: Uuid,
    pub clocks: Vec<ClockView>,
}
