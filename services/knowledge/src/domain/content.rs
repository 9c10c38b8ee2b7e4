//! What a valid article is: its id, and each field of its content, checked and normalised
//! (trimmed, duplicates dropped) before anything is stored. Every problem is reported at
//! once, naming the field, so an editor (or an import file) can fix them in one go.

use chrono::NaiveDate;
use hotline_contract::knowledge::ArticleContent;
use hotline_contract::rpc::FieldError;
use hotline_reference::Regions;

/// Longest title, question variant or tag, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_ANSWER_CHARS: usize = 10_000;
pub const MAX_LEGAL_BASIS_CHARS: usize = 2_000;
pub const MAX_QUESTIONS: usize = 30;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 30;
pub const MAX_CATEGORY_CHARS: usize = 64;
pub const MAX_IDENTIFIER_CHARS: usize = 64;

/// An article's content after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidContent {
    pub title: String,
    pub questions: Vec<String>,
    pub answer: String,
    pub category: String,
    pub region_code: String,
    pub owner_unit_id: String,
    pub legal_basis: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub tags: Vec<String>,
}

fn error(field: impl Into<String>, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.to_owned(),
        message: message.into(),
    }
}

/// `^[a-z0-9][a-z0-9._-]{1,63}$`: stable, URL-safe, readable.
pub fn is_valid_article_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    (2..=64).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b))
}

/// The article id field, checked.
pub fn article_id(field: &str, id: &str) -> Result<String, FieldError> {
    let id = id.trim();
    if is_valid_article_id(id) {
        Ok(id.to_owned())
    } else {
        Err(error(
            field,
            "invalid_format",
            "文章编号须为 2–64 位小写字母、数字、点、下划线或连字符",
        ))
    }
}

/// Category codes in the dispatch catalogue's style: dot-separated lower-case segments
/// (`social_insurance.pension`).
pub fn is_valid_category(code: &str) -> bool {
    code.len() <= MAX_CATEGORY_CHARS
        && !code.is_empty()
        && code.split('.').all(|segment| {
            segment.starts_with(|c: char| c.is_ascii_lowercase())
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// Text with no control characters (line breaks allowed where `multiline`).
fn has_control(text: &str, multiline: bool) -> bool {
    text.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// A user or unit id: 1–64 characters, no whitespace or control characters.
pub fn identifier(errors: &mut Vec<FieldError>, field: &str, value: &str, label: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(error(field, "required", format!("必须填写{label}")));
    } else if value.chars().count() > MAX_IDENTIFIER_CHARS
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(error(
            field,
            "invalid_format",
            format!("{label}须为不含空白的 1–{MAX_IDENTIFIER_CHARS} 个字符"),
        ));
    }
    value.to_owned()
}

/// One line of text: trimmed, required, at most `max` characters, no control characters.
fn line(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize, label: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(error(field, "required", format!("必须填写{label}")));
    } else if value.chars().count() > max {
        errors.push(error(
            field,
            "too_long",
            format!("{label}不能超过 {max} 个字"),
        ));
    } else if has_control(value, false) {
        errors.push(error(
            field,
            "invalid_characters",
            format!("{label}含有控制字符"),
        ));
    }
    value.to_owned()
}

/// Check `content`. `owner` is the owning unit already decided by the workflow; `today`
/// is the default start of validity. `prefix` prefixes every field name (`records[3].`).
pub fn validate(
    content: &ArticleContent,
    owner: &str,
    regions: &Regions,
    today: NaiveDate,
    prefix: &str,
) -> Result<ValidContent, Vec<FieldError>> {
    let mut errors = Vec::new();
    let f = |name: &str| format!("{prefix}{name}");
    let title = line(
        &mut errors,
        &f("title"),
        &content.title,
        MAX_TITLE_CHARS,
        "标题",
    );
    if content.questions.len() > MAX_QUESTIONS {
        errors.push(error(
            f("questions"),
            "too_many",
            format!("问法最多 {MAX_QUESTIONS} 条"),
        ));
    }
    let mut questions: Vec<String> = Vec::new();
    for (i, question) in content.questions.iter().enumerate() {
        let question = line(
            &mut errors,
            &f(&format!("questions[{i}]")),
            question,
            MAX_TITLE_CHARS,
            "问法",
        );
        if !question.is_empty() && question != title && !questions.contains(&question) {
            questions.push(question);
        }
    }
    let answer = content.answer.trim().to_owned();
    if answer.is_empty() {
        errors.push(error(f("answer"), "required", "必须填写答复内容"));
    } else if answer.chars().count() > MAX_ANSWER_CHARS {
        errors.push(error(
            f("answer"),
            "too_long",
            format!("答复内容不能超过 {MAX_ANSWER_CHARS} 个字"),
        ));
    } else if has_control(&answer, true) {
        errors.push(error(
            f("answer"),
            "invalid_characters",
            "答复内容含有控制字符",
        ));
    }
    let category = content.category.trim().to_owned();
    if !is_valid_category(&category) {
        errors.push(error(
            f("category"),
            "invalid_format",
            "分类须为小写英文分段代码，如 social_insurance.pension",
        ));
    }
    let region_code = content.region_code.trim().to_owned();
    if region_code.len() != 6 || !region_code.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(error(
            f("region_code"),
            "invalid_format",
            "适用区域须为 6 位行政区划代码（省、市州或区县）",
        ));
    } else if !regions.is_known_region(&region_code) {
        errors.push(error(
            f("region_code"),
            "unknown",
            "适用区域不是贵州省的省、市州或区县代码",
        ));
    }
    let legal_basis = match content.legal_basis.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(basis) if basis.chars().count() > MAX_LEGAL_BASIS_CHARS => {
            errors.push(error(
                f("legal_basis"),
                "too_long",
                format!("政策依据不能超过 {MAX_LEGAL_BASIS_CHARS} 个字"),
            ));
            None
        }
        Some(basis) if has_control(basis, true) => {
            errors.push(error(
                f("legal_basis"),
                "invalid_characters",
                "政策依据含有控制字符",
            ));
            None
        }
        Some(basis) => Some(basis.to_owned()),
    };
    let valid_from = content.valid_from.unwrap_or(today);
    if let Some(until) = content.valid_until
        && until < valid_from
    {
        errors.push(error(
            f("valid_until"),
            "before_valid_from",
            "有效期截止日不能早于生效日",
        ));
    }
    if content.tags.len() > MAX_TAGS {
        errors.push(error(
            f("tags"),
            "too_many",
            format!("标签最多 {MAX_TAGS} 个"),
        ));
    }
    let mut tags: Vec<String> = Vec::new();
    for (i, tag) in content.tags.iter().enumerate() {
        let tag = line(
            &mut errors,
            &f(&format!("tags[{i}]")),
            tag,
            MAX_TAG_CHARS,
            "标签",
        );
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if errors.is_empty() {
        Ok(ValidContent {
            title,
            questions,
            answer,
            category,
            region_code,
            owner_unit_id: owner.to_owned(),
            legal_basis,
            valid_from,
            valid_until: content.valid_until,
            tags,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn regions() -> Regions {
        Regions::bundled().unwrap()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn content() -> ArticleContent {
        ArticleContent {
            title: " 社保卡丢了怎么补办？ ".to_owned(),
            questions: vec![
                "社保卡掉了".to_owned(),
                "社保卡掉了".to_owned(),
                " ".to_owned(),
            ],
            answer: "携带身份证到社保卡服务网点挂失补办。\n也可线上办理。".to_owned(),
            category: "social_insurance.card".to_owned(),
            region_code: "520100".to_owned(),
            owner_unit_id: None,
            legal_basis: Some("  ".to_owned()),
            valid_from: None,
            valid_until: None,
            tags: vec!["社保卡".to_owned()],
        }
    }

    fn codes(result: Result<ValidContent, Vec<FieldError>>) -> Vec<(String, String)> {
        result
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn content_is_trimmed_and_deduplicated_and_starts_today_by_default() {
        let mut c = content();
        c.questions.pop();
        let valid = validate(&c, "520100-hrss", &regions(), today(), "").unwrap();
        assert_eq!(valid.title, "社保卡丢了怎么补办？");
        assert_eq!(valid.questions, ["社保卡掉了"]);
        assert_eq!(valid.legal_basis, None);
        assert_eq!(valid.valid_from, today());
        assert_eq!(valid.owner_unit_id, "520100-hrss");
    }

    #[test]
    fn every_problem_is_named_with_its_field() {
        let mut c = content();
        c.title = "标题\u{0007}".to_owned();
        c.category = "Social Insurance".to_owned();
        c.region_code = "110101".to_owned();
        c.valid_from = Some(today());
        c.valid_until = today().pred_opt();
        c.answer = String::new();
        let got = codes(validate(&c, "u", &regions(), today(), "records[2]."));
        assert_eq!(
            got,
            [
                ("records[2].title".into(), "invalid_characters".into()),
                ("records[2].questions[2]".into(), "required".into()),
                ("records[2].answer".into(), "required".into()),
                ("records[2].category".into(), "invalid_format".into()),
                ("records[2].region_code".into(), "unknown".into()),
                ("records[2].valid_until".into(), "before_valid_from".into()),
            ]
        );
    }

    #[test]
    fn a_township_code_is_not_an_article_region() {
        let mut c = content();
        c.questions.pop();
        c.region_code = "520102001".to_owned();
        assert_eq!(
            codes(validate(&c, "u", &regions(), today(), "")),
            [("region_code".to_owned(), "invalid_format".to_owned())]
        );
    }

    #[test]
    fn category_codes_follow_the_dispatch_catalogue() {
        for good in ["social_insurance", "social_insurance.pension", "a1.b_2"] {
            assert!(is_valid_category(good), "{good}");
        }
        for bad in ["", ".a", "a.", "A.b", "a..b", "1a", "社保", "a b"] {
            assert!(!is_valid_category(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn article_ids_accepted_are_url_safe(id in "\\PC{0,70}") {
            if is_valid_article_id(&id) {
                prop_assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
                prop_assert!(id.len() >= 2 && id.len() <= 64);
            }
        }

        #[test]
        fn validation_never_panics(title in "\\PC{0,300}", answer in "\\PC{0,50}", region in "[0-9]{0,9}") {
            let c = ArticleContent { title, answer, region_code: region, ..content() };
            let _ = validate(&c, "u", &regions(), today(), "");
        }
    }
}
