//! Building and installing the `tracing` subscriber.
//!
//! The stack is `Registry` + `EnvFilter` + one fmt layer (flat JSON or text) + optionally
//! the OpenTelemetry layer. [`build_dispatch`] builds it without installing it (tests use
//! it with `tracing::dispatcher::with_default`); [`init`] and [`init_with_writer`] install
//! it as the global default exactly once per process. Later calls do nothing and return an
//! inert guard, because several services may run in one process (end-to-end tests) and
//! the first one to start owns the subscriber.
//!
//! OTLP export uses the SDK's batch span processor (its own thread) with the blocking
//! reqwest client, so exporting never needs, or blocks, the service's Tokio runtime.

use std::fmt;
use std::io::IsTerminal as _;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Dispatch;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::layer::{Layer, Layered, SubscriberExt as _};
use tracing_subscriber::{EnvFilter, Registry};

use crate::json::FlatJson;
use crate::span::EVENT_SPAN_TARGET;

/// How long [`TelemetryGuard::shutdown`] waits for the last spans to be exported.
const OTLP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Path appended to the configured OTLP base endpoint (as `OTEL_EXPORTER_OTLP_ENDPOINT`).
const OTLP_TRACES_PATH: &str = "/v1/traces";

/// Logging and tracing settings of a service (the `[telemetry]` config section).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct TelemetryConfig {
    /// `EnvFilter` directives, e.g. `info,sqlx=warn,hotline_router=debug`.
    pub log_filter: String,
    /// JSON lines (default) or human-readable text.
    pub json: bool,
    /// OTLP/HTTP base endpoint such as `http://otel-collector:4318` (`/v1/traces` is
    /// appended unless the URL already ends with it). `None`: spans are not exported.
    pub otlp_endpoint: Option<String>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_filter: "info".to_owned(),
            json: true,
            otlp_endpoint: None,
        }
    }
}

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The `log_filter` directives do not parse.
    #[error("invalid log filter: {0}")]
    InvalidFilter(#[from] tracing_subscriber::filter::ParseError),
    /// The OTLP exporter could not be built (for example an invalid endpoint URL).
    #[error("cannot build the OTLP span exporter for {endpoint}: {source}")]
    OtlpExporter {
        endpoint: String,
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
}

/// Keeps the OTLP pipeline alive; [`shutdown`](Self::shutdown) (or drop) flushes it.
///
/// Inert when OTLP export is off or when telemetry had already been initialised.
#[must_use = "dropping the guard shuts OTLP export down"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    fn inert() -> Self {
        Self { provider: None }
    }

    /// Whether this guard owns an OTLP pipeline (false for repeated `init` calls).
    pub fn is_exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes the spans still buffered and stops the exporter. Blocks for up to 5 s, so
    /// call it at the very end of `main` (or from `spawn_blocking`).
    pub fn shutdown(mut self) {
        self.shutdown_provider();
    }

    fn shutdown_provider(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown_with_timeout(OTLP_SHUTDOWN_TIMEOUT)
        {
            tracing::warn!(%error, "OpenTelemetry exporter did not shut down cleanly");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.shutdown_provider();
    }
}

impl fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("exporting", &self.is_exporting())
            .finish()
    }
}

/// Installs the global subscriber writing to stdout (ANSI colours only on a terminal).
///
/// Idempotent per process: when a global subscriber is already set, returns an inert
/// guard and changes nothing.
pub fn init(
    service_name: &'static str,
    config: &TelemetryConfig,
) -> Result<TelemetryGuard, TelemetryError> {
    install(
        service_name,
        config,
        std::io::stdout,
        std::io::stdout().is_terminal(),
    )
}

/// Like [`init`], but log lines go to `writer` (tests capture every service's logs in one
/// buffer with it). No ANSI colours.
pub fn init_with_writer<W>(
    service_name: &'static str,
    config: &TelemetryConfig,
    writer: W,
) -> Result<TelemetryGuard, TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    install(service_name, config, writer, false)
}

/// Builds the subscriber stack without installing it, e.g. for
/// `tracing::dispatcher::with_default` in a test. The guard owns the OTLP pipeline if any.
pub fn build_dispatch<W>(
    service_name: &'static str,
    config: &TelemetryConfig,
    writer: W,
) -> Result<(Dispatch, TelemetryGuard), TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    build(service_name, config, writer, false)
}

fn install<W>(
    service_name: &'static str,
    config: &TelemetryConfig,
    writer: W,
    ansi: bool,
) -> Result<TelemetryGuard, TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // Report a bad filter even on repeated calls: it is a configuration mistake.
    build_filter(&config.log_filter)?;
    if tracing::dispatcher::has_been_set() {
        tracing::debug!(
            service = service_name,
            "telemetry already initialised in this process; keeping the first subscriber"
        );
        return Ok(TelemetryGuard::inert());
    }
    let (dispatch, guard) = build(service_name, config, writer, ansi)?;
    if let Some(provider) = &guard.provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
    }
    match tracing::dispatcher::set_global_default(dispatch) {
        Ok(()) => Ok(guard),
        // Lost a race with another initialiser: theirs stays, ours is discarded.
        Err(_) => Ok(TelemetryGuard::inert()),
    }
}

type Base = Layered<EnvFilter, Registry>;
type BoxedLayer = Box<dyn Layer<Base> + Send + Sync + 'static>;

fn build<W>(
    service_name: &'static str,
    config: &TelemetryConfig,
    writer: W,
    ansi: bool,
) -> Result<(Dispatch, TelemetryGuard), TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = build_filter(&config.log_filter)?;
    let mut layers: Vec<BoxedLayer> = Vec::with_capacity(2);
    if config.json {
        layers.push(
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(FlatJson)
                .with_writer(writer)
                .boxed(),
        );
    } else {
        layers.push(
            tracing_subscriber::fmt::layer()
                .with_ansi(ansi)
                .with_writer(writer)
                .boxed(),
        );
    }

    let mut guard = TelemetryGuard::inert();
    if let Some(endpoint) = config
        .otlp_endpoint
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let provider = tracer_provider(service_name, endpoint)?;
        let tracer = provider.tracer(service_name);
        layers.push(tracing_opentelemetry::layer().with_tracer(tracer).boxed());
        guard.provider = Some(provider);
    }

    let subscriber = tracing_subscriber::registry().with(filter).with(layers);
    Ok((Dispatch::new(subscriber), guard))
}

/// The configured directives, plus `hotline::event=info` unless the directives mention
/// that target themselves (see [`EVENT_SPAN_TARGET`]). Never reads `RUST_LOG`.
fn build_filter(directives: &str) -> Result<EnvFilter, TelemetryError> {
    let mut filter = EnvFilter::builder().parse(directives)?;
    if !directives.contains(EVENT_SPAN_TARGET) {
        filter = filter.add_directive(format!("{EVENT_SPAN_TARGET}=info").parse()?);
    }
    Ok(filter)
}

fn tracer_provider(
    service_name: &'static str,
    endpoint: &str,
) -> Result<SdkTracerProvider, TelemetryError> {
    let url = traces_url(endpoint);
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url.clone())
        .build()
        .map_err(|source| TelemetryError::OtlpExporter {
            endpoint: url,
            source,
        })?;
    let resource = Resource::builder().with_service_name(service_name).build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

fn traces_url(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with(OTLP_TRACES_PATH) {
        base.to_owned()
    } else {
        format!("{base}{OTLP_TRACES_PATH}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_log_info_as_json_without_export() {
        let config = TelemetryConfig::default();
        assert_eq!(config.log_filter, "info");
        assert!(config.json);
        assert!(config.otlp_endpoint.is_none());
    }

    #[test]
    fn otlp_base_endpoint_gets_the_traces_path_once() {
        assert_eq!(
            traces_url("http://collector:4318"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318/v1/traces"),
            "http://collector:4318/v1/traces"
        );
    }

    #[test]
    fn an_invalid_filter_is_reported() {
        let config = TelemetryConfig {
            log_filter: "info,foo=notalevel".to_owned(),
            ..TelemetryConfig::default()
        };
        let result = build_dispatch("svc", &config, std::io::sink);
        assert!(matches!(result, Err(TelemetryError::InvalidFilter(_))));
    }
}
