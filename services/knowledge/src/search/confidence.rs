//! The confidence that an article answers a consultation (A9), in [0, 1].
//!
//! BM25 scores rank well but mean nothing on their own (they grow with the length of the
//! query), so the confidence is computed apart, from what a reviewer would check:
//!
//! - **match**: how closely the consultation reads like one of the article's questions
//!   (its title or a question variant): the Dice coefficient of their feature sets (content
//!   words and character bigrams, after the synonym table has mapped every variant to one
//!   word), best over the questions;
//! - **coverage**: the share of the consultation's content words that the article (any
//!   field) contains: a question about something the article does not mention is not
//!   answered by it;
//! - **margin**: how far the article's search score is ahead of the next article's,
//!   relative to its own: two articles that fit equally well make either a guess.
//!
//! `confidence = MATCH_WEIGHT × match + COVERAGE_WEIGHT × coverage + MARGIN_WEIGHT × margin`.
//! The weights and the automatic-answer threshold were chosen on the labelled queries
//! (`docs/knowledge.md`).

use std::collections::HashSet;

use super::analysis;
use super::synonyms::Synonyms;

pub const MATCH_WEIGHT: f64 = 0.5;
pub const COVERAGE_WEIGHT: f64 = 0.3;
pub const MARGIN_WEIGHT: f64 = 0.2;

/// Default threshold from which a web message is answered without an agent (config
/// `knowledge.auto_answer_threshold`).
pub const DEFAULT_AUTO_ANSWER_THRESHOLD: f64 = 0.65;

/// Content words of `text` in canonical (synonym-mapped) form, and the character bigrams
/// inside them (so 公积金提取 and 提取公积金 share 公积, 积金, 提取, while filler such as
/// 怎么 and 一下 adds nothing).
pub fn features(synonyms: &Synonyms, text: &str) -> HashSet<String> {
    let canonical = synonyms.canonical(text);
    let mut features = HashSet::new();
    for word in analysis::words(&canonical) {
        features.extend(analysis::bigrams(&word.text).into_iter().map(|b| b.text));
        features.insert(word.text);
    }
    features
}

/// Content words of `text` in canonical form.
pub fn content_words(synonyms: &Synonyms, text: &str) -> HashSet<String> {
    analysis::words(&synonyms.canonical(text))
        .into_iter()
        .map(|t| t.text)
        .collect()
}

fn dice(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / (a.len() + b.len()) as f64
}

/// The article as the confidence sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub title: &'a str,
    pub questions: &'a [String],
    pub answer: &'a str,
    pub tags: &'a [String],
    /// Its search score, and the next candidate's (0 when it is the last).
    pub score: f32,
    pub next_score: f32,
}

/// The parts of a confidence (for the docs and the evaluation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confidence {
    pub matched: f64,
    pub coverage: f64,
    pub margin: f64,
    pub value: f64,
}

/// The confidence that `candidate` answers `query`.
pub fn confidence(synonyms: &Synonyms, query: &str, candidate: &Candidate<'_>) -> Confidence {
    let query_features = features(synonyms, query);
    let matched = std::iter::once(candidate.title)
        .chain(candidate.questions.iter().map(String::as_str))
        .map(|q| dice(&query_features, &features(synonyms, q)))
        .fold(0.0, f64::max);
    let query_words = content_words(synonyms, query);
    let coverage = if query_words.is_empty() {
        0.0
    } else {
        let mut article = content_words(synonyms, candidate.title);
        for text in candidate
            .questions
            .iter()
            .chain(candidate.tags)
            .map(String::as_str)
            .chain([candidate.answer])
        {
            article.extend(content_words(synonyms, text));
        }
        query_words.iter().filter(|w| article.contains(*w)).count() as f64
            / query_words.len() as f64
    };
    let margin = if candidate.score > 0.0 {
        f64::from((candidate.score - candidate.next_score).max(0.0) / candidate.score)
    } else {
        0.0
    };
    let value = (MATCH_WEIGHT * matched + COVERAGE_WEIGHT * coverage + MARGIN_WEIGHT * margin)
        .clamp(0.0, 1.0);
    Confidence {
        matched,
        coverage,
        margin,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::synonyms::parse_table;

    fn synonyms() -> Synonyms {
        Synonyms::new(&parse_table("公积金 住房公积金"))
    }

    fn candidate<'a>(questions: &'a [String], score: f32, next: f32) -> Candidate<'a> {
        Candidate {
            title: "住房公积金提取需要什么材料",
            questions,
            answer: "提取住房公积金须提供身份证件和提取事由证明。",
            tags: &[],
            score,
            next_score: next,
        }
    }

    #[test]
    fn the_same_question_in_other_words_is_confident_and_another_question_is_not() {
        let questions = vec!["公积金怎么取出来".to_owned()];
        let close = confidence(
            &synonyms(),
            "公积金怎么取出来啊",
            &candidate(&questions, 10.0, 4.0),
        );
        let far = confidence(
            &synonyms(),
            "社保卡丢了怎么补办",
            &candidate(&questions, 2.0, 1.9),
        );
        assert!(close.value > 0.6, "{close:?}");
        assert!(far.value < 0.2, "{far:?}");
        assert!((0.0..=1.0).contains(&close.value));
    }

    #[test]
    fn a_tie_with_the_next_article_lowers_the_confidence() {
        let questions = vec![];
        let ahead = confidence(
            &synonyms(),
            "公积金提取材料",
            &candidate(&questions, 10.0, 2.0),
        );
        let tied = confidence(
            &synonyms(),
            "公积金提取材料",
            &candidate(&questions, 10.0, 10.0),
        );
        assert!(ahead.value > tied.value);
        assert_eq!(tied.margin, 0.0);
    }
}
