//! Search quality on the labelled queries (`docs/data/knowledge-queries.csv`): colloquial
//! questions written for this project, each with the seed article that answers it and the
//! place it is asked about. The index is the production one (same analysis, weights,
//! synonym table and region filter), built in RAM from the seed set.
//!
//! Reported: top-1 and top-3 accuracy of the search ranking, top-1 of the suggestions
//! (ranked by confidence), and for each confidence threshold how many queries would be
//! answered automatically and how many of those answers would be right. The test
//! `tests/search_quality.rs` holds the numbers to their floor; `examples/eval_search.rs`
//! prints the report for `docs/knowledge.md`.

use chrono::NaiveDate;
use hotline_reference::Regions;

use crate::base::{applicable_regions, rank_suggestions};
use crate::search::synonyms::parse_table;
use crate::search::{IndexedArticle, SearchFilter, SearchIndex, Synonyms};
use crate::seed;

/// The labelled queries.
pub const QUERIES: &str = include_str!("../../../docs/data/knowledge-queries.csv");

/// One labelled query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub query: String,
    pub region_code: String,
    pub article_id: String,
}

/// Parse the labelled set (`query,region_code,article_id` with a header).
pub fn labelled() -> Vec<Labelled> {
    QUERIES
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.rsplitn(3, ',');
            let article_id = cols.next()?.trim().to_owned();
            let region_code = cols.next()?.trim().to_owned();
            let query = cols.next()?.trim().to_owned();
            Some(Labelled {
                query,
                region_code,
                article_id,
            })
        })
        .collect()
}

/// The outcome of one query.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub labelled: Labelled,
    /// Rank (1-based) of the right article in the search results, if in the first 10.
    pub rank: Option<usize>,
    /// The first suggestion and its confidence.
    pub suggested: Option<(String, f64)>,
}

impl Outcome {
    pub fn suggestion_right(&self) -> bool {
        self.suggested
            .as_ref()
            .is_some_and(|(id, _)| *id == self.labelled.article_id)
    }
}

/// The seed set as the index keeps it (valid from its own date, or from 2025 on).
pub fn seed_index() -> Result<SearchIndex, String> {
    let records = seed::articles().map_err(|e| e.to_string())?;
    let index = SearchIndex::open(None, Synonyms::new(&parse_table(seed::SYNONYMS)))
        .map_err(|e| e.to_string())?;
    let fallback = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    index
        .rebuild(records.into_iter().map(|r| IndexedArticle {
            article_id: r.article_id,
            version: 1,
            title: r.content.title,
            questions: r.content.questions,
            answer: r.content.answer,
            tags: r.content.tags,
            category: r.content.category,
            region_code: r.content.region_code,
            valid_from: r.content.valid_from.unwrap_or(fallback),
            valid_until: r.content.valid_until,
        }))
        .map_err(|e| e.to_string())?;
    Ok(index)
}

/// Run every labelled query against `index` as of `today`.
pub fn evaluate(index: &SearchIndex, today: NaiveDate) -> Result<Vec<Outcome>, String> {
    let regions = Regions::bundled().map_err(|e| e.to_string())?;
    let synonyms = index.synonyms();
    labelled()
        .into_iter()
        .map(|labelled| {
            let filter = SearchFilter {
                regions: applicable_regions(&regions, &labelled.region_code),
                category: None,
                today,
            };
            let hits = index
                .search(&labelled.query, &filter, 10)
                .map_err(|e| e.to_string())?;
            let rank = hits
                .iter()
                .position(|h| h.article.article_id == labelled.article_id)
                .map(|i| i + 1);
            let suggestions =
                rank_suggestions(&synonyms, &labelled.query, &hits[..hits.len().min(6)]);
            let suggested = suggestions
                .first()
                .map(|s| (s.article_id.clone(), s.confidence));
            Ok(Outcome {
                labelled,
                rank,
                suggested,
            })
        })
        .collect()
}

/// Share of outcomes whose right article ranks within `k`.
pub fn top_k(outcomes: &[Outcome], k: usize) -> f64 {
    let hits = outcomes
        .iter()
        .filter(|o| o.rank.is_some_and(|r| r <= k))
        .count();
    hits as f64 / outcomes.len().max(1) as f64
}

/// At `threshold`: how many queries get an automatic answer, and how many of those are
/// right.
pub fn automatic(outcomes: &[Outcome], threshold: f64) -> (usize, usize) {
    let answered: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.suggested.as_ref().is_some_and(|(_, c)| *c >= threshold))
        .collect();
    let right = answered.iter().filter(|o| o.suggestion_right()).count();
    (answered.len(), right)
}
