//! Free text the desk stores (checklist notes, what a call-back verified): short, and free
//! of personal data. R-A21.1: contact details never leave the service that owns them
//! (intake); a reviewer who types the requester's phone number into a note is refused
//! rather than having it stored and put on the trail.

use hotline_contract::rpc::FieldError;

/// The longest checklist note.
pub const MAX_NOTE_CHARS: usize = 500;
/// The longest call-back text.
pub const MAX_VERIFIED_CHARS: usize = 1000;

/// Digits in a phone-number-like run: 7 to 8 (local), 11 (mobile), up to 12 (area code and
/// local number). Longer runs (order numbers have 16 digits) are not phone numbers.
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=12;

/// Why `text` cannot be stored in `field`: too long, or containing a phone number.
pub fn free_text_errors(field: &str, text: &str, max_chars: usize) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if text.chars().count() > max_chars {
        errors.push(FieldError {
            field: field.to_owned(),
            code: "too_long".to_owned(),
            message: format!("不能超过{max_chars}个字"),
        });
    }
    if contains_phone_number(text) {
        errors.push(FieldError {
            field: field.to_owned(),
            code: "personal_data".to_owned(),
            message: "不得填写电话号码等个人信息".to_owned(),
        });
    }
    errors
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Whether `text` holds a run of digits that looks like a phone number: 7 to 12 digits,
/// possibly grouped by spaces or hyphens, standing alone (not part of a longer run of
/// letters and digits such as an id or a hash).
pub fn contains_phone_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = 0;
        while i < chars.len() {
            if is_digit(chars[i]) {
                digits += 1;
                i += 1;
            } else if matches!(chars[i], ' ' | '-')
                && chars.get(i + 1).is_some_and(|c| is_digit(*c))
            {
                i += 1;
            } else {
                break;
            }
        }
        let alone = |c: Option<&char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
        let before = start.checked_sub(1).and_then(|b| chars.get(b));
        if PHONE_DIGITS.contains(&digits) && alone(before) && alone(chars.get(i)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_found_however_written() {
        for text in [
            "请致电13812345678核实",
            "电话 138 1234 5678",
            "固话0851-86812345",
            "１３８１２３４５６７８",
            "8681234",
        ] {
            assert!(contains_phone_number(text), "{text}");
        }
    }

    #[test]
    fn order_numbers_ids_and_short_numbers_are_not_phone_numbers() {
        for text in [
            "工单5201022611300001已核实",
            "0193a1e0-0000-7000-8000-000000000001",
            "噪声超标3分贝，2026年11月30日复查",
            "abc13812345678",
            "",
        ] {
            assert!(!contains_phone_number(text), "{text}");
        }
    }

    #[test]
    fn long_text_is_refused() {
        let errors = free_text_errors("note", &"字".repeat(MAX_NOTE_CHARS + 1), MAX_NOTE_CHARS);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "too_long");
        assert!(free_text_errors("note", "已核实", MAX_NOTE_CHARS).is_empty());
    }
}
