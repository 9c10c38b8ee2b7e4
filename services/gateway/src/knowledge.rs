//! The knowledge base over HTTP (A9, A22): public search and reading without logging in,
//! suggestions for agents, and the editors' workflow, each a call to `rpc.knowledge.<verb>`.
//!
//! Editing endpoints take the acting user and unit in the body (`user_id`, `unit_id`);
//! once roles exist (issue 10) the gateway will check that the caller holds that unit's
//! editor role (center editors review and publish) instead of trusting the body.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use hotline_contract::knowledge::{
    Actor, ArticleContent, ArticleDiff, ArticleHistory, ArticleQuery, ArticleView, DiffQuery,
    DraftArticle, ExportArticles, ExportData, FeedbackReceipt, FeedbackVerdict, HistoryQuery,
    ImportArticles, ImportReport, RecordFeedback, Reindex, ReindexReport, ReviewDecision,
    ReviewVersion, SearchQuery, SearchResults, SetSynonyms, SuggestQuery, Suggestions,
    SynonymTable, SynonymsQuery, TransferFormat, UnpublishArticle, VersionCommand, VersionReceipt,
};
use hotline_contract::rpc::{RpcErrorCode, verbs};
use hotline_contract::vocabulary::Channel;
use hotline_messaging::CallError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::problem::Problem;
use crate::routes::{
    AppState, ask, bad_parameters, call, call_problem, forward, param_error, parse_json, query,
    trace_of,
};

/// The acting editor (until issue 10 brings roles, taken from the body).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditorRequest {
    pub user_id: String,
    pub unit_id: String,
}

impl EditorRequest {
    fn actor(self) -> Actor {
        Actor {
            user_id: self.user_id,
            unit_id: self.unit_id,
        }
    }
}

/// A draft: a new article, a new version by its owner or the center, or a correction
/// proposed by another unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    pub user_id: String,
    pub unit_id: String,
    pub content: ArticleContent,
    #[serde(default)]
    pub note: Option<String>,
}

/// A reviewer's decision on a submitted version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub user_id: String,
    pub unit_id: String,
    pub decision: ReviewDecision,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Taking an article off the public base.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnpublishRequest {
    pub user_id: String,
    pub unit_id: String,
    pub reason: String,
}

/// Feedback on the answer of one version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    pub verdict: FeedbackVerdict,
    #[serde(default)]
    pub order_id: Option<Uuid>,
    #[serde(default)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub agent_id: Option<String>,
}

/// Query string of the public search. Values arrive as text and are checked by the
/// knowledge service; malformed ones are named in a 400.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for (1–200 characters), e.g. `社保卡丢了怎么补办`.
    #[param(required = true)]
    pub q: Option<String>,
    /// GB/T 2260 code of the place asked about (province, prefecture, county or township):
    /// only articles that apply there (scoped to it, to an ancestor, or province-wide).
    pub region: Option<String>,
    /// A category code or prefix, e.g. `social_insurance`.
    pub category: Option<String>,
    /// At most this many hits (1–50, default 10).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

/// Query string of a diff.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    #[param(value_type = u32, required = true)]
    pub from: Option<String>,
    #[param(value_type = u32, required = true)]
    pub to: Option<String>,
}

/// Query string of an export.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The service's validation failures of a query-string request name its parameters: 400.
fn query_problem(error: CallError) -> Problem {
    match error {
        CallError::Rpc(e) if e.code == RpcErrorCode::InvalidRequest => bad_parameters(
            e.fields
                .into_iter()
                .map(|mut f| {
                    if f.field == "region_code" {
                        f.field = "region".to_owned();
                    }
                    f
                })
                .collect(),
        ),
        other => call_problem(other),
    }
}

fn number(field: &str, text: &str) -> Result<u32, Problem> {
    text.parse().map_err(|_| {
        bad_parameters(vec![param_error(
            field,
            "invalid_format",
            &format!("{field} 须为正整数"),
        )])
    })
}

fn article_path(path: Result<Path<String>, PathRejection>) -> Result<String, Problem> {
    path.map(|Path(id)| id).map_err(|_| {
        bad_parameters(vec![param_error(
            "id",
            "invalid_format",
            "文章编号无法解析",
        )])
    })
}

fn version_path(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, u32), Problem> {
    let Path((id, n)) = path.map_err(|_| {
        bad_parameters(vec![param_error(
            "version",
            "invalid_format",
            "路径无法解析",
        )])
    })?;
    Ok((id, number("version", &n)?))
}

/// Search the published, valid articles (public).
#[utoipa::path(
    get,
    path = "/api/v1/knowledge/search",
    params(SearchParams),
    responses(
        (status = 200, description = "命中的知识，按相关度排序；标题和摘要中匹配的词以 <em> 标出", body = SearchResults),
        (status = 400, description = "查询参数有误（q 为空、过长或含控制字符，region 不是贵州的区划代码，category 格式不对，limit 超出范围）", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "服务暂时不可用", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge"
)]
pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResults>, Problem> {
    let trace = trace_of(&headers);
    let params = query(params)?;
    let limit = params
        .limit
        .as_deref()
        .map(|l| number("limit", l))
        .transpose()?;
    let request = SearchQuery {
        q: params.q.unwrap_or_default(),
        region_code: params.region,
        category: params.category,
        limit,
    };
    call(&state, verbs::KNOWLEDGE_SEARCH, &request, &trace)
        .await
        .map(Json)
        .map_err(query_problem)
}

/// A published article's current version (public).
#[utoipa::path(
    get,
    path = "/api/v1/knowledge/articles/{id}",
    params(("id" = String, Path, description = "文章编号")),
    responses(
        (status = 200, description = "当前发布版本", body = ArticleView),
        (status = 404, description = "没有这篇已发布的知识（未发布、已下线或已过期）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge"
)]
pub async fn article(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ArticleView>, Problem> {
    let trace = trace_of(&headers);
    let request = ArticleQuery {
        article_id: article_path(id)?,
        version: None,
    };
    call(&state, verbs::KNOWLEDGE_ARTICLE, &request, &trace)
        .await
        .map(Json)
        .map_err(query_problem)
}

/// An earlier published version of a published article (public).
#[utoipa::path(
    get,
    path = "/api/v1/knowledge/articles/{id}/versions/{n}",
    params(("id" = String, Path, description = "文章编号"), ("n" = u32, Path, description = "版本号")),
    responses(
        (status = 200, description = "该版本", body = ArticleView),
        (status = 400, description = "版本号不是正整数", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "该版本未曾发布，或文章当前未发布", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge"
)]
pub async fn article_version(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<ArticleView>, Problem> {
    let trace = trace_of(&headers);
    let (article_id, version) = version_path(path)?;
    let request = ArticleQuery {
        article_id,
        version: Some(version),
    };
    call(&state, verbs::KNOWLEDGE_ARTICLE, &request, &trace)
        .await
        .map(Json)
        .map_err(query_problem)
}

/// Every version of an article with its workflow status (editors).
#[utoipa::path(
    get,
    path = "/api/v1/knowledge/articles/{id}/history",
    params(("id" = String, Path, description = "文章编号")),
    responses(
        (status = 200, description = "全部版本", body = ArticleHistory),
        (status = 404, description = "没有这篇知识", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ArticleHistory>, Problem> {
    let trace = trace_of(&headers);
    let request = HistoryQuery {
        article_id: article_path(id)?,
    };
    call(&state, verbs::KNOWLEDGE_HISTORY, &request, &trace)
        .await
        .map(Json)
        .map_err(query_problem)
}

/// What changed between two versions, field by field (editors).
#[utoipa::path(
    get,
    path = "/api/v1/knowledge/articles/{id}/diff",
    params(("id" = String, Path, description = "文章编号"), DiffParams),
    responses(
        (status = 200, description = "逐字段差异", body = ArticleDiff),
        (status = 400, description = "from / to 缺少或不是正整数", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "没有该版本", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn diff(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    params: Result<Query<DiffParams>, QueryRejection>,
) -> Result<Json<ArticleDiff>, Problem> {
    let trace = trace_of(&headers);
    let article_id = article_path(id)?;
    let params = query(params)?;
    let from = number("from", params.from.as_deref().unwrap_or_default())?;
    let to = number("to", params.to.as_deref().unwrap_or_default())?;
    let request = DiffQuery {
        article_id,
        from,
        to,
    };
    call(&state, verbs::KNOWLEDGE_DIFF, &request, &trace)
        .await
        .map(Json)
        .map_err(query_problem)
}

async fn draft(
    state: &AppState,
    headers: &HeaderMap,
    article_id: Option<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<VersionReceipt>), Problem> {
    let trace = trace_of(headers);
    let req: DraftRequest = parse_json(body)?;
    let command = DraftArticle {
        actor: Actor {
            user_id: req.user_id,
            unit_id: req.unit_id,
        },
        article_id,
        content: req.content,
        note: req.note,
    };
    let receipt = ask(state, verbs::KNOWLEDGE_DRAFT, &command, &trace).await?;
    Ok((StatusCode::CREATED, receipt))
}

/// Draft a new article (a unit for itself, the center for any unit).
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/articles",
    request_body = DraftRequest,
    responses(
        (status = 201, description = "草稿已保存（第 1 版）", body = VersionReceipt),
        (status = 403, description = "单位不能替其他单位起草", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "内容有误（errors 列出每个字段）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn draft_article(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<VersionReceipt>), Problem> {
    draft(&state, &headers, None, body).await
}

/// Draft a new version: a revision by the owning unit or the center, or a correction
/// proposed by another unit (reviewed by the owner or the center).
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/articles/{id}/versions",
    params(("id" = String, Path, description = "文章编号")),
    request_body = DraftRequest,
    responses(
        (status = 201, description = "新版本草稿已保存（kind 为 revision 或 correction）", body = VersionReceipt),
        (status = 404, description = "没有这篇知识", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "内容有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn draft_version(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<VersionReceipt>), Problem> {
    let article_id = article_path(id)?;
    draft(&state, &headers, Some(article_id), body).await
}

async fn version_step(
    state: &AppState,
    headers: &HeaderMap,
    verb: (&str, &str),
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VersionReceipt>, Problem> {
    let trace = trace_of(headers);
    let (article_id, version) = version_path(path)?;
    let req: EditorRequest = parse_json(body)?;
    let command = VersionCommand {
        actor: req.actor(),
        article_id,
        version,
    };
    ask(state, verb, &command, &trace).await
}

/// Submit a draft for review.
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/articles/{id}/versions/{n}/submit",
    params(("id" = String, Path, description = "文章编号"), ("n" = u32, Path, description = "版本号")),
    request_body = EditorRequest,
    responses(
        (status = 200, description = "已提交审核", body = VersionReceipt),
        (status = 403, description = "不是起草单位", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "不是草稿", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VersionReceipt>, Problem> {
    version_step(&state, &headers, verbs::KNOWLEDGE_SUBMIT, path, body).await
}

/// Approve or reject (with a reason) a submitted version; the reviewer is not the author.
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/articles/{id}/versions/{n}/review",
    params(("id" = String, Path, description = "文章编号"), ("n" = u32, Path, description = "版本号")),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "已审核（approved 或 rejected）", body = VersionReceipt),
        (status = 403, description = "无审核权限，或审核人是起草人", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "不是待审核的版本", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "退回未说明理由", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn review(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VersionReceipt>, Problem> {
    let trace = trace_of(&headers);
    let (article_id, version) = version_path(path)?;
    let req: ReviewRequest = parse_json(body)?;
    let command = ReviewVersion {
        actor: Actor {
            user_id: req.user_id,
            unit_id: req.unit_id,
        },
        article_id,
        version,
        decision: req.decision,
        reason: req.reason,
    };
    ask(&state, verbs::KNOWLEDGE_REVIEW, &command, &trace).await
}

/// Publish an approved version (the center); the previous public version is retired.
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/articles/{id}/versions/{n}/publish",
    params(("id" = String, Path, description = "文章编号"), ("n" = u32, Path, description = "版本号")),
    request_body = EditorRequest,
    responses(
        (status = 200, description = "已发布", body = VersionReceipt),
        (status = 403, description = "只有热线中心可以发布", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "未审核通过，或起草后已有更新的版本发布", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VersionReceipt>, Problem> {
    version_step(&state, &headers, verbs::KNOWLEDGE_PUBLISH, path, body).await
}

/// Take an article off the public base (the center or the owning unit).
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/articles/{id}/unpublish",
    params(("id" = String, Path, description = "文章编号")),
    request_body = UnpublishRequest,
    responses(
        (status = 200, description = "已下线", body = VersionReceipt),
        (status = 403, description = "无权下线", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "当前未发布", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn unpublish(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VersionReceipt>, Problem> {
    let trace = trace_of(&headers);
    let article_id = article_path(id)?;
    let req: UnpublishRequest = parse_json(body)?;
    let command = UnpublishArticle {
        actor: Actor {
            user_id: req.user_id,
            unit_id: req.unit_id,
        },
        article_id,
        reason: req.reason,
    };
    ask(&state, verbs::KNOWLEDGE_UNPUBLISH, &command, &trace).await
}

/// Feedback on a version's answer: helpful, not helpful, or dispatched anyway.
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/articles/{id}/versions/{n}/feedback",
    params(("id" = String, Path, description = "文章编号"), ("n" = u32, Path, description = "版本号")),
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "已记录", body = FeedbackReceipt),
        (status = 404, description = "该版本未曾发布", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge"
)]
pub async fn feedback(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<FeedbackReceipt>, Problem> {
    let trace = trace_of(&headers);
    let (article_id, version) = version_path(path)?;
    let req: FeedbackRequest = parse_json(body)?;
    let command = RecordFeedback {
        article_id,
        version,
        verdict: req.verdict,
        order_id: req.order_id,
        channel: req.channel,
        agent_id: req.agent_id,
    };
    ask(&state, verbs::KNOWLEDGE_FEEDBACK, &command, &trace).await
}

/// Ranked answers with a confidence for a consultation (agents, A9).
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/suggest",
    request_body = SuggestQuery,
    responses(
        (status = 200, description = "建议答复，按置信度排序", body = Suggestions),
        (status = 422, description = "内容为空、过长、含控制字符，或地区代码未知", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "agents"
)]
pub async fn suggest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Suggestions>, Problem> {
    forward::<SuggestQuery, _>(&state, &headers, verbs::KNOWLEDGE_SUGGEST, body).await
}

/// Bulk import (JSON or CSV, the center); all records or none.
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/import",
    request_body = ImportArticles,
    responses(
        (status = 200, description = "导入结果", body = ImportReport),
        (status = 403, description = "只有热线中心可以导入", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "文件有误（errors 列出 records[n].字段）", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, Problem> {
    forward::<ImportArticles, _>(&state, &headers, verbs::KNOWLEDGE_IMPORT, body).await
}

/// Export the published current versions (JSON or CSV).
#[utoipa::path(
    get,
    path = "/api/v1/knowledge/export",
    params(ExportParams),
    responses(
        (status = 200, description = "导出文件（data 字段）", body = ExportData),
        (status = 400, description = "format 只能是 json 或 csv", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Json<ExportData>, Problem> {
    let trace = trace_of(&headers);
    let format = match query(params)?.format.as_deref() {
        None | Some("json") => TransferFormat::Json,
        Some("csv") => TransferFormat::Csv,
        Some(_) => {
            return Err(bad_parameters(vec![param_error(
                "format",
                "invalid_format",
                "format 只能是 json 或 csv",
            )]));
        }
    };
    let request = ExportArticles { format };
    call(&state, verbs::KNOWLEDGE_EXPORT, &request, &trace)
        .await
        .map(Json)
        .map_err(query_problem)
}

/// The synonym / colloquial-variant table.
#[utoipa::path(
    get,
    path = "/api/v1/knowledge/synonyms",
    responses((status = 200, description = "同义词表", body = SynonymTable)),
    tag = "knowledge-editors"
)]
pub async fn synonyms(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SynonymTable>, Problem> {
    let trace = trace_of(&headers);
    ask(&state, verbs::KNOWLEDGE_SYNONYMS, &SynonymsQuery {}, &trace).await
}

/// Replace the synonym table (the center); searches use it at once.
#[utoipa::path(
    put,
    path = "/api/v1/knowledge/synonyms",
    request_body = SetSynonyms,
    responses(
        (status = 200, description = "新的同义词表", body = SynonymTable),
        (status = 403, description = "只有热线中心可以维护", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "词组有误", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn set_synonyms(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SynonymTable>, Problem> {
    forward::<SetSynonyms, _>(&state, &headers, verbs::KNOWLEDGE_SET_SYNONYMS, body).await
}

/// Rebuild the search index from the articles table (the center).
#[utoipa::path(
    post,
    path = "/api/v1/knowledge/reindex",
    request_body = EditorRequest,
    responses(
        (status = 200, description = "索引已重建", body = ReindexReport),
        (status = 403, description = "只有热线中心可以重建", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "knowledge-editors"
)]
pub async fn reindex(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReindexReport>, Problem> {
    let trace = trace_of(&headers);
    let req: EditorRequest = parse_json(body)?;
    let request = Reindex { actor: req.actor() };
    ask(&state, verbs::KNOWLEDGE_REINDEX, &request, &trace).await
}
