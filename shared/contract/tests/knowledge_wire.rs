#![allow(clippy::unwrap_used)]
//! Frozen wire formats of the knowledge base: its events and request/reply bodies.
//! A failing snapshot means a wire change: make a new event version instead of editing.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hotline_contract::envelope::Envelope;
use hotline_contract::knowledge::*;
use hotline_contract::vocabulary::Channel;
use hotline_contract::{Event, RawEnvelope};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, h, m, 0).unwrap()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

const EVENT_ID: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_00ff);
const FEEDBACK: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0fb1);
const ORDER: Uuid = Uuid::from_u128(0x0193_6a1e_0000_7000_8000_0000_0000_0001);

fn event<T: Event + std::fmt::Debug + PartialEq>(data: T) -> serde_json::Value {
    let mut env = Envelope::at("knowledge", data.aggregate_id(), at(12, 0), data);
    env.id = EVENT_ID;
    let bytes = env.to_bytes().unwrap();
    let raw = RawEnvelope::parse(&bytes).unwrap();
    assert_eq!(raw.decode::<T>().unwrap(), env);
    serde_json::from_slice(&bytes).unwrap()
}

/// The body as JSON, after checking that it decodes back to itself.
fn body<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: T,
) -> serde_json::Value {
    let json = serde_json::to_value(&value).unwrap();
    assert_eq!(serde_json::from_value::<T>(json.clone()).unwrap(), value);
    json
}

fn actor() -> Actor {
    Actor {
        user_id: "editor-li".to_owned(),
        unit_id: "520100-hpf".to_owned(),
    }
}

fn content() -> ArticleContent {
    ArticleContent {
        title: "住房公积金提取需要哪些材料？".to_owned(),
        questions: vec!["公积金怎么取出来".to_owned()],
        answer: "提取住房公积金一般需要本人身份证件和提取事由证明材料。".to_owned(),
        category: "housing_fund.withdrawal".to_owned(),
        region_code: "520100".to_owned(),
        owner_unit_id: Some("520100-hpf".to_owned()),
        legal_basis: Some("《住房公积金管理条例》".to_owned()),
        valid_from: Some(day(1, 1)),
        valid_until: Some(day(12, 31)),
        tags: vec!["公积金".to_owned(), "提取".to_owned()],
    }
}

fn view() -> ArticleView {
    ArticleView {
        article_id: "hpf-withdrawal-materials".to_owned(),
        version: 2,
        kind: VersionKind::Revision,
        status: VersionStatus::Published,
        title: "住房公积金提取需要哪些材料？".to_owned(),
        questions: vec!["公积金怎么取出来".to_owned()],
        answer: "提取住房公积金一般需要本人身份证件和提取事由证明材料。".to_owned(),
        category: "housing_fund.withdrawal".to_owned(),
        region_code: "520100".to_owned(),
        owner_unit_id: "520100-hpf".to_owned(),
        legal_basis: None,
        valid_from: day(1, 1),
        valid_until: None,
        tags: vec![],
        base_version: Some(1),
        authored_by: "editor-li".to_owned(),
        author_unit_id: "520100-hpf".to_owned(),
        note: None,
        reviewed_by: Some("center-wang".to_owned()),
        review_reason: None,
        published_at: Some(at(10, 0)),
        created_at: at(9, 0),
    }
}

#[test]
fn article_published_v1() {
    insta::assert_json_snapshot!(event(ArticlePublished {
        article_id: "hpf-withdrawal-materials".to_owned(),
        version: 2,
        replaces_version: Some(1),
        owner_unit_id: "520100-hpf".to_owned(),
        category: "housing_fund.withdrawal".to_owned(),
        region_code: "520100".to_owned(),
        published_by: "center-wang".to_owned(),
        published_at: at(10, 0),
    }));
}

#[test]
fn article_unpublished_v1() {
    insta::assert_json_snapshot!(event(ArticleUnpublished {
        article_id: "hpf-withdrawal-materials".to_owned(),
        version: 2,
        owner_unit_id: "520100-hpf".to_owned(),
        unpublished_by: "center-wang".to_owned(),
        reason: "政策调整，待更新".to_owned(),
        unpublished_at: at(11, 0),
    }));
}

#[test]
fn article_expiring_v1() {
    insta::assert_json_snapshot!(event(ArticleExpiring {
        article_id: "hpf-withdrawal-materials".to_owned(),
        version: 2,
        owner_unit_id: "520100-hpf".to_owned(),
        title: "住房公积金提取需要哪些材料？".to_owned(),
        valid_until: day(12, 31),
        reminded_at: at(3, 0),
    }));
}

#[test]
fn feedback_recorded_v1() {
    insta::assert_json_snapshot!(event(FeedbackRecorded {
        feedback_id: FEEDBACK,
        article_id: "hpf-withdrawal-materials".to_owned(),
        version: 2,
        verdict: FeedbackVerdict::DispatchedAnyway,
        order_id: Some(ORDER),
        channel: Some(Channel::Phone),
        recorded_at: at(12, 0),
    }));
}

#[test]
fn draft_article() {
    insta::assert_json_snapshot!(body(DraftArticle {
        actor: actor(),
        article_id: Some("hpf-withdrawal-materials".to_owned()),
        content: content(),
        note: Some("补充提取材料".to_owned()),
    }));
}

#[test]
fn review_version() {
    insta::assert_json_snapshot!(body(ReviewVersion {
        actor: actor(),
        article_id: "hpf-withdrawal-materials".to_owned(),
        version: 2,
        decision: ReviewDecision::Reject,
        reason: Some("政策依据需写明文件名称".to_owned()),
    }));
}

#[test]
fn workflow_commands_and_receipt() {
    insta::assert_json_snapshot!(serde_json::json!({
        "version_command": body(VersionCommand { actor: actor(), article_id: "a1".to_owned(), version: 3 }),
        "unpublish": body(UnpublishArticle { actor: actor(), article_id: "a1".to_owned(), reason: "过期".to_owned() }),
        "receipt": body(VersionReceipt {
            article_id: "a1".to_owned(),
            version: 3,
            kind: VersionKind::Correction,
            status: VersionStatus::Submitted,
            at: at(9, 30),
        }),
    }));
}

#[test]
fn article_view_and_history() {
    insta::assert_json_snapshot!(body(ArticleHistory {
        article_id: "hpf-withdrawal-materials".to_owned(),
        owner_unit_id: "520100-hpf".to_owned(),
        published_version: Some(2),
        versions: vec![view()],
    }));
    insta::assert_json_snapshot!(body(ArticleQuery {
        article_id: "hpf-withdrawal-materials".to_owned(),
        version: Some(1),
    }));
}

#[test]
fn article_diff() {
    insta::assert_json_snapshot!(body(ArticleDiff {
        article_id: "a1".to_owned(),
        from: 1,
        to: 2,
        changes: vec![FieldChange {
            field: "tags".to_owned(),
            before: serde_json::json!(["公积金"]),
            after: serde_json::json!(["公积金", "提取"]),
        }],
    }));
}

#[test]
fn search_query_and_results() {
    insta::assert_json_snapshot!(body(SearchQuery {
        q: "公积金怎么取".to_owned(),
        region_code: Some("520102".to_owned()),
        category: Some("housing_fund".to_owned()),
        limit: Some(5),
    }));
    insta::assert_json_snapshot!(body(SearchResults {
        hits: vec![SearchHit {
            article_id: "hpf-withdrawal-materials".to_owned(),
            version: 2,
            title: "住房公积金提取需要哪些材料？".to_owned(),
            title_html: "住房<em>公积金</em><em>提取</em>需要哪些材料？".to_owned(),
            snippet_html: "<em>提取</em>住房<em>公积金</em>一般需要".to_owned(),
            category: "housing_fund.withdrawal".to_owned(),
            region_code: "520100".to_owned(),
            score: 12.5,
        }],
    }));
}

#[test]
fn suggest_query_and_suggestions() {
    insta::assert_json_snapshot!(body(SuggestQuery {
        text: "我想把公积金取出来要带什么".to_owned(),
        region_code: "520102".to_owned(),
        category: None,
        limit: None,
    }));
    insta::assert_json_snapshot!(body(Suggestions {
        suggestions: vec![Suggestion {
            article_id: "hpf-withdrawal-materials".to_owned(),
            version: 2,
            title: "住房公积金提取需要哪些材料？".to_owned(),
            answer: "提取住房公积金一般需要本人身份证件和提取事由证明材料。".to_owned(),
            confidence: 0.82,
        }],
        auto_answer_threshold: 0.75,
        auto_answer: true,
    }));
}

#[test]
fn feedback_bodies() {
    insta::assert_json_snapshot!(body(RecordFeedback {
        article_id: "hpf-withdrawal-materials".to_owned(),
        version: 2,
        verdict: FeedbackVerdict::Helpful,
        order_id: Some(ORDER),
        channel: Some(Channel::WebMessage),
        agent_id: None,
    }));
    insta::assert_json_snapshot!(body(FeedbackReceipt {
        feedback_id: FEEDBACK,
        recorded_at: at(12, 0),
    }));
}

#[test]
fn import_export_and_records() {
    insta::assert_json_snapshot!(body(ArticleRecord {
        article_id: "hpf-withdrawal-materials".to_owned(),
        content: content(),
    }));
    insta::assert_json_snapshot!(serde_json::json!({
        "import": body(ImportArticles { actor: actor(), format: TransferFormat::Csv, data: "article_id,title\n".to_owned(), publish: true }),
        "report": body(ImportReport { created: 200, revised: 1, unchanged: 3, published: 201 }),
        "export": body(ExportArticles { format: TransferFormat::Json }),
        "data": body(ExportData { format: TransferFormat::Json, count: 0, data: "[]".to_owned() }),
    }));
}

#[test]
fn synonyms_and_reindex() {
    insta::assert_json_snapshot!(serde_json::json!({
        "query": body(SynonymsQuery {}),
        "set": body(SetSynonyms {
            actor: actor(),
            groups: vec![SynonymGroup { words: vec!["社保".to_owned(), "社会保险".to_owned()] }],
        }),
        "table": body(SynonymTable { groups: vec![SynonymGroup { words: vec!["户口".to_owned(), "户籍".to_owned()] }] }),
        "reindex": body(Reindex { actor: actor() }),
        "report": body(ReindexReport { articles: 200, took_ms: 85 }),
    }));
}
