//! The AsyncAPI document (docs/asyncapi.yaml) describes every event type and subject the
//! contract defines, and every request subject: a new event without docs fails here.

use hotline_contract::events::CATALOGUE;
use hotline_contract::rpc::{self, verbs};

const DOC: &str = include_str!("../../../docs/asyncapi.yaml");

#[test]
fn asyncapi_names_every_event_type_and_subject() {
    for (event_type, subject) in CATALOGUE {
        assert!(
            DOC.contains(&format!("name: {event_type}")),
            "docs/asyncapi.yaml lacks message {event_type}"
        );
        assert!(
            DOC.contains(&format!("address: {subject}")),
            "docs/asyncapi.yaml lacks channel {subject}"
        );
    }
}

#[test]
fn asyncapi_names_every_request_subject() {
    for &(service, verb) in verbs::ALL {
        let subject = rpc::subject(service, verb);
        assert!(
            DOC.contains(&format!("address: {subject}")),
            "docs/asyncapi.yaml lacks {subject}"
        );
    }
}
