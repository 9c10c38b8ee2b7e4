//! The full-text index of the published articles: a tantivy index in RAM (or in a
//! directory, from config), a projection of the articles table.
//!
//! Each published article is one document: title, question variants, tags and answer
//! analysed into words ([`analysis::WORDS`]) and, for title + questions and the answer, into
//! character bigrams ([`analysis::BIGRAMS`]); its category (with every prefix, so
//! `social_insurance` finds `social_insurance.pension`), its region code and its validity
//! (days, so expiry needs no re-indexing: the filter compares with today).
//!
//! A query is a sum of per-field BM25 scores: each query word against each word field with
//! the field's boost, words the synonym table adds at [`SYNONYM_WEIGHT`], bigrams at lower
//! weights; filters (region, category, validity) only restrict. Weights were chosen on the
//! labelled queries (`docs/knowledge.md`).

use std::collections::HashSet;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{Datelike, NaiveDate};
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analysis::{self, BIGRAMS, BigramTokenizer, WORDS, WordTokenizer};
use super::synonyms::Synonyms;

/// Field boosts (see the module docs).
pub const TITLE_WEIGHT: f32 = 3.0;
pub const QUESTIONS_WEIGHT: f32 = 2.5;
pub const TAGS_WEIGHT: f32 = 1.5;
pub const ANSWER_WEIGHT: f32 = 0.6;
pub const HEAD_BIGRAM_WEIGHT: f32 = 1.0;
pub const ANSWER_BIGRAM_WEIGHT: f32 = 0.2;
/// Words added by the synonym table count this much of the citizen's own words.
pub const SYNONYM_WEIGHT: f32 = 0.8;
/// A query's words and bigrams beyond these are ignored (a long web message is still
/// searched by its beginning, and the query stays cheap).
pub const MAX_QUERY_TERMS: usize = 48;
/// Characters of answer shown around the matches.
pub const SNIPPET_CHARS: usize = 120;
/// Heap of the index writer (one thread; the machine has two cores).
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;

/// The index could not be built, written or read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(String),
    #[error("search index writer lock poisoned")]
    Poisoned,
}

/// What the index keeps of a published article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedArticle {
    pub article_id: String,
    pub version: u32,
    pub title: String,
    pub questions: Vec<String>,
    pub answer: String,
    pub tags: Vec<String>,
    pub category: String,
    pub region_code: String,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

/// Which articles a search may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchFilter {
    /// Region codes an article may be scoped to (the place asked about and its
    /// ancestors); `None`: any.
    pub regions: Option<Vec<String>>,
    /// A category code or prefix.
    pub category: Option<String>,
    /// Only articles valid on this day (Asia/Shanghai).
    pub today: NaiveDate,
}

/// One hit, with the stored article and highlighted title and snippet.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredHit {
    pub article: IndexedArticle,
    pub score: f32,
    pub title_html: String,
    pub snippet_html: String,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    article_id: Field,
    version: Field,
    title: Field,
    questions: Field,
    tags: Field,
    answer: Field,
    head_bigrams: Field,
    answer_bigrams: Field,
    category: Field,
    category_path: Field,
    region: Field,
    valid_from: Field,
    valid_until: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = |tokenizer: &str, stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let fields = Fields {
        article_id: b.add_text_field("article_id", STRING | STORED),
        version: b.add_u64_field("version", STORED),
        title: b.add_text_field("title", analysed(WORDS, true)),
        questions: b.add_text_field("questions", analysed(WORDS, true)),
        tags: b.add_text_field("tags", analysed(WORDS, true)),
        answer: b.add_text_field("answer", analysed(WORDS, true)),
        head_bigrams: b.add_text_field("head_bigrams", analysed(BIGRAMS, false)),
        answer_bigrams: b.add_text_field("answer_bigrams", analysed(BIGRAMS, false)),
        category: b.add_text_field("category", STRING | STORED),
        category_path: b.add_text_field("category_path", STRING),
        region: b.add_text_field("region", STRING | STORED),
        valid_from: b.add_i64_field("valid_from", INDEXED | FAST | STORED),
        valid_until: b.add_i64_field("valid_until", INDEXED | FAST | STORED),
    };
    (b.build(), fields)
}

fn day_number(day: NaiveDate) -> i64 {
    i64::from(day.num_days_from_ce())
}

fn from_day_number(n: i64) -> Option<NaiveDate> {
    i32::try_from(n)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// The index, its reader and its one writer.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    synonyms: RwLock<Arc<Synonyms>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// An empty index in RAM, or in `directory` (created if missing; its old content is
    /// replaced by the next [`SearchIndex::rebuild`]).
    pub fn open(directory: Option<&Path>, synonyms: Synonyms) -> Result<Self, IndexError> {
        let (schema, fields) = schema();
        let index = match directory {
            None => Index::create_in_ram(schema),
            Some(path) => {
                std::fs::create_dir_all(path)
                    .map_err(|e| IndexError::Directory(format!("{}: {e}", path.display())))?;
                let dir = MmapDirectory::open(path)
                    .map_err(|e| IndexError::Directory(format!("{}: {e}", path.display())))?;
                Index::open_or_create(dir, schema)?
            }
        };
        index
            .tokenizers()
            .register(WORDS, tantivy::tokenizer::TextAnalyzer::from(WordTokenizer));
        index.tokenizers().register(
            BIGRAMS,
            tantivy::tokenizer::TextAnalyzer::from(BigramTokenizer),
        );
        analysis::warm_up();
        let writer = index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            writer: Mutex::new(writer),
            fields,
            synonyms: RwLock::new(Arc::new(synonyms)),
        })
    }

    /// Replace the synonym table (applied from the next query on).
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        if let Ok(mut current) = self.synonyms.write() {
            *current = Arc::new(synonyms);
        }
    }

    pub fn synonyms(&self) -> Arc<Synonyms> {
        self.synonyms.read().map(|s| s.clone()).unwrap_or_default()
    }

    fn document(&self, article: &IndexedArticle) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.article_id, &article.article_id);
        doc.add_u64(f.version, u64::from(article.version));
        doc.add_text(f.title, &article.title);
        doc.add_text(f.head_bigrams, &article.title);
        for question in &article.questions {
            doc.add_text(f.questions, question);
            doc.add_text(f.head_bigrams, question);
        }
        for tag in &article.tags {
            doc.add_text(f.tags, tag);
        }
        doc.add_text(f.answer, &article.answer);
        doc.add_text(f.answer_bigrams, &article.answer);
        doc.add_text(f.category, &article.category);
        let mut prefix = String::new();
        for segment in article.category.split('.') {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(segment);
            doc.add_text(f.category_path, &prefix);
        }
        doc.add_text(f.region, &article.region_code);
        doc.add_i64(f.valid_from, day_number(article.valid_from));
        doc.add_i64(
            f.valid_until,
            article.valid_until.map_or(i64::MAX, day_number),
        );
        doc
    }

    fn commit(&self, writer: &mut IndexWriter) -> Result<(), IndexError> {
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Replace the whole index with `articles` (blocking: call it off the async runtime).
    pub fn rebuild(
        &self,
        articles: impl IntoIterator<Item = IndexedArticle>,
    ) -> Result<usize, IndexError> {
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.delete_all_documents()?;
        let mut count = 0;
        for article in articles {
            writer.add_document(self.document(&article))?;
            count += 1;
        }
        self.commit(&mut writer)?;
        Ok(count)
    }

    /// Index `article` as its article's only document (blocking).
    pub fn upsert(&self, article: &IndexedArticle) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.delete_term(Term::from_field_text(
            self.fields.article_id,
            &article.article_id,
        ));
        writer.add_document(self.document(article))?;
        self.commit(&mut writer)
    }

    /// Drop an article from the index (blocking).
    pub fn remove(&self, article_id: &str) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.delete_term(Term::from_field_text(self.fields.article_id, article_id));
        self.commit(&mut writer)
    }

    /// How many articles are indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scoring part of a query for `text`; `None` when it has no searchable word.
    fn text_query(&self, text: &str) -> Option<BooleanQuery> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let term = |field: Field, text: &str, boost: f32| -> (Occur, Box<dyn Query>) {
            let query = TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            );
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), boost)),
            )
        };
        let mut add_words =
            |words: Vec<analysis::Term>, weight: f32, seen: &mut HashSet<String>| {
                for word in words {
                    if seen.len() >= MAX_QUERY_TERMS {
                        break;
                    }
                    if !seen.insert(word.text.clone()) {
                        continue;
                    }
                    clauses.push(term(f.title, &word.text, TITLE_WEIGHT * weight));
                    clauses.push(term(f.questions, &word.text, QUESTIONS_WEIGHT * weight));
                    clauses.push(term(f.tags, &word.text, TAGS_WEIGHT * weight));
                    clauses.push(term(f.answer, &word.text, ANSWER_WEIGHT * weight));
                }
            };
        let mut seen = HashSet::new();
        add_words(analysis::words(text), 1.0, &mut seen);
        let own_words = seen.len();
        for expansion in self.synonyms().expansions(text) {
            add_words(analysis::words(&expansion), SYNONYM_WEIGHT, &mut seen);
        }
        let mut seen_bigrams = HashSet::new();
        for bigram in analysis::bigrams(text) {
            if seen_bigrams.len() >= MAX_QUERY_TERMS {
                break;
            }
            if seen_bigrams.insert(bigram.text.clone()) {
                clauses.push(term(f.head_bigrams, &bigram.text, HEAD_BIGRAM_WEIGHT));
                clauses.push(term(f.answer_bigrams, &bigram.text, ANSWER_BIGRAM_WEIGHT));
            }
        }
        if own_words == 0 && seen_bigrams.is_empty() {
            return None;
        }
        Some(BooleanQuery::new(clauses))
    }

    fn filter_clauses(&self, filter: &SearchFilter) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let only = |query: Box<dyn Query>| -> (Occur, Box<dyn Query>) {
            (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
        };
        let mut clauses = Vec::new();
        if let Some(regions) = &filter.regions {
            let any: Vec<(Occur, Box<dyn Query>)> = regions
                .iter()
                .map(|code| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(f.region, code),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            clauses.push(only(Box::new(BooleanQuery::new(any))));
        }
        if let Some(category) = &filter.category {
            clauses.push(only(Box::new(TermQuery::new(
                Term::from_field_text(f.category_path, category),
                IndexRecordOption::Basic,
            ))));
        }
        let today = day_number(filter.today);
        clauses.push(only(Box::new(RangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_i64(f.valid_from, today)),
        ))));
        clauses.push(only(Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(f.valid_until, today)),
            Bound::Unbounded,
        ))));
        clauses
    }

    fn stored(&self, doc: &TantivyDocument) -> IndexedArticle {
        let f = &self.fields;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let all = |field: Field| -> Vec<String> {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let day = |field: Field| doc.get_first(field).and_then(|v| v.as_i64());
        IndexedArticle {
            article_id: text(f.article_id),
            version: doc
                .get_first(f.version)
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or_default(),
            title: text(f.title),
            questions: all(f.questions),
            answer: text(f.answer),
            tags: all(f.tags),
            category: text(f.category),
            region_code: text(f.region),
            valid_from: day(f.valid_from)
                .and_then(from_day_number)
                .unwrap_or_default(),
            valid_until: day(f.valid_until)
                .filter(|d| *d != i64::MAX)
                .and_then(from_day_number),
        }
    }

    /// The words to mark in hits: the query's words and those the synonym table adds,
    /// single characters left out (they would mark half an answer).
    fn highlight_terms(&self, text: &str) -> Vec<String> {
        let mut terms: Vec<String> = analysis::words(text)
            .into_iter()
            .map(|t| t.text)
            .chain(
                self.synonyms()
                    .expansions(text)
                    .iter()
                    .flat_map(|e| analysis::words(e).into_iter().map(|t| t.text)),
            )
            .filter(|t| t.chars().count() > 1)
            .collect();
        terms.sort();
        terms.dedup();
        terms
    }

    /// The best `limit` published articles for `text` under `filter` (blocking).
    pub fn search(
        &self,
        text: &str,
        filter: &SearchFilter,
        limit: usize,
    ) -> Result<Vec<StoredHit>, IndexError> {
        let Some(text_query) = self.text_query(text) else {
            return Ok(Vec::new());
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(text_query))];
        clauses.extend(self.filter_clauses(filter));
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        if top.is_empty() {
            return Ok(Vec::new());
        }
        let marks = self.highlight_terms(text);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let article = self.stored(&doc);
            let title_html = highlighted(&article.title, &marks, usize::MAX);
            let snippet_html = highlighted(&article.answer, &marks, SNIPPET_CHARS);
            hits.push(StoredHit {
                article,
                score,
                title_html,
                snippet_html,
            });
        }
        Ok(hits)
    }
}

/// `text` with every occurrence of `terms` in `<em>` (HTML-escaped); longer than
/// `max_chars`, the window with the most highlighted characters, with `…` where cut.
pub fn highlighted(text: &str, terms: &[String], max_chars: usize) -> String {
    let folded: Vec<char> = text.chars().map(analysis::fold).collect();
    let original: Vec<char> = text.chars().collect();
    let mut marked = vec![false; folded.len()];
    for term in terms {
        let term: Vec<char> = term.chars().collect();
        if term.is_empty() || term.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - term.len() {
            if folded[start..start + term.len()] == term[..] {
                marked[start..start + term.len()].fill(true);
            }
        }
    }
    let (from, to) = if original.len() <= max_chars {
        (0, original.len())
    } else {
        // The window of `max_chars` with the most marked characters (first one on ties).
        let mut count = marked[..max_chars].iter().filter(|m| **m).count();
        let (mut best, mut best_start) = (count, 0);
        for start in 1..=original.len() - max_chars {
            count =
                count + usize::from(marked[start + max_chars - 1]) - usize::from(marked[start - 1]);
            if count > best {
                (best, best_start) = (count, start);
            }
        }
        (best_start, best_start + max_chars)
    };
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut open = false;
    for i in from..to {
        if marked[i] != open {
            out.push_str(if marked[i] { "<em>" } else { "</em>" });
            open = marked[i];
        }
        escape_into(&mut out, original[i]);
    }
    if open {
        out.push_str("</em>");
    }
    if to < original.len() {
        out.push('…');
    }
    out
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#x27;"),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::synonyms::parse_table;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn article(
        id: &str,
        title: &str,
        answer: &str,
        category: &str,
        region: &str,
    ) -> IndexedArticle {
        IndexedArticle {
            article_id: id.to_owned(),
            version: 1,
            title: title.to_owned(),
            questions: vec![],
            answer: answer.to_owned(),
            tags: vec![],
            category: category.to_owned(),
            region_code: region.to_owned(),
            valid_from: day(2026, 1, 1),
            valid_until: None,
        }
    }

    fn index() -> SearchIndex {
        let index = SearchIndex::open(
            None,
            Synonyms::new(&parse_table("社保 社会保险\n户口 户籍")),
        )
        .unwrap();
        index
            .rebuild([
                article(
                    "si-card",
                    "社会保险卡丢失怎么补办",
                    "携带身份证到经办网点办理挂失和补办。",
                    "social_insurance.card",
                    "520000",
                ),
                article(
                    "hr-move",
                    "户籍迁移需要什么材料",
                    "户籍迁入须持<准迁证>等材料到派出所办理。",
                    "household.migration",
                    "520100",
                ),
                article(
                    "hr-move-zunyi",
                    "遵义市户籍迁移办理地点",
                    "到户籍所在地派出所办理。",
                    "household.migration",
                    "520300",
                ),
            ])
            .unwrap();
        index
    }

    fn filter() -> SearchFilter {
        SearchFilter {
            regions: None,
            category: None,
            today: day(2026, 11, 28),
        }
    }

    fn ids(hits: &[StoredHit]) -> Vec<&str> {
        hits.iter().map(|h| h.article.article_id.as_str()).collect()
    }

    #[test]
    fn a_colloquial_word_finds_the_article_through_the_synonym_table() {
        let index = index();
        let hits = index.search("社保卡掉了咋办", &filter(), 5).unwrap();
        assert_eq!(ids(&hits)[0], "si-card");
        assert!(
            hits[0].title_html.contains("<em>"),
            "{}",
            hits[0].title_html
        );
        let hits = index.search("户口迁移", &filter(), 5).unwrap();
        assert!(ids(&hits).contains(&"hr-move"));
    }

    #[test]
    fn region_and_category_filters_restrict_the_hits() {
        let index = index();
        let guiyang = SearchFilter {
            regions: Some(vec!["520102".into(), "520100".into(), "520000".into()]),
            ..filter()
        };
        let hits = index.search("户籍迁移", &guiyang, 5).unwrap();
        assert_eq!(ids(&hits), ["hr-move"]);
        let category = SearchFilter {
            category: Some("social_insurance".into()),
            ..filter()
        };
        let hits = index.search("补办 户籍", &category, 5).unwrap();
        assert_eq!(ids(&hits), ["si-card"]);
    }

    #[test]
    fn expired_and_not_yet_valid_articles_are_not_returned() {
        let index = index();
        let mut expired = article(
            "old",
            "社保卡补办旧规定",
            "旧答复",
            "social_insurance.card",
            "520000",
        );
        expired.valid_until = Some(day(2026, 11, 27));
        let mut future = article(
            "new",
            "社保卡补办新规定",
            "新答复",
            "social_insurance.card",
            "520000",
        );
        future.valid_from = day(2026, 11, 29);
        index.upsert(&expired).unwrap();
        index.upsert(&future).unwrap();
        let hits = index.search("社保卡补办规定", &filter(), 10).unwrap();
        assert!(!ids(&hits).contains(&"old") && !ids(&hits).contains(&"new"));
        let tomorrow = SearchFilter {
            today: day(2026, 11, 29),
            ..filter()
        };
        assert!(ids(&index.search("社保卡补办规定", &tomorrow, 10).unwrap()).contains(&"new"));
    }

    #[test]
    fn upsert_replaces_and_remove_drops_an_article() {
        let index = index();
        let mut changed = article(
            "si-card",
            "社会保障卡换领",
            "新的答复",
            "social_insurance.card",
            "520000",
        );
        changed.version = 2;
        index.upsert(&changed).unwrap();
        assert_eq!(index.len(), 3);
        let hits = index.search("换领", &filter(), 5).unwrap();
        assert_eq!(hits[0].article.version, 2);
        index.remove("si-card").unwrap();
        assert!(index.search("换领", &filter(), 5).unwrap().is_empty());
    }

    #[test]
    fn a_long_answer_is_cut_around_the_matches() {
        let text = format!("{}社保卡补办{}", "甲".repeat(50), "乙".repeat(50));
        let html = highlighted(&text, &["社保卡".to_owned(), "补办".to_owned()], 20);
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        assert!(html.contains("<em>社保卡补办</em>"), "{html}");
        assert_eq!(highlighted("a<b", &[], 10), "a&lt;b");
        assert_eq!(
            highlighted("ＥＴＣ卡", &["etc".to_owned()], 10),
            "<em>ＥＴＣ</em>卡"
        );
    }

    #[test]
    fn snippets_are_escaped_and_a_query_without_words_finds_nothing() {
        let index = index();
        let hits = index.search("准迁证", &filter(), 5).unwrap();
        assert!(
            hits[0].snippet_html.contains("&lt;"),
            "{}",
            hits[0].snippet_html
        );
        assert!(index.search("？？！！", &filter(), 5).unwrap().is_empty());
        assert!(index.search("   ", &filter(), 5).unwrap().is_empty());
    }
}
