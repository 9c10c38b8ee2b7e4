//! The reviewer's checklist beyond completeness (A16) and what it allows.
//!
//! A16: the center reviews a result against the matter; where the check disagrees, the
//! result is sent back (with the head's approval), otherwise the order is closed and
//! archived. The checklist makes "the check" explicit, item by item ([`ReviewItem`]):
//!
//! - **Accepting** requires every item recorded and passed ([`acceptance_errors`]).
//! - **Sending back** must cite the failed items ([`citation_errors`]): at least one,
//!   each cited item recorded as failed on this result, and every failed item cited, so the
//!   unit learns everything that was wrong.
//! - A17: a requester "unsatisfied" on the call-back, where the reviewer also judges the
//!   handling poor, opens a supervision case ([`opens_unsatisfied_case`]).
//!
//! Errors are field errors with Chinese messages; the desk returns them as
//! `invalid_request` (HTTP 422).

use std::collections::{BTreeMap, BTreeSet};

use hotline_contract::rpc::FieldError;
use hotline_contract::supervision_desk::{CheckEntry, ReviewItem};
use hotline_contract::vocabulary::SatisfactionVerdict;

use super::text::{MAX_NOTE_CHARS, free_text_errors};

/// The reason code of a case opened on an unsatisfied requester and poor handling (A17).
pub const UNSATISFIED_POOR_HANDLING: &str = "unsatisfied_poor_handling";

fn field(field: impl Into<String>, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Check the items a reviewer records at once: at least one item (unless only the
/// poor-handling judgement is recorded), no item twice, notes short and free of phone
/// numbers.
pub fn entry_errors(entries: &[CheckEntry], judgement_given: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if entries.is_empty() && !judgement_given {
        errors.push(field("items", "required", "请至少记录一个审核项"));
    }
    let mut seen = BTreeSet::new();
    for (i, entry) in entries.iter().enumerate() {
        if !seen.insert(entry.item) {
            errors.push(field(
                format!("items[{i}].item"),
                "duplicate",
                format!("审核项「{}」重复", entry.item.label_zh()),
            ));
        }
        if let Some(note) = &entry.note {
            errors.extend(free_text_errors(
                &format!("items[{i}].note"),
                note,
                MAX_NOTE_CHARS,
            ));
        }
    }
    errors
}

/// A16: a result may be accepted only with every item recorded and passed.
pub fn acceptance_errors(recorded: &BTreeMap<ReviewItem, bool>) -> Vec<FieldError> {
    ReviewItem::ALL
        .into_iter()
        .filter_map(|item| {
            let name = format!("checklist.{}", item.code());
            match recorded.get(&item) {
                None => Some(field(
                    name,
                    "missing",
                    format!("审核项「{}」尚未记录，不能通过审核", item.label_zh()),
                )),
                Some(false) => Some(field(
                    name,
                    "failed",
                    format!("审核项「{}」未通过，不能通过审核", item.label_zh()),
                )),
                Some(true) => None,
            }
        })
        .collect()
}

/// A16: a send-back proposal cites the failed items: at least one, only failed ones, and
/// every failed one.
pub fn citation_errors(
    recorded: &BTreeMap<ReviewItem, bool>,
    cited: &[ReviewItem],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if cited.is_empty() {
        errors.push(field(
            "failed_items",
            "required",
            "退回提议须列明未通过的审核项（请先记录审核清单）",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, item) in cited.iter().enumerate() {
        if !seen.insert(*item) {
            errors.push(field(
                format!("failed_items[{i}]"),
                "duplicate",
                format!("审核项「{}」重复", item.label_zh()),
            ));
        } else if recorded.get(item) != Some(&false) {
            errors.push(field(
                format!("failed_items[{i}]"),
                "not_failed",
                format!("审核项「{}」未记录为不通过", item.label_zh()),
            ));
        }
    }
    for (item, _) in recorded.iter().filter(|(_, passed)| !**passed) {
        if !seen.contains(item) {
            errors.push(field(
                "failed_items",
                "uncited",
                format!("未通过的审核项「{}」须在退回提议中列明", item.label_zh()),
            ));
        }
    }
    errors
}

/// A17: the requester is unsatisfied and the reviewer judges the handling poor: the unit is
/// supervised. `verdict` is the latest verdict of a call-back that reached the requester.
pub fn opens_unsatisfied_case(verdict: Option<SatisfactionVerdict>, poor_handling: bool) -> bool {
    poor_handling && verdict == Some(SatisfactionVerdict::Unsatisfied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(items: &[(ReviewItem, bool)]) -> BTreeMap<ReviewItem, bool> {
        items.iter().copied().collect()
    }

    fn all(passed: bool) -> BTreeMap<ReviewItem, bool> {
        ReviewItem::ALL.into_iter().map(|i| (i, passed)).collect()
    }

    fn codes(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn acceptance_needs_every_item_recorded_and_passed() {
        assert!(acceptance_errors(&all(true)).is_empty());
        let mut one_failed = all(true);
        one_failed.insert(ReviewItem::RightUnit, false);
        one_failed.remove(&ReviewItem::TimeGiven);
        assert_eq!(
            codes(&acceptance_errors(&one_failed)),
            [
                ("checklist.time_given", "missing"),
                ("checklist.right_unit", "failed")
            ]
        );
        assert_eq!(acceptance_errors(&BTreeMap::new()).len(), 6);
    }

    #[test]
    fn a_send_back_cites_exactly_the_failed_items() {
        let checks = recorded(&[
            (ReviewItem::ReplyAnswersMatter, false),
            (ReviewItem::BasisCited, true),
        ]);
        assert!(citation_errors(&checks, &[ReviewItem::ReplyAnswersMatter]).is_empty());
        // Nothing cited (nor recorded): refused.
        assert_eq!(
            codes(&citation_errors(&BTreeMap::new(), &[])),
            [("failed_items", "required")]
        );
        // A passed or unrecorded item is not a ground.
        assert_eq!(
            codes(&citation_errors(
                &checks,
                &[
                    ReviewItem::ReplyAnswersMatter,
                    ReviewItem::BasisCited,
                    ReviewItem::RightUnit
                ]
            )),
            [
                ("failed_items[1]", "not_failed"),
                ("failed_items[2]", "not_failed")
            ]
        );
        // A failed item left out.
        let two_failed = recorded(&[
            (ReviewItem::ReplyAnswersMatter, false),
            (ReviewItem::RightUnit, false),
        ]);
        let errors = citation_errors(&two_failed, &[ReviewItem::RightUnit]);
        assert_eq!(codes(&errors), [("failed_items", "uncited")]);
        assert!(errors[0].message.contains("答复回应了诉求"));
    }

    #[test]
    fn entries_are_checked() {
        let entry = |item, note: Option<&str>| CheckEntry {
            item,
            passed: false,
            note: note.map(str::to_owned),
        };
        assert_eq!(codes(&entry_errors(&[], false)), [("items", "required")]);
        assert!(entry_errors(&[], true).is_empty());
        let errors = entry_errors(
            &[
                entry(ReviewItem::RightUnit, Some("应由市场监管局办理")),
                entry(ReviewItem::RightUnit, None),
                entry(ReviewItem::BasisCited, Some("请致电13812345678核实")),
            ],
            false,
        );
        assert_eq!(
            codes(&errors),
            [
                ("items[1].item", "duplicate"),
                ("items[2].note", "personal_data")
            ]
        );
    }

    #[test]
    fn only_an_unsatisfied_requester_with_poor_handling_opens_a_case() {
        use SatisfactionVerdict::*;
        assert!(opens_unsatisfied_case(Some(Unsatisfied), true));
        assert!(!opens_unsatisfied_case(Some(Unsatisfied), false));
        assert!(!opens_unsatisfied_case(Some(BasicallySatisfied), true));
        assert!(!opens_unsatisfied_case(None, true));
    }
}
