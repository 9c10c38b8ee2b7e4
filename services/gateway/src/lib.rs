//! Gateway: the HTTP edge of the hotline. Citizens, agents and units call `/api/v1`; the
//! gateway turns each call into a request to the service that owns the data and maps the
//! typed reply to JSON or RFC 9457 problem+json. It holds no business rules.
//!
//! Registration goes to intake over intake's internal HTTP API so that a request is
//! accepted even while NATS is down (see docs/architecture.md); everything else is NATS
//! request/reply (`rpc.<service>.<verb>`). The OpenAPI document is generated from the
//! handlers and served at `/api/openapi.json`.
//!
//! At the edge, before any service is asked: per-client rate limits on submitting and on
//! the progress query ([`rate_limit`]), a body size limit, and JSON decoding that names
//! the field at fault (`hotline_service_kit::json_body`).

pub mod analytics;
pub mod app;
pub mod auth;
pub mod bulletins;
pub mod category;
pub mod config;
pub mod console;
pub mod directory;
pub mod hotspots;
pub mod joint_handling;
pub mod knowledge;
pub mod near_due;
pub mod open311;
pub mod policies;
pub mod problem;
pub mod rate_limit;
pub mod review_desk;
pub mod routes;
pub mod unit_desk;

use std::time::Duration;

use anyhow::Context;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::GatewayConfig;

pub const SERVICE: &str = "gateway";
pub const SCHEMA: &str = "gateway";
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start the gateway; it runs until `shutdown` is cancelled.
pub async fn start(config: GatewayConfig, shutdown: CancellationToken) -> anyhow::Result<Running> {
    let (ctx, ops) = bootstrap::start(
        SERVICE,
        SCHEMA,
        &config.common,
        &[&MIGRATOR],
        shutdown.clone(),
    )
    .await
    .context("bootstrap")?;
    let timeout = Duration::from_millis(config.gateway.request_timeout_ms);
    let state = routes::AppState {
        nats: ctx.nats.clone(),
        namespace: ctx.namespace.clone(),
        http: reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .context("HTTP client")?,
        intake_url: config.gateway.intake_url.clone(),
        timeout,
        pool: ctx.db.clone(),
        auth: auth::AuthSettings {
            session_ttl: chrono::Duration::minutes(config.gateway.session_ttl_minutes.max(1)),
            cookie_secure: config.gateway.cookie_secure,
            tokens: auth::token_cache::TokenCache::new(
                Duration::from_secs(config.gateway.token_cache_secs),
                config.gateway.token_cache_entries,
            ),
        },
    };
    if let Some(password) = &config.gateway.bootstrap_admin_password {
        use secrecy::ExposeSecret;
        let created = auth::store::bootstrap_administrator(
            &ctx.db,
            &config.gateway.bootstrap_admin,
            password.expose_secret(),
        )
        .await
        .context("bootstrap administrator")?;
        if created {
            tracing::info!("first administrator account created from configuration");
        }
    }
    let app = app::app(state, &config.gateway);
    let mut running = Running::for_context(&ctx, ops);
    let (addr, server) =
        hotline_service_kit::http::serve(config.http.listen, app, shutdown.clone())
            .await
            .with_context(|| format!("bind {}", config.http.listen))?;
    running.set_http_addr(addr);
    running.spawn("http", async move {
        let _ = server.await;
    });
    tracing::info!(%addr, "gateway ready");
    Ok(running)
}
