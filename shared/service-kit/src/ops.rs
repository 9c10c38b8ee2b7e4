//! The ops HTTP port every service exposes: `/healthz`, `/readyz`, `/metrics`.
//!
//! * `/healthz` answers `200 ok` while the process serves HTTP at all (liveness: restart
//!   me only if I am wedged).
//! * `/readyz` answers `200` only when the NATS connection is up, Postgres answers
//!   `SELECT 1` within 2 s, and every extra check passes; otherwise `503` (readiness: do
//!   not count on me now). The JSON body names each check and why it failed, so an
//!   operator can read it straight from `kubectl`; full errors go to the logs.
//!   A service may also post *warnings* ([`ReadinessWarnings`]): conditions an operator must
//!   act on soon but that do not stop the service from working now (e.g. next year's
//!   holiday schedule not loaded in December). They are listed under `warnings` in the body
//!   and never turn `/readyz` to 503, so a warning cannot take every replica out of service.
//! * `/metrics` renders the process-wide Prometheus recorder.
//!
//! It is a separate listener from any public API so it can stay on the cluster network.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long `/readyz` waits for `SELECT 1`.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// Content type of the Prometheus text exposition format.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// An extra readiness condition: `Ok(())` when fine, `Err(reason)` otherwise. It runs on
/// every `/readyz` request, so it must be cheap and must not block.
pub type ReadinessCheck = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// Non-fatal readiness details a service posts while it runs, shown by `/readyz` under
/// `warnings` (name → message) without making the service unready.
///
/// A cheap shared handle: clones post to the same set, so a background task can keep its
/// own clone and set or clear its warning whenever its condition changes.
#[derive(Clone, Debug, Default)]
pub struct ReadinessWarnings(Arc<RwLock<BTreeMap<String, String>>>);

impl ReadinessWarnings {
    /// Post (or replace) the warning called `name`.
    pub fn set(&self, name: impl Into<String>, message: impl Into<String>) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.into(), message.into());
    }

    /// Withdraw the warning called `name`, if posted.
    pub fn clear(&self, name: &str) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
    }

    /// The warnings posted now.
    pub fn current(&self) -> BTreeMap<String, String> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What `/readyz` checks.
#[derive(Clone)]
pub struct Readiness {
    nats: Option<async_nats::Client>,
    db: Option<PgPool>,
    checks: Vec<(String, ReadinessCheck)>,
    warnings: ReadinessWarnings,
}

/// The outcome of one readiness evaluation, as served by `/readyz`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReadinessReport {
    /// `"ready"` or `"not_ready"`.
    pub status: &'static str,
    /// Check name → `"ok"` or the reason it failed.
    pub checks: BTreeMap<String, String>,
    /// Warning name → message: things to act on that do not affect `status`. Omitted when
    /// there are none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub warnings: BTreeMap<String, String>,
}

impl ReadinessReport {
    /// Whether every check passed.
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

impl Readiness {
    /// Checks the NATS connection and/or the Postgres pool (either may be absent).
    pub fn new(nats: Option<async_nats::Client>, db: Option<PgPool>) -> Self {
        Self {
            nats,
            db,
            checks: Vec::new(),
            warnings: ReadinessWarnings::default(),
        }
    }

    /// The handle to post non-fatal warnings to this readiness (shared by its clones).
    pub fn warnings(&self) -> ReadinessWarnings {
        self.warnings.clone()
    }

    /// Adds a named extra check (e.g. "calendar loaded for next year").
    #[must_use]
    pub fn with_check(mut self, name: impl Into<String>, check: ReadinessCheck) -> Self {
        self.checks.push((name.into(), check));
        self
    }

    /// Runs every check now.
    pub async fn check(&self) -> ReadinessReport {
        let mut checks = BTreeMap::new();
        if let Some(nats) = &self.nats {
            let state = nats.connection_state();
            let outcome = match state {
                async_nats::connection::State::Connected => Ok(()),
                other => Err(format!("{other:?}").to_lowercase()),
            };
            checks.insert("nats".to_owned(), outcome);
        }
        if let Some(db) = &self.db {
            let query = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(db);
            let outcome = match tokio::time::timeout(DB_CHECK_TIMEOUT, query).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "readiness: PostgreSQL query failed");
                    Err("query failed".to_owned())
                }
                Err(_) => Err(format!("no answer within {DB_CHECK_TIMEOUT:?}")),
            };
            checks.insert("postgres".to_owned(), outcome);
        }
        for (name, check) in &self.checks {
            checks.insert(name.clone(), check());
        }

        let ready = checks.values().all(Result::is_ok);
        ReadinessReport {
            status: if ready { "ready" } else { "not_ready" },
            checks: checks
                .into_iter()
                .map(|(name, outcome)| (name, outcome.err().unwrap_or_else(|| "ok".to_owned())))
                .collect(),
            warnings: self.warnings.current(),
        }
    }
}

impl fmt::Debug for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness")
            .field("nats", &self.nats.is_some())
            .field("postgres", &self.db.is_some())
            .field(
                "checks",
                &self.checks.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .field("warnings", &self.warnings.current())
            .finish()
    }
}

/// A running ops server.
#[derive(Debug)]
pub struct OpsServer {
    /// The bound address (useful with port 0).
    pub local_addr: SocketAddr,
    warnings: ReadinessWarnings,
    task: JoinHandle<std::io::Result<()>>,
}

impl OpsServer {
    /// Where the service posts non-fatal warnings for `/readyz`.
    pub fn warnings(&self) -> ReadinessWarnings {
        self.warnings.clone()
    }

    /// Waits until the server has stopped (after the shutdown token is cancelled).
    pub async fn wait(self) {
        match self.task.await {
            Ok(Ok(())) => tracing::debug!(addr = %self.local_addr, "ops server stopped"),
            Ok(Err(error)) => tracing::error!(addr = %self.local_addr, %error, "ops server failed"),
            Err(error) => {
                tracing::error!(addr = %self.local_addr, %error, "ops server task panicked")
            }
        }
    }
}

/// Binds `listen` and serves `/healthz`, `/readyz` and `/metrics` until `shutdown` is
/// cancelled. Installs the Prometheus recorder if nobody has yet.
pub async fn serve(
    listen: SocketAddr,
    readiness: Readiness,
    shutdown: CancellationToken,
) -> Result<OpsServer, std::io::Error> {
    // Install the recorder before anything is counted, not at the first scrape.
    let _ = hotline_telemetry::metrics_handle();
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local_addr = listener.local_addr()?;
    let warnings = readiness.warnings();
    let app = router(readiness);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    tracing::info!(addr = %local_addr, "ops server listening");
    Ok(OpsServer {
        local_addr,
        warnings,
        task,
    })
}

fn router(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(Arc::new(readiness))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let report = readiness.check().await;
    let status = if report.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report)).into_response()
}

async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)],
        hotline_telemetry::metrics_handle().render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn extra_checks_decide_readiness_and_explain_failures() {
        let ready = Readiness::new(None, None).with_check("calendar", Arc::new(|| Ok(())));
        let report = ready.check().await;
        assert!(report.is_ready());
        assert_eq!(report.checks["calendar"], "ok");

        let not_ready = ready.with_check(
            "relay",
            Arc::new(|| Err("outbox relay not started".to_owned())),
        );
        let report = not_ready.check().await;
        assert!(!report.is_ready());
        assert_eq!(report.status, "not_ready");
        assert_eq!(report.checks["relay"], "outbox relay not started");
        assert_eq!(report.checks["calendar"], "ok");
    }

    #[tokio::test]
    async fn warnings_are_reported_without_making_the_service_unready() {
        let readiness = Readiness::new(None, None).with_check("calendar", Arc::new(|| Ok(())));
        let report = readiness.check().await;
        assert!(report.warnings.is_empty());
        let json = serde_json::to_value(&report).unwrap();
        assert!(
            json.get("warnings").is_none(),
            "no warnings, no key: {json}"
        );

        // A clone of the handle posts to the same readiness.
        let warnings = readiness.clone().warnings();
        warnings.set("calendar", "calendar year 2027 missing");
        let report = readiness.check().await;
        assert!(report.is_ready());
        assert_eq!(report.warnings["calendar"], "calendar year 2027 missing");
        assert_eq!(
            serde_json::to_value(&report).unwrap()["warnings"],
            serde_json::json!({"calendar": "calendar year 2027 missing"})
        );

        warnings.clear("calendar");
        assert!(readiness.check().await.warnings.is_empty());
    }

    #[test]
    fn debug_names_the_checks() {
        let readiness = Readiness::new(None, None).with_check("calendar", Arc::new(|| Ok(())));
        let printed = format!("{readiness:?}");
        assert!(printed.contains("calendar"), "{printed}");
    }
}
