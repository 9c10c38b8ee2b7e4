//! The vault's key ring: every AES-256 key that may still be needed to decrypt, by id, and
//! the active one that encrypts new values.
//!
//! Configured as one secret string, `<id>:<base64 of 32 bytes>,<id2>:<base64>`, plus the
//! active key's id (see [`crate::config::VaultConfig`]). Parsing never puts key material
//! into an error: errors name the entry's position or its key id only.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::zeroize::Zeroizing;

use crate::config::DEV_VAULT_KEYS;

/// Bytes of an AES-256 key.
pub const KEY_LEN: usize = 32;
/// Longest key id (it is written into every encrypted value).
pub const MAX_KEY_ID_LEN: usize = 32;

/// Why the configured key ring is unusable. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    /// No key at all.
    #[error("the vault key ring is empty")]
    Empty,
    /// Entry number `position` (from 1) is not `<id>:<base64>`.
    #[error("vault key entry {position} is not `<key id>:<base64 key>`")]
    Entry { position: usize },
    /// Entry number `position` has a key id that is empty, too long or has other
    /// characters than `A-Z a-z 0-9 . _ -`.
    #[error(
        "vault key entry {position}: a key id is 1 to {MAX_KEY_ID_LEN} characters of A-Z a-z 0-9 . _ -"
    )]
    KeyId { position: usize },
    /// The key's material is not standard base64.
    #[error("vault key {key_id:?} is not valid base64")]
    Base64 { key_id: String },
    /// The key's material does not decode to 32 bytes.
    #[error("vault key {key_id:?} has {len} bytes; AES-256 needs {KEY_LEN}")]
    Length { key_id: String, len: usize },
    /// The same id appears twice.
    #[error("vault key id {key_id:?} appears more than once")]
    Duplicate { key_id: String },
    /// The active key id names no key of the ring.
    #[error("the active vault key {key_id:?} is not in the key ring")]
    ActiveMissing { key_id: String },
}

/// The parsed key ring. `Debug` shows key ids only.
#[derive(Clone)]
pub struct KeyRing {
    keys: BTreeMap<String, Aes256Gcm>,
    active: String,
    /// A copy of the active key, so that encrypting never has to look it up.
    active_key: Aes256Gcm,
    development: bool,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .field("keys", &"<redacted>")
            .finish()
    }
}

impl KeyRing {
    /// Parse `<id>:<base64>,…` and check that `active` is one of the ids. Whitespace around
    /// entries and an empty trailing entry are ignored.
    pub fn parse(keys: &str, active: &str) -> Result<Self, KeyRingError> {
        let dev_material = development_material();
        let mut ring = BTreeMap::new();
        let mut development = false;
        let entries = keys
            .split(',')
            .map(str::trim)
            .enumerate()
            .filter(|(_, entry)| !entry.is_empty());
        for (index, entry) in entries {
            let position = index + 1;
            let (id, material) = entry
                .split_once(':')
                .ok_or(KeyRingError::Entry { position })?;
            let id = id.trim();
            if !is_valid_key_id(id) {
                return Err(KeyRingError::KeyId { position });
            }
            let bytes = Zeroizing::new(STANDARD.decode(material.trim()).map_err(|_| {
                KeyRingError::Base64 {
                    key_id: id.to_owned(),
                }
            })?);
            if bytes.len() != KEY_LEN {
                return Err(KeyRingError::Length {
                    key_id: id.to_owned(),
                    len: bytes.len(),
                });
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| KeyRingError::Length {
                key_id: id.to_owned(),
                len: bytes.len(),
            })?;
            if ring.insert(id.to_owned(), cipher).is_some() {
                return Err(KeyRingError::Duplicate {
                    key_id: id.to_owned(),
                });
            }
            development |= dev_material
                .as_ref()
                .is_some_and(|dev| dev.as_slice() == bytes.as_slice());
        }
        if ring.is_empty() {
            return Err(KeyRingError::Empty);
        }
        let active = active.trim();
        let Some(active_key) = ring.get(active).cloned() else {
            return Err(KeyRingError::ActiveMissing {
                key_id: active.to_owned(),
            });
        };
        Ok(Self {
            keys: ring,
            active: active.to_owned(),
            active_key,
            development,
        })
    }

    /// Id of the key that encrypts new values.
    pub fn active_id(&self) -> &str {
        &self.active
    }

    /// Ids of every key in the ring.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Whether any key of the ring is the well-known development key (warn loudly).
    pub fn uses_development_key(&self) -> bool {
        self.development
    }

    /// The active key and its id.
    pub(crate) fn active(&self) -> (&str, &Aes256Gcm) {
        (&self.active, &self.active_key)
    }

    /// The key with this id, if the ring still holds it.
    pub(crate) fn get(&self, key_id: &str) -> Option<&Aes256Gcm> {
        self.keys.get(key_id)
    }
}

/// Whether `id` may name a key: 1 to 32 characters of `A-Z a-z 0-9 . _ -`.
pub fn is_valid_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_KEY_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn development_material() -> Option<Zeroizing<Vec<u8>>> {
    let (_, material) = DEV_VAULT_KEYS.split_once(':')?;
    STANDARD.decode(material).ok().map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEV_VAULT_KEY_ID;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    #[test]
    fn a_ring_of_two_keys_parses_with_its_active_key() {
        let ring = KeyRing::parse(&format!(" k1:{K1} , k2:{K2},"), "k2").unwrap();
        assert_eq!(ring.key_ids().collect::<Vec<_>>(), ["k1", "k2"]);
        assert_eq!(ring.active_id(), "k2");
        assert_eq!(ring.active().0, "k2");
        assert!(ring.get("k1").is_some());
        assert!(ring.get("k3").is_none());
        assert!(!ring.uses_development_key());
    }

    #[test]
    fn the_development_key_is_recognised() {
        let ring = KeyRing::parse(DEV_VAULT_KEYS, DEV_VAULT_KEY_ID).unwrap();
        assert!(ring.uses_development_key());
        // Even under another id.
        let (_, material) = DEV_VAULT_KEYS.split_once(':').unwrap();
        let ring = KeyRing::parse(&format!("prod:{material}"), "prod").unwrap();
        assert!(ring.uses_development_key());
    }

    #[test]
    fn malformed_rings_are_refused_without_showing_key_material() {
        let cases = [
            (String::new(), "k1", KeyRingError::Empty),
            (" , ".to_owned(), "k1", KeyRingError::Empty),
            (K1.to_owned(), "k1", KeyRingError::Entry { position: 1 }),
            (
                format!("k1:{K1},bad id:{K2}"),
                "k1",
                KeyRingError::KeyId { position: 2 },
            ),
            (format!(":{K1}"), "k1", KeyRingError::KeyId { position: 1 }),
            (
                "k1:not base64!".to_owned(),
                "k1",
                KeyRingError::Base64 {
                    key_id: "k1".into(),
                },
            ),
            (
                "k1:c2hvcnQ=".to_owned(),
                "k1",
                KeyRingError::Length {
                    key_id: "k1".into(),
                    len: 5,
                },
            ),
            (
                format!("k1:{K1},k1:{K2}"),
                "k1",
                KeyRingError::Duplicate {
                    key_id: "k1".into(),
                },
            ),
            (
                format!("k1:{K1}"),
                "k2",
                KeyRingError::ActiveMissing {
                    key_id: "k2".into(),
                },
            ),
        ];
        for (keys, active, expected) in cases {
            let error = KeyRing::parse(&keys, active).unwrap_err();
            assert_eq!(error, expected, "{keys:?}");
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains(K1) && !shown.contains(K2), "{shown}");
        }
    }

    #[test]
    fn debug_shows_key_ids_only() {
        let ring = KeyRing::parse(&format!("k1:{K1}"), "k1").unwrap();
        let shown = format!("{ring:?}");
        assert!(shown.contains("k1"));
        assert!(!shown.contains(K1));
        assert!(shown.contains("<redacted>"));
    }
}
