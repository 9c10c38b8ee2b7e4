//! What changed between two versions of an article, field by field, in a fixed order
//! (the order of the editor's form), each with its value before and after.

use hotline_contract::knowledge::{ArticleView, FieldChange};
use serde_json::{Value, json};

/// The content fields of `view`, in form order.
fn fields(view: &ArticleView) -> [(&'static str, Value); 10] {
    [
        ("title", json!(view.title)),
        ("questions", json!(view.questions)),
        ("answer", json!(view.answer)),
        ("category", json!(view.category)),
        ("region_code", json!(view.region_code)),
        ("owner_unit_id", json!(view.owner_unit_id)),
        ("legal_basis", json!(view.legal_basis)),
        ("valid_from", json!(view.valid_from)),
        ("valid_until", json!(view.valid_until)),
        ("tags", json!(view.tags)),
    ]
}

/// The content fields that differ from `from` to `to`.
pub fn diff(from: &ArticleView, to: &ArticleView) -> Vec<FieldChange> {
    fields(from)
        .into_iter()
        .zip(fields(to))
        .filter(|((_, before), (_, after))| before != after)
        .map(|((field, before), (_, after))| FieldChange {
            field: field.to_owned(),
            before,
            after,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};
    use hotline_contract::knowledge::{VersionKind, VersionStatus};

    use super::*;

    fn view() -> ArticleView {
        ArticleView {
            article_id: "a1".to_owned(),
            version: 1,
            kind: VersionKind::Original,
            status: VersionStatus::Published,
            title: "公积金提取".to_owned(),
            questions: vec![],
            answer: "答复".to_owned(),
            category: "housing_fund.withdrawal".to_owned(),
            region_code: "520100".to_owned(),
            owner_unit_id: "520100-hpf".to_owned(),
            legal_basis: None,
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            valid_until: None,
            tags: vec![],
            base_version: None,
            authored_by: "a".to_owned(),
            author_unit_id: "520100-hpf".to_owned(),
            note: None,
            reviewed_by: None,
            review_reason: None,
            published_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn only_changed_content_fields_are_listed_in_form_order() {
        let from = view();
        let mut to = view();
        to.version = 2;
        to.status = VersionStatus::Draft;
        to.tags = vec!["提取".to_owned()];
        to.title = "住房公积金提取".to_owned();
        to.valid_until = NaiveDate::from_ymd_opt(2027, 12, 31);
        let changes = diff(&from, &to);
        let named: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(named, ["title", "valid_until", "tags"]);
        assert_eq!(changes[1].before, Value::Null);
        assert_eq!(changes[1].after, json!("2027-12-31"));
        assert!(diff(&from, &from).is_empty());
    }
}
