//! Intake's configuration: the common sections plus its internal HTTP listener, the
//! phone-hashing key and the personal-data vault's keys (A21).

use std::net::SocketAddr;

use hotline_service_kit::config::CommonConfig;
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct IntakeConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub http: HttpConfig,
    pub intake: IntakeSection,
}

/// The internal API the gateway calls to register orders (it must work while NATS is
/// down, so it is HTTP, not request/reply).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    pub listen: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IntakeSection {
    /// Key of the HMAC that turns phone numbers into requester hashes (A21). Set
    /// `HOTLINE_INTAKE__PHONE_HASH_KEY` in every real deployment; the default is for
    /// development only and is announced with a warning at start.
    pub phone_hash_key: SecretString,
    /// `[intake.vault]`: the keys that encrypt requesters' personal data at rest.
    pub vault: VaultConfig,
    /// A10.3: how far back repeat detection looks, in days (a documented default of 30).
    pub repeat_window_days: i64,
    /// A9.2: answer web-message consultations from the knowledge base when it is confident
    /// enough (its threshold is the knowledge service's setting).
    pub knowledge_auto_answer: bool,
    /// How long registration waits for the knowledge base before dispatching instead.
    pub knowledge_timeout_ms: u64,
    /// A12: how often category suggestion checks whether confirmed orders changed and, if
    /// so, retrains (seconds; default 600). The first check runs at start.
    pub category_retrain_interval_secs: u64,
    /// A12: at most this many confirmed orders, the most recent, train the category model
    /// (default 50,000; with the seed articles always included).
    pub category_training_max_orders: i64,
    /// A17.4: how often the hot-spot scan runs (seconds; default 600). The first scan runs
    /// one interval after start.
    pub hotspot_scan_interval_secs: u64,
    /// A17.4: how far back a scan looks, in days (default 7).
    pub hotspot_window_days: i64,
    /// A17.4: different requesters a cluster needs to be a hot spot (default 10).
    pub hotspot_min_requesters: usize,
    /// A17.4: similarity from which two orders are neighbours (default 0.3, chosen in
    /// `docs/hotspots.md`).
    pub hotspot_similarity: f64,
}

/// The development-only key (never use it in production: hashes would be reversible by
/// anyone who reads this file).
pub const DEV_PHONE_HASH_KEY: &str = "development-only-phone-hash-key";

impl Default for IntakeSection {
    fn default() -> Self {
        Self {
            phone_hash_key: SecretString::from(DEV_PHONE_HASH_KEY),
            vault: VaultConfig::default(),
            repeat_window_days: crate::domain::similarity::DEFAULT_WINDOW_DAYS,
            knowledge_auto_answer: true,
            knowledge_timeout_ms: 1_000,
            category_retrain_interval_secs: 600,
            category_training_max_orders: 50_000,
            hotspot_scan_interval_secs: 600,
            hotspot_window_days: crate::domain::hotspot::DEFAULT_WINDOW_DAYS,
            hotspot_min_requesters: crate::domain::hotspot::HotspotParams::default().min_requesters,
            hotspot_similarity: crate::domain::hotspot::HotspotParams::default().similarity,
        }
    }
}

/// The vault's key ring (`[intake.vault]`, see [`crate::vault`]). Both values are secrets:
/// set `HOTLINE_INTAKE__VAULT__KEYS` and `HOTLINE_INTAKE__VAULT__ACTIVE_KEY` in every real
/// deployment. The default is a fixed development key, announced with a warning at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct VaultConfig {
    /// Every key that may still be needed to decrypt, as comma-separated
    /// `<key id>:<base64 of 32 bytes>` entries, e.g. `2026a:…,2027a:…`. A key id is 1 to 32
    /// characters of `A-Z a-z 0-9 . _ -`. Keep a retired key here until
    /// [`crate::vault::rotate`] has re-encrypted every value under the active key.
    pub keys: SecretString,
    /// Id of the key that encrypts new values (and that rotation moves values to).
    pub active_key: SecretString,
}

/// Id of the development-only vault key.
pub const DEV_VAULT_KEY_ID: &str = "dev";

/// The development-only vault key ring: 32 well-known bytes, so anything encrypted with it
/// is as good as clear text. Never use it in production.
pub const DEV_VAULT_KEYS: &str = "dev:aG90bGluZS1kZXYtb25seS12YXVsdC1rZXktMzJieXQ=";

impl Default for VaultConfig {
    fn default() -> Self {
        Self {
            keys: SecretString::from(DEV_VAULT_KEYS),
            active_key: SecretString::from(DEV_VAULT_KEY_ID),
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn vault_keys_come_from_the_environment() {
        let keys = "k2026:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,k2027://///////////////////////////////////////w==";
        let config: IntakeConfig = hotline_service_kit::config::load_from(
            &env(&[
                ("HOTLINE_INTAKE__VAULT__KEYS", keys),
                ("HOTLINE_INTAKE__VAULT__ACTIVE_KEY", "k2027"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(config.intake.vault.keys.expose_secret(), keys);
        assert_eq!(config.intake.vault.active_key.expose_secret(), "k2027");
        // The other intake settings keep their defaults.
        assert_eq!(
            config.intake.phone_hash_key.expose_secret(),
            DEV_PHONE_HASH_KEY
        );
    }

    #[test]
    fn without_settings_the_development_vault_key_applies() {
        let config: IntakeConfig = hotline_service_kit::config::load_from(&[], None).unwrap();
        assert_eq!(config.intake.vault.keys.expose_secret(), DEV_VAULT_KEYS);
        assert_eq!(
            config.intake.vault.active_key.expose_secret(),
            DEV_VAULT_KEY_ID
        );
    }

    #[test]
    fn printing_the_config_does_not_print_the_keys() {
        let printed = format!("{:?}", IntakeConfig::default());
        assert!(!printed.contains("aG90bGluZS1kZXYtb25seS12YXVsdC1rZXktMzJieXQ"));
        assert!(!printed.contains(DEV_PHONE_HASH_KEY));
    }
}
