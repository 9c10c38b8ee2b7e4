//! Phone numbers: validation, masking for display, keyed hashing for repeat detection.
//!
//! A21: the number itself stays in intake's vault. Other services see `138****1234` and an
//! HMAC-SHA-256 of the normalised number under a secret key, which groups requests by
//! requester without revealing who it is (a plain hash of an 11-digit number could be
//! reversed by trying all numbers).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A phone number in canonical form: mainland mobile (11 digits, 1[3-9]…) or a landline
/// with area code (0 + 2-3 digit area code + 7-8 digit number), digits only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("电话号码只能包含数字、空格、短横线和开头的+86")]
    Characters,
    #[error("电话号码应为11位手机号或带区号的固定电话")]
    Shape,
}

impl Phone {
    /// Normalise and validate: spaces and dashes are dropped, a leading `+86`/`86` prefix
    /// on a mobile number is removed.
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let mut digits = String::with_capacity(raw.len());
        for (i, c) in raw.trim().chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                '+' if i == 0 => {}
                _ => return Err(PhoneError::Characters),
            }
        }
        if raw.trim().starts_with('+') && !digits.starts_with("86") {
            return Err(PhoneError::Shape);
        }
        if digits.len() == 13 && digits.starts_with("86") {
            digits.drain(..2);
        }
        let b = digits.as_bytes();
        let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
        let landline = (10..=12).contains(&b.len()) && b[0] == b'0' && b[1] != b'0';
        if mobile || landline {
            Ok(Self(digits))
        } else {
            Err(PhoneError::Shape)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Keep the first 3 and last 4 digits: `138****1234`.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        let stars = "*".repeat(n.saturating_sub(7));
        format!("{}{}{}", &self.0[..3], stars, &self.0[n - 4..])
    }
}

/// Keyed hashing of phone numbers (HMAC-SHA-256), built once from the secret key.
#[derive(Clone)]
pub struct PhoneHasher(Hmac<Sha256>);

impl std::fmt::Debug for PhoneHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhoneHasher(<key redacted>)")
    }
}

/// The hashing key is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the phone hashing key must be at least 16 bytes")]
pub struct WeakKey;

impl PhoneHasher {
    pub fn new(key: &[u8]) -> Result<Self, WeakKey> {
        if key.len() < 16 {
            return Err(WeakKey);
        }
        Hmac::<Sha256>::new_from_slice(key)
            .map(Self)
            .map_err(|_| WeakKey)
    }

    /// HMAC-SHA-256 of the canonical number, hex.
    pub fn hash(&self, phone: &Phone) -> String {
        self.keyed_hex(&[phone.as_str().as_bytes()])
    }

    /// HMAC-SHA-256 under this key of `parts` in order, hex: the one keyed hash every
    /// blind index of intake is built from (callers add their own domain prefix).
    pub(crate) fn keyed_hex(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// A11: the check that lets the requester follow `order_id` with the last 4 digits of
    /// their phone: HMAC of `last4|<order id>|<digits>` (domain-separated from
    /// [`PhoneHasher::hash`], and bound to the order so it cannot be searched across orders).
    pub fn last4_check(&self, order_id: uuid::Uuid, last4: &str) -> String {
        self.keyed_hex(&[format!("last4|{order_id}|{last4}").as_bytes()])
    }
}

impl Phone {
    /// The last 4 digits (what the requester types into the progress query).
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_normalised() {
        assert_eq!(
            Phone::parse("138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("+86 138-1234-5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("0851-85551234").unwrap().as_str(),
            "085185551234"
        );
    }

    #[test]
    fn malformed_numbers_are_refused() {
        assert_eq!(Phone::parse("12812345678"), Err(PhoneError::Shape));
        assert_eq!(Phone::parse("1381234567"), Err(PhoneError::Shape));
        assert_eq!(Phone::parse("138a2345678"), Err(PhoneError::Characters));
        assert_eq!(Phone::parse("+1 2025550100"), Err(PhoneError::Shape));
        assert_eq!(Phone::parse(""), Err(PhoneError::Shape));
    }

    #[test]
    fn masked_keeps_three_and_four_digits() {
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    }

    #[test]
    fn keyed_hash_depends_on_the_key() {
        let p = Phone::parse("13812345678").unwrap();
        let k1 = PhoneHasher::new(b"key-one-0123456789").unwrap();
        let k2 = PhoneHasher::new(b"key-two-0123456789").unwrap();
        assert_eq!(k1.hash(&p), k1.hash(&p));
        assert_ne!(k1.hash(&p), k2.hash(&p));
        assert_eq!(k1.hash(&p).len(), 64);
        assert_eq!(PhoneHasher::new(b"short").unwrap_err(), WeakKey);
    }

    #[test]
    fn landlines_are_masked_to_three_and_four_digits_too() {
        // 0851 (Guiyang) + 8 digits: 12 digits, five hidden.
        assert_eq!(
            Phone::parse("0851-85551234").unwrap().masked(),
            "085*****1234"
        );
        // 010 (Beijing) + 8 digits: 11 digits, four hidden.
        assert_eq!(Phone::parse("01062551234").unwrap().masked(), "010****1234");
        // 0857 + 7 digits: 11 digits, four hidden.
        assert_eq!(
            Phone::parse("0857 1234567").unwrap().masked(),
            "085****4567"
        );
        // A 3-character area code + 7 digits: 10 digits, three hidden.
        assert_eq!(Phone::parse("021-1234567").unwrap().masked(), "021***4567");
    }

    #[test]
    fn prefixes_and_separators_never_reach_the_canonical_form() {
        for raw in [
            "8613812345678",
            "+8613812345678",
            "+86 138 1234 5678",
            " 138-1234-5678 ",
        ] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), "13812345678", "{raw}");
        }
        // A + anywhere but first, or a foreign country code, is refused.
        assert_eq!(Phone::parse("138+12345678"), Err(PhoneError::Characters));
        assert_eq!(Phone::parse("+44 20 7946 0958"), Err(PhoneError::Shape));
        // A landline written without its leading 0 is not a number we can call back.
        assert_eq!(Phone::parse("85185551234"), Err(PhoneError::Shape));
    }
}
