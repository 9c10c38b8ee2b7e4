//! The gateway's configuration.

use std::net::{IpAddr, SocketAddr};

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
    /// Largest body of a knowledge-base bulk import (`POST /api/v1/knowledge/import`); it
    /// travels as one NATS message, so it stays under the server's 1 MiB payload limit.
    pub knowledge_import_max_bytes: usize,
    /// Order submissions (`POST /api/v1/orders`) per client per minute, sustained; 0
    /// switches the limit off (`HOTLINE_GATEWAY__SUBMIT_PER_MINUTE`).
    pub submit_per_minute: u32,
    /// Order submissions a client may make at once before the per-minute rate applies.
    pub submit_burst: u32,
    /// Progress queries (`GET /api/v1/orders/{number}`) per client per minute; 0 switches
    /// the limit off. Also what makes guessing 6-digit check codes impractical (A11).
    pub query_per_minute: u32,
    /// Progress queries a client may make at once.
    pub query_burst: u32,
    /// Peers whose `X-Forwarded-For` is believed (the ingress or load balancer), e.g.
    /// `HOTLINE_GATEWAY__TRUSTED_PROXIES=[10.0.0.2]`. Empty: clients are the peers.
    pub trusted_proxies: Vec<IpAddr>,
    /// Most clients each rate limit tracks at once (bounded memory; see `rate_limit`).
    pub rate_limit_clients: usize,
    /// Login attempts (`POST /api/v1/session`) per client per minute; 0 switches the
    /// limit off. Slows password guessing down.
    pub login_per_minute: u32,
    /// Login attempts a client may make at once.
    pub login_burst: u32,
    /// How long a live API token is trusted without reading the database again, in
    /// seconds; also how late a revocation made through another replica can take effect
    /// here (`auth::token_cache`). 0 reads the database on every request.
    pub token_cache_secs: u64,
    /// Most API tokens remembered at once.
    pub token_cache_entries: usize,
    /// How long a console session lasts, in minutes (default: an 8-hour shift).
    pub session_ttl_minutes: i64,
    /// Mark the session cookie `Secure` (HTTPS only). Browsers treat `localhost` as
    /// secure, so the default also works for local runs over plain HTTP.
    pub cookie_secure: bool,
    /// The first administrator's login name, created at start when there is no
    /// administrator yet and a password is configured.
    pub bootstrap_admin: String,
    /// Its password (`HOTLINE_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD`); unset: no bootstrap.
    pub bootstrap_admin_password: Option<secrecy::SecretString>,
    /// The one `jurisdiction_id` the Open311 facade answers for (docs/open311.md); a
    /// request naming another is refused (`HOTLINE_GATEWAY__OPEN311_JURISDICTION`).
    pub open311_jurisdiction: String,
}

impl Default for GatewaySection {
    fn default() -> Self {
        Self {
            intake_url: "http://127.0.0.1:8081".to_owned(),
            request_timeout_ms: 5000,
            max_body_bytes: 64 * 1024,
            knowledge_import_max_bytes: 900 * 1024,
            submit_per_minute: 30,
            submit_burst: 10,
            query_per_minute: 120,
            query_burst: 30,
            trusted_proxies: Vec::new(),
            rate_limit_clients: 100_000,
            login_per_minute: 10,
            login_burst: 5,
            token_cache_secs: crate::auth::token_cache::DEFAULT_TTL.as_secs(),
            token_cache_entries: crate::auth::token_cache::DEFAULT_CAPACITY,
            session_ttl_minutes: 8 * 60,
            cookie_secure: true,
            bootstrap_admin: "admin".to_owned(),
            bootstrap_admin_password: None,
            open311_jurisdiction: "guizhou.12345.gov.cn".to_owned(),
        }
    }
}
