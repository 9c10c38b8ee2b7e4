//! Intake's configuration: the common sections plus its internal HTTP listener and the
//! phone-hashing key.

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
}

/// The development-only key (never use it in production: hashes would be reversible by
/// anyone who reads this file).
pub const DEV_PHONE_HASH_KEY: &str = "development-only-phone-hash-key";

impl Default for IntakeSection {
    fn default() -> Self {
        Self {
            phone_hash_key: SecretString::from(DEV_PHONE_HASH_KEY),
        }
    }
}
