//! Category suggestion's pure part (A12): a classifier that reads an order's matter and
//! ranks the dispatch catalogue's categories, for the dispatcher to confirm.
//!
//! A12 (issue 5, item 3): "a category suggestion from the order text, trained from past
//! dispatches that were not disputed, with its accuracy measured, helps the dispatcher; the
//! dispatcher confirms". The model only ranks; nothing is filed under a category without a
//! person choosing it. [`crate::category`] trains it from the database and serves it.
//!
//! # Features: the repeat detector's, counted once per text
//!
//! A text becomes the feature set of [`MatterFeatures`]: jieba words after the stop words
//! and colloquial variants, plus the character bigrams of each run of Chinese text (see
//! [`super::similarity`]). One segmentation serves both features, and the bigrams carry
//! what colloquial wording shares with an official one (社保卡 / 社会保障卡 share 保障 only
//! through the article's 社保; 补卡 and 补办 share 补). Each feature counts once per text
//! (binarised counts): a matter is one or two sentences, and in the long article bodies
//! that make up the seed corpus a repeated word says more about the writing than the topic.
//!
//! # Model: multinomial naive Bayes with Laplace smoothing
//!
//! `score(c | text) = log P(c) + Σ_f log P(f | c)` over the text's features that the model
//! has seen, with `P(f | c) = (n(f, c) + α) / (N(c) + α·|V|)`. Why naive Bayes:
//!
//! - the training data is small and grows a little at a time (215 seed articles, 81
//!   categories, some with one article; then the confirmed orders): naive Bayes learns from
//!   few examples per class, has one smoothing parameter and no optimisation that could
//!   fail to converge, and retrains in milliseconds, so the periodic retrain is cheap;
//! - it needs no negative examples and adds a new category as soon as one order carries it;
//! - its scores decompose per feature, so a suggestion can be explained if ever needed.
//!
//! A linear model (logistic regression, SVM) usually beats it by a few points with plenty of
//! data per class; here most classes have under ten examples, where naive Bayes is known to
//! do as well or better, and the measured numbers in `docs/category-suggestion.md` are the
//! test of the choice.
//!
//! **Prior**: uniform over the categories by default ([`Prior::Uniform`]). The seed corpus's
//! class sizes say how many articles someone wrote, not how often citizens call about it;
//! the orders' frequencies would say that, but they also come from whichever counties
//! feed the model, so the empirical prior is an option ([`Prior::Empirical`]), measured.
//!
//! # Confidence: a tempered softmax
//!
//! Naive Bayes posteriors are famously overconfident (every feature is counted as
//! independent evidence, so a 40-feature text has a posterior of 0.999 or more). The reply's
//! confidence is `softmax(score / (T·m^γ))` with `m` the number of the text's known
//! features, γ = 1 ([`Params::length_exponent`]) and T = 0.2 ([`Params::temperature`]).
//! Dividing by `m` makes the score a per-feature log-likelihood ratio, so one temperature
//! fits both the long seed articles and short matters. T and γ were chosen to minimise the
//! log loss of the cross-validated article folds, not on the queries they are then
//! evaluated on; the reliability table in `docs/category-suggestion.md` shows how well the
//! confidence matches the hit rate.

use std::collections::HashMap;

use hotline_contract::category::SuggestCategoryQuery;
use hotline_contract::rpc::FieldError;
use hotline_reference::Regions;
use serde::Deserialize;

use super::registration::{MAX_MATTER, err, required_text};
use super::similarity::MatterFeatures;

/// The knowledge base's seed articles: the bundled training corpus every model starts from.
pub const SEED_ARTICLES: &str = include_str!("../../../../data/knowledge/articles.json");

/// How many suggestions a caller may ask for.
pub const MAX_K: usize = 10;

/// How many suggestions a caller gets unless it asks otherwise.
pub const DEFAULT_K: usize = 3;

/// One text with its confirmed category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub category: String,
    /// The text's distinct features ([`features`]).
    pub features: Vec<String>,
}

impl Example {
    /// Featurise `text` (segmentation: see the module docs).
    pub fn from_text(category: impl Into<String>, text: &str) -> Self {
        Self {
            category: category.into(),
            features: features(text),
        }
    }
}

/// The distinct features of a text (words and character bigrams, [`MatterFeatures`]).
pub fn features(text: &str) -> Vec<String> {
    let mut features: Vec<String> = MatterFeatures::new(text)
        .features()
        .map(str::to_owned)
        .collect();
    // Deterministic order, so that models trained on the same data are the same.
    features.sort_unstable();
    features
}

/// The class prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// Every category alike (the default; see the module docs).
    Uniform,
    /// Proportional to the category's examples (add-one smoothed).
    Empirical,
}

/// The model's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Laplace smoothing α (> 0).
    pub alpha: f64,
    pub prior: Prior,
    /// Softmax temperature T (> 0) of the confidence.
    pub temperature: f64,
    /// γ: the temperature grows with the number m of known features as T·m^γ.
    pub length_exponent: f64,
}

impl Default for Params {
    /// The values chosen by the measurements in `docs/category-suggestion.md`.
    fn default() -> Self {
        Self {
            alpha: 0.1,
            prior: Prior::Uniform,
            temperature: 0.2,
            length_exponent: 1.0,
        }
    }
}

/// One ranked category.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub category: String,
    /// In (0, 1]; the suggestions of all categories would sum to 1.
    pub confidence: f64,
}

#[derive(Debug, Clone)]
struct Class {
    name: String,
    examples: u32,
    /// ln P(c), by the prior in force.
    log_prior: f64,
    /// ln(N(c) + α·|V|): the denominator of every P(f | c).
    log_denominator: f64,
}

/// A trained classifier. Immutable: retraining builds a new one.
#[derive(Debug, Clone)]
pub struct CategoryModel {
    params: Params,
    classes: Vec<Class>,
    /// Per feature, the classes that have it and `ln(n(f, c) + α) − ln α`.
    postings: HashMap<String, Vec<(u32, f64)>>,
    examples: usize,
}

impl CategoryModel {
    /// Train on `examples`; examples without a category or without features are skipped.
    pub fn train(examples: &[Example], params: Params) -> Self {
        let mut class_index: HashMap<&str, u32> = HashMap::new();
        let mut names: Vec<&str> = Vec::new();
        let mut class_examples: Vec<u32> = Vec::new();
        let mut totals: Vec<u64> = Vec::new();
        let mut counts: HashMap<&str, HashMap<u32, u32>> = HashMap::new();
        let mut used = 0;
        for example in examples {
            if example.category.is_empty() || example.features.is_empty() {
                continue;
            }
            used += 1;
            let next = u32::try_from(names.len()).unwrap_or(u32::MAX);
            let c = *class_index
                .entry(example.category.as_str())
                .or_insert_with(|| {
                    names.push(example.category.as_str());
                    class_examples.push(0);
                    totals.push(0);
                    next
                });
            let ci = c as usize;
            class_examples[ci] += 1;
            totals[ci] += example.features.len() as u64;
            for feature in &example.features {
                *counts
                    .entry(feature.as_str())
                    .or_default()
                    .entry(c)
                    .or_default() += 1;
            }
        }
        let alpha = params.alpha.max(f64::MIN_POSITIVE);
        // Lossless for any realistic vocabulary or corpus (< 2^52).
        #[allow(clippy::cast_precision_loss)]
        let vocabulary = counts.len() as f64;
        let all_examples: u32 = class_examples.iter().sum();
        #[allow(clippy::cast_precision_loss)]
        let classes = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let log_prior = match params.prior {
                    Prior::Uniform => -(names.len() as f64).ln(),
                    Prior::Empirical => {
                        (f64::from(class_examples[i]) + 1.0).ln()
                            - (f64::from(all_examples) + names.len() as f64).ln()
                    }
                };
                Class {
                    name: (*name).to_owned(),
                    examples: class_examples[i],
                    log_prior,
                    log_denominator: (totals[i] as f64 + alpha * vocabulary).ln(),
                }
            })
            .collect();
        let log_alpha = alpha.ln();
        let postings = counts
            .into_iter()
            .map(|(feature, per_class)| {
                let mut list: Vec<(u32, f64)> = per_class
                    .into_iter()
                    .map(|(c, n)| (c, (f64::from(n) + alpha).ln() - log_alpha))
                    .collect();
                list.sort_unstable_by_key(|(c, _)| *c);
                (feature.to_owned(), list)
            })
            .collect();
        Self {
            params,
            classes,
            postings,
            examples: used,
        }
    }

    /// How many examples the model learnt from.
    pub fn examples(&self) -> usize {
        self.examples
    }

    /// How many categories it knows.
    pub fn categories(&self) -> usize {
        self.classes.len()
    }

    /// How many distinct features it knows.
    pub fn vocabulary(&self) -> usize {
        self.postings.len()
    }

    /// How many examples of `category` it learnt from (0 if it does not know it).
    pub fn examples_of(&self, category: &str) -> u32 {
        self.classes
            .iter()
            .find(|c| c.name == category)
            .map_or(0, |c| c.examples)
    }

    /// The `k` most likely categories for a text's `features`, best first. Empty when the
    /// model knows no category or none of the features: then there is nothing to go on, and
    /// a list ranked by the prior alone would look like advice.
    pub fn suggest(&self, features: &[String], k: usize) -> Vec<Suggestion> {
        let (scores, m) = self.scores(features);
        if scores.is_empty() {
            return Vec::new();
        }
        let t =
            (self.params.temperature * m.powf(self.params.length_exponent)).max(f64::MIN_POSITIVE);
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = scores.iter().map(|s| ((s - top) / t).exp()).collect();
        let sum: f64 = weights.iter().sum();
        let mut ranked: Vec<(usize, f64)> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| (i, w / sum))
            .collect();
        // Ties (equal scores) go to the category named first alphabetically, so that the
        // answer does not depend on the order of training.
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.classes[a.0].name.cmp(&self.classes[b.0].name))
        });
        ranked.truncate(k);
        ranked
            .into_iter()
            .map(|(i, confidence)| Suggestion {
                category: self.classes[i].name.clone(),
                confidence,
            })
            .collect()
    }

    /// The unnormalised log posterior of every class; empty if no feature is known.
    fn scores(&self, features: &[String]) -> (Vec<f64>, f64) {
        let mut known = 0_u32;
        let mut evidence = vec![0.0; self.classes.len()];
        for feature in features {
            if let Some(list) = self.postings.get(feature) {
                known += 1;
                for &(c, weight) in list {
                    evidence[c as usize] += weight;
                }
            }
        }
        if known == 0 {
            return (Vec::new(), 0.0);
        }
        let m = f64::from(known);
        let log_alpha = self.params.alpha.max(f64::MIN_POSITIVE).ln();
        let scores = self
            .classes
            .iter()
            .zip(evidence)
            .map(|(class, e)| class.log_prior + m * (log_alpha - class.log_denominator) + e)
            .collect();
        (scores, m)
    }
}

/// A suggestion request that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedQuery {
    /// The text, trimmed.
    pub text: String,
    pub k: usize,
}

/// Check a suggestion request: the text as registration checks a matter (required, at most
/// [`MAX_MATTER`] characters, no control characters but line breaks and tabs), `k` within
/// 1..=[`MAX_K`], a given region code in the division catalogue. Every problem is reported
/// at once, with a Chinese message.
pub fn check_query(
    query: &SuggestCategoryQuery,
    regions: &Regions,
) -> Result<CheckedQuery, Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = required_text(&mut errors, "text", Some(&query.text), MAX_MATTER, true);
    let k = match query.k {
        None => Some(DEFAULT_K),
        Some(k) => usize::try_from(k)
            .ok()
            .filter(|k| (1..=MAX_K).contains(k))
            .or_else(|| {
                errors.push(FieldError {
                    field: "k".to_owned(),
                    code: "out_of_range".to_owned(),
                    message: format!("建议数量须在1到{MAX_K}之间"),
                });
                None
            }),
    };
    if query
        .region_code
        .as_deref()
        .is_some_and(|region| !regions.is_known_region(region.trim()))
    {
        errors.push(err(
            "region_code",
            "unknown",
            "区划代码不在贵州省行政区划目录中",
        ));
    }
    match (text, k) {
        (Some(text), Some(k)) if errors.is_empty() => Ok(CheckedQuery { text, k }),
        _ => Err(errors),
    }
}

/// A seed article as the knowledge base's import format has it (only what training reads).
#[derive(Debug, Clone, Deserialize)]
struct SeedArticle {
    title: String,
    #[serde(default)]
    questions: Vec<String>,
    #[serde(default)]
    answer: String,
    category: String,
    #[serde(default)]
    tags: Vec<String>,
}

/// The error of a malformed seed corpus.
#[derive(Debug, thiserror::Error)]
#[error("the seed articles cannot be read: {0}")]
pub struct SeedError(#[from] serde_json::Error);

/// The seed corpus: each article of `json` (the knowledge base's import format, an array of
/// articles) as one example of its category, its text the title, question variants, tags
/// and answer.
pub fn seed_examples(json: &str) -> Result<Vec<Example>, SeedError> {
    let articles: Vec<SeedArticle> = serde_json::from_str(json)?;
    Ok(articles
        .into_iter()
        .map(|a| {
            let text = format!(
                "{}\n{}\n{}\n{}",
                a.title,
                a.questions.join("\n"),
                a.tags.join("\n"),
                a.answer
            );
            Example::from_text(a.category, &text)
        })
        .collect())
}

/// Top-1 and top-3 hits of an evaluation, and the log loss of the confidence.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hits {
    pub total: u32,
    pub top1: u32,
    pub top3: u32,
    /// Cases whose category the model knew (only these have a confidence to score).
    pub known: u32,
    /// Σ −ln(confidence of the right category) over the `known` cases.
    pub loss: f64,
}

impl Hits {
    /// Count one case: `expected` against the `ranking` of every category the model knows
    /// (`suggest` with `k` ≥ the number of categories).
    pub fn add(&mut self, expected: &str, ranking: &[Suggestion]) {
        self.total += 1;
        let rank = ranking.iter().position(|s| s.category == expected);
        if rank == Some(0) {
            self.top1 += 1;
        }
        if rank.is_some_and(|r| r < 3) {
            self.top3 += 1;
        }
        if let Some(r) = rank {
            self.known += 1;
            self.loss -= ranking[r].confidence.max(1e-12).ln();
        }
    }

    pub fn top1_rate(&self) -> f64 {
        rate(self.top1, self.total)
    }

    pub fn top3_rate(&self) -> f64 {
        rate(self.top3, self.total)
    }

    /// Mean log loss over the cases whose category the model knew.
    pub fn log_loss(&self) -> f64 {
        if self.known == 0 {
            0.0
        } else {
            self.loss / f64::from(self.known)
        }
    }
}

fn rate(hits: u32, total: u32) -> f64 {
    if total == 0 {
        0.0
    } else {
        f64::from(hits) / f64::from(total)
    }
}

/// Stratified `folds`-fold cross-validation: examples sorted by category are dealt to the
/// folds in turn, and each fold is ranked by a model trained on the others. A category with
/// fewer examples than folds is missing from some training sets; its held-out examples then
/// count as misses, as they would in service.
pub fn cross_validate(examples: &[Example], folds: usize, params: Params) -> Hits {
    let folds = folds.max(2);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.sort_by(|&a, &b| examples[a].category.cmp(&examples[b].category));
    let mut fold_of = vec![0; examples.len()];
    for (position, &i) in order.iter().enumerate() {
        fold_of[i] = position % folds;
    }
    let mut hits = Hits::default();
    for fold in 0..folds {
        let training: Vec<Example> = examples
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != fold)
            .map(|(e, _)| e.clone())
            .collect();
        let model = CategoryModel::train(&training, params);
        let all = model.categories();
        for (example, _) in examples.iter().zip(&fold_of).filter(|(_, f)| **f == fold) {
            hits.add(&example.category, &model.suggest(&example.features, all));
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn toy() -> Vec<Example> {
        vec![
            Example::from_text(
                "utilities.water",
                "小区停水了，自来水管爆裂，什么时候恢复供水",
            ),
            Example::from_text("utilities.water", "水压太低，自来水浑浊发黄"),
            Example::from_text("environment.noise", "工地晚上施工噪音太大，影响睡觉"),
            Example::from_text("environment.noise", "广场舞音响噪音扰民"),
            Example::from_text("labour.wages", "老板拖欠工资三个月不发"),
        ]
    }

    #[test]
    fn a_text_is_filed_under_the_category_whose_words_it_uses() {
        let model = CategoryModel::train(&toy(), Params::default());
        assert_eq!(model.categories(), 3);
        assert_eq!(model.examples(), 5);
        let top = model.suggest(&features("我们楼停水两天了，自来水什么时候来"), 3);
        assert_eq!(top[0].category, "utilities.water");
        let top = model.suggest(&features("隔壁工地半夜施工，噪音大"), 3);
        assert_eq!(top[0].category, "environment.noise");
        let top = model.suggest(&features("包工头拖欠我们的工资"), 1);
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].category, "labour.wages");
    }

    #[test]
    fn confidences_are_ranked_and_sum_to_one_over_all_categories() {
        let model = CategoryModel::train(&toy(), Params::default());
        let all = model.suggest(&features("停水了，噪音也大"), MAX_K);
        assert_eq!(all.len(), 3);
        let sum: f64 = all.iter().map(|s| s.confidence).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        assert!(all.windows(2).all(|w| w[0].confidence >= w[1].confidence));
        assert!(
            all.iter()
                .all(|s| s.confidence > 0.0 && s.confidence <= 1.0)
        );
    }

    #[test]
    fn a_text_without_any_known_feature_gets_no_suggestion() {
        let model = CategoryModel::train(&toy(), Params::default());
        assert!(model.suggest(&features("你好"), 3).is_empty());
        assert!(model.suggest(&[], 3).is_empty());
        let empty = CategoryModel::train(&[], Params::default());
        assert_eq!(empty.categories(), 0);
        assert!(empty.suggest(&features("停水"), 3).is_empty());
    }

    #[test]
    fn examples_without_category_or_features_are_skipped() {
        let mut examples = toy();
        examples.push(Example::from_text("", "停水"));
        examples.push(Example::from_text("city.pets", "的了吗"));
        let model = CategoryModel::train(&examples, Params::default());
        assert_eq!(model.examples(), 5);
        assert_eq!(model.examples_of("city.pets"), 0);
        assert_eq!(model.examples_of("utilities.water"), 2);
    }

    #[test]
    fn more_confirmed_orders_of_a_category_pull_a_shared_word_towards_it() {
        let mut examples = vec![
            Example::from_text("housing.property", "物业 电梯"),
            Example::from_text("real_estate.rental", "物业 押金"),
        ];
        let text = features("物业");
        let before = CategoryModel::train(&examples, Params::default()).suggest(&text, 2);
        assert!((before[0].confidence - before[1].confidence).abs() < 1e-12);
        examples.push(Example::from_text("real_estate.rental", "物业"));
        let after = CategoryModel::train(&examples, Params::default()).suggest(&text, 2);
        assert_eq!(after[0].category, "real_estate.rental");
        assert!(after[0].confidence > after[1].confidence);
    }

    #[test]
    fn the_temperature_softens_the_confidence_but_keeps_the_ranking() {
        let sharp = CategoryModel::train(
            &toy(),
            Params {
                temperature: 1.0,
                ..Params::default()
            },
        );
        let soft = CategoryModel::train(
            &toy(),
            Params {
                temperature: 10.0,
                ..Params::default()
            },
        );
        let text = features("停水了，自来水管爆裂");
        let (a, b) = (sharp.suggest(&text, 3), soft.suggest(&text, 3));
        let names = |v: &[Suggestion]| v.iter().map(|s| s.category.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        assert!(a[0].confidence > b[0].confidence);
    }

    #[test]
    fn the_empirical_prior_favours_the_larger_category() {
        let examples = vec![
            Example::from_text("a.big", "路灯"),
            Example::from_text("a.big", "路灯"),
            Example::from_text("b.small", "路灯"),
        ];
        let ratio = |prior| {
            let model = CategoryModel::train(
                &examples,
                Params {
                    prior,
                    ..Params::default()
                },
            );
            let ranked = model.suggest(&features("路灯"), 2);
            assert_eq!(ranked[0].category, "a.big");
            ranked[0].confidence / ranked[1].confidence
        };
        assert!(ratio(Prior::Empirical) > ratio(Prior::Uniform));
    }

    #[test]
    fn the_seed_corpus_is_every_article_with_its_category() {
        let seed = seed_examples(SEED_ARTICLES).unwrap();
        assert_eq!(seed.len(), 215);
        assert!(seed.iter().all(|e| !e.features.is_empty()));
        let model = CategoryModel::train(&seed, Params::default());
        assert_eq!(model.categories(), 81);
        let top = model.suggest(&features("社保卡丢了怎么补办"), 3);
        assert_eq!(top[0].category, "social_insurance.card");
        assert!(seed_examples("{not json").is_err());
    }

    #[test]
    fn cross_validation_counts_every_example_once() {
        let mut examples = toy();
        examples.extend(toy());
        let hits = cross_validate(&examples, 5, Params::default());
        assert_eq!(hits.total, 10);
        assert!(hits.top1 <= hits.top3 && hits.top3 <= hits.total);
        // Each toy example has its twin in another fold.
        assert_eq!(hits.top1, 10);
    }

    fn query(text: &str, k: Option<u32>, region: Option<&str>) -> SuggestCategoryQuery {
        SuggestCategoryQuery {
            text: text.to_owned(),
            region_code: region.map(str::to_owned),
            k,
        }
    }

    fn codes(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn a_query_is_trimmed_and_k_defaults_to_three() {
        let regions = Regions::bundled().unwrap();
        let checked = check_query(&query("  停水了\n两天  ", None, Some("520102")), &regions);
        assert_eq!(
            checked,
            Ok(CheckedQuery {
                text: "停水了\n两天".to_owned(),
                k: DEFAULT_K
            })
        );
        let most = check_query(&query("停水", Some(10), None), &regions).unwrap();
        assert_eq!(most.k, MAX_K);
    }

    #[test]
    fn every_bad_field_of_a_query_is_named_at_once() {
        let regions = Regions::bundled().unwrap();
        let errors = check_query(&query("  ", Some(0), Some("999999")), &regions).unwrap_err();
        assert_eq!(
            codes(&errors),
            [
                ("text", "required"),
                ("k", "out_of_range"),
                ("region_code", "unknown")
            ]
        );
        assert!(errors.iter().all(|e| !e.message.is_ascii()));
        let long = "字".repeat(MAX_MATTER + 1);
        let errors = check_query(&query(&long, Some(11), None), &regions).unwrap_err();
        assert_eq!(
            codes(&errors),
            [("text", "too_long"), ("k", "out_of_range")]
        );
        // Exactly at the limit is fine.
        assert!(check_query(&query(&"字".repeat(MAX_MATTER), None, None), &regions).is_ok());
        let errors = check_query(&query("停水\u{7}", None, None), &regions).unwrap_err();
        assert_eq!(codes(&errors), [("text", "control_character")]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn suggestions_are_at_most_k_distinct_known_categories_with_valid_confidence(
            text in "[停水噪音物业电梯拖欠工资花果园小区路灯不亮社保卡的了，。 0-9A-Za-z]{0,40}",
            k in 0usize..12,
        ) {
            let model = CategoryModel::train(&toy(), Params::default());
            let got = model.suggest(&features(&text), k);
            prop_assert!(got.len() <= k.min(model.categories()));
            let mut names: Vec<&str> = got.iter().map(|s| s.category.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            prop_assert_eq!(names.len(), got.len());
            for s in &got {
                prop_assert!(s.confidence > 0.0 && s.confidence <= 1.0);
                prop_assert!(model.examples_of(&s.category) > 0);
            }
        }
    }
}
