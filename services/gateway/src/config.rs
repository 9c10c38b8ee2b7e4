//! The gateway's configuration.

use std::net::SocketAddr;

use hotline_service_kit::config::CommonConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct GatewayConfig {
    #[serde(flatten)]
    pub common: CommonConfig,
    pub http: HttpConfig,
    pub gateway: GatewaySection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// The public API listener (`HOTLINE_HTTP__LISTEN`).
    pub listen: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GatewaySection {
    /// Intake's internal API (`HOTLINE_GATEWAY__INTAKE_URL`).
    pub intake_url: String,
    /// How long a request to a service may take before the caller gets a 503.
    pub request_timeout_ms: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for GatewaySection {
    fn default() -> Self {
        Self {
            intake_url: "http://127.0.0.1:8081".to_owned(),
            request_timeout_ms: 5000,
            max_body_bytes: 64 * 1024,
        }
    }
}
