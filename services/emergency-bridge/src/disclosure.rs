//! What an emergency transfer tells the partner about the caller (A10.1, A21).
//!
//! The caller's phone and address come from intake's vault through
//! `rpc.intake.reveal_for_transfer` (audited there as `partner:<code>`), and travel
//! only as a sealed box (X25519 + XSalsa20-Poly1305, libsodium's `crypto_box_seal`) to
//! the partner's public key from the registry: the bus, the stream, the bridge's tables
//! and its logs only ever hold ciphertext that the partner's secret key alone opens.
//!
//! Emergencies are never delayed for it: no key, no answer from intake within the
//! reveal timeout (300 ms by default), or an error → the transfer goes out at once with
//! the masked phone and a [`Withheld`] reason. [`fields`] names what each attempt
//! disclosed, for `emergency_bridge.disclosures`.
//!
//! The sealing and key handling here are pure; [`contact_for`] is the one call to intake.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};
use hotline_contract::Namespace;
use hotline_contract::rpc::verbs;
use hotline_contract::transfer::{
    CallerContact, RevealForTransfer, RevealedContact, SealedContact, Withheld,
};
use hotline_messaging::CallError;
use hotline_telemetry::TraceContext;
use uuid::Uuid;

/// What every emergency attempt discloses, contact sealed or not.
pub const BASE_FIELDS: &[&str] = &["caller.phone_masked", "region_code"];
/// What a sealed contact adds.
pub const SEALED_FIELDS: &[&str] = &["caller.phone", "caller.address"];

/// A key that is not 32 bytes of standard base64, or a box that does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a key must be 32 bytes in standard base64 (44 characters)")]
    BadKey,
    #[error("the sealed contact is not base64")]
    BadBase64,
    #[error("the sealed contact does not open with this key")]
    DoesNotOpen,
    #[error("the sealed contact is not a contact")]
    NotAContact,
}

fn key_bytes(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| KeyError::BadKey)?;
    bytes.try_into().map_err(|_| KeyError::BadKey)
}

/// Parse a partner's public key (base64 of 32 bytes).
pub fn parse_public_key(text: &str) -> Result<PublicKey, KeyError> {
    key_bytes(text).map(PublicKey::from)
}

/// Parse a partner's secret key (base64 of 32 bytes).
pub fn parse_secret_key(text: &str) -> Result<SecretKey, KeyError> {
    key_bytes(text).map(SecretKey::from)
}

/// A new key pair for a partner: (secret, public), both base64.
pub fn keygen() -> (String, String) {
    let secret = SecretKey::generate(&mut OsRng);
    let public = secret.public_key();
    (
        STANDARD.encode(secret.to_bytes()),
        STANDARD.encode(public.as_bytes()),
    )
}

/// Seal `contact` to `key`: base64 of the sealed box of its JSON.
pub fn seal(key: &PublicKey, contact: &SealedContact) -> String {
    // Serializing two strings cannot fail; sealing fails only on a broken RNG.
    let json = serde_json::to_vec(contact).unwrap_or_default();
    let sealed = key.seal(&mut OsRng, &json).unwrap_or_default();
    STANDARD.encode(sealed)
}

/// Open a sealed contact with the partner's secret key (the partner's side).
pub fn open(key: &SecretKey, sealed: &str) -> Result<SealedContact, KeyError> {
    let bytes = STANDARD.decode(sealed).map_err(|_| KeyError::BadBase64)?;
    let json = key.unseal(&bytes).map_err(|_| KeyError::DoesNotOpen)?;
    serde_json::from_slice(&json).map_err(|_| KeyError::NotAContact)
}

/// The fields an attempt carrying `caller` disclosed.
pub fn fields(caller: Option<&CallerContact>) -> Vec<&'static str> {
    let mut fields = BASE_FIELDS.to_vec();
    if caller.is_some_and(|c| c.sealed.is_some()) {
        fields.extend_from_slice(SEALED_FIELDS);
    }
    fields
}

/// How the bridge reaches intake for a reveal.
#[derive(Debug, Clone)]
pub struct Revealer {
    pub nats: async_nats::Client,
    pub namespace: Namespace,
    pub timeout: Duration,
}

/// Which transfer the contact is for.
#[derive(Debug, Clone, Copy)]
pub struct ForTransfer<'a> {
    pub order_id: Uuid,
    pub transfer_id: Uuid,
    pub partner_code: &'a str,
    /// The partner's registered public key, if any.
    pub public_key: Option<&'a str>,
}

/// The caller's contact for an emergency transfer: sealed to the partner's key, or the
/// masked phone with the reason the rest is withheld. Never fails, never waits longer
/// than the reveal timeout.
pub async fn contact_for(
    revealer: &Revealer,
    transfer: ForTransfer<'_>,
    phone_masked: Option<String>,
    trace: &TraceContext,
) -> CallerContact {
    let withheld = |reason: Withheld| CallerContact {
        phone_masked: phone_masked.clone(),
        sealed: None,
        withheld: Some(reason),
    };
    let Some(key) = transfer.public_key.and_then(|k| parse_public_key(k).ok()) else {
        return withheld(Withheld::NoKey);
    };
    let request = RevealForTransfer {
        order_id: transfer.order_id,
        partner_code: transfer.partner_code.to_owned(),
        transfer_id: transfer.transfer_id,
    };
    // Our own deadline (the call's own timeout and "no responders" both come back as
    // `Unavailable`): past it, the emergency goes out without the contact.
    let call = hotline_messaging::call::<_, RevealedContact>(
        &revealer.nats,
        &revealer.namespace,
        verbs::INTAKE_REVEAL_FOR_TRANSFER,
        &request,
        trace,
        revealer.timeout + Duration::from_secs(1),
    );
    let revealed = tokio::time::timeout(revealer.timeout, call)
        .await
        .unwrap_or(Err(CallError::Unavailable(TIMED_OUT.to_owned())));
    match revealed {
        Ok(contact) => CallerContact {
            phone_masked: phone_masked.clone(),
            sealed: Some(seal(&key, &contact)),
            withheld: None,
        },
        Err(error) => {
            let reason = withheld_reason(&error);
            tracing::warn!(order_id = %transfer.order_id, partner = transfer.partner_code, reason = reason.code(), %error, "caller's contact withheld from an emergency transfer");
            withheld(reason)
        }
    }
}

/// Marks our own deadline passing in [`contact_for`].
const TIMED_OUT: &str = "reveal timeout";

fn withheld_reason(error: &CallError) -> Withheld {
    match error {
        CallError::Unavailable(m) if m == TIMED_OUT => Withheld::IntakeTimeout,
        CallError::Rpc(e)
            if matches!(
                e.code,
                hotline_contract::rpc::RpcErrorCode::NotFound
                    | hotline_contract::rpc::RpcErrorCode::Forbidden
                    | hotline_contract::rpc::RpcErrorCode::InvalidRequest
            ) =>
        {
            Withheld::IntakeRefused
        }
        _ => Withheld::IntakeUnavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_contact_opens_with_the_partners_secret_key_only() {
        let (secret, public) = keygen();
        let contact = SealedContact {
            phone: "13987654321".to_owned(),
            address: Some("南明区某路 1 号".to_owned()),
        };
        let sealed = seal(&parse_public_key(&public).unwrap(), &contact);
        assert!(!sealed.contains("13987654321"));
        let opened = open(&parse_secret_key(&secret).unwrap(), &sealed).unwrap();
        assert_eq!(opened, contact);
        let (other, _) = keygen();
        assert_eq!(
            open(&parse_secret_key(&other).unwrap(), &sealed),
            Err(KeyError::DoesNotOpen)
        );
        assert_eq!(format!("{opened:?}"), "SealedContact(<redacted>)");
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert_eq!(parse_public_key("abc").err(), Some(KeyError::BadKey));
        assert_eq!(
            parse_public_key(&STANDARD.encode([1u8; 31])).err(),
            Some(KeyError::BadKey)
        );
        assert!(parse_public_key(&STANDARD.encode([1u8; 32])).is_ok());
    }

    #[test]
    fn disclosed_fields_follow_the_contact() {
        assert_eq!(fields(None), BASE_FIELDS);
        let withheld = CallerContact {
            phone_masked: None,
            sealed: None,
            withheld: Some(Withheld::NoKey),
        };
        assert_eq!(fields(Some(&withheld)), BASE_FIELDS);
        let sealed = CallerContact {
            sealed: Some("x".into()),
            withheld: None,
            ..withheld
        };
        assert_eq!(fields(Some(&sealed)).len(), 4);
    }

    #[test]
    fn intake_errors_map_to_withheld_reasons() {
        use hotline_contract::rpc::{RpcError, RpcErrorCode};
        assert_eq!(
            withheld_reason(&CallError::Unavailable(TIMED_OUT.into())),
            Withheld::IntakeTimeout
        );
        assert_eq!(
            withheld_reason(&CallError::Rpc(RpcError::not_found("x"))),
            Withheld::IntakeRefused
        );
        assert_eq!(
            withheld_reason(&CallError::Rpc(RpcError::new(
                RpcErrorCode::Unavailable,
                "x"
            ))),
            Withheld::IntakeUnavailable
        );
    }
}
