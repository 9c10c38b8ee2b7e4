#![allow(clippy::unwrap_used)]
//! Frozen wire format of category suggestion (A12): `rpc.intake.suggest_category`'s request
//! and reply bodies. A failing snapshot means a wire change.

use chrono::{TimeZone, Utc};
use hotline_contract::category::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The body as JSON, after checking that it decodes back to itself.
fn body<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: T,
) -> serde_json::Value {
    let json = serde_json::to_value(&value).unwrap();
    assert_eq!(serde_json::from_value::<T>(json.clone()).unwrap(), value);
    json
}

#[test]
fn suggest_category_query() {
    insta::assert_json_snapshot!(body(SuggestCategoryQuery {
        text: "社保卡丢了怎么补办".to_owned(),
        region_code: Some("520102".to_owned()),
        k: Some(3),
    }));
    // Only the text is required.
    let minimal: SuggestCategoryQuery = serde_json::from_str(r#"{"text":"停水"}"#).unwrap();
    assert_eq!(minimal.k, None);
    assert_eq!(minimal.region_code, None);
    assert!(serde_json::from_str::<SuggestCategoryQuery>(r#"{"text":"停水","x":1}"#).is_err());
}

#[test]
fn category_suggestions() {
    insta::assert_json_snapshot!(body(CategorySuggestions {
        suggestions: vec![
            CategorySuggestion {
                category: "social_insurance.card".to_owned(),
                confidence: 0.75,
            },
            CategorySuggestion {
                category: "medical_insurance.card".to_owned(),
                confidence: 0.125,
            },
        ],
        model: CategoryModelInfo {
            version: 2,
            trained_at: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
            seed_examples: 215,
            order_examples: 1024,
            categories: 83,
        },
    }));
}
