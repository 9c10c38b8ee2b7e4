//! Blind indexes: keyed hashes that let intake find a requester's orders without
//! decrypting anything (A21).
//!
//! The phone number's index is the existing `phone_hash`
//! ([`crate::domain::phone::PhoneHasher`], HMAC-SHA-256 of the canonical number; it also
//! travels in events). The identity number gets the same treatment here, under the same
//! secret key but with its own domain-separation prefix, so an identity number and a phone
//! number can never produce the same index value. A plain hash would not do: an 18-character
//! identity number with a birth date and a check digit has few enough candidates to be
//! reversed by trying them all.

use std::fmt;

use crate::domain::phone::{PhoneHasher, WeakKey};

/// Prefix hashed before every identity number (domain separation from phone hashes).
const ID_NUMBER_DOMAIN: &[u8] = b"hotline.intake.id_number\0";

/// HMAC-SHA-256 index of identity numbers, built once from the secret key (the same
/// keyed hash as the phone index, with its own domain prefix).
#[derive(Clone)]
pub struct BlindIndex(PhoneHasher);

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndex(<key redacted>)")
    }
}

impl BlindIndex {
    /// The key must have at least 16 bytes (like the phone hash key it usually is).
    pub fn new(key: &[u8]) -> Result<Self, WeakKey> {
        PhoneHasher::new(key).map(Self)
    }

    /// Index of an identity number, hex; the number is normalised first
    /// ([`normalise_id_number`]) so lookups match however it was typed.
    pub fn id_number(&self, id_number: &str) -> String {
        self.0
            .keyed_hex(&[ID_NUMBER_DOMAIN, normalise_id_number(id_number).as_bytes()])
    }
}

/// The form an identity number is indexed in: white space removed, ASCII letters upper
/// case (the check character `x` is `X`; credit codes are upper case).
pub fn normalise_id_number(id_number: &str) -> String {
    id_number
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::{Phone, PhoneHasher};

    const KEY: &[u8] = b"blind-index-test-key-0123456789";

    #[test]
    fn the_index_ignores_how_the_number_was_typed() {
        let index = BlindIndex::new(KEY).unwrap();
        let canonical = index.id_number("52010219900307123X");
        assert_eq!(canonical.len(), 64);
        assert_eq!(index.id_number(" 520102 19900307 123x "), canonical);
        assert_ne!(index.id_number("520102199003071234"), canonical);
    }

    #[test]
    fn the_index_depends_on_the_key_and_differs_from_the_phone_hash() {
        let a = BlindIndex::new(KEY).unwrap();
        let b = BlindIndex::new(b"another-key-0123456789").unwrap();
        assert_ne!(a.id_number("13812345678"), b.id_number("13812345678"));
        let phone = PhoneHasher::new(KEY)
            .unwrap()
            .hash(&Phone::parse("13812345678").unwrap());
        assert_ne!(a.id_number("13812345678"), phone);
        assert_eq!(BlindIndex::new(b"short").unwrap_err(), WeakKey);
    }

    #[test]
    fn debug_hides_the_key() {
        let shown = format!("{:?}", BlindIndex::new(KEY).unwrap());
        assert_eq!(shown, "BlindIndex(<key redacted>)");
    }
}
