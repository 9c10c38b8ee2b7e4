//! Configuration: defaults < optional TOML file < `HOTLINE_*` environment variables.
//!
//! A service's config is one struct with `#[serde(default)]`, usually
//! `struct IntakeConfig { #[serde(flatten)] common: CommonConfig, http: ..., intake: ... }`.
//! Layers, lowest first:
//!
//! 1. the struct's own `Default` (serde `#[serde(default)]`);
//! 2. `OTEL_EXPORTER_OTLP_ENDPOINT`, the standard OpenTelemetry variable, as
//!    `telemetry.otlp_endpoint` (so a file or `HOTLINE_TELEMETRY__OTLP_ENDPOINT` wins);
//! 3. the TOML file named by `HOTLINE_CONFIG`, if set (a missing file is an error);
//! 4. variables `HOTLINE_<SECTION>__<KEY>`: the prefix is stripped, keys are lowercased and
//!    `__` separates nesting levels (`HOTLINE_NATS__URL` is `nats.url`,
//!    `HOTLINE_NAMESPACE` is `namespace`).
//!
//! Environment values are read like figment's `Env` provider reads them: `10` is a number,
//! `true` a boolean, `[a, b]` an array, anything else a string; wrap a value in double
//! quotes to force a string. Keys naming secrets, URLs and paths (`url`, `password`,
//! `token`, `secret`, and names ending in `_url`, `_password`, `_token`, `_secret`,
//! `_seed`, `_key`, `_file`, `_path`, plus `namespace`) are always taken verbatim, so a
//! numeric password is neither mangled nor echoed back in a type error.
//!
//! This module is the one place that reads the process environment ([`load`]);
//! [`load_from`] takes the variables as a slice, which keeps tests free of global state.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::providers::{Format as _, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use secrecy::SecretString;

/// Prefix of the environment variables read by [`load`].
pub const ENV_PREFIX: &str = "HOTLINE_";
/// Environment variable naming the optional TOML config file.
pub const CONFIG_FILE_ENV: &str = "HOTLINE_CONFIG";
/// Standard OpenTelemetry variable, honoured when `telemetry.otlp_endpoint` is unset.
pub const OTEL_ENDPOINT_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `HOTLINE_CONFIG` names a file that does not exist.
    #[error("configuration file {0} does not exist")]
    FileNotFound(PathBuf),
    /// A value has the wrong type or shape, or the TOML does not parse. The message names
    /// the key and where it came from (file or environment variable).
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
}

/// Lanes of a consumer unless `consumer_lanes` says otherwise. One: on the 2-core machine of
/// the load benchmark, one lane per consumer gave the lowest latency and the highest
/// sustained throughput of 1, 2, 4 and 8 (fewer concurrent transactions on the shared
/// CPUs, and larger batches); a deployment whose database has cores to spare can raise it.
pub const DEFAULT_CONSUMER_LANES: usize = 1;

/// Events a lane applies in one transaction at most, unless `consumer_batch_max` says
/// otherwise. With one lane a consumer works off a backlog one batch after another, so the
/// batch is what bounds how fast it catches up.
pub const DEFAULT_CONSUMER_BATCH_MAX: usize = hotline_messaging::consumer::DEFAULT_BATCH_MAX;

/// How long a consumer's lane waits for its batch to fill, in milliseconds, unless
/// `consumer_linger_ms` says otherwise; the consumers on someone's waiting path (the
/// dispatcher, the partner hand-overs) never wait
/// ([`crate::bootstrap::ServiceContext::prompt_consumer`]). 20: on the load benchmark's
/// 2-core machine, at 50 orders/s with every order worked, it took the transactions an order
/// from 21 to 13 and the busy CPU from 88 % to 75 %, with lower latencies on every stage,
/// and the closed loop's full lifecycles from 170/s to 185/s (docs/performance.md, "Tenth
/// round"). What it delays (projections, clocks, reviews, analytics) has deadlines of hours.
pub const DEFAULT_CONSUMER_LINGER_MS: u64 = 20;

/// The longest linger a service accepts (`consumer_linger_ms`), in milliseconds: a second,
/// far below the consumers' acknowledgement wait, so that no event lingers long enough for
/// the server to deliver it again.
pub const MAX_CONSUMER_LINGER_MS: u64 = 1_000;

/// Settings every service shares; flatten it into the service's own config struct.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct CommonConfig {
    /// Prefix of every subject, stream and consumer name: empty in production, random per
    /// test so tests can share one NATS server.
    pub namespace: String,
    /// Replicas of the JetStream streams a service provisions (1 locally, 3 in a cluster).
    pub stream_replicas: usize,
    /// Lanes of each of the service's consumers ([`DEFAULT_CONSUMER_LANES`]; at least 1).
    /// A lane applies its orders' events in order and batches whatever queued behind it;
    /// more lanes only pay off when a consumer's transactions wait on something other
    /// than the CPUs the database shares (docs/performance.md, "Seventh round").
    pub consumer_lanes: usize,
    /// Events a consumer's lane applies in one transaction at most
    /// ([`DEFAULT_CONSUMER_BATCH_MAX`]; at least 1).
    pub consumer_batch_max: usize,
    /// How long a consumer's lane waits, after taking an event, for more to join its batch
    /// ([`DEFAULT_CONSUMER_LINGER_MS`]; 0: it takes what is queued and nothing more; at most
    /// [`MAX_CONSUMER_LINGER_MS`]).
    pub consumer_linger_ms: u64,
    /// `[nats]`
    pub nats: hotline_messaging::NatsConfig,
    /// `[database]`
    pub database: DatabaseConfig,
    /// `[ops]`
    pub ops: OpsConfig,
    /// `[telemetry]`
    pub telemetry: hotline_telemetry::TelemetryConfig,
}

impl Default for CommonConfig {
    fn default() -> Self {
        Self {
            namespace: String::new(),
            stream_replicas: 1,
            consumer_lanes: DEFAULT_CONSUMER_LANES,
            consumer_batch_max: DEFAULT_CONSUMER_BATCH_MAX,
            consumer_linger_ms: DEFAULT_CONSUMER_LINGER_MS,
            nats: hotline_messaging::NatsConfig::default(),
            database: DatabaseConfig::default(),
            ops: OpsConfig::default(),
            telemetry: hotline_telemetry::TelemetryConfig::default(),
        }
    }
}

/// PostgreSQL connection settings (`[database]`).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// Connection URL; a secret because it may hold the password.
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
    /// How long a query waits for a free pooled connection.
    pub acquire_timeout_secs: u64,
    /// How long start-up keeps retrying the first connection.
    pub initial_connect_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("postgres://postgres@127.0.0.1:5432/hotline"),
            max_connections: 10,
            acquire_timeout_secs: 10,
            initial_connect_timeout_secs: 60,
        }
    }
}

/// The ops HTTP listener (`[ops]`): `/healthz`, `/readyz`, `/metrics`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct OpsConfig {
    /// Address to bind; port 0 picks a free port (tests).
    pub listen: SocketAddr,
}

impl Default for OpsConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

/// Loads `T` from the process environment and the file named by `HOTLINE_CONFIG`.
pub fn load<T: serde::de::DeserializeOwned>() -> Result<T, ConfigError> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let file = std::env::var_os(CONFIG_FILE_ENV)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from);
    load_from(&env, file.as_deref())
}

/// Loads `T` from the given environment variables and optional TOML file (see module docs).
pub fn load_from<T: serde::de::DeserializeOwned>(
    env: &[(String, String)],
    file: Option<&Path>,
) -> Result<T, ConfigError> {
    let mut figment = Figment::new();
    if let Some((_, endpoint)) = env
        .iter()
        .find(|(key, value)| key == OTEL_ENDPOINT_ENV && !value.trim().is_empty())
    {
        figment = figment.merge(Serialized::default(
            "telemetry.otlp_endpoint",
            endpoint.trim(),
        ));
    }
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::FileNotFound(path.to_owned()));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(PrefixedEnv::new(env));
    figment.extract::<T>().map_err(|error| {
        // serde's `flatten` buffers values, which loses the key path figment reports. When
        // that happened, ask the (flattened) common part for a precise error.
        if error.path.is_empty()
            && let Err(precise) = figment.extract::<CommonConfig>()
            && !precise.path.is_empty()
        {
            return ConfigError::Invalid(Box::new(precise));
        }
        ConfigError::Invalid(Box::new(error))
    })
}

/// The `HOTLINE_*` variables of an environment, as a figment provider.
struct PrefixedEnv {
    /// `(dotted key path, raw value)`
    vars: Vec<(String, String)>,
}

impl PrefixedEnv {
    fn new(env: &[(String, String)]) -> Self {
        let vars = env
            .iter()
            .filter(|(key, _)| key != CONFIG_FILE_ENV)
            .filter_map(|(key, value)| {
                let rest = strip_prefix_ignore_case(key, ENV_PREFIX)?;
                let path = rest
                    .split("__")
                    .map(str::to_ascii_lowercase)
                    .collect::<Vec<_>>();
                if path.iter().any(String::is_empty) {
                    return None;
                }
                Some((path.join("."), value.clone()))
            })
            .collect();
        Self { vars }
    }
}

impl Provider for PrefixedEnv {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("`{ENV_PREFIX}` environment variable(s)")).interpolater(
            |_: &Profile, keys: &[&str]| {
                let keys: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
                format!("{ENV_PREFIX}{}", keys.join("__"))
            },
        )
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (path, raw) in &self.vars {
            let value = if is_verbatim(path) {
                Value::from(raw.clone())
            } else {
                match raw.parse::<Value>() {
                    Ok(value) => value,
                    Err(never) => match never {},
                }
            };
            if let Some(nested) = figment::util::nest(path, value).into_dict() {
                merge(&mut dict, nested);
            }
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Deep merge of `incoming` into `dict` (incoming wins on conflicts).
fn merge(dict: &mut Dict, incoming: Dict) {
    for (key, value) in incoming {
        match (dict.get_mut(&key), value) {
            (Some(Value::Dict(_, existing)), Value::Dict(_, nested)) => merge(existing, nested),
            (_, value) => {
                dict.insert(key, value);
            }
        }
    }
}

/// Keys whose values are secrets, URLs or paths: never reinterpreted as numbers/booleans.
fn is_verbatim(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    matches!(last, "url" | "password" | "token" | "secret" | "namespace")
        || [
            "_url",
            "_password",
            "_token",
            "_secret",
            "_seed",
            "_key",
            "_file",
            "_path",
        ]
        .iter()
        .any(|suffix| last.ends_with(suffix))
}

fn strip_prefix_ignore_case<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    let head = key.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &key[prefix.len()..])
        .filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use secrecy::ExposeSecret as _;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn toml_file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    /// Shaped like a real service's config.
    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct IntakeConfig {
        #[serde(flatten)]
        common: CommonConfig,
        http: HttpSection,
        intake: IntakeSection,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(default)]
    struct HttpSection {
        listen: SocketAddr,
        body_limit_bytes: u64,
    }

    impl Default for HttpSection {
        fn default() -> Self {
            Self {
                listen: "127.0.0.1:8080".parse().unwrap(),
                body_limit_bytes: 65_536,
            }
        }
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct IntakeSection {
        phone_hash_key: Option<SecretString>,
        repeat_window_days: u32,
        triage_enabled: bool,
    }

    #[test]
    fn with_nothing_set_every_default_applies() {
        let config: CommonConfig = load_from(&[], None).unwrap();
        assert_eq!(config.namespace, "");
        assert_eq!(config.stream_replicas, 1);
        assert_eq!(config.consumer_lanes, DEFAULT_CONSUMER_LANES);
        assert_eq!(config.consumer_batch_max, DEFAULT_CONSUMER_BATCH_MAX);
        assert_eq!(config.nats.url, "nats://127.0.0.1:4222");
        assert_eq!(
            config.database.url.expose_secret(),
            "postgres://postgres@127.0.0.1:5432/hotline"
        );
        assert_eq!(config.database.max_connections, 10);
        assert_eq!(config.database.acquire_timeout_secs, 10);
        assert_eq!(config.ops.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(config.telemetry.log_filter, "info");
        assert!(config.telemetry.json);
        assert!(config.telemetry.otlp_endpoint.is_none());
    }

    #[test]
    fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
        let file = toml_file(
            r#"
            namespace = "from-file"
            [nats]
            url = "nats://file:4222"
            initial_connect_timeout_secs = 5
            [database]
            max_connections = 3
            [http]
            body_limit_bytes = 1024
            [intake]
            repeat_window_days = 30
            "#,
        );
        let env = env(&[
            ("HOTLINE_NATS__URL", "nats://env:4222"),
            ("HOTLINE_DATABASE__ACQUIRE_TIMEOUT_SECS", "7"),
            ("HOTLINE_INTAKE__TRIAGE_ENABLED", "true"),
            ("HOTLINE_OPS__LISTEN", "0.0.0.0:9090"),
            ("HOTLINE_STREAM_REPLICAS", "3"),
            ("HOTLINE_CONSUMER_LANES", "4"),
            ("HOTLINE_CONSUMER_BATCH_MAX", "64"),
            ("HOTLINE_TELEMETRY__LOG_FILTER", "info,sqlx=warn"),
            ("PATH", "/usr/bin"),
        ]);
        let config: IntakeConfig = load_from(&env, Some(file.path())).unwrap();

        assert_eq!(config.common.namespace, "from-file");
        assert_eq!(config.common.nats.url, "nats://env:4222");
        assert_eq!(config.common.nats.initial_connect_timeout_secs, 5);
        assert_eq!(config.common.database.max_connections, 3);
        assert_eq!(config.common.database.acquire_timeout_secs, 7);
        assert_eq!(config.common.ops.listen, "0.0.0.0:9090".parse().unwrap());
        assert_eq!(config.common.stream_replicas, 3);
        assert_eq!(config.common.consumer_lanes, 4);
        assert_eq!(config.common.consumer_batch_max, 64);
        assert_eq!(config.common.telemetry.log_filter, "info,sqlx=warn");
        assert!(config.common.telemetry.json, "untouched keys keep defaults");
        assert_eq!(config.http.body_limit_bytes, 1024);
        assert_eq!(config.http.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.intake.repeat_window_days, 30);
        assert!(config.intake.triage_enabled);
    }

    #[test]
    fn numeric_looking_secrets_from_the_environment_stay_strings() {
        let env = env(&[
            ("HOTLINE_NATS__USER", "svc"),
            ("HOTLINE_NATS__PASSWORD", "0012345"),
            ("HOTLINE_INTAKE__PHONE_HASH_KEY", "1.50"),
            ("HOTLINE_NAMESPACE", "123"),
        ]);
        let config: IntakeConfig = load_from(&env, None).unwrap();
        let password = config.common.nats.password.unwrap();
        assert_eq!(password.expose_secret(), "0012345");
        assert_eq!(
            config.intake.phone_hash_key.unwrap().expose_secret(),
            "1.50"
        );
        assert_eq!(config.common.namespace, "123");
    }

    #[test]
    fn a_type_error_names_the_variable_without_echoing_secrets() {
        let env = env(&[
            ("HOTLINE_DATABASE__MAX_CONNECTIONS", "lots"),
            ("HOTLINE_NATS__PASSWORD", "hunter2"),
        ]);
        let error = load_from::<IntakeConfig>(&env, None).unwrap_err();
        let message = error.to_string();

        assert!(matches!(error, ConfigError::Invalid(_)));
        assert!(
            message.contains("HOTLINE_DATABASE__MAX_CONNECTIONS"),
            "names the variable: {message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn a_type_error_in_a_service_section_names_the_variable() {
        let env = env(&[("HOTLINE_INTAKE__REPEAT_WINDOW_DAYS", "a month")]);
        let message = load_from::<IntakeConfig>(&env, None)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("HOTLINE_INTAKE__REPEAT_WINDOW_DAYS"),
            "{message}"
        );
    }

    #[test]
    fn a_type_error_in_the_file_names_the_key() {
        let file = toml_file("[nats]\ninitial_connect_timeout_secs = \"soon\"\n");
        let message = load_from::<IntakeConfig>(&[], Some(file.path()))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("nats.initial_connect_timeout_secs"),
            "{message}"
        );
    }

    #[test]
    fn otel_endpoint_variable_fills_in_only_when_unset() {
        let only_otel = env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]);
        let config: IntakeConfig = load_from(&only_otel, None).unwrap();
        assert_eq!(
            config.common.telemetry.otlp_endpoint.as_deref(),
            Some("http://collector:4318")
        );

        let both = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("HOTLINE_TELEMETRY__OTLP_ENDPOINT", "http://mine:4318"),
        ]);
        let config: IntakeConfig = load_from(&both, None).unwrap();
        assert_eq!(
            config.common.telemetry.otlp_endpoint.as_deref(),
            Some("http://mine:4318")
        );

        let file = toml_file("[telemetry]\notlp_endpoint = \"http://file:4318\"\n");
        let config: IntakeConfig = load_from(&only_otel, Some(file.path())).unwrap();
        assert_eq!(
            config.common.telemetry.otlp_endpoint.as_deref(),
            Some("http://file:4318")
        );
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let error = load_from::<CommonConfig>(&[], Some(Path::new("/nonexistent/hotline.toml")))
            .unwrap_err();
        assert!(matches!(error, ConfigError::FileNotFound(_)), "{error}");
    }

    #[test]
    fn a_malformed_file_is_an_error() {
        let file = toml_file("[nats\nurl = ");
        let error = load_from::<CommonConfig>(&[], Some(file.path())).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid(_)), "{error}");
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let env = env(&[
            (
                "HOTLINE_DATABASE__URL",
                "postgres://intake:pg-s3cret@db:5432/hotline",
            ),
            ("HOTLINE_NATS__URL", "nats://svc:url-s3cret@nats:4222"),
            ("HOTLINE_NATS__TOKEN", "tok-s3cret"),
            ("HOTLINE_INTAKE__PHONE_HASH_KEY", "key-s3cret"),
        ]);
        let config: IntakeConfig = load_from(&env, None).unwrap();
        let printed = format!("{config:?}");
        for secret in ["pg-s3cret", "url-s3cret", "tok-s3cret", "key-s3cret"] {
            assert!(!printed.contains(secret), "{secret} leaked: {printed}");
        }
        assert!(printed.contains("nats:4222"), "{printed}");
    }

    #[test]
    fn only_prefixed_variables_are_read() {
        let vars = PrefixedEnv::new(&env(&[
            ("HOTLINE_NATS__URL", "x"),
            ("hotline_namespace", "y"),
            ("HOTLINE_CONFIG", "/etc/hotline.toml"),
            ("HOTLINE_", "z"),
            ("HOTLINE_BAD____KEY", "z"),
            ("OTHER_NATS__URL", "z"),
        ]))
        .vars;
        assert_eq!(
            vars,
            vec![
                ("nats.url".to_owned(), "x".to_owned()),
                ("namespace".to_owned(), "y".to_owned())
            ]
        );
    }
}
