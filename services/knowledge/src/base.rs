//! The knowledge base's operations (A9, A22): authoring and the review workflow, public
//! reading, search and suggestions, feedback, bulk import and export, the synonym table.
//!
//! Each write is one transaction: the article row is locked (`FOR UPDATE`), the workflow's
//! rules ([`crate::domain::workflow`]) decide, the change and its event (through the
//! outbox) commit together. After a publish or unpublish commits, this replica's search
//! index is updated at once (the index is a projection: on failure it is logged and
//! `reindex` or a restart repairs it).

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use hotline_contract::knowledge::*;
use hotline_contract::rpc::{FieldError, RpcError};
use hotline_messaging::{Outbox, OutboxError};
use hotline_reference::Regions;
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::content::{self, ValidContent};
use crate::domain::diff::diff;
use crate::domain::workflow::{VersionFacts, Workflow};
use crate::search::confidence::{Candidate, confidence};
use crate::search::{IndexError, SearchFilter, SearchIndex, StoredHit, Synonyms, synonyms};
use crate::store::{self, NewVersion};
use crate::transfer;

/// Longest search query, in characters (a search box, not a document).
pub const MAX_QUERY_CHARS: usize = 200;
/// Longest consultation text `suggest` reads, in characters.
pub const MAX_SUGGEST_CHARS: usize = 2_000;
/// Default and most hits of a search.
pub const DEFAULT_SEARCH_LIMIT: u32 = 10;
pub const MAX_SEARCH_LIMIT: u32 = 50;
/// Default and most suggestions.
pub const DEFAULT_SUGGEST_LIMIT: u32 = 5;
pub const MAX_SUGGEST_LIMIT: u32 = 10;

/// The province: an article scoped here applies everywhere.
pub const PROVINCE_CODE: &str = "520000";

/// Today in Asia/Shanghai (UTC+8, no daylight saving): validity dates are civil dates there.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    FixedOffset::east_opt(8 * 3600).map_or_else(
        || now.date_naive(),
        |china| now.with_timezone(&china).date_naive(),
    )
}

fn invalid(field: &str, code: &str, message: &str) -> RpcError {
    RpcError::invalid(vec![FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }])
}

fn database(error: sqlx::Error) -> RpcError {
    tracing::error!(%error, "knowledge database error");
    RpcError::internal()
}

fn outbox_error(error: OutboxError) -> RpcError {
    tracing::error!(%error, "knowledge outbox error");
    RpcError::internal()
}

fn index_error(error: IndexError) -> RpcError {
    tracing::error!(%error, "knowledge search index error");
    RpcError::internal()
}

fn not_found_article() -> RpcError {
    RpcError::not_found("没有这篇知识")
}

fn not_found_version() -> RpcError {
    RpcError::not_found("没有这篇知识的该版本")
}

fn version_number(field: &str, version: u32) -> Result<i32, RpcError> {
    i32::try_from(version)
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| invalid(field, "out_of_range", "版本号须为正整数"))
}

/// Check the actor's ids (their roles come with issue 10, at the gateway).
fn check_actor(actor: &Actor) -> Result<Actor, RpcError> {
    let mut errors = Vec::new();
    let user_id = content::identifier(&mut errors, "actor.user_id", &actor.user_id, "操作人");
    let unit_id = content::identifier(&mut errors, "actor.unit_id", &actor.unit_id, "操作单位");
    if errors.is_empty() {
        Ok(Actor { user_id, unit_id })
    } else {
        Err(RpcError::invalid(errors))
    }
}

fn check_article_id(id: &str) -> Result<String, RpcError> {
    content::article_id("article_id", id).map_err(|e| RpcError::invalid(vec![e]))
}

/// Text a citizen typed: trimmed, required, at most `max` characters; control characters
/// other than line breaks and tabs are refused.
fn query_text(field: &str, text: &str, max: usize) -> Result<String, RpcError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(field, "required", "请输入要查询的内容"));
    }
    if text.chars().count() > max {
        return Err(invalid(
            field,
            "too_long",
            &format!("查询内容不能超过 {max} 个字"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid(field, "invalid_characters", "查询内容含有控制字符"));
    }
    Ok(text.to_owned())
}

/// The codes an article may be scoped to for a request about `code`: it, its ancestors,
/// the province (a township counts as its county). `None` for a code not in the catalogue.
pub fn applicable_regions(regions: &Regions, code: &str) -> Option<Vec<String>> {
    let code = code.trim();
    let known = regions.get(code).is_some() && (regions.is_known_region(code) || code.len() == 9);
    if !known {
        return None;
    }
    let mut codes = vec![code.to_owned()];
    let mut current = code.to_owned();
    while let Some(parent) = regions.parent_of(&current) {
        codes.push(parent.code.clone());
        current = parent.code.clone();
    }
    if !codes.iter().any(|c| c == PROVINCE_CODE) {
        codes.push(PROVINCE_CODE.to_owned());
    }
    Some(codes)
}

/// How many results: `default` when not asked, at most `max`.
fn limit(requested: Option<u32>, default: u32, max: u32) -> Result<u32, RpcError> {
    let limit = requested.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(invalid(
            "limit",
            "out_of_range",
            &format!("条数须在 1 到 {max} 之间"),
        ))
    }
}

fn facts(view: &ArticleView, owner: &str) -> VersionFacts {
    VersionFacts {
        kind: view.kind,
        status: view.status,
        authored_by: view.authored_by.clone(),
        author_unit_id: view.author_unit_id.clone(),
        owner_unit_id: owner.to_owned(),
    }
}

fn receipt(view: &ArticleView, status: VersionStatus, at: DateTime<Utc>) -> VersionReceipt {
    VersionReceipt {
        article_id: view.article_id.clone(),
        version: view.version,
        kind: view.kind,
        status,
        at,
    }
}

fn content_of(view: &ArticleView) -> ArticleContent {
    ArticleContent {
        title: view.title.clone(),
        questions: view.questions.clone(),
        answer: view.answer.clone(),
        category: view.category.clone(),
        region_code: view.region_code.clone(),
        owner_unit_id: Some(view.owner_unit_id.clone()),
        legal_basis: view.legal_basis.clone(),
        valid_from: Some(view.valid_from),
        valid_until: view.valid_until,
        tags: view.tags.clone(),
    }
}

fn same_content(view: &ArticleView, c: &ValidContent) -> bool {
    view.title == c.title
        && view.questions == c.questions
        && view.answer == c.answer
        && view.category == c.category
        && view.region_code == c.region_code
        && view.owner_unit_id == c.owner_unit_id
        && view.legal_basis == c.legal_basis
        && view.valid_from == c.valid_from
        && view.valid_until == c.valid_until
        && view.tags == c.tags
}

/// Settings the operations need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Confidence from which a web message is answered without an agent.
    pub auto_answer_threshold: f64,
}

/// The knowledge base: its database, outbox, search index and rules.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    pool: PgPool,
    outbox: Outbox,
    regions: Arc<Regions>,
    workflow: Workflow,
    index: Arc<SearchIndex>,
    settings: Settings,
}

impl KnowledgeBase {
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        regions: Arc<Regions>,
        workflow: Workflow,
        index: Arc<SearchIndex>,
        settings: Settings,
    ) -> Self {
        Self {
            pool,
            outbox,
            regions,
            workflow,
            index,
            settings,
        }
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    fn validate(
        &self,
        c: &ArticleContent,
        owner: &str,
        today: NaiveDate,
        prefix: &str,
    ) -> Result<ValidContent, Vec<FieldError>> {
        content::validate(c, owner, &self.regions, today, prefix)
    }

    /// `rpc.knowledge.draft`.
    pub async fn draft(&self, req: DraftArticle) -> Result<VersionReceipt, RpcError> {
        let actor = check_actor(&req.actor)?;
        let now = Utc::now();
        let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let mut tx = self.pool.begin().await.map_err(database)?;
        let (article_id, version, kind, base, valid) = match &req.article_id {
            None => {
                let owner = self
                    .workflow
                    .owner_of_new_article(&actor, req.content.owner_unit_id.as_deref())?;
                let valid = self
                    .validate(&req.content, &owner, today(now), "content.")
                    .map_err(RpcError::invalid)?;
                let id = format!("kb-{}", Uuid::now_v7().simple());
                store::insert_article(&mut tx, &id, &owner, &actor.user_id, now)
                    .await
                    .map_err(database)?;
                (id, 1, VersionKind::Original, None, valid)
            }
            Some(id) => {
                let id = check_article_id(id)?;
                let row = store::lock_article(&mut tx, &id)
                    .await
                    .map_err(database)?
                    .ok_or_else(not_found_article)?;
                let (kind, owner) = self.workflow.draft_of_existing(
                    &actor,
                    &row.owner_unit_id,
                    req.content.owner_unit_id.as_deref(),
                )?;
                let valid = self
                    .validate(&req.content, &owner, today(now), "content.")
                    .map_err(RpcError::invalid)?;
                (
                    id,
                    row.latest_version + 1,
                    kind,
                    row.published_version,
                    valid,
                )
            }
        };
        store::insert_version(
            &mut tx,
            &NewVersion {
                article_id: &article_id,
                version,
                kind,
                base_version: base,
                content: &valid,
                status: VersionStatus::Draft,
                authored_by: &actor.user_id,
                author_unit_id: &actor.unit_id,
                note,
                at: now,
            },
        )
        .await
        .map_err(database)?;
        tx.commit().await.map_err(database)?;
        tracing::info!(%article_id, version, ?kind, unit = %actor.unit_id, "knowledge draft saved");
        Ok(VersionReceipt {
            article_id,
            version: u32::try_from(version).unwrap_or_default(),
            kind,
            status: VersionStatus::Draft,
            at: now,
        })
    }

    /// Lock the article and read one of its versions.
    async fn locked_version(
        &self,
        tx: &mut sqlx::PgConnection,
        article_id: &str,
        version: u32,
    ) -> Result<(store::ArticleRow, ArticleView), RpcError> {
        let id = check_article_id(article_id)?;
        let n = version_number("version", version)?;
        let row = store::lock_article(tx, &id)
            .await
            .map_err(database)?
            .ok_or_else(not_found_article)?;
        let view = store::version(&mut *tx, &id, n)
            .await
            .map_err(database)?
            .ok_or_else(not_found_version)?;
        Ok((row, view))
    }

    /// `rpc.knowledge.submit`.
    pub async fn submit(&self, req: VersionCommand) -> Result<VersionReceipt, RpcError> {
        let actor = check_actor(&req.actor)?;
        let now = Utc::now();
        let mut tx = self.pool.begin().await.map_err(database)?;
        let (row, view) = self
            .locked_version(&mut tx, &req.article_id, req.version)
            .await?;
        let status = self
            .workflow
            .submit(&actor, &facts(&view, &row.owner_unit_id))?;
        store::mark_submitted(&mut tx, &row.article_id, view.version as i32, now)
            .await
            .map_err(database)?;
        tx.commit().await.map_err(database)?;
        Ok(receipt(&view, status, now))
    }

    /// `rpc.knowledge.review`.
    pub async fn review(&self, req: ReviewVersion) -> Result<VersionReceipt, RpcError> {
        let actor = check_actor(&req.actor)?;
        let now = Utc::now();
        let reason = req
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let mut tx = self.pool.begin().await.map_err(database)?;
        let (row, view) = self
            .locked_version(&mut tx, &req.article_id, req.version)
            .await?;
        let status = self.workflow.review(
            &actor,
            &facts(&view, &row.owner_unit_id),
            req.decision,
            reason,
        )?;
        store::mark_reviewed(
            &mut tx,
            &row.article_id,
            view.version as i32,
            status,
            (&actor.user_id, &actor.unit_id),
            reason,
            now,
        )
        .await
        .map_err(database)?;
        tx.commit().await.map_err(database)?;
        tracing::info!(article_id = %row.article_id, version = view.version, ?status, "knowledge version reviewed");
        Ok(receipt(&view, status, now))
    }

    /// `rpc.knowledge.publish`.
    pub async fn publish(
        &self,
        req: VersionCommand,
        trace: &TraceContext,
    ) -> Result<VersionReceipt, RpcError> {
        let actor = check_actor(&req.actor)?;
        let now = Utc::now();
        let mut tx = self.pool.begin().await.map_err(database)?;
        let (row, view) = self
            .locked_version(&mut tx, &req.article_id, req.version)
            .await?;
        self.workflow
            .publish(&actor, &facts(&view, &row.owner_unit_id))?;
        let n = view.version as i32;
        if let Some(newer) = store::published_since(
            &mut tx,
            &row.article_id,
            view.base_version.map(|b| b as i32),
            n,
        )
        .await
        .map_err(database)?
        {
            return Err(RpcError::conflict(format!(
                "该版本起草后，第 {newer} 版已发布；请在第 {newer} 版的基础上重新起草，以免覆盖其修改"
            )));
        }
        let replaced = store::mark_published(
            &mut tx,
            &row.article_id,
            n,
            &view.owner_unit_id,
            &actor.user_id,
            now,
        )
        .await
        .map_err(database)?;
        self.outbox
            .append(
                &mut tx,
                trace,
                ArticlePublished {
                    article_id: row.article_id.clone(),
                    version: view.version,
                    replaces_version: replaced.map(|v| v as u32),
                    owner_unit_id: view.owner_unit_id.clone(),
                    category: view.category.clone(),
                    region_code: view.region_code.clone(),
                    published_by: actor.user_id.clone(),
                    published_at: now,
                },
            )
            .await
            .map_err(outbox_error)?;
        tx.commit().await.map_err(database)?;
        tracing::info!(article_id = %row.article_id, version = view.version, "knowledge version published");
        self.refresh_index(&row.article_id).await;
        Ok(receipt(&view, VersionStatus::Published, now))
    }

    /// `rpc.knowledge.unpublish`.
    pub async fn unpublish(
        &self,
        req: UnpublishArticle,
        trace: &TraceContext,
    ) -> Result<VersionReceipt, RpcError> {
        let actor = check_actor(&req.actor)?;
        let reason = req.reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "required", "下线须说明理由"));
        }
        let id = check_article_id(&req.article_id)?;
        let now = Utc::now();
        let mut tx = self.pool.begin().await.map_err(database)?;
        let row = store::lock_article(&mut tx, &id)
            .await
            .map_err(database)?
            .ok_or_else(not_found_article)?;
        self.workflow.unpublish(&actor, &row.owner_unit_id)?;
        let Some(n) = row.published_version else {
            return Err(RpcError::conflict("这篇知识当前未发布"));
        };
        let view = store::version(&mut *tx, &id, n)
            .await
            .map_err(database)?
            .ok_or_else(not_found_version)?;
        store::mark_unpublished(&mut tx, &id, n, &actor.user_id, reason, now)
            .await
            .map_err(database)?;
        self.outbox
            .append(
                &mut tx,
                trace,
                ArticleUnpublished {
                    article_id: id.clone(),
                    version: view.version,
                    owner_unit_id: row.owner_unit_id.clone(),
                    unpublished_by: actor.user_id.clone(),
                    reason: reason.to_owned(),
                    unpublished_at: now,
                },
            )
            .await
            .map_err(outbox_error)?;
        tx.commit().await.map_err(database)?;
        tracing::info!(article_id = %id, version = view.version, "knowledge article unpublished");
        self.refresh_index(&id).await;
        Ok(receipt(&view, VersionStatus::Unpublished, now))
    }

    /// Bring this replica's index in line with the article's public version.
    pub async fn refresh_index(&self, article_id: &str) {
        let current = match store::article(&self.pool, article_id).await {
            Ok(Some(row)) => match row.published_version {
                Some(n) => store::version(&self.pool, article_id, n)
                    .await
                    .ok()
                    .flatten(),
                None => None,
            },
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, article_id, "search index not refreshed");
                return;
            }
        };
        let index = self.index.clone();
        let id = article_id.to_owned();
        let done = tokio::task::spawn_blocking(move || match current {
            Some(view) => index.upsert(&store::indexed(&view)),
            None => index.remove(&id),
        })
        .await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, article_id, "search index not refreshed"),
            Err(error) => tracing::error!(%error, article_id, "search index task failed"),
        }
    }

    /// `rpc.knowledge.article`: the public view.
    pub async fn article(&self, req: ArticleQuery) -> Result<ArticleView, RpcError> {
        let id = check_article_id(&req.article_id)?;
        let version = req
            .version
            .map(|v| version_number("version", v))
            .transpose()?;
        store::public_version(&self.pool, &id, version, today(Utc::now()))
            .await
            .map_err(database)?
            .ok_or_else(|| {
                RpcError::not_found("没有这篇已发布的知识（或该版本未曾发布、已下线或已过期）")
            })
    }

    /// `rpc.knowledge.history`.
    pub async fn history(&self, req: HistoryQuery) -> Result<ArticleHistory, RpcError> {
        let id = check_article_id(&req.article_id)?;
        let row = store::article(&self.pool, &id)
            .await
            .map_err(database)?
            .ok_or_else(not_found_article)?;
        let versions = store::versions(&self.pool, &id).await.map_err(database)?;
        Ok(ArticleHistory {
            article_id: id,
            owner_unit_id: row.owner_unit_id,
            published_version: row.published_version.map(|v| v as u32),
            versions,
        })
    }

    /// `rpc.knowledge.diff`.
    pub async fn diff(&self, req: DiffQuery) -> Result<ArticleDiff, RpcError> {
        let id = check_article_id(&req.article_id)?;
        let from = version_number("from", req.from)?;
        let to = version_number("to", req.to)?;
        let before = store::version(&self.pool, &id, from)
            .await
            .map_err(database)?
            .ok_or_else(not_found_version)?;
        let after = store::version(&self.pool, &id, to)
            .await
            .map_err(database)?
            .ok_or_else(not_found_version)?;
        Ok(ArticleDiff {
            article_id: id,
            from: req.from,
            to: req.to,
            changes: diff(&before, &after),
        })
    }

    fn applicable_regions(&self, field: &str, code: &str) -> Result<Vec<String>, RpcError> {
        applicable_regions(&self.regions, code).ok_or_else(|| {
            invalid(
                field,
                "unknown",
                "地区不是贵州省的行政区划代码（省、市州、区县或乡镇街道）",
            )
        })
    }

    fn category_filter(category: Option<&str>) -> Result<Option<String>, RpcError> {
        match category.map(str::trim).filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) if content::is_valid_category(c) => Ok(Some(c.to_owned())),
            Some(_) => Err(invalid(
                "category",
                "invalid_format",
                "分类须为小写英文分段代码，如 social_insurance",
            )),
        }
    }

    async fn run_search(
        &self,
        text: String,
        filter: SearchFilter,
        limit: usize,
    ) -> Result<Vec<StoredHit>, RpcError> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.search(&text, &filter, limit))
            .await
            .map_err(|error| {
                tracing::error!(%error, "search task failed");
                RpcError::internal()
            })?
            .map_err(index_error)
    }

    /// `rpc.knowledge.search`.
    pub async fn search(&self, req: SearchQuery) -> Result<SearchResults, RpcError> {
        let q = query_text("q", &req.q, MAX_QUERY_CHARS)?;
        let regions = req
            .region_code
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| self.applicable_regions("region_code", r))
            .transpose()?;
        let category = Self::category_filter(req.category.as_deref())?;
        let limit = limit(req.limit, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT)?;
        let filter = SearchFilter {
            regions,
            category,
            today: today(Utc::now()),
        };
        let hits = self.run_search(q, filter, limit as usize).await?;
        Ok(SearchResults {
            hits: hits
                .into_iter()
                .map(|h| SearchHit {
                    article_id: h.article.article_id,
                    version: h.article.version,
                    title: h.article.title,
                    title_html: h.title_html,
                    snippet_html: h.snippet_html,
                    category: h.article.category,
                    region_code: h.article.region_code,
                    score: h.score,
                })
                .collect(),
        })
    }

    /// `rpc.knowledge.suggest` (A9): ranked answers with a confidence.
    pub async fn suggest(&self, req: SuggestQuery) -> Result<Suggestions, RpcError> {
        let text = query_text("text", &req.text, MAX_SUGGEST_CHARS)?;
        let regions = self.applicable_regions("region_code", &req.region_code)?;
        let category = Self::category_filter(req.category.as_deref())?;
        let limit = limit(req.limit, DEFAULT_SUGGEST_LIMIT, MAX_SUGGEST_LIMIT)?;
        let filter = SearchFilter {
            regions: Some(regions),
            category,
            today: today(Utc::now()),
        };
        // One more than asked, so the last suggestion's margin has a next score.
        let hits = self
            .run_search(text.clone(), filter, limit as usize + 1)
            .await?;
        let synonyms = self.index.synonyms();
        let mut suggestions = rank_suggestions(&synonyms, &text, &hits);
        suggestions.truncate(limit as usize);
        let threshold = self.settings.auto_answer_threshold;
        let auto_answer = suggestions
            .first()
            .is_some_and(|s| s.confidence >= threshold);
        Ok(Suggestions {
            suggestions,
            auto_answer_threshold: threshold,
            auto_answer,
        })
    }

    /// `rpc.knowledge.feedback`.
    pub async fn feedback(
        &self,
        req: RecordFeedback,
        trace: &TraceContext,
    ) -> Result<FeedbackReceipt, RpcError> {
        let id = check_article_id(&req.article_id)?;
        let version = version_number("version", req.version)?;
        let agent_id = match req.agent_id.as_deref() {
            Some(agent) => {
                let mut errors = Vec::new();
                let agent = content::identifier(&mut errors, "agent_id", agent, "话务员");
                if !errors.is_empty() {
                    return Err(RpcError::invalid(errors));
                }
                Some(agent)
            }
            None => None,
        };
        let channel = req
            .channel
            .map(|c| {
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
            })
            .and_then(|c| c);
        let now = Utc::now();
        let feedback_id = Uuid::now_v7();
        let mut tx = self.pool.begin().await.map_err(database)?;
        if !store::was_published(&mut *tx, &id, version)
            .await
            .map_err(database)?
        {
            return Err(RpcError::not_found("没有这篇已发布的知识版本"));
        }
        store::insert_feedback(
            &mut tx,
            &store::NewFeedback {
                feedback_id,
                article_id: &id,
                version,
                verdict: req.verdict,
                order_id: req.order_id,
                channel: channel.as_deref(),
                agent_id: agent_id.as_deref(),
                at: now,
            },
        )
        .await
        .map_err(database)?;
        self.outbox
            .append(
                &mut tx,
                trace,
                FeedbackRecorded {
                    feedback_id,
                    article_id: id,
                    version: req.version,
                    verdict: req.verdict,
                    order_id: req.order_id,
                    channel: req.channel,
                    recorded_at: now,
                },
            )
            .await
            .map_err(outbox_error)?;
        tx.commit().await.map_err(database)?;
        Ok(FeedbackReceipt {
            feedback_id,
            recorded_at: now,
        })
    }

    /// `rpc.knowledge.import`: all records or none. Only the center imports.
    pub async fn import(
        &self,
        req: ImportArticles,
        trace: &TraceContext,
    ) -> Result<ImportReport, RpcError> {
        let actor = check_actor(&req.actor)?;
        if !self.workflow.is_center(&actor) {
            return Err(RpcError::new(
                hotline_contract::rpc::RpcErrorCode::Forbidden,
                "批量导入由热线中心进行",
            ));
        }
        let records = transfer::parse(req.format, &req.data).map_err(RpcError::invalid)?;
        let mut tx = self.pool.begin().await.map_err(database)?;
        let report = self
            .import_records(&mut tx, &actor, &records, req.publish, trace)
            .await?;
        tx.commit().await.map_err(database)?;
        if report.published > 0 {
            self.reindex().await?;
        }
        Ok(report)
    }

    /// Import `records` in the transaction `tx` (shared with the seed).
    pub async fn import_records(
        &self,
        tx: &mut sqlx::PgConnection,
        actor: &Actor,
        records: &[ArticleRecord],
        publish: bool,
        trace: &TraceContext,
    ) -> Result<ImportReport, RpcError> {
        let now = Utc::now();
        let day = today(now);
        let mut errors = Vec::new();
        let mut valid = Vec::with_capacity(records.len());
        let mut seen = std::collections::HashSet::new();
        for (i, record) in records.iter().enumerate() {
            let prefix = format!("records[{i}].");
            let id = match content::article_id(&format!("{prefix}article_id"), &record.article_id) {
                Ok(id) => id,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if !seen.insert(id.clone()) {
                errors.push(FieldError {
                    field: format!("{prefix}article_id"),
                    code: "duplicate".to_owned(),
                    message: "同一文件中文章编号重复".to_owned(),
                });
                continue;
            }
            let owner = record
                .content
                .owner_unit_id
                .clone()
                .unwrap_or_else(|| actor.unit_id.clone());
            match self.validate(&record.content, &owner, day, &prefix) {
                Ok(content) => valid.push((id, content)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !errors.is_empty() {
            errors.truncate(100);
            return Err(RpcError::invalid(errors));
        }
        // The file's source is the author; the importing center user is the reviewer
        // (reviewer ≠ author holds).
        let author = format!("import:{}", actor.user_id);
        let mut report = ImportReport {
            created: 0,
            revised: 0,
            unchanged: 0,
            published: 0,
        };
        for (id, content) in &valid {
            let existing = store::lock_article(tx, id).await.map_err(database)?;
            let (version, kind, base) = match &existing {
                None => {
                    store::insert_article(tx, id, &content.owner_unit_id, &author, now)
                        .await
                        .map_err(database)?;
                    report.created += 1;
                    (1, VersionKind::Original, None)
                }
                Some(row) => {
                    let latest = store::version(&mut *tx, id, row.latest_version)
                        .await
                        .map_err(database)?;
                    if latest.is_some_and(|l| same_content(&l, content)) {
                        report.unchanged += 1;
                        continue;
                    }
                    report.revised += 1;
                    (
                        row.latest_version + 1,
                        VersionKind::Revision,
                        row.published_version,
                    )
                }
            };
            store::insert_version(
                tx,
                &NewVersion {
                    article_id: id,
                    version,
                    kind,
                    base_version: base,
                    content,
                    status: VersionStatus::Submitted,
                    authored_by: &author,
                    author_unit_id: &actor.unit_id,
                    note: Some("批量导入"),
                    at: now,
                },
            )
            .await
            .map_err(database)?;
            if publish {
                store::mark_reviewed(
                    tx,
                    id,
                    version,
                    VersionStatus::Approved,
                    (&actor.user_id, &actor.unit_id),
                    None,
                    now,
                )
                .await
                .map_err(database)?;
                let replaced = store::mark_published(
                    tx,
                    id,
                    version,
                    &content.owner_unit_id,
                    &actor.user_id,
                    now,
                )
                .await
                .map_err(database)?;
                self.outbox
                    .append(
                        tx,
                        trace,
                        ArticlePublished {
                            article_id: id.clone(),
                            version: version as u32,
                            replaces_version: replaced.map(|v| v as u32),
                            owner_unit_id: content.owner_unit_id.clone(),
                            category: content.category.clone(),
                            region_code: content.region_code.clone(),
                            published_by: actor.user_id.clone(),
                            published_at: now,
                        },
                    )
                    .await
                    .map_err(outbox_error)?;
                report.published += 1;
            }
        }
        Ok(report)
    }

    /// `rpc.knowledge.export`: the published current versions.
    pub async fn export(&self, req: ExportArticles) -> Result<ExportData, RpcError> {
        let published = store::published(&self.pool).await.map_err(database)?;
        let records: Vec<ArticleRecord> = published
            .iter()
            .map(|v| ArticleRecord {
                article_id: v.article_id.clone(),
                content: content_of(v),
            })
            .collect();
        let data = transfer::write(req.format, &records).map_err(|error| {
            tracing::error!(%error, "export could not be written");
            RpcError::internal()
        })?;
        Ok(ExportData {
            format: req.format,
            count: u32::try_from(records.len()).unwrap_or(u32::MAX),
            data,
        })
    }

    /// `rpc.knowledge.synonyms`.
    pub fn synonyms(&self) -> SynonymTable {
        table(&self.index.synonyms())
    }

    /// `rpc.knowledge.set_synonyms`: replace the table; searches use it at once.
    pub async fn set_synonyms(&self, req: SetSynonyms) -> Result<SynonymTable, RpcError> {
        let actor = check_actor(&req.actor)?;
        if !self.workflow.is_center(&actor) {
            return Err(RpcError::new(
                hotline_contract::rpc::RpcErrorCode::Forbidden,
                "同义词表由热线中心维护",
            ));
        }
        let groups = synonyms::validate(&req.groups).map_err(RpcError::invalid)?;
        let mut tx = self.pool.begin().await.map_err(database)?;
        store::replace_synonyms(&mut tx, &groups, &actor.user_id, Utc::now())
            .await
            .map_err(database)?;
        tx.commit().await.map_err(database)?;
        let table_now = Synonyms::new(&groups);
        self.index.set_synonyms(table_now.clone());
        Ok(table(&table_now))
    }

    /// `rpc.knowledge.reindex` (and start-up): rebuild the index from the articles table.
    pub async fn reindex(&self) -> Result<ReindexReport, RpcError> {
        let started = Instant::now();
        let published = store::published(&self.pool).await.map_err(database)?;
        let index = self.index.clone();
        let count = tokio::task::spawn_blocking(move || {
            index.rebuild(published.iter().map(store::indexed))
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "reindex task failed");
            RpcError::internal()
        })?
        .map_err(index_error)?;
        let took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(articles = count, took_ms, "search index rebuilt");
        Ok(ReindexReport {
            articles: u32::try_from(count).unwrap_or(u32::MAX),
            took_ms,
        })
    }

    pub fn is_center(&self, actor: &Actor) -> bool {
        self.workflow.is_center(actor)
    }
}

fn table(synonyms: &Synonyms) -> SynonymTable {
    SynonymTable {
        groups: synonyms
            .groups()
            .iter()
            .map(|words| SynonymGroup {
                words: words.clone(),
            })
            .collect(),
    }
}

/// Suggestions from search hits, in the search ranking (which the labelled queries show to
/// be the better order, `docs/knowledge.md`), each with its confidence.
pub fn rank_suggestions(synonyms: &Synonyms, text: &str, hits: &[StoredHit]) -> Vec<Suggestion> {
    hits.iter()
        .enumerate()
        .map(|(i, hit)| {
            let next_score = hits.get(i + 1).map_or(0.0, |n| n.score);
            let c = confidence(
                synonyms,
                text,
                &Candidate {
                    title: &hit.article.title,
                    questions: &hit.article.questions,
                    answer: &hit.article.answer,
                    tags: &hit.article.tags,
                    score: hit.score,
                    next_score,
                },
            );
            Suggestion {
                article_id: hit.article.article_id.clone(),
                version: hit.article.version,
                title: hit.article.title.clone(),
                answer: hit.article.answer.clone(),
                confidence: (c.value * 1000.0).round() / 1000.0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_civil_date_in_china() {
        let late_utc: DateTime<Utc> = "2026-11-27T17:00:00Z".parse().unwrap();
        assert_eq!(
            today(late_utc),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
    }

    #[test]
    fn query_text_refuses_empty_long_and_control_text() {
        assert_eq!(query_text("q", "  社保 ", 10).unwrap(), "社保");
        for (text, code) in [
            ("   ", "required"),
            ("一二三四五六七八九十十一", "too_long"),
            ("社保\u{0000}", "invalid_characters"),
        ] {
            let error = query_text("q", text, 10).unwrap_err();
            assert_eq!(error.fields[0].code, code, "{text:?}");
        }
        assert!(query_text("q", "第一行\n第二行", 10).is_ok());
    }
}
