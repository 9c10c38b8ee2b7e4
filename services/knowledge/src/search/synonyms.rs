//! The synonym / colloquial-variant table editors maintain (社保 ↔ 社会保险, 公积金 ↔
//! 住房公积金, 户口 ↔ 户籍, 医保 ↔ 基本医疗保险).
//!
//! Applied at query time, so editing the table needs no re-indexing: every member of a
//! group that occurs in the query (as a substring, however jieba would split it: 社保卡
//! contains 社保) adds the group's other members as extra query text, weighted below the
//! citizen's own words ([`Synonyms::expansions`]). For comparing a query with an article's
//! questions (the confidence of a direct answer), [`Synonyms::canonical`] rewrites every
//! member to its group's first word.

use hotline_contract::knowledge::SynonymGroup;
use hotline_contract::rpc::FieldError;

use super::analysis::fold;

/// Most groups and most words per group an editor may save.
pub const MAX_GROUPS: usize = 2_000;
pub const MAX_WORDS_PER_GROUP: usize = 20;
pub const MAX_WORD_CHARS: usize = 20;

/// The table, normalised (folded, trimmed, duplicates dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    /// (member, group index), longest member first.
    members: Vec<(String, usize)>,
}

fn normalise(word: &str) -> String {
    word.trim().chars().map(fold).collect()
}

impl Synonyms {
    /// Build the table from groups already validated (see [`validate`]).
    pub fn new(groups: &[Vec<String>]) -> Self {
        let groups: Vec<Vec<String>> = groups
            .iter()
            .map(|g| {
                let mut words: Vec<String> = Vec::new();
                for w in g.iter().map(|w| normalise(w)) {
                    if !w.is_empty() && !words.contains(&w) {
                        words.push(w);
                    }
                }
                words
            })
            .filter(|g| g.len() >= 2)
            .collect();
        let mut members: Vec<(String, usize)> = groups
            .iter()
            .enumerate()
            .flat_map(|(i, g)| g.iter().map(move |w| (w.clone(), i)))
            .collect();
        members.sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
        Self { groups, members }
    }

    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// The other members of every group a member of which occurs in `text`, each once.
    pub fn expansions(&self, text: &str) -> Vec<String> {
        let text = normalise(text);
        let mut hit_groups: Vec<usize> = Vec::new();
        for (word, group) in &self.members {
            if !hit_groups.contains(group) && text.contains(word.as_str()) {
                hit_groups.push(*group);
            }
        }
        let mut out: Vec<String> = Vec::new();
        for group in hit_groups {
            for word in &self.groups[group] {
                if !text.contains(word.as_str()) && !out.contains(word) {
                    out.push(word.clone());
                }
            }
        }
        out
    }

    /// `text` folded, with every member replaced by its group's first word (longest
    /// members first, so 基本医疗保险 is replaced before 医疗保险 could be).
    pub fn canonical(&self, text: &str) -> String {
        let mut text = normalise(text);
        for (word, group) in &self.members {
            let canonical = &self.groups[*group][0];
            if word != canonical && text.contains(word.as_str()) {
                // A placeholder that no member contains keeps a replaced word from being
                // matched again by a shorter member.
                text = text.replace(word.as_str(), &format!("\u{E000}{group}\u{E001}"));
            }
        }
        for (i, group) in self.groups.iter().enumerate() {
            text = text.replace(&format!("\u{E000}{i}\u{E001}"), &group[0]);
        }
        text
    }
}

/// Check an editor's table; returns the groups as stored.
pub fn validate(groups: &[SynonymGroup]) -> Result<Vec<Vec<String>>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let error = |field: String, code: &str, message: &str| FieldError {
        field,
        code: code.to_owned(),
        message: message.to_owned(),
    };
    if groups.len() > MAX_GROUPS {
        errors.push(error("groups".to_owned(), "too_many", "同义词组过多"));
    }
    let mut out = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        let mut words: Vec<String> = Vec::new();
        for (j, word) in group.words.iter().enumerate() {
            let w = normalise(word);
            if w.is_empty() || w.chars().count() > MAX_WORD_CHARS || w.chars().any(char::is_control)
            {
                errors.push(error(
                    format!("groups[{i}].words[{j}]"),
                    "invalid",
                    "同义词须为 1–20 个字，不含控制字符",
                ));
            } else if !words.contains(&w) {
                words.push(w);
            }
        }
        if words.len() < 2 || group.words.len() > MAX_WORDS_PER_GROUP {
            errors.push(error(
                format!("groups[{i}].words"),
                "group_size",
                "每组须有 2–20 个不同的词",
            ));
        }
        out.push(words);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Parse the bundled default table: one group a line, words separated by spaces or
/// commas; `#` starts a comment.
pub fn parse_table(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .map(|line| {
            line.split([' ', ',', '，', '\t'])
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|g| g.len() >= 2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Synonyms {
        Synonyms::new(&parse_table(
            "社保 社会保险 社会保障 # social insurance\n医保，基本医疗保险，医疗保险\n户口 户籍\n\n单独",
        ))
    }

    #[test]
    fn a_member_inside_a_longer_word_expands_to_the_others() {
        let t = table();
        assert_eq!(t.expansions("社保卡丢了"), ["社会保险", "社会保障"]);
        assert_eq!(t.expansions("户籍迁移"), ["户口"]);
        assert!(t.expansions("公积金").is_empty());
    }

    #[test]
    fn canonical_form_replaces_the_longest_member_first() {
        let t = table();
        assert_eq!(t.canonical("基本医疗保险报销"), "医保报销");
        assert_eq!(t.canonical("医疗保险"), "医保");
        assert_eq!(t.canonical("户籍和社会保险"), "户口和社保");
    }

    #[test]
    fn the_table_parser_skips_comments_and_single_words() {
        assert_eq!(table().groups().len(), 3);
    }

    #[test]
    fn editors_get_every_bad_group_named() {
        let groups = vec![
            SynonymGroup {
                words: vec!["社保".to_owned(), "社会保险".to_owned()],
            },
            SynonymGroup {
                words: vec!["户口".to_owned(), " 户口 ".to_owned()],
            },
            SynonymGroup {
                words: vec!["a\u{0}".to_owned(), "b".to_owned(), "c".to_owned()],
            },
        ];
        let errors = validate(&groups).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["groups[1].words", "groups[2].words[0]"]);
    }
}
