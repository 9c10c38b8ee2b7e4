#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of registration validation (A11) and phone masking (A21) over inputs far
//! wider than the examples in the unit tests: arbitrary Unicode, over-long text, every
//! shape of phone number, arbitrary identity numbers.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hotline_contract::rpc::{RegisterOrder, RequesterInput};
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_intake::domain::id_number::{self, IdNumberError};
use hotline_intake::domain::phone::Phone;
use hotline_intake::domain::registration::{
    MAX_ADDRESS, MAX_AGENT_ID, MAX_MATTER, MAX_NAME, validate,
};
use hotline_reference::Regions;
use proptest::prelude::*;

static REGIONS: LazyLock<Regions> = LazyLock::new(|| Regions::bundled().unwrap());

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
}

fn order(matter: String) -> RegisterOrder {
    RegisterOrder {
        channel: Channel::WebMessage,
        kind: RequestKind::Help,
        requester: RequesterInput {
            requester_type: RequesterType::Person,
            name: None,
            phone: Some("13812345678".to_owned()),
            id_number: None,
        },
        matter,
        category: None,
        region_code: "520102".to_owned(),
        address: None,
        confidential: false,
        urgency: Urgency::Normal,
        requested_at: None,
        agent_id: None,
        triage: None,
    }
}

/// Any Unicode text of up to `max` characters, lengths spread evenly.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..=max).prop_map(|c| c.into_iter().collect())
}

/// Text whose length is within a few characters of `limit`, where off-by-one bugs live.
fn near(limit: usize) -> impl Strategy<Value = String> {
    (limit.saturating_sub(3)..=limit + 3, any::<char>())
        .prop_map(|(n, c)| std::iter::repeat_n(c, n).collect())
}

fn field_codes(input: RegisterOrder) -> Vec<(String, String)> {
    match validate(input, &REGIONS, now()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The matter is free text from the public: any string up to ten times the limit is
    /// judged without panicking, and one over the limit is refused as `too_long`.
    #[test]
    fn any_matter_is_judged_and_over_long_ones_are_too_long(
        matter in prop_oneof![text(10 * MAX_MATTER), near(MAX_MATTER)],
    ) {
        let over = matter.trim().chars().count() > MAX_MATTER;
        let codes = field_codes(order(matter.clone()));
        let on_matter: Vec<&str> = codes
            .iter()
            .filter(|(f, _)| f == "matter")
            .map(|(_, c)| c.as_str())
            .collect();
        if over {
            prop_assert_eq!(on_matter, vec!["too_long"]);
        } else {
            prop_assert!(!on_matter.contains(&"too_long"));
        }
        // Nothing but the matter is wrong with this order.
        prop_assert!(codes.iter().all(|(f, _)| f == "matter"), "{:?}", codes);
    }

    /// A21: the mask shows the first 3 and the last 4 digits and nothing else, for every
    /// valid mobile and landline number in every accepted spelling.
    #[test]
    fn a_masked_phone_reveals_only_its_first_three_and_last_four_digits(
        digits in prop_oneof![
            "1[3-9][0-9]{9}",
            "0[1-9][0-9]{8,10}",
        ],
        spelling in 0..4usize,
    ) {
        let raw = match spelling {
            0 => digits.clone(),
            1 => format!(" {}-{} ", &digits[..3], &digits[3..]),
            2 if digits.starts_with('1') => format!("+86 {digits}"),
            2 | 3 => digits.chars().flat_map(|c| [c, ' ']).collect(),
            _ => unreachable!(),
        };
        let phone = Phone::parse(&raw).unwrap();
        prop_assert_eq!(phone.as_str(), digits.as_str());
        let masked = phone.masked();
        let n = digits.len();
        prop_assert_eq!(masked.chars().count(), n);
        prop_assert_eq!(&masked[..3], &digits[..3]);
        prop_assert_eq!(&masked[n - 4..], &digits[n - 4..]);
        prop_assert!(masked[3..n - 4].chars().all(|c| c == '*'), "{}", masked);
        // Of the digits, exactly seven are shown.
        prop_assert_eq!(masked.chars().filter(char::is_ascii_digit).count(), 7);
    }

    /// Whatever the phone field holds, parsing does not panic, and a number it accepts
    /// masks to no more than seven digits.
    #[test]
    fn any_phone_text_is_judged_and_an_accepted_one_masks_safely(raw in ".{0,40}|[0-9+ -]{0,20}") {
        if let Ok(phone) = Phone::parse(&raw) {
            let masked = phone.masked();
            prop_assert!(masked.chars().filter(char::is_ascii_digit).count() <= 7);
            prop_assert!(masked.contains("***"));
        }
    }

    /// Arbitrary strings in every field, arbitrary choices and times: validation answers
    /// (it never panics), every error names a known field, and what it accepts is within
    /// the limits.
    #[test]
    fn validate_never_panics_on_arbitrary_fields(
        matter in text(MAX_MATTER + 10),
        name in proptest::option::of(text(MAX_NAME + 10)),
        phone in proptest::option::of(".{0,30}|[0-9]{11}"),
        id in proptest::option::of(".{0,30}|[0-9]{17}[0-9Xx]|[0-9A-Z]{18}"),
        category in proptest::option::of(".{0,80}|[a-z._-]{1,70}"),
        region in ".{0,12}|52[0-9]{4}|[0-9]{9}",
        address in proptest::option::of(text(MAX_ADDRESS + 10)),
        agent in proptest::option::of(text(MAX_AGENT_ID + 10)),
        channel in prop_oneof![Just(Channel::Phone), Just(Channel::OnlineChat), Just(Channel::WebMessage)],
        requester_type in prop_oneof![
            Just(RequesterType::Person),
            Just(RequesterType::LegalPerson),
            Just(RequesterType::Organisation),
        ],
        offset_minutes in proptest::option::of(-1_000_000i64..1_000_000),
    ) {
        let input = RegisterOrder {
            channel,
            kind: RequestKind::Complaint,
            requester: RequesterInput { requester_type, name, phone, id_number: id },
            matter,
            category,
            region_code: region,
            address,
            confidential: false,
            urgency: Urgency::Urgent,
            requested_at: offset_minutes.map(|m| now() + Duration::minutes(m)),
            agent_id: agent,
            triage: None,
        };
        const FIELDS: [&str; 9] = [
            "matter", "requester.name", "requester.phone", "requester.id_number",
            "category", "region_code", "address", "agent_id", "requested_at",
        ];
        match validate(input, &REGIONS, now()) {
            Ok(v) => {
                prop_assert!(v.matter.chars().count() <= MAX_MATTER);
                prop_assert!(!v.matter.trim().is_empty());
                prop_assert!(v.name.as_ref().is_none_or(|n| n.chars().count() <= MAX_NAME));
                prop_assert!(REGIONS.is_known_region(&v.region_code));
                prop_assert!(v.id_number.as_ref().is_none_or(|n| n.len() == 18));
                prop_assert!(!v.matter.contains('\0'));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(FIELDS.contains(&e.field.as_str()), "{:?}", e);
                    prop_assert!(!e.code.is_empty() && !e.message.is_empty());
                }
            }
        }
    }

    /// A well-formed resident number (real province, real birth date, its check character)
    /// passes; the same number with any one digit changed is always refused.
    #[test]
    fn resident_numbers_pass_only_with_their_check_character(
        province in prop::sample::select(vec![11u8, 31, 44, 50, 52, 53, 65, 81]),
        area in "[0-9]{4}",
        born_days in 0..46_000i64,
        sequence in "[0-9]{3}",
        position in 0..17usize,
        delta in 1..10u8,
    ) {
        let today = now().date_naive();
        let birth = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + Duration::days(born_days);
        prop_assume!(birth <= today);
        let first17 = format!("{province}{area}{}{sequence}", birth.format("%Y%m%d"));
        let mut digits = [0u8; 17];
        for (d, b) in digits.iter_mut().zip(first17.bytes()) {
            *d = b - b'0';
        }
        let valid = format!("{first17}{}", id_number::resident_check_char(&digits));
        prop_assert_eq!(id_number::resident_id(&valid, today), Ok(valid.clone()));
        prop_assert_eq!(
            id_number::resident_id(&valid.to_lowercase(), today),
            Ok(valid.clone())
        );
        let mut changed = valid.into_bytes();
        changed[position] = b'0' + (changed[position] - b'0' + delta) % 10;
        let changed = String::from_utf8(changed).unwrap();
        prop_assert!(id_number::resident_id(&changed, today).is_err());
    }

    /// The same for unified social credit codes: one character changed is always caught.
    #[test]
    fn credit_codes_pass_only_with_their_check_character(
        first17 in "[0-9A-HJ-NP-RTUWXY]{17}",
        position in 0..17usize,
        replacement in "[0-9A-HJ-NP-RTUWXY]",
    ) {
        let check = id_number::credit_code_check_char(first17.as_bytes()).unwrap();
        let valid = format!("{first17}{check}");
        prop_assert_eq!(id_number::credit_code(&valid), Ok(valid.clone()));
        let mut changed = valid.clone().into_bytes();
        changed[position] = replacement.as_bytes()[0];
        let changed = String::from_utf8(changed).unwrap();
        if changed != valid {
            prop_assert_eq!(
                id_number::credit_code(&changed),
                Err(IdNumberError::CreditCodeCheck)
            );
        }
    }
}
