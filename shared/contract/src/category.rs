//! Category suggestion (A12, issue 5 item 3): `rpc.intake.suggest_category` ranks the
//! dispatch catalogue's categories for an order's text, for the dispatcher to confirm.
//! The text may hold personal data: it goes to intake (which keeps the matter) and nowhere
//! else, and the reply carries no text back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `rpc.intake.suggest_category`: which categories fit this order text, best first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestCategoryQuery {
    /// The order's matter (诉求内容), 1 to 4000 characters, as registration accepts it.
    pub text: String,
    /// GB/T 2260 code of the matter's place; checked against the division catalogue.
    /// Not used by the model yet (reserved for per-region priors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_code: Option<String>,
    /// How many categories to return, 1 to 10 (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
}

/// One suggested category.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategorySuggestion {
    /// A category code of the dispatch catalogue, e.g. `social_insurance.pension`.
    pub category: String,
    /// The model's confidence, 0..1 (tempered naive-Bayes posterior; see
    /// docs/category-suggestion.md for how often a first suggestion of a given confidence is
    /// right).
    pub confidence: f64,
}

/// What the answering model was trained on.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryModelInfo {
    /// Increases with every retraining of this intake instance (1 = the seed corpus alone).
    pub version: u64,
    pub trained_at: DateTime<Utc>,
    /// Knowledge-base seed articles in the training set.
    pub seed_examples: u64,
    /// Orders whose category a dispatch confirmed (signed, never redispatched).
    pub order_examples: u64,
    /// Categories the model can suggest.
    pub categories: u64,
}

/// Reply to [`SuggestCategoryQuery`]. `suggestions` is empty when nothing in the text is
/// known to the model (a suggestion then would only repeat the prior).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategorySuggestions {
    pub suggestions: Vec<CategorySuggestion>,
    pub model: CategoryModelInfo,
}
