//! The knowledge base's wire contract (A9, A22): request/reply bodies of
//! `rpc.knowledge.<verb>` and the events the knowledge service publishes.
//!
//! Articles are identified by a stable text id (`si-pension-transfer`, or `kb-<uuid>` for
//! one created without an id) and a version number: every change is a new version, and an
//! order answered from the knowledge base records both (`TriageInput::Answer`). Who may do
//! what (center editors, unit editors) is enforced by the gateway once roles exist (issue
//! 10); until then every editing request names its [`Actor`], and the knowledge service
//! applies the workflow's rules to that actor (reviewer ≠ author, corrections reviewed by
//! the owner or the center).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::Event;
use crate::subjects::event;
use crate::vocabulary::Channel;

/// Who acts: a user of a unit (the hotline center is a unit too, by its configured id).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub user_id: String,
    pub unit_id: String,
}

/// What an article says, as an editor writes it. Every field is part of the version.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleContent {
    /// 标题: the question in its standard wording.
    pub title: String,
    /// 问法: other ways citizens ask it (colloquial variants help search).
    #[serde(default)]
    pub questions: Vec<String>,
    /// 答复口径: the answer agents read out and the public reads.
    pub answer: String,
    /// Dispatch-catalogue style code, e.g. `social_insurance.pension`.
    pub category: String,
    /// GB/T 2260 code of the area the answer applies to: `520000` (province-wide), a
    /// prefecture (and so its counties) or a county.
    pub region_code: String,
    /// The unit answerable for the content (A22). For a new article drafted by a unit it
    /// defaults to that unit; the center may draft for another unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_unit_id: Option<String>,
    /// 政策依据: the law, regulation or notice the answer rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// First day the answer holds (Asia/Shanghai); defaults to the day it is drafted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day the answer holds; after it the article is no longer returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// What a version is to its article.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionKind {
    /// The first version of a new article.
    Original,
    /// A change by the owning unit or the center.
    Revision,
    /// A change proposed by another unit (A22: units build the base together); the owner
    /// or the center reviews it.
    Correction,
}

/// Where a version is in the workflow.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    Draft,
    Submitted,
    Approved,
    Rejected,
    /// The article's public version.
    Published,
    /// Was public; a later version replaced it.
    Retired,
    /// Was public; taken down.
    Unpublished,
}

/// `rpc.knowledge.draft`: a new article (no `article_id`), or a new version of one: a
/// revision by its owner or the center, a correction by another unit.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftArticle {
    pub actor: Actor,
    /// The article to change; absent for a new article.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    pub content: ArticleContent,
    /// Why the change (shown to the reviewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `rpc.knowledge.submit` / `rpc.knowledge.publish`: act on one version.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionCommand {
    pub actor: Actor,
    pub article_id: String,
    pub version: u32,
}

/// The reviewer's decision.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approve,
    Reject,
}

/// `rpc.knowledge.review`: the center (or, for a correction, the owning unit) approves or
/// rejects a submitted version; a rejection says why.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewVersion {
    pub actor: Actor,
    pub article_id: String,
    pub version: u32,
    pub decision: ReviewDecision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `rpc.knowledge.unpublish`: take an article off the public base.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnpublishArticle {
    pub actor: Actor,
    pub article_id: String,
    pub reason: String,
}

/// Reply to every workflow command: where the version stands now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionReceipt {
    pub article_id: String,
    pub version: u32,
    pub kind: VersionKind,
    pub status: VersionStatus,
    pub at: DateTime<Utc>,
}

/// `rpc.knowledge.article`: a published article (its current version, or an earlier
/// published one), for anyone.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleQuery {
    pub article_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

/// One version of an article, in full.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleView {
    pub article_id: String,
    pub version: u32,
    pub kind: VersionKind,
    pub status: VersionStatus,
    pub title: String,
    pub questions: Vec<String>,
    pub answer: String,
    pub category: String,
    pub region_code: String,
    pub owner_unit_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    pub valid_from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    pub tags: Vec<String>,
    /// The version this one was drafted from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u32>,
    pub authored_by: String,
    pub author_unit_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `rpc.knowledge.history`: every version of an article, for editors.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub article_id: String,
}

/// Reply to [`HistoryQuery`], oldest version first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleHistory {
    pub article_id: String,
    pub owner_unit_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_version: Option<u32>,
    pub versions: Vec<ArticleView>,
}

/// `rpc.knowledge.diff`: what changed between two versions, field by field.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub article_id: String,
    pub from: u32,
    pub to: u32,
}

/// One field that differs: its value in `from` and in `to` (`null` when absent).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// Reply to [`DiffQuery`]: only the fields that differ, in a fixed field order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleDiff {
    pub article_id: String,
    pub from: u32,
    pub to: u32,
    pub changes: Vec<FieldChange>,
}

/// `rpc.knowledge.search`: full-text search of the published, valid articles.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: String,
    /// Only articles that apply here: scoped to this division, to one of its ancestors,
    /// or province-wide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// Only this category or its sub-categories (`social_insurance` includes
    /// `social_insurance.pension`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// At most this many hits (1–50, default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One search hit. `title_html` and `snippet_html` are HTML-escaped text with the matched
/// words in `<em>`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub article_id: String,
    pub version: u32,
    pub title: String,
    pub title_html: String,
    pub snippet_html: String,
    pub category: String,
    pub region_code: String,
    /// The ranking score (BM25 over the fields, comparable only within one result).
    pub score: f32,
}

/// Reply to [`SearchQuery`], best first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
}

/// `rpc.knowledge.suggest`: answers for a consultation as the requester put it (A9), for
/// the agent registering it or for an automatic answer to a web message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestQuery {
    pub text: String,
    pub region_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// At most this many suggestions (1–10, default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One suggested article with its confidence (`docs/knowledge.md`: how it is computed).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub article_id: String,
    pub version: u32,
    pub title: String,
    pub answer: String,
    /// How sure the knowledge base is that this article answers the text, 0..1.
    pub confidence: f64,
}

/// Reply to [`SuggestQuery`], most confident first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestions {
    pub suggestions: Vec<Suggestion>,
    /// The configured confidence from which a web message is answered automatically.
    pub auto_answer_threshold: f64,
    /// True when the first suggestion reaches the threshold.
    pub auto_answer: bool,
}

/// What a requester or agent said about an answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackVerdict {
    Helpful,
    NotHelpful,
    /// The article was offered but the consultation was dispatched to a unit anyway.
    DispatchedAnyway,
}

/// `rpc.knowledge.feedback`: feedback on one version of an article.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFeedback {
    pub article_id: String,
    pub version: u32,
    pub verdict: FeedbackVerdict,
    /// The order the answer was given on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The agent who recorded it; absent for the public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
}

/// Reply to [`RecordFeedback`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackReceipt {
    pub feedback_id: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// Bulk file format.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferFormat {
    /// A JSON array of [`ArticleRecord`].
    Json,
    /// CSV with a header; list fields (`questions`, `tags`) joined by `|`.
    Csv,
}

/// One article in a bulk file: its id and content.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRecord {
    pub article_id: String,
    #[serde(flatten)]
    pub content: ArticleContent,
}

/// `rpc.knowledge.import`: load articles from a bulk file. Each record becomes a new
/// article or a new version of an existing one; with `publish` they are published at once
/// (a reviewed knowledge base moving in: the importing center user is recorded as the
/// reviewer), otherwise they wait as submitted versions.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportArticles {
    pub actor: Actor,
    pub format: TransferFormat,
    pub data: String,
    #[serde(default)]
    pub publish: bool,
}

/// Reply to [`ImportArticles`]. Nothing is imported when any record is invalid: `errors`
/// names each (field `records[<n>].<field>`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub created: u32,
    pub revised: u32,
    /// Records identical to the article's latest version, skipped.
    pub unchanged: u32,
    pub published: u32,
}

/// `rpc.knowledge.export`: the published current versions as a bulk file.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportArticles {
    pub format: TransferFormat,
}

/// Reply to [`ExportArticles`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportData {
    pub format: TransferFormat,
    pub count: u32,
    pub data: String,
}

/// A group of words that mean the same to a citizen (社保, 社会保险, 社会保障).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynonymGroup {
    pub words: Vec<String>,
}

/// `rpc.knowledge.synonyms`: the synonym table (body `{}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynonymsQuery {}

/// The synonym table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynonymTable {
    pub groups: Vec<SynonymGroup>,
}

/// `rpc.knowledge.set_synonyms`: replace the synonym table (editors of the center).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSynonyms {
    pub actor: Actor,
    pub groups: Vec<SynonymGroup>,
}

/// `rpc.knowledge.reindex`: rebuild the search index from the articles table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reindex {
    pub actor: Actor,
}

/// Reply to [`Reindex`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReindexReport {
    pub articles: u32,
    pub took_ms: u64,
}

/// `hotline.knowledge.article_published`: a version became the article's public one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticlePublished {
    pub article_id: String,
    pub version: u32,
    /// The version it replaced, if one was public.
    pub replaces_version: Option<u32>,
    pub owner_unit_id: String,
    pub category: String,
    pub region_code: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
}

impl Event for ArticlePublished {
    const TYPE: &'static str = "cn.gov.12345.knowledge.article_published.v1";
    fn subject(&self) -> String {
        event::KNOWLEDGE_ARTICLE_PUBLISHED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.article_id.clone()
    }
}

/// `hotline.knowledge.article_unpublished`: an article was taken off the public base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleUnpublished {
    pub article_id: String,
    pub version: u32,
    pub owner_unit_id: String,
    pub unpublished_by: String,
    pub reason: String,
    pub unpublished_at: DateTime<Utc>,
}

impl Event for ArticleUnpublished {
    const TYPE: &'static str = "cn.gov.12345.knowledge.article_unpublished.v1";
    fn subject(&self) -> String {
        event::KNOWLEDGE_ARTICLE_UNPUBLISHED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.article_id.clone()
    }
}

/// `hotline.knowledge.article_expiring`: a published version's validity ends soon; its
/// owning unit should review it (once per article version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleExpiring {
    pub article_id: String,
    pub version: u32,
    pub owner_unit_id: String,
    pub title: String,
    pub valid_until: NaiveDate,
    pub reminded_at: DateTime<Utc>,
}

impl Event for ArticleExpiring {
    const TYPE: &'static str = "cn.gov.12345.knowledge.article_expiring.v1";
    fn subject(&self) -> String {
        event::KNOWLEDGE_ARTICLE_EXPIRING.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.article_id.clone()
    }
}

/// `hotline.knowledge.feedback_recorded`: feedback on an answer, for analytics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackRecorded {
    pub feedback_id: Uuid,
    pub article_id: String,
    pub version: u32,
    pub verdict: FeedbackVerdict,
    pub order_id: Option<Uuid>,
    pub channel: Option<Channel>,
    pub recorded_at: DateTime<Utc>,
}

impl Event for FeedbackRecorded {
    const TYPE: &'static str = "cn.gov.12345.knowledge.feedback_recorded.v1";
    fn subject(&self) -> String {
        event::KNOWLEDGE_FEEDBACK_RECORDED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.article_id.clone()
    }
}
