//! The knowledge service's SQL (schema `knowledge`): articles, their versions, feedback,
//! the synonym table, expiry reminders and the seed marker.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::knowledge::{ArticleView, FeedbackVerdict, VersionKind, VersionStatus};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::content::ValidContent;
use crate::domain::workflow::{kind_code, parse_kind, parse_status, status_code};
use crate::search::IndexedArticle;

/// The article row: identity, owner, versions.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ArticleRow {
    pub article_id: String,
    pub owner_unit_id: String,
    pub latest_version: i32,
    pub published_version: Option<i32>,
}

#[derive(Debug, sqlx::FromRow)]
struct VersionRow {
    article_id: String,
    version: i32,
    kind: String,
    status: String,
    base_version: Option<i32>,
    title: String,
    questions: Vec<String>,
    answer: String,
    category: String,
    region_code: String,
    owner_unit_id: String,
    legal_basis: Option<String>,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    tags: Vec<String>,
    authored_by: String,
    author_unit_id: String,
    note: Option<String>,
    reviewed_by: Option<String>,
    review_reason: Option<String>,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

const VERSION_COLUMNS: &str = "article_id, version, kind, status, base_version, title, questions, \
     answer, category, region_code, owner_unit_id, legal_basis, valid_from, valid_until, tags, \
     authored_by, author_unit_id, note, reviewed_by, review_reason, published_at, created_at";

fn version_number(n: i32) -> u32 {
    u32::try_from(n).unwrap_or_default()
}

impl From<VersionRow> for ArticleView {
    fn from(r: VersionRow) -> Self {
        ArticleView {
            article_id: r.article_id,
            version: version_number(r.version),
            kind: parse_kind(&r.kind).unwrap_or(VersionKind::Revision),
            status: parse_status(&r.status).unwrap_or(VersionStatus::Draft),
            title: r.title,
            questions: r.questions,
            answer: r.answer,
            category: r.category,
            region_code: r.region_code,
            owner_unit_id: r.owner_unit_id,
            legal_basis: r.legal_basis,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            tags: r.tags,
            base_version: r.base_version.map(version_number),
            authored_by: r.authored_by,
            author_unit_id: r.author_unit_id,
            note: r.note,
            reviewed_by: r.reviewed_by,
            review_reason: r.review_reason,
            published_at: r.published_at,
            created_at: r.created_at,
        }
    }
}

/// What the index keeps of a version.
pub fn indexed(view: &ArticleView) -> IndexedArticle {
    IndexedArticle {
        article_id: view.article_id.clone(),
        version: view.version,
        title: view.title.clone(),
        questions: view.questions.clone(),
        answer: view.answer.clone(),
        tags: view.tags.clone(),
        category: view.category.clone(),
        region_code: view.region_code.clone(),
        valid_from: view.valid_from,
        valid_until: view.valid_until,
    }
}

/// The article, locked for the rest of the transaction (its workflow steps serialise).
pub async fn lock_article(
    conn: &mut PgConnection,
    article_id: &str,
) -> Result<Option<ArticleRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT article_id, owner_unit_id, latest_version, published_version \
         FROM knowledge.articles WHERE article_id = $1 FOR UPDATE",
    )
    .bind(article_id)
    .fetch_optional(conn)
    .await
}

pub async fn article<'e>(
    db: impl PgExecutor<'e>,
    article_id: &str,
) -> Result<Option<ArticleRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT article_id, owner_unit_id, latest_version, published_version \
         FROM knowledge.articles WHERE article_id = $1",
    )
    .bind(article_id)
    .fetch_optional(db)
    .await
}

/// A new article row, with version 1 to come.
pub async fn insert_article(
    conn: &mut PgConnection,
    article_id: &str,
    owner_unit_id: &str,
    created_by: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO knowledge.articles (article_id, owner_unit_id, latest_version, created_by, created_at, updated_at) \
         VALUES ($1, $2, 1, $3, $4, $4) ON CONFLICT (article_id) DO NOTHING",
    )
    .bind(article_id)
    .bind(owner_unit_id)
    .bind(created_by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A new version's facts besides its content.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub article_id: &'a str,
    pub version: i32,
    pub kind: VersionKind,
    pub base_version: Option<i32>,
    pub content: &'a ValidContent,
    pub status: VersionStatus,
    pub authored_by: &'a str,
    pub author_unit_id: &'a str,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn insert_version(
    conn: &mut PgConnection,
    v: &NewVersion<'_>,
) -> Result<(), sqlx::Error> {
    let c = v.content;
    sqlx::query(
        "INSERT INTO knowledge.article_versions (article_id, version, kind, base_version, title, \
         questions, answer, category, region_code, owner_unit_id, legal_basis, valid_from, \
         valid_until, tags, status, authored_by, author_unit_id, note, created_at, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         CASE WHEN $15 = 'submitted' THEN $19 END)",
    )
    .bind(v.article_id)
    .bind(v.version)
    .bind(kind_code(v.kind))
    .bind(v.base_version)
    .bind(&c.title)
    .bind(&c.questions)
    .bind(&c.answer)
    .bind(&c.category)
    .bind(&c.region_code)
    .bind(&c.owner_unit_id)
    .bind(&c.legal_basis)
    .bind(c.valid_from)
    .bind(c.valid_until)
    .bind(&c.tags)
    .bind(status_code(v.status))
    .bind(v.authored_by)
    .bind(v.author_unit_id)
    .bind(v.note)
    .bind(v.at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE knowledge.articles SET latest_version = GREATEST(latest_version, $2), updated_at = $3 \
         WHERE article_id = $1",
    )
    .bind(v.article_id)
    .bind(v.version)
    .bind(v.at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn version<'e>(
    db: impl PgExecutor<'e>,
    article_id: &str,
    version: i32,
) -> Result<Option<ArticleView>, sqlx::Error> {
    let row: Option<VersionRow> = sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM knowledge.article_versions WHERE article_id = $1 AND version = $2"
    ))
    .bind(article_id)
    .bind(version)
    .fetch_optional(db)
    .await?;
    Ok(row.map(ArticleView::from))
}

pub async fn versions<'e>(
    db: impl PgExecutor<'e>,
    article_id: &str,
) -> Result<Vec<ArticleView>, sqlx::Error> {
    let rows: Vec<VersionRow> = sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM knowledge.article_versions WHERE article_id = $1 ORDER BY version"
    ))
    .bind(article_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(ArticleView::from).collect())
}

/// Every article's public version, for (re)building the index, in id order.
pub async fn published<'e>(db: impl PgExecutor<'e>) -> Result<Vec<ArticleView>, sqlx::Error> {
    let rows: Vec<VersionRow> = sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM knowledge.article_versions WHERE status = 'published' ORDER BY article_id"
    ))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(ArticleView::from).collect())
}

/// The public view of an article: its current published version (or an earlier one that
/// was published, up to it), while the article is published and valid on `today`.
pub async fn public_version<'e>(
    db: impl PgExecutor<'e>,
    article_id: &str,
    version: Option<i32>,
    today: NaiveDate,
) -> Result<Option<ArticleView>, sqlx::Error> {
    let row: Option<VersionRow> = sqlx::query_as(&format!(
        "SELECT {columns} FROM knowledge.article_versions v \
         WHERE v.article_id = $1 \
           AND v.version = COALESCE($2, (SELECT published_version FROM knowledge.articles WHERE article_id = $1)) \
           AND v.status IN ('published', 'retired') \
           AND EXISTS (SELECT 1 FROM knowledge.article_versions cur \
                       WHERE cur.article_id = $1 AND cur.status = 'published' \
                         AND cur.version >= v.version \
                         AND cur.valid_from <= $3 AND (cur.valid_until IS NULL OR cur.valid_until >= $3))",
        columns = VERSION_COLUMNS
            .split(", ")
            .map(|c| format!("v.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(article_id)
    .bind(version)
    .bind(today)
    .fetch_optional(db)
    .await?;
    Ok(row.map(ArticleView::from))
}

pub async fn mark_submitted(
    conn: &mut PgConnection,
    article_id: &str,
    version: i32,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE knowledge.article_versions SET status = 'submitted', submitted_at = $3 \
         WHERE article_id = $1 AND version = $2",
    )
    .bind(article_id)
    .bind(version)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_reviewed(
    conn: &mut PgConnection,
    article_id: &str,
    version: i32,
    status: VersionStatus,
    reviewer: (&str, &str),
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE knowledge.article_versions SET status = $3, reviewed_by = $4, reviewer_unit_id = $5, \
         review_reason = $6, reviewed_at = $7 WHERE article_id = $1 AND version = $2",
    )
    .bind(article_id)
    .bind(version)
    .bind(status_code(status))
    .bind(reviewer.0)
    .bind(reviewer.1)
    .bind(reason)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest version published (now or before) after `base` (any, when `base` is
/// `None`), other than `version`: publishing `version` over it would undo its changes.
pub async fn published_since(
    conn: &mut PgConnection,
    article_id: &str,
    base: Option<i32>,
    version: i32,
) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT max(version) FROM knowledge.article_versions \
         WHERE article_id = $1 AND version <> $3 AND version > COALESCE($2, 0) \
           AND status IN ('published', 'retired', 'unpublished')",
    )
    .bind(article_id)
    .bind(base)
    .bind(version)
    .fetch_one(conn)
    .await
}

/// Make `version` the public one: the previous public version is retired.
pub async fn mark_published(
    conn: &mut PgConnection,
    article_id: &str,
    version: i32,
    owner_unit_id: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Option<i32>, sqlx::Error> {
    let replaced: Option<i32> = sqlx::query_scalar(
        "UPDATE knowledge.article_versions SET status = 'retired', ended_at = $2, ended_by = $3 \
         WHERE article_id = $1 AND status = 'published' RETURNING version",
    )
    .bind(article_id)
    .bind(at)
    .bind(by)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE knowledge.article_versions SET status = 'published', published_by = $3, published_at = $4 \
         WHERE article_id = $1 AND version = $2",
    )
    .bind(article_id)
    .bind(version)
    .bind(by)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE knowledge.articles SET published_version = $2, owner_unit_id = $3, updated_at = $4 \
         WHERE article_id = $1",
    )
    .bind(article_id)
    .bind(version)
    .bind(owner_unit_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(replaced)
}

pub async fn mark_unpublished(
    conn: &mut PgConnection,
    article_id: &str,
    version: i32,
    by: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE knowledge.article_versions SET status = 'unpublished', ended_at = $3, ended_by = $4, \
         end_reason = $5 WHERE article_id = $1 AND version = $2",
    )
    .bind(article_id)
    .bind(version)
    .bind(at)
    .bind(by)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE knowledge.articles SET published_version = NULL, updated_at = $2 WHERE article_id = $1",
    )
    .bind(article_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub fn verdict_code(verdict: FeedbackVerdict) -> &'static str {
    match verdict {
        FeedbackVerdict::Helpful => "helpful",
        FeedbackVerdict::NotHelpful => "not_helpful",
        FeedbackVerdict::DispatchedAnyway => "dispatched_anyway",
    }
}

/// A feedback row.
#[derive(Debug, Clone)]
pub struct NewFeedback<'a> {
    pub feedback_id: Uuid,
    pub article_id: &'a str,
    pub version: i32,
    pub verdict: FeedbackVerdict,
    pub order_id: Option<Uuid>,
    pub channel: Option<&'a str>,
    pub agent_id: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn insert_feedback(
    conn: &mut PgConnection,
    f: &NewFeedback<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO knowledge.feedback (feedback_id, article_id, version, verdict, order_id, channel, agent_id, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(f.feedback_id)
    .bind(f.article_id)
    .bind(f.version)
    .bind(verdict_code(f.verdict))
    .bind(f.order_id)
    .bind(f.channel)
    .bind(f.agent_id)
    .bind(f.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the version exists and was ever public (feedback is about what people saw).
pub async fn was_published<'e>(
    db: impl PgExecutor<'e>,
    article_id: &str,
    version: i32,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM knowledge.article_versions WHERE article_id = $1 AND version = $2 \
         AND published_at IS NOT NULL)",
    )
    .bind(article_id)
    .bind(version)
    .fetch_one(db)
    .await
}

pub async fn synonym_groups<'e>(db: impl PgExecutor<'e>) -> Result<Vec<Vec<String>>, sqlx::Error> {
    sqlx::query_scalar("SELECT words FROM knowledge.synonym_groups ORDER BY position")
        .fetch_all(db)
        .await
}

pub async fn replace_synonyms(
    conn: &mut PgConnection,
    groups: &[Vec<String>],
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM knowledge.synonym_groups")
        .execute(&mut *conn)
        .await?;
    for (position, words) in groups.iter().enumerate() {
        sqlx::query(
            "INSERT INTO knowledge.synonym_groups (position, words, updated_by, updated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .bind(words)
        .bind(by)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Mark the seed as loaded; false when it already was (another replica, an earlier start).
pub async fn claim_seed(conn: &mut PgConnection, at: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO knowledge.seed_state (id, seeded_at) VALUES (true, $1) ON CONFLICT DO NOTHING",
    )
    .bind(at)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A published version whose validity ends within the window and whose owner was not
/// reminded yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Expiring {
    pub article_id: String,
    pub version: i32,
    pub owner_unit_id: String,
    pub title: String,
    pub valid_until: NaiveDate,
}

/// Claim up to `limit` published versions ending between `today` and `last_day`, not yet
/// reminded, skipping rows another scan holds.
pub async fn claim_expiring(
    conn: &mut PgConnection,
    today: NaiveDate,
    last_day: NaiveDate,
    limit: i64,
) -> Result<Vec<Expiring>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.article_id, v.version, v.owner_unit_id, v.title, v.valid_until \
         FROM knowledge.article_versions v \
         WHERE v.status = 'published' AND v.valid_until BETWEEN $1 AND $2 \
           AND NOT EXISTS (SELECT 1 FROM knowledge.expiry_reminders r \
                           WHERE r.article_id = v.article_id AND r.version = v.version) \
         ORDER BY v.valid_until, v.article_id LIMIT $3 FOR UPDATE OF v SKIP LOCKED",
    )
    .bind(today)
    .bind(last_day)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Record a reminder; false when one was already recorded.
pub async fn record_expiry_reminder(
    conn: &mut PgConnection,
    e: &Expiring,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO knowledge.expiry_reminders (article_id, version, valid_until, reminded_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&e.article_id)
    .bind(e.version)
    .bind(e.valid_until)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
