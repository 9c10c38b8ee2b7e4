//! The encrypted-value format (version 1) and the AEAD that produces it.
//!
//! ```text
//! byte 0          format version, 0x01
//! byte 1          n = length of the key id (1..=32)
//! bytes 2..2+n    key id, ASCII (A-Z a-z 0-9 . _ -)
//! next 12 bytes   nonce, fresh from the OS random source for every value
//! the rest        AES-256-GCM ciphertext followed by its 16-byte tag
//! ```
//!
//! The associated data (authenticated, not stored) binds the value to its place:
//! `"hotline.intake.vault"`, the format version, the order id (16 bytes), the field name and
//! the key id, each variable part length-prefixed. A value copied to another order or
//! field, or whose key id byte was edited, fails to decrypt instead of yielding someone
//! else's data.
//!
//! A 96-bit random nonce per value stays far below GCM's collision bound (2^32 values per
//! key) for a hotline's volume; rotation (see [`super::rotation`]) resets the count anyway.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead as _, Generate as _, Nonce, Payload};
use secrecy::zeroize::Zeroizing;
use uuid::Uuid;

use super::Field;
use super::keyring::{KeyRing, MAX_KEY_ID_LEN, is_valid_key_id};

/// The only format written so far.
pub const FORMAT_V1: u8 = 1;
/// Bytes of the nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of the GCM tag at the end of the ciphertext.
pub const TAG_LEN: usize = 16;

/// Domain separation for the associated data.
const AAD_CONTEXT: &[u8] = b"hotline.intake.vault";

/// Why a value could not be encrypted or decrypted. Names the field and key id only,
/// never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The stored bytes are not a well-formed v1 value (or do not decrypt to text).
    #[error("the stored {field} is not a valid vault value")]
    Malformed { field: Field },
    /// The value names a key that is no longer in the key ring.
    #[error("the stored {field} is encrypted under key {key_id:?}, which is not in the key ring")]
    UnknownKey { field: Field, key_id: String },
    /// Authentication failed: wrong key, tampered bytes, or a value that belongs to another
    /// order or field (associated data mismatch).
    #[error("the stored {field} does not decrypt: tampered, or not this order's {field}")]
    Undecryptable { field: Field },
    /// Encryption failed (the value is too long for AES-GCM).
    #[error("the {field} could not be encrypted")]
    Encrypt { field: Field },
    /// The operating system's random source failed.
    #[error("no random nonce: the system random source failed")]
    Random,
}

/// A stored value split into its parts (nothing decrypted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SealedParts<'a> {
    pub key_id: &'a str,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
}

/// Split a stored value; `Malformed` if it is not a well-formed v1 value.
pub(crate) fn parse(bytes: &[u8], field: Field) -> Result<SealedParts<'_>, SealError> {
    let malformed = SealError::Malformed { field };
    let (&version, rest) = bytes.split_first().ok_or(malformed.clone())?;
    if version != FORMAT_V1 {
        return Err(malformed);
    }
    let (&id_len, rest) = rest.split_first().ok_or(malformed.clone())?;
    let id_len = usize::from(id_len);
    if id_len == 0 || id_len > MAX_KEY_ID_LEN || rest.len() < id_len + NONCE_LEN + TAG_LEN {
        return Err(malformed);
    }
    let (key_id, rest) = rest.split_at(id_len);
    let key_id = std::str::from_utf8(key_id).map_err(|_| malformed.clone())?;
    if !is_valid_key_id(key_id) {
        return Err(malformed);
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    Ok(SealedParts {
        key_id,
        nonce,
        ciphertext,
    })
}

/// Encrypt `plaintext` under the ring's active key for `field` of `order_id`.
pub(crate) fn seal(
    ring: &KeyRing,
    order_id: Uuid,
    field: Field,
    plaintext: &str,
) -> Result<Vec<u8>, SealError> {
    let (key_id, cipher) = ring.active();
    let id_len = u8::try_from(key_id.len()).map_err(|_| SealError::Encrypt { field })?;
    let nonce = Nonce::<Aes256Gcm>::try_generate().map_err(|_| SealError::Random)?;
    let aad = associated_data(order_id, field, key_id);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| SealError::Encrypt { field })?;
    let mut out = Vec::with_capacity(2 + key_id.len() + NONCE_LEN + ciphertext.len());
    out.push(FORMAT_V1);
    out.push(id_len);
    out.extend_from_slice(key_id.as_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Decrypt a stored value of `field` of `order_id` with the key its header names.
///
/// Private to the vault: plaintext leaves it only through [`super::Vault::reveal`], which
/// audits the access.
pub(super) fn open(
    ring: &KeyRing,
    order_id: Uuid,
    field: Field,
    bytes: &[u8],
) -> Result<Zeroizing<String>, SealError> {
    let parts = parse(bytes, field)?;
    let cipher = ring
        .get(parts.key_id)
        .ok_or_else(|| SealError::UnknownKey {
            field,
            key_id: parts.key_id.to_owned(),
        })?;
    let nonce =
        Nonce::<Aes256Gcm>::try_from(parts.nonce).map_err(|_| SealError::Malformed { field })?;
    let aad = associated_data(order_id, field, parts.key_id);
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: parts.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Undecryptable { field })?,
    );
    let text = std::str::from_utf8(&plaintext).map_err(|_| SealError::Malformed { field })?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Re-encrypt a stored value under the active key, keeping its place (order, field). The
/// plaintext exists only inside this function and is wiped on return.
pub(super) fn reseal(
    ring: &KeyRing,
    order_id: Uuid,
    field: Field,
    bytes: &[u8],
) -> Result<Vec<u8>, SealError> {
    let plaintext = open(ring, order_id, field, bytes)?;
    seal(ring, order_id, field, &plaintext)
}

/// The associated data of a value (see the module docs).
fn associated_data(order_id: Uuid, field: Field, key_id: &str) -> Vec<u8> {
    let field = field.code().as_bytes();
    let mut aad = Vec::with_capacity(AAD_CONTEXT.len() + 20 + field.len() + key_id.len());
    aad.extend_from_slice(AAD_CONTEXT);
    aad.push(FORMAT_V1);
    aad.extend_from_slice(order_id.as_bytes());
    // Both lengths are below 256 (field names are short constants, key ids are checked).
    aad.push(u8::try_from(field.len()).unwrap_or(u8::MAX));
    aad.extend_from_slice(field);
    aad.push(u8::try_from(key_id.len()).unwrap_or(u8::MAX));
    aad.extend_from_slice(key_id.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    fn ring(active: &str) -> KeyRing {
        KeyRing::parse(&format!("k1:{K1},k2:{K2}"), active).unwrap()
    }

    #[test]
    fn a_value_round_trips_and_names_its_key() {
        let ring = ring("k1");
        let order = Uuid::now_v7();
        let sealed = seal(&ring, order, Field::Name, "张三").unwrap();
        assert_eq!(sealed[0], FORMAT_V1);
        assert_eq!(parse(&sealed, Field::Name).unwrap().key_id, "k1");
        assert_eq!(
            sealed.len(),
            2 + 2 + NONCE_LEN + "张三".len() + TAG_LEN,
            "version, id length, id, nonce, ciphertext, tag"
        );
        assert!(!sealed.windows(6).any(|w| w == "张三".as_bytes()));
        assert_eq!(
            open(&ring, order, Field::Name, &sealed).unwrap().as_str(),
            "张三"
        );
    }

    #[test]
    fn every_value_gets_a_fresh_nonce() {
        let ring = ring("k1");
        let order = Uuid::now_v7();
        let a = seal(&ring, order, Field::Phone, "13812345678").unwrap();
        let b = seal(&ring, order, Field::Phone, "13812345678").unwrap();
        assert_ne!(
            parse(&a, Field::Phone).unwrap().nonce,
            parse(&b, Field::Phone).unwrap().nonce
        );
        assert_ne!(a, b);
    }

    #[test]
    fn a_value_moved_to_another_order_or_field_does_not_decrypt() {
        let ring = ring("k1");
        let order = Uuid::now_v7();
        let sealed = seal(&ring, order, Field::Phone, "13812345678").unwrap();
        assert_eq!(
            open(&ring, Uuid::now_v7(), Field::Phone, &sealed).unwrap_err(),
            SealError::Undecryptable {
                field: Field::Phone
            }
        );
        assert_eq!(
            open(&ring, order, Field::Address, &sealed).unwrap_err(),
            SealError::Undecryptable {
                field: Field::Address
            }
        );
    }

    #[test]
    fn a_tampered_value_does_not_decrypt() {
        let ring = ring("k1");
        let order = Uuid::now_v7();
        let sealed = seal(&ring, order, Field::Address, "南明区花果园").unwrap();
        for i in 4..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                open(&ring, order, Field::Address, &bad).unwrap_err(),
                SealError::Undecryptable {
                    field: Field::Address
                },
                "byte {i} flipped"
            );
        }
    }

    #[test]
    fn a_relabelled_or_unknown_key_id_fails_with_a_typed_error() {
        let ring = ring("k1");
        let order = Uuid::now_v7();
        let sealed = seal(&ring, order, Field::Name, "张三").unwrap();
        // Claims k2 (in the ring): the wrong key and the wrong associated data.
        let mut relabelled = sealed.clone();
        relabelled[3] = b'2';
        assert_eq!(
            open(&ring, order, Field::Name, &relabelled).unwrap_err(),
            SealError::Undecryptable { field: Field::Name }
        );
        // Claims k9 (not in the ring).
        let mut unknown = sealed;
        unknown[3] = b'9';
        assert_eq!(
            open(&ring, order, Field::Name, &unknown).unwrap_err(),
            SealError::UnknownKey {
                field: Field::Name,
                key_id: "k9".into()
            }
        );
    }

    #[test]
    fn a_value_sealed_under_a_retired_key_opens_while_the_key_is_in_the_ring() {
        let order = Uuid::now_v7();
        let old = seal(&ring("k1"), order, Field::Name, "李四").unwrap();
        let rotated_ring = ring("k2");
        assert_eq!(
            open(&rotated_ring, order, Field::Name, &old)
                .unwrap()
                .as_str(),
            "李四"
        );
        let resealed = reseal(&rotated_ring, order, Field::Name, &old).unwrap();
        assert_eq!(parse(&resealed, Field::Name).unwrap().key_id, "k2");
        let only_k2 = KeyRing::parse(&format!("k2:{K2}"), "k2").unwrap();
        assert_eq!(
            open(&only_k2, order, Field::Name, &resealed)
                .unwrap()
                .as_str(),
            "李四"
        );
        assert!(matches!(
            open(&only_k2, order, Field::Name, &old),
            Err(SealError::UnknownKey { .. })
        ));
    }

    #[test]
    fn malformed_values_are_refused() {
        let ring = ring("k1");
        let order = Uuid::now_v7();
        let sealed = seal(&ring, order, Field::Name, "张三").unwrap();
        let mut v2 = sealed.clone();
        v2[0] = 2;
        let mut zero_id = sealed.clone();
        zero_id[1] = 0;
        let cases: [&[u8]; 5] = [&[], &[FORMAT_V1], &v2, &zero_id, &sealed[..20]];
        for bytes in cases {
            assert_eq!(
                open(&ring, order, Field::Name, bytes).unwrap_err(),
                SealError::Malformed { field: Field::Name },
                "{bytes:?}"
            );
        }
    }
}
