//! The personal-data vault (A21: the requester's privacy is protected; contact details
//! never leave intake in clear; a confidential requester is hidden from handling units).
//!
//! The requester's name, phone number, identity number and address are stored only
//! encrypted, in `intake.requesters`, and come back out only through [`Vault::reveal`],
//! which records every disclosure in a hash-chained audit trail in the same transaction.
//!
//! * **Format** ([`sealed`]): one `BYTEA` per field, `v1 | key id | nonce | ciphertext+tag`,
//!   AES-256-GCM with a fresh random 96-bit nonce per value. The associated data binds the
//!   ciphertext to its order id and field name, so a value copied to another row or column
//!   does not decrypt. Each value names its own key; the row's `key_id` column says which
//!   key all of its values are under, so rotation finds the rows left to do without
//!   parsing values.
//! * **Keys** ([`keyring`]): `[intake.vault] keys = "<id>:<base64 of 32 bytes>,…"` and
//!   `active_key = "<id>"`, both secrets (`HOTLINE_INTAKE__VAULT__KEYS`,
//!   `HOTLINE_INTAKE__VAULT__ACTIVE_KEY`). New values use the active key; a value under an
//!   older key decrypts while that key is in the ring; [`rotate`] re-encrypts the rest in
//!   batches. The development default is a well-known key, announced with a warning.
//! * **Lookups never decrypt** ([`blind_index`]): the phone number is indexed by the
//!   existing `phone_hash`, the identity number by `id_number_hash`, both HMAC-SHA-256
//!   under the phone-hash key.
//! * **Audit** ([`audit`]): `(seq, order_id, field, actor, purpose, at, prev_hash, hash)`
//!   with `hash = SHA-256(prev_hash ‖ canonical record)`, appended under a row lock on the
//!   chain head so concurrent reveals form one chain; [`verify_audit_chain`] finds the
//!   first edited, removed or forged record.
//! * **Nothing in clear in logs or errors**: `Debug` of every vault type is redacted, a
//!   revealed value is a [`Revealed`] whose `Debug` prints `<redacted>`, and errors name
//!   fields and key ids, never values.
//!
//! The SQL on `intake.requesters` lives with intake's other SQL in [`crate::store`]; the
//! audit tables belong to the vault alone and their SQL lives in [`audit`].

pub mod audit;
pub mod blind_index;
pub mod keyring;
pub mod rotation;
pub mod sealed;

use std::fmt;
use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretString};
use sqlx::PgConnection;
use uuid::Uuid;

pub use audit::{AuditBreak, AuditError, AuditRecord, BreakKind, ChainHead, verify_audit_chain};
pub use blind_index::BlindIndex;
pub use keyring::{KeyRing, KeyRingError};
pub use rotation::{RotationReport, rotate};
pub use sealed::SealError;

use crate::config::VaultConfig;
use crate::domain::phone::WeakKey;
use crate::domain::registration::ValidRegistration;
use crate::store;

/// Longest stated purpose of a disclosure, in characters.
pub const MAX_PURPOSE: usize = 200;
/// Longest actor id, in characters.
pub const MAX_ACTOR_ID: usize = 64;

/// A personal-data field of the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The requester's name.
    Name,
    /// The phone number, canonical digits.
    Phone,
    /// Identity card number or unified social credit code.
    IdNumber,
    /// The address given with the request.
    Address,
}

impl Field {
    /// Every field, in column order.
    pub const ALL: [Field; 4] = [Field::Name, Field::Phone, Field::IdNumber, Field::Address];

    /// The field's name in the audit trail and the associated data (never change it:
    /// stored values are bound to it).
    pub fn code(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Phone => "phone",
            Field::IdNumber => "id_number",
            Field::Address => "address",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who asks to see personal data. The kind decides what they may see (A21: a confidential
/// requester is hidden from handling units); the audit trail records `kind:id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A hotline agent (话务员), by agent id.
    Agent(String),
    /// A handling unit (承办单位), by unit id.
    Unit(String),
    /// A supervisor (督办人员), by principal id.
    Supervisor(String),
    /// An internal process, by name.
    System(String),
    /// A partner hotline (110/119/120/122), by partner code: an emergency transfer's
    /// contact sealed to that partner (A10.1, issue 8).
    Partner(String),
}

impl Actor {
    /// `kind:id`, as written to the audit trail.
    pub fn audit_name(&self) -> String {
        let (kind, id) = match self {
            Actor::Agent(id) => ("agent", id),
            Actor::Unit(id) => ("unit", id),
            Actor::Supervisor(id) => ("supervisor", id),
            Actor::System(id) => ("system", id),
            Actor::Partner(code) => ("partner", code),
        };
        format!("{kind}:{id}")
    }

    fn id(&self) -> &str {
        match self {
            Actor::Agent(id)
            | Actor::Unit(id)
            | Actor::Supervisor(id)
            | Actor::System(id)
            | Actor::Partner(id) => id,
        }
    }
}

/// A decrypted value. It can be read with [`Revealed::expose`]; it prints as `<redacted>`
/// and its memory is wiped when dropped.
pub struct Revealed(SecretString);

impl Revealed {
    /// The clear value. Do not log it, put it in an error, or send it in an event.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Revealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The requester's personal data, encrypted for one order and ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedRequester {
    /// The key every value below is encrypted under.
    pub key_id: String,
    /// Encrypted name, if given.
    pub name: Option<Vec<u8>>,
    /// Encrypted phone number.
    pub phone: Vec<u8>,
    /// Encrypted identity number, if given.
    pub id_number: Option<Vec<u8>>,
    /// Blind index of the identity number, if given.
    pub id_number_hash: Option<String>,
    /// Encrypted address, if given.
    pub address: Option<Vec<u8>>,
}

impl fmt::Debug for SealedRequester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedRequester")
            .field("key_id", &self.key_id)
            .field("name", &self.name.as_ref().map(|_| "<sealed>"))
            .field("phone", &"<sealed>")
            .field("id_number", &self.id_number.as_ref().map(|_| "<sealed>"))
            .field("address", &self.address.as_ref().map(|_| "<sealed>"))
            .finish()
    }
}

/// Why the vault could not be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultSetupError {
    /// The key ring is malformed.
    #[error(transparent)]
    KeyRing(#[from] KeyRingError),
    /// The blind-index key is too short.
    #[error("blind index key: {0}")]
    IndexKey(#[from] WeakKey),
}

/// Why a vault operation failed. Never carries personal data.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Encrypting or decrypting a value failed.
    #[error(transparent)]
    Sealed(#[from] SealError),
    /// Intake holds no requester for this order.
    #[error("no requester is stored for order {order_id}")]
    UnknownOrder { order_id: Uuid },
    /// A21: the requester asked for confidentiality and the actor is a handling unit.
    #[error("the requester of order {order_id} is confidential and hidden from handling units")]
    Confidential { order_id: Uuid },
    /// The actor id or the stated purpose is empty, too long, or has control characters.
    #[error("invalid disclosure request: {0}")]
    InvalidRequest(&'static str),
    /// The audit trail could not be extended (nothing is revealed then).
    #[error("audit: {0}")]
    Audit(#[from] AuditError),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The vault: the key ring and the blind index. Cheap to clone; `Debug` shows key ids only.
#[derive(Clone)]
pub struct Vault {
    inner: Arc<Inner>,
}

struct Inner {
    ring: KeyRing,
    index: BlindIndex,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("ring", &self.inner.ring)
            .field("index", &self.inner.index)
            .finish()
    }
}

impl Vault {
    /// A vault over `ring`, indexing identity numbers under `index_key` (the phone-hash
    /// key: one secret for both blind indexes, domain-separated).
    pub fn new(ring: KeyRing, index_key: &[u8]) -> Result<Self, VaultSetupError> {
        let index = BlindIndex::new(index_key)?;
        Ok(Self {
            inner: Arc::new(Inner { ring, index }),
        })
    }

    /// A vault from `[intake.vault]` and the phone-hash key.
    pub fn from_config(config: &VaultConfig, index_key: &[u8]) -> Result<Self, VaultSetupError> {
        let ring = KeyRing::parse(
            config.keys.expose_secret(),
            config.active_key.expose_secret(),
        )?;
        Self::new(ring, index_key)
    }

    /// The key ring.
    pub fn key_ring(&self) -> &KeyRing {
        &self.inner.ring
    }

    /// Blind index of an identity number, to look orders up by it
    /// ([`store::order_ids_by_id_number_hash`]).
    pub fn id_number_hash(&self, id_number: &str) -> String {
        self.inner.index.id_number(id_number)
    }

    /// Encrypt the requester's personal data of a registration under the active key.
    pub fn seal_requester(
        &self,
        order_id: Uuid,
        registration: &ValidRegistration,
    ) -> Result<SealedRequester, VaultError> {
        let ring = &self.inner.ring;
        let seal = |field, value: &str| sealed::seal(ring, order_id, field, value);
        let optional =
            |field, value: &Option<String>| value.as_deref().map(|v| seal(field, v)).transpose();
        Ok(SealedRequester {
            key_id: ring.active_id().to_owned(),
            name: optional(Field::Name, &registration.name)?,
            phone: seal(Field::Phone, registration.phone.as_str())?,
            id_number: optional(Field::IdNumber, &registration.id_number)?,
            id_number_hash: registration
                .id_number
                .as_deref()
                .map(|id| self.id_number_hash(id)),
            address: optional(Field::Address, &registration.address)?,
        })
    }

    /// Decrypt one field of an order's requester for `actor`, who states `purpose`, and
    /// record the disclosure in the audit chain in the same transaction. This is the only
    /// way personal data leaves the vault in clear.
    ///
    /// `Ok(None)` when the requester did not give that field (the look is recorded all the
    /// same). Refused with [`VaultError::Confidential`] when the requester is confidential
    /// and the actor is a handling unit (A21). The audit record commits with `tx`: commit
    /// before using the value, and discard the value if the transaction rolls back. The
    /// chain head stays locked until `tx` ends, so reveal late in the transaction.
    pub async fn reveal(
        &self,
        tx: &mut PgConnection,
        order_id: Uuid,
        field: Field,
        actor: &Actor,
        purpose: &str,
    ) -> Result<Option<Revealed>, VaultError> {
        if !is_fit_text(actor.id(), MAX_ACTOR_ID) {
            return Err(VaultError::InvalidRequest("actor id"));
        }
        if !is_fit_text(purpose, MAX_PURPOSE) {
            return Err(VaultError::InvalidRequest("purpose"));
        }
        let stored = store::sealed_field(tx, order_id, field)
            .await?
            .ok_or(VaultError::UnknownOrder { order_id })?;
        if stored.confidential && matches!(actor, Actor::Unit(_)) {
            // A21: a confidential requester is hidden from handling units.
            tracing::warn!(%order_id, %field, "a handling unit asked for a confidential requester's data; refused");
            return Err(VaultError::Confidential { order_id });
        }
        let value = stored
            .value
            .map(|bytes| sealed::open(&self.inner.ring, order_id, field, &bytes))
            .transpose()?;
        audit::append(tx, order_id, field, &actor.audit_name(), purpose).await?;
        Ok(value.map(|clear| Revealed(SecretString::from(clear.as_str()))))
    }
}

/// Non-empty, at most `max` characters, no control characters.
fn is_fit_text(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEV_PHONE_HASH_KEY;

    #[test]
    fn revealed_values_and_vault_types_print_redacted() {
        let revealed = Revealed(SecretString::from("13812345678"));
        assert_eq!(format!("{revealed:?}"), "<redacted>");
        assert_eq!(revealed.expose(), "13812345678");

        let vault =
            Vault::from_config(&VaultConfig::default(), DEV_PHONE_HASH_KEY.as_bytes()).unwrap();
        let shown = format!("{vault:?}");
        assert!(shown.contains("\"dev\""), "{shown}");
        assert!(!shown.contains("aG90bGluZS1kZXYt"), "{shown}");
        assert!(!shown.contains(DEV_PHONE_HASH_KEY), "{shown}");
    }

    #[test]
    fn actors_are_recorded_with_their_kind() {
        assert_eq!(Actor::Unit("u-17".into()).audit_name(), "unit:u-17");
        assert_eq!(Actor::Agent("a-3".into()).audit_name(), "agent:a-3");
        assert_eq!(Actor::Partner("110".into()).audit_name(), "partner:110");
    }

    #[test]
    fn purposes_and_actor_ids_are_checked() {
        assert!(is_fit_text("回访诉求人", MAX_PURPOSE));
        assert!(!is_fit_text(" ", MAX_PURPOSE));
        assert!(!is_fit_text("a\nb", MAX_PURPOSE));
        assert!(!is_fit_text(&"字".repeat(MAX_PURPOSE + 1), MAX_PURPOSE));
    }
}
