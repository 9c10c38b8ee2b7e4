#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The bad-input campaign (issue 12): property-based tests over the parsers of every input
//! that comes from outside, in thousands of cases each: a partner's inbound messages
//! (transfers, status requests, joint-handling steps), the working-day calendar file, the
//! division catalogue file, and the unit-directory and knowledge-base import files. Each
//! must answer every input with a value or a typed error, never a panic. (Registration
//! bodies through intake's validation: `services/intake/tests/validation_props.rs`; HTTP
//! bodies end to end: `tests/e2e/bad_inputs.rs`.)
//!
//! A longer run: `PROPTEST_CASES=100000 cargo test -p hotline-e2e --test bad_input_props`.

use hotline_contract::RawEnvelope;
use hotline_contract::envelope::Envelope;
use hotline_contract::transfer::PartnerTransferRequested;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_emergency_bridge::domain::{
    validate_inbound, validate_joint_step, validate_status_request,
};
use proptest::prelude::*;
use serde_json::Value;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2000);
    ProptestConfig::with_cases(cases)
}

/// A valid inbound transfer from 110, as JSON.
fn valid_transfer() -> Value {
    let request = PartnerTransferRequested {
        partner_transfer_id: "GY-110-0001".to_owned(),
        partner_code: "110".to_owned(),
        kind: RequestKind::Help,
        matter: "小区内有人长时间占用消防通道，请协调处理。".to_owned(),
        region_code: "520102".to_owned(),
        address: Some("南明区某小区".to_owned()),
        caller_phone: "13800000110".to_owned(),
        caller_name: None,
        urgency: Urgency::default(),
        requested_at: "2026-11-29T08:00:00+08:00".parse().unwrap(),
    };
    let bytes = Envelope::new("partner-110", "partner.110.transfer.requested", request)
        .to_bytes()
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        "[0-9]{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Paths into the valid message: the envelope's fields and the data's.
const PATHS: &[&[&str]] = &[
    &["type"],
    &["id"],
    &["source"],
    &["specversion"],
    &["time"],
    &["data"],
    &["data", "partner_transfer_id"],
    &["data", "partner_code"],
    &["data", "kind"],
    &["data", "matter"],
    &["data", "region_code"],
    &["data", "address"],
    &["data", "caller_phone"],
    &["data", "caller_name"],
    &["data", "urgency"],
    &["data", "requested_at"],
    &["data", "unexpected_field"],
];

/// The valid message with the value at one path replaced (or removed, when `None`).
fn mutate(path: &[&str], value: Option<Value>) -> Vec<u8> {
    let mut message = valid_transfer();
    let (last, parents) = path.split_last().unwrap();
    let mut node = &mut message;
    for p in parents {
        node = node.get_mut(*p).unwrap();
    }
    let object = node.as_object_mut().unwrap();
    match value {
        Some(v) => {
            object.insert((*last).to_owned(), v);
        }
        None => {
            object.remove(*last);
        }
    }
    serde_json::to_vec(&message).unwrap()
}

/// Every validator of partner messages, on `bytes` from the partner with `code`: a value or
/// a refusal with a code and a reason, never a panic.
fn check_partner_message(code: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(envelope) = RawEnvelope::parse(bytes) else {
        return Ok(()); // refused before validation, as the bridge does (dead letter + refusal)
    };
    for outcome in [
        validate_inbound(code, &envelope).map(|_| ()),
        validate_status_request(code, &envelope).map(|_| ()),
        validate_joint_step(code, &envelope).map(|_| ()),
    ] {
        if let Err(refusal) = outcome {
            prop_assert!(!refusal.reason_code.is_empty());
            prop_assert!(!refusal.reason.is_empty());
        }
    }
    Ok(())
}

#[test]
fn the_valid_sample_is_accepted() {
    let bytes = serde_json::to_vec(&valid_transfer()).unwrap();
    let envelope = RawEnvelope::parse(&bytes).unwrap();
    assert!(validate_inbound("110", &envelope).is_ok());
    // …and only from its own sender.
    assert_eq!(
        validate_inbound("119", &envelope).unwrap_err().reason_code,
        "partner_mismatch"
    );
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn partner_messages_with_one_field_changed_get_a_value_or_a_refusal(
        path in prop::sample::select(PATHS),
        value in prop::option::of(any_json()),
        code in prop_oneof![Just("110".to_owned()), "[a-z0-9_-]{1,8}"],
    ) {
        check_partner_message(&code, &mutate(path, value))?;
    }

    #[test]
    fn partner_messages_of_random_bytes_get_a_value_or_a_refusal(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        check_partner_message("110", &bytes)?;
    }

    #[test]
    fn partner_messages_of_random_json_get_a_value_or_a_refusal(message in any_json()) {
        check_partner_message("110", &serde_json::to_vec(&message).unwrap())?;
    }

    #[test]
    fn calendar_files_load_or_name_the_bad_line(
        lines in prop::collection::vec(
            prop_oneof![
                "20[0-9]{2}-[01][0-9]-[0-3][0-9],(off|workday),[\\p{Han}]{1,4}",
                ".{0,40}",
                "[0-9,-]{0,20}",
            ],
            0..20,
        ),
        header in prop::bool::ANY,
    ) {
        let mut text = if header { "date,kind,holiday\n".to_owned() } else { String::new() };
        text.push_str(&lines.join("\n"));
        if let Err(e) = hotline_workday::Calendar::from_csv(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn division_files_load_or_say_why(text in ".{0,400}") {
        if let Err(e) = hotline_reference::Regions::from_csv(&format!("code,name,level,parent_code\n{text}")) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn unit_directory_imports_load_or_name_the_fields(
        text in ".{0,400}",
        json in any_json(),
        csv in prop::bool::ANY,
    ) {
        use hotline_contract::directory::TransferFormat;
        let (format, data) = if csv {
            (TransferFormat::Csv, text)
        } else {
            (TransferFormat::Json, json.to_string())
        };
        if let Err(errors) = hotline_router::directory::transfer::parse(format, &data) {
            prop_assert!(!errors.is_empty());
        }
    }

    #[test]
    fn knowledge_imports_load_or_name_the_fields(
        text in ".{0,400}",
        json in any_json(),
        csv in prop::bool::ANY,
    ) {
        use hotline_contract::knowledge::TransferFormat;
        let (format, data) = if csv {
            (TransferFormat::Csv, text)
        } else {
            (TransferFormat::Json, json.to_string())
        };
        if let Err(errors) = hotline_knowledge::transfer::parse(format, &data) {
            prop_assert!(!errors.is_empty());
        }
    }
}
