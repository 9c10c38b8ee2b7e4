//! Identity numbers given at registration (A11): the 18-character resident identity number
//! of a natural person (GB 11643-1999) and the unified social credit code of a legal person
//! or an unincorporated organisation (GB 32100-2015).
//!
//! Both end in a check character computed from the first 17, so a mistyped digit is caught
//! at the hotline rather than weeks later by the handling unit. Validation is structural
//! only: a number that passes is well-formed, not proven to exist. The number is personal
//! data (A21): it goes into intake's vault and nowhere else, and the errors here never
//! repeat it.

use chrono::{Datelike, NaiveDate};
use hotline_contract::vocabulary::RequesterType;

/// Why an identity number was refused. The `Display` text is the Chinese message shown
/// to the caller; [`IdNumberError::code`] is the machine code of the field error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 17 digits followed by a digit or `X`.
    #[error("居民身份证号码应为18位：前17位为数字，最后一位为数字或X")]
    ResidentFormat,
    /// The first two digits name no province-level division.
    #[error("居民身份证号码的前两位不是有效的省级行政区划代码")]
    ResidentRegion,
    /// Digits 7–14 are not a real date between 1900-01-01 and today.
    #[error("居民身份证号码中的出生日期无效")]
    BirthDate,
    /// The 18th character does not match the first 17.
    #[error("居民身份证号码校验码不正确，请核对后重新填写")]
    ResidentCheck,
    /// Not 18 characters of the code's alphabet.
    #[error("统一社会信用代码应为18位数字或大写字母（不使用I、O、S、V、Z）")]
    CreditCodeFormat,
    /// The 18th character does not match the first 17.
    #[error("统一社会信用代码校验码不正确，请核对后重新填写")]
    CreditCodeCheck,
}

impl IdNumberError {
    /// The machine code of the field error: `invalid_format`, `invalid_date` or
    /// `invalid_check_digit`.
    pub fn code(self) -> &'static str {
        match self {
            Self::ResidentFormat | Self::ResidentRegion | Self::CreditCodeFormat => {
                "invalid_format"
            }
            Self::BirthDate => "invalid_date",
            Self::ResidentCheck | Self::CreditCodeCheck => "invalid_check_digit",
        }
    }
}

/// Length of both kinds of number.
pub const ID_NUMBER_LEN: usize = 18;

/// GB 11643-1999 weights of the first 17 digits (2^(18-i) mod 11).
const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643-1999 check characters, indexed by the weighted sum mod 11.
const RESIDENT_CHECK: &[u8; 11] = b"10X98765432";
/// Earliest birth year accepted (from 1 January): nobody alive was born earlier.
const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// GB 32100-2015 alphabet: digits and the capitals without I, O, S, V, Z.
const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100-2015 weights of the first 17 characters (3^i mod 31).
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Province-level codes (GB/T 2260) that begin a resident identity number: the 31
/// mainland provinces, Taiwan (71), and the residence permits of Hong Kong (81), Macao
/// (82) and Taiwan (83) residents, which use the same format.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// The check character of a resident identity number whose first 17 characters are
/// `digits` (each `0..=9`).
pub fn resident_check_char(digits: &[u8; 17]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(RESIDENT_WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    char::from(RESIDENT_CHECK[(sum % 11) as usize])
}

/// The check character of a unified social credit code whose first 17 characters are
/// `first17`; `None` if one of them is outside the code's alphabet.
pub fn credit_code_check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(CREDIT_WEIGHTS) {
        let value = CREDIT_ALPHABET.iter().position(|a| a == c)?;
        sum += u32::try_from(value).ok()? * w;
    }
    // check = 31 - (sum mod 31), where 31 means 0.
    let index = (31 - sum % 31) % 31;
    Some(char::from(CREDIT_ALPHABET[index as usize]))
}

/// Validate a resident identity number and return it normalised (trimmed, a lowercase
/// check `x` upper-cased). `today` is the current day in Guizhou: nobody is born later.
pub fn resident_id(raw: &str, today: NaiveDate) -> Result<String, IdNumberError> {
    let raw = raw.trim();
    let bytes = raw.as_bytes();
    if bytes.len() != ID_NUMBER_LEN
        || !bytes[..17].iter().all(u8::is_ascii_digit)
        || !matches!(bytes[17], b'0'..=b'9' | b'X' | b'x')
    {
        return Err(IdNumberError::ResidentFormat);
    }
    let mut digits = [0u8; 17];
    for (d, b) in digits.iter_mut().zip(bytes) {
        *d = b - b'0';
    }
    if !PROVINCES.contains(&(digits[0] * 10 + digits[1])) {
        return Err(IdNumberError::ResidentRegion);
    }
    let number = |range: std::ops::Range<usize>| {
        digits[range]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(*d))
    };
    let year = i32::try_from(number(6..10)).map_err(|_| IdNumberError::BirthDate)?;
    let birth = NaiveDate::from_ymd_opt(year, number(10..12), number(12..14))
        .ok_or(IdNumberError::BirthDate)?;
    if birth > today || birth.year() < EARLIEST_BIRTH_YEAR {
        return Err(IdNumberError::BirthDate);
    }
    let expected = resident_check_char(&digits);
    let given = char::from(bytes[17]).to_ascii_uppercase();
    if given != expected {
        return Err(IdNumberError::ResidentCheck);
    }
    Ok(raw.to_ascii_uppercase())
}

/// Validate a unified social credit code and return it normalised (trimmed, upper-cased).
pub fn credit_code(raw: &str) -> Result<String, IdNumberError> {
    let code = raw.trim().to_ascii_uppercase();
    let bytes = code.as_bytes();
    if bytes.len() != ID_NUMBER_LEN || !bytes.iter().all(|b| CREDIT_ALPHABET.contains(b)) {
        return Err(IdNumberError::CreditCodeFormat);
    }
    match credit_code_check_char(&bytes[..17]) {
        Some(expected) if char::from(bytes[17]) == expected => Ok(code),
        Some(_) => Err(IdNumberError::CreditCodeCheck),
        None => Err(IdNumberError::CreditCodeFormat),
    }
}

/// Validate the identity number of a requester of the given type (A3: a natural person
/// has a resident identity number, a legal person or organisation a credit code).
pub fn for_requester(
    requester_type: RequesterType,
    raw: &str,
    today: NaiveDate,
) -> Result<String, IdNumberError> {
    match requester_type {
        RequesterType::Person => resident_id(raw, today),
        RequesterType::LegalPerson | RequesterType::Organisation => credit_code(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn the_standard_example_number_is_valid() {
        assert_eq!(
            resident_id("11010519491231002X", today()),
            Ok("11010519491231002X".to_owned())
        );
    }

    #[test]
    fn guizhou_numbers_with_computed_check_digits_are_valid() {
        for n in [
            "520102199003071236",
            "522627198508150046",
            "520302200002290011", // 29 February of a leap year
            "440304200101015552",
        ] {
            assert_eq!(resident_id(n, today()).as_deref(), Ok(n), "{n}");
        }
    }

    #[test]
    fn a_lowercase_check_x_is_accepted_and_upper_cased() {
        assert_eq!(
            resident_id(" 11010519491231002x ", today()),
            Ok("11010519491231002X".to_owned())
        );
    }

    #[test]
    fn a_wrong_check_digit_is_caught() {
        assert_eq!(
            resident_id("520102199003071235", today()),
            Err(IdNumberError::ResidentCheck)
        );
        assert_eq!(
            resident_id("110105194912310021", today()),
            Err(IdNumberError::ResidentCheck)
        );
        assert_eq!(IdNumberError::ResidentCheck.code(), "invalid_check_digit");
    }

    #[test]
    fn a_single_mistyped_digit_is_always_caught() {
        let good = b"520102199003071236";
        for i in 0..17 {
            for d in b'0'..=b'9' {
                if d == good[i] {
                    continue;
                }
                let mut bad = *good;
                bad[i] = d;
                let bad = std::str::from_utf8(&bad).unwrap();
                assert!(resident_id(bad, today()).is_err(), "{bad}");
            }
        }
    }

    #[test]
    fn impossible_birth_dates_are_refused() {
        // The check digit is recomputed each time, so only the date is wrong.
        let with_check = |first17: &str| {
            let mut digits = [0u8; 17];
            for (d, b) in digits.iter_mut().zip(first17.bytes()) {
                *d = b - b'0';
            }
            format!("{first17}{}", resident_check_char(&digits))
        };
        for first17 in [
            "52010219990230123", // 30 February
            "52010220010229123", // 29 February of a common year
            "52010219901301123", // month 13
            "52010218991231123", // before 1900
            "52010220271127123", // in the future
        ] {
            let n = with_check(first17);
            assert_eq!(
                resident_id(&n, today()),
                Err(IdNumberError::BirthDate),
                "{n}"
            );
        }
        assert_eq!(IdNumberError::BirthDate.code(), "invalid_date");
        // Born today is fine.
        assert!(resident_id(&with_check("52010220261127123"), today()).is_ok());
    }

    #[test]
    fn malformed_resident_numbers_are_refused_as_format_errors() {
        for n in [
            "",
            "52010219900307123",                    // 17 characters
            "5201021990030712366",                  // 19
            "52010219900307123A",                   // wrong check character
            "5201021990O307123X",                   // a letter O
            "５２０１０２１９９００３０７１２３６", // full-width digits
        ] {
            assert_eq!(
                resident_id(n, today()),
                Err(IdNumberError::ResidentFormat),
                "{n}"
            );
        }
        assert_eq!(
            resident_id("990102199003071236", today()),
            Err(IdNumberError::ResidentRegion)
        );
    }

    #[test]
    fn the_standard_credit_code_example_is_valid() {
        assert_eq!(
            credit_code("91350100M000100Y43"),
            Ok("91350100M000100Y43".to_owned())
        );
        assert_eq!(
            credit_code("91520100ma6dkg5x1g"),
            Ok("91520100MA6DKG5X1G".to_owned())
        );
        assert_eq!(credit_code("125200004292001232").map(|_| ()), Ok(()));
        assert_eq!(credit_code("915200002144012338").map(|_| ()), Ok(()));
    }

    #[test]
    fn a_credit_code_whose_check_is_zero_is_valid() {
        // Find a prefix whose weighted sum is a multiple of 31 (31 - 0 = 31, written 0).
        let prefix = (0..31u32)
            .map(|last| {
                let mut p = b"9152010000000000".to_vec();
                p.push(CREDIT_ALPHABET[last as usize]);
                p
            })
            .find(|p| credit_code_check_char(p) == Some('0'))
            .unwrap();
        let code = format!("{}0", std::str::from_utf8(&prefix).unwrap());
        assert_eq!(credit_code(&code), Ok(code.clone()));
    }

    #[test]
    fn bad_credit_codes_are_refused() {
        assert_eq!(
            credit_code("91350100M000100Y44"),
            Err(IdNumberError::CreditCodeCheck)
        );
        for c in [
            "",
            "91350100M000100Y4",
            "91350100M000100I43",
            "91350100M0001-0Y43",
        ] {
            assert_eq!(credit_code(c), Err(IdNumberError::CreditCodeFormat), "{c}");
        }
    }

    #[test]
    fn the_requester_type_picks_the_kind_of_number() {
        assert!(for_requester(RequesterType::Person, "11010519491231002X", today()).is_ok());
        assert_eq!(
            for_requester(RequesterType::Person, "91350100M000100Y43", today()),
            Err(IdNumberError::ResidentFormat)
        );
        assert!(for_requester(RequesterType::LegalPerson, "91350100M000100Y43", today()).is_ok());
        assert!(for_requester(RequesterType::Organisation, "91350100M000100Y43", today()).is_ok());
        assert_eq!(
            for_requester(RequesterType::LegalPerson, "11010519491231002X", today()),
            Err(IdNumberError::CreditCodeCheck)
        );
    }
}
