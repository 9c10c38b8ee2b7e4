//! One NATS connection per service process, named after the service.
//!
//! Design choices:
//! * **Start-up waits for NATS.** Pods start in any order, so the first connect is retried
//!   with capped, jittered exponential backoff until `initial_connect_timeout_secs`. We run
//!   the loop ourselves rather than use `retry_on_initial_connect` (which returns at once
//!   with a client that connects in the background): a service should not report itself
//!   started, nor start its consumers, before it has a connection, and a misconfigured URL
//!   must end in a clear error instead of a silent background loop.
//! * **Errors that retrying cannot fix fail fast**: rejected credentials, TLS set-up
//!   errors, unreadable credentials files, a client certificate without its key.
//! * **After the first connect, reconnects are unlimited**: a running service never gives
//!   up on NATS. Every connection event is logged with the service name.
//! * **Secrets are never logged**: passwords, tokens and seeds are `SecretString`s exposed
//!   only to the client library, and user info in URLs is masked in logs and errors.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use async_nats::{ConnectErrorKind, ConnectOptions, Event};
use rand::Rng as _;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::time::Instant;

/// Longest pause between two initial connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// First pause between initial connection attempts.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Upper bound for one connection attempt (TCP + TLS + INFO/CONNECT handshake).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// How to reach and authenticate to NATS (the `[nats]` config section).
///
/// At most one of user/password, token, nkey seed and creds file is expected; when
/// several are set the client library combines them as the server sees fit.
#[derive(Clone, serde::Deserialize)]
#[serde(default)]
pub struct NatsConfig {
    /// One URL or a comma-separated list, e.g. `nats://nats-0:4222,nats://nats-1:4222`.
    pub url: String,
    /// User name for user/password authentication.
    pub user: Option<String>,
    /// Password for user/password authentication.
    pub password: Option<SecretString>,
    /// Token authentication.
    pub token: Option<SecretString>,
    /// NKey seed (`SU...`) for nkey authentication.
    pub nkey_seed: Option<SecretString>,
    /// A `.creds` file (JWT + nkey seed), as issued for decentralised accounts.
    pub creds_file: Option<PathBuf>,
    /// PEM file of the CA(s) to trust for the server certificate.
    pub tls_ca_file: Option<PathBuf>,
    /// PEM client certificate for mutual TLS (needs `tls_key_file`).
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    /// Refuse to talk to a server that does not use TLS.
    pub require_tls: bool,
    /// How long to keep retrying the first connection before giving up.
    pub initial_connect_timeout_secs: u64,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".to_owned(),
            user: None,
            password: None,
            token: None,
            nkey_seed: None,
            creds_file: None,
            tls_ca_file: None,
            tls_cert_file: None,
            tls_key_file: None,
            require_tls: false,
            initial_connect_timeout_secs: 60,
        }
    }
}

impl fmt::Debug for NatsConfig {
    /// Secrets print as `[REDACTED]`, and so does any password inside the URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsConfig")
            .field("url", &redact_url(&self.url))
            .field("user", &self.user)
            .field("password", &self.password)
            .field("token", &self.token)
            .field("nkey_seed", &self.nkey_seed)
            .field("creds_file", &self.creds_file)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("tls_cert_file", &self.tls_cert_file)
            .field("tls_key_file", &self.tls_key_file)
            .field("require_tls", &self.require_tls)
            .field(
                "initial_connect_timeout_secs",
                &self.initial_connect_timeout_secs,
            )
            .finish()
    }
}

/// Why no NATS connection could be established.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The configuration is unusable as written (e.g. a client certificate without a key).
    #[error("invalid NATS configuration: {0}")]
    InvalidConfig(&'static str),
    /// The credentials file could not be read or parsed.
    #[error("cannot read NATS credentials file {path}: {source}")]
    CredentialsFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The server refused us or TLS could not be set up: retrying would not help.
    #[error("NATS at {url} rejected the connection ({kind}): {source}")]
    Rejected {
        url: String,
        kind: ConnectErrorKind,
        #[source]
        source: async_nats::ConnectError,
    },
    /// No connection within `initial_connect_timeout_secs`.
    #[error(
        "could not connect to NATS at {url} within {timeout:?} ({attempts} attempts); last error: {source}"
    )]
    TimedOut {
        url: String,
        timeout: Duration,
        attempts: u32,
        #[source]
        source: async_nats::ConnectError,
    },
}

/// Connects to NATS as `service_name`, retrying the first connection (see module docs).
pub async fn connect(
    service_name: &str,
    config: &NatsConfig,
) -> Result<async_nats::Client, ConnectError> {
    let url = redact_url(&config.url);
    let timeout = Duration::from_secs(config.initial_connect_timeout_secs);
    let deadline = Instant::now() + timeout;
    // Read once: the file does not change between attempts.
    let credentials = match &config.creds_file {
        Some(path) => Some(tokio::fs::read_to_string(path).await.map_err(|source| {
            ConnectError::CredentialsFile {
                path: path.clone(),
                source,
            }
        })?),
        None => None,
    };

    let mut attempts = 0u32;
    let mut backoff = FIRST_BACKOFF;
    loop {
        attempts += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let options = options(service_name, config, credentials.as_deref())?
            .connection_timeout(remaining.clamp(Duration::from_millis(100), ATTEMPT_TIMEOUT));
        let error = match options.connect(config.url.as_str()).await {
            Ok(client) => {
                tracing::info!(
                    service = service_name,
                    server = %url,
                    attempts,
                    "connected to NATS"
                );
                return Ok(client);
            }
            Err(error) => error,
        };
        let kind = error.kind();
        if is_permanent(kind) {
            tracing::error!(service = service_name, server = %url, %error, "NATS rejected the connection");
            return Err(ConnectError::Rejected {
                url,
                kind,
                source: error,
            });
        }
        let pause = jittered(backoff);
        if Instant::now() + pause >= deadline {
            tracing::error!(
                service = service_name,
                server = %url,
                attempts,
                %error,
                "giving up connecting to NATS"
            );
            return Err(ConnectError::TimedOut {
                url,
                timeout,
                attempts,
                source: error,
            });
        }
        tracing::warn!(
            service = service_name,
            server = %url,
            attempts,
            retry_in_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
            %error,
            "NATS not reachable yet; retrying"
        );
        tokio::time::sleep(pause).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// The client options for one attempt: name, credentials, TLS, unlimited reconnects and
/// the event logger.
fn options(
    service_name: &str,
    config: &NatsConfig,
    credentials: Option<&str>,
) -> Result<ConnectOptions, ConnectError> {
    let mut options = match credentials {
        Some(creds) => ConnectOptions::with_credentials(creds).map_err(|source| {
            ConnectError::CredentialsFile {
                path: config.creds_file.clone().unwrap_or_default(),
                source,
            }
        })?,
        None => ConnectOptions::new(),
    };
    if let Some(user) = &config.user {
        let password = config
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default();
        options = options.user_and_password(user.clone(), password);
    } else if config.password.is_some() {
        return Err(ConnectError::InvalidConfig(
            "nats.password is set but nats.user is not",
        ));
    }
    if let Some(token) = &config.token {
        options = options.token(token.expose_secret().to_owned());
    }
    if let Some(seed) = &config.nkey_seed {
        options = options.nkey(seed.expose_secret().to_owned());
    }
    if let Some(ca) = &config.tls_ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    match (&config.tls_cert_file, &config.tls_key_file) {
        (Some(cert), Some(key)) => {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        (None, None) => {}
        _ => {
            return Err(ConnectError::InvalidConfig(
                "nats.tls_cert_file and nats.tls_key_file must be set together",
            ));
        }
    }
    let service = service_name.to_owned();
    Ok(options
        .name(service_name)
        // Replies come to `_INBOX.<service>.…`: the deployment's NATS permissions let each
        // service subscribe to its own inboxes only, so no service reads another's replies
        // (deploy/nats/auth.conf).
        .custom_inbox_prefix(inbox_prefix(service_name))
        .require_tls(config.require_tls)
        .max_reconnects(None)
        .event_callback(move |event| {
            let service = service.clone();
            async move { log_event(&service, &event) }
        }))
}

/// `_INBOX.<service>`, the service name made a single subject token.
pub fn inbox_prefix(service_name: &str) -> String {
    let token: String = service_name
        .chars()
        .map(|c| match c {
            '.' | '*' | '>' | ' ' => '_',
            c => c,
        })
        .collect();
    format!("_INBOX.{token}")
}

fn log_event(service: &str, event: &Event) {
    match event {
        Event::Connected => tracing::info!(service, "NATS connection (re)established"),
        Event::Disconnected => tracing::warn!(service, "NATS connection lost; reconnecting"),
        Event::LameDuckMode => {
            tracing::warn!(
                service,
                "NATS server entered lame duck mode; it will go away"
            )
        }
        Event::Draining => tracing::info!(service, "NATS connection draining"),
        Event::Closed => tracing::info!(service, "NATS connection closed"),
        Event::SlowConsumer(sid) => tracing::warn!(
            service,
            subscription = sid,
            "NATS slow consumer: messages were dropped for a subscription"
        ),
        Event::ServerError(error) => tracing::error!(service, %error, "NATS server error"),
        Event::ClientError(error) => tracing::error!(service, %error, "NATS client error"),
    }
}

/// Errors that the same configuration would hit again on the next attempt.
fn is_permanent(kind: ConnectErrorKind) -> bool {
    matches!(
        kind,
        ConnectErrorKind::Authentication
            | ConnectErrorKind::AuthorizationViolation
            | ConnectErrorKind::Tls
            | ConnectErrorKind::ServerParse
    )
}

/// `pause` ± 20 %, so restarted pods do not knock in lockstep.
fn jittered(pause: Duration) -> Duration {
    let factor = rand::rng().random_range(0.8..1.2);
    pause.mul_f64(factor)
}

/// The URL (or comma-separated URLs) with any `user:password@` masked, for logs and errors.
pub fn redact_url(urls: &str) -> String {
    urls.split(',')
        .map(|url| {
            let url = url.trim();
            let rest_start = url.find("://").map_or(0, |i| i + 3);
            let (scheme, rest) = url.split_at(rest_start);
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}[REDACTED]@{}", &rest[at + 1..]),
                None => url.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_test_support::NatsServer;

    #[test]
    fn defaults_point_at_a_local_server_and_wait_a_minute() {
        let config = NatsConfig::default();
        assert_eq!(config.url, "nats://127.0.0.1:4222");
        assert_eq!(config.initial_connect_timeout_secs, 60);
        assert!(!config.require_tls);
        assert!(config.user.is_none() && config.password.is_none());
        assert!(config.token.is_none() && config.nkey_seed.is_none());
        assert!(config.creds_file.is_none() && config.tls_ca_file.is_none());
    }

    #[test]
    fn missing_fields_take_their_defaults_when_deserialised() {
        let config: NatsConfig =
            serde_json::from_value(serde_json::json!({"url": "nats://nats:4222"})).unwrap();
        assert_eq!(config.url, "nats://nats:4222");
        assert_eq!(config.initial_connect_timeout_secs, 60);
    }

    #[test]
    fn debug_output_hides_every_secret() {
        let config = NatsConfig {
            url: "nats://alice:hunter2@nats-0:4222,nats://nats-1:4222".to_owned(),
            user: Some("alice".to_owned()),
            password: Some(SecretString::from("hunter2")),
            token: Some(SecretString::from("tok-s3cret")),
            nkey_seed: Some(SecretString::from("SUAM-seed-s3cret")),
            ..NatsConfig::default()
        };
        let printed = format!("{config:?}");
        for secret in ["hunter2", "tok-s3cret", "SUAM-seed-s3cret"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("nats://[REDACTED]@nats-0:4222,nats://nats-1:4222"));
        assert!(printed.contains("alice"), "the user name is not a secret");
    }

    #[test]
    fn urls_without_user_info_are_left_alone() {
        assert_eq!(redact_url("nats://nats:4222"), "nats://nats:4222");
        assert_eq!(
            redact_url("tls://u:p@host:4222"),
            "tls://[REDACTED]@host:4222"
        );
        assert_eq!(redact_url("u:p@host"), "[REDACTED]@host");
    }

    #[tokio::test]
    async fn connects_to_a_running_server() {
        let server = NatsServer::start().await;
        let config = NatsConfig {
            url: server.url(),
            ..NatsConfig::default()
        };
        let client = connect("intake", &config).await.unwrap();
        assert_eq!(
            client.connection_state(),
            async_nats::connection::State::Connected
        );
        client.flush().await.unwrap();
    }

    /// A nats-server requiring user/password, with its monitoring port open.
    struct AuthServer {
        child: std::process::Child,
        port: u16,
        monitor_port: u16,
    }

    impl AuthServer {
        fn start() -> Self {
            let binary = std::env::var_os(hotline_test_support::NATS_SERVER_BIN_ENV)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/nats-server")
                });
            let port = hotline_test_support::free_port();
            let monitor_port = hotline_test_support::free_port();
            let child = std::process::Command::new(binary)
                .args(["-a", "127.0.0.1", "-p", &port.to_string()])
                .args(["-m", &monitor_port.to_string()])
                .args(["--user", "alice", "--pass", "hunter2"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            Self {
                child,
                port,
                monitor_port,
            }
        }

        fn config(&self, password: &str) -> NatsConfig {
            NatsConfig {
                url: format!("nats://127.0.0.1:{}", self.port),
                user: Some("alice".to_owned()),
                password: Some(SecretString::from(password)),
                initial_connect_timeout_secs: 10,
                ..NatsConfig::default()
            }
        }

        /// The server's `/connz` monitoring page.
        async fn connz(&self) -> String {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.monitor_port))
                .await
                .unwrap();
            stream
                .write_all(b"GET /connz HTTP/1.0\r\nHost: localhost\r\n\r\n")
                .await
                .unwrap();
            let mut page = String::new();
            stream.read_to_string(&mut page).await.unwrap();
            page
        }
    }

    impl Drop for AuthServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    #[tokio::test]
    async fn user_and_password_are_applied_and_the_client_is_named_after_the_service() {
        let server = AuthServer::start();
        // The connect loop also waits for the freshly spawned server to listen.
        let client = connect("intake", &server.config("hunter2")).await.unwrap();
        crate::server_barrier(&client).await.unwrap();
        let connz = server.connz().await;
        assert!(connz.contains(r#""name": "intake""#), "{connz}");
    }

    #[tokio::test]
    async fn a_wrong_password_fails_fast_without_waiting_for_the_timeout() {
        let server = AuthServer::start();
        // Wait until the server is up with the right password first.
        connect("probe", &server.config("hunter2")).await.unwrap();
        let started = Instant::now();
        let error = connect("intake", &server.config("wrong"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ConnectError::Rejected {
                    kind: ConnectErrorKind::AuthorizationViolation,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!error.to_string().contains("wrong"), "{error}");
    }

    #[tokio::test]
    async fn a_dead_port_fails_with_timed_out_after_the_configured_wait() {
        let port = hotline_test_support::free_port();
        let config = NatsConfig {
            url: format!("nats://127.0.0.1:{port}"),
            initial_connect_timeout_secs: 1,
            ..NatsConfig::default()
        };
        let started = Instant::now();
        let error = connect("intake", &config).await.unwrap_err();
        let waited = started.elapsed();
        match error {
            ConnectError::TimedOut { attempts, .. } => assert!(attempts > 1, "{attempts}"),
            other => panic!("expected TimedOut, got {other:?}"),
        }
        assert!(
            waited >= Duration::from_millis(500),
            "gave up too early: {waited:?}"
        );
        assert!(
            waited < Duration::from_secs(5),
            "waited too long: {waited:?}"
        );
    }

    #[tokio::test]
    async fn a_client_certificate_without_key_is_rejected_before_connecting() {
        let config = NatsConfig {
            tls_cert_file: Some(PathBuf::from("/nonexistent/cert.pem")),
            ..NatsConfig::default()
        };
        let error = connect("intake", &config).await.unwrap_err();
        assert!(matches!(error, ConnectError::InvalidConfig(_)), "{error:?}");
    }

    #[tokio::test]
    async fn an_unreadable_creds_file_is_reported_with_its_path() {
        let config = NatsConfig {
            creds_file: Some(PathBuf::from("/nonexistent/service.creds")),
            ..NatsConfig::default()
        };
        let error = connect("intake", &config).await.unwrap_err();
        match error {
            ConnectError::CredentialsFile { path, .. } => {
                assert_eq!(path, PathBuf::from("/nonexistent/service.creds"));
            }
            other => panic!("expected CredentialsFile, got {other:?}"),
        }
    }
}
