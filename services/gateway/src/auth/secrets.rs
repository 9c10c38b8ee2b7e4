//! Passwords (argon2id) and random bearer secrets (session cookies, API tokens).
//!
//! Passwords are hashed with argon2id at the crate's default cost (19 MiB, 2 passes),
//! the OWASP minimum; the PHC string keeps the parameters, so raising them later only
//! affects new hashes. Session cookies and API tokens are 256 random bits; the database
//! keeps only their SHA-256 (they are high-entropy, so a fast hash is enough), compared by
//! lookup on the hash.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Shortest password accepted (characters).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (characters): bounds the hashing work per request.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// What is wrong with a new password, in the console's words.
pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Some(format!("密码至少{MIN_PASSWORD_CHARS}个字符"));
    }
    if n > MAX_PASSWORD_CHARS {
        return Some(format!("密码最多{MAX_PASSWORD_CHARS}个字符"));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&x| x).count() < 3 {
        return Some("密码须包含大写字母、小写字母、数字、符号中的至少三类".to_owned());
    }
    None
}

/// The argon2id PHC string of `password`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("password salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hash: {e}"))
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that an unknown login
/// name takes as long as a wrong password (no account enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-Password-1").unwrap_or_default())
}

/// A new bearer secret: 256 random bits, base64url, with a prefix that says what it is.
pub fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a bearer secret.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Compare two strings in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("Correct-Horse-9").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("Correct-Horse-9", &hash));
        assert!(!verify_password("correct-horse-9", &hash));
        assert!(!verify_password("Correct-Horse-9", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_named() {
        assert!(password_problem("short1A!").is_some());
        assert!(password_problem("alllowercaseletters").is_some());
        assert!(password_problem("Lower-and-UPPER").is_none());
        assert!(password_problem(&"aA1!".repeat(40)).is_some());
    }

    #[test]
    fn secrets_are_random_and_digests_fixed_length() {
        let a = new_secret("hs_");
        let b = new_secret("hs_");
        assert_ne!(a, b);
        assert!(a.starts_with("hs_"));
        assert_eq!(digest(&a).len(), 32);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
    }
}
