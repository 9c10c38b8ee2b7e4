//! The axum application: routes, OpenAPI document, fallbacks and protective layers.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router, middleware};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;

use crate::analytics;
use crate::auth;
use crate::category;
use crate::config::GatewaySection;
use crate::console;
use crate::directory;
use crate::hotspots;
use crate::knowledge;
use crate::problem::Problem;
use crate::rate_limit::{self, Guard, Limiter, Rate};
use crate::review_desk;
use crate::routes::{self, AppState};
use crate::unit_desk;

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "12345 政务服务便民热线 API",
        description = "Guizhou 12345 government-service hotline: submit requests, follow their progress, and (for handling units) sign for orders and submit results."
    ),
    paths(
        routes::register_order,
        routes::progress,
        routes::sign,
        routes::submit_result,
        routes::record_satisfaction,
        routes::flag_harassment,
        routes::repeat_candidates,
        routes::calendar_due,
        routes::calendar_year,
        knowledge::search,
        knowledge::article,
        knowledge::article_version,
        knowledge::history,
        knowledge::diff,
        knowledge::draft_article,
        knowledge::draft_version,
        knowledge::submit,
        knowledge::review,
        knowledge::publish,
        knowledge::unpublish,
        knowledge::feedback,
        knowledge::suggest,
        knowledge::import,
        knowledge::export,
        knowledge::synonyms,
        knowledge::set_synonyms,
        knowledge::reindex
    ),
    components(schemas(
        Problem,
        routes::SignRequest,
        routes::ResultRequest,
        routes::SatisfactionRequest,
        routes::HarassmentRequest,
        knowledge::EditorRequest,
        knowledge::DraftRequest,
        knowledge::ReviewRequest,
        knowledge::UnpublishRequest,
        knowledge::FeedbackRequest
    )),
    tags(
        (name = "orders", description = "工单：受理、进度查询与回访"),
        (name = "units", description = "承办单位：签收与反馈"),
        (name = "agents", description = "话务员"),
        (name = "calendar", description = "工作日历与办理时限（公开）"),
        (name = "knowledge", description = "知识库：检索与阅读（公开）"),
        (name = "knowledge-editors", description = "知识库：起草、审核、发布与维护")
    )
)]
pub struct ApiDoc;

/// Build the application with the settings of `[gateway]`.
pub fn app(state: AppState, config: &GatewaySection) -> Router {
    let trusted: Arc<[IpAddr]> = config.trusted_proxies.clone().into();
    let guard = |route: &'static str, per_minute: u32, burst: u32| {
        Limiter::new(Rate { per_minute, burst }, config.rate_limit_clients).map(|limiter| Guard {
            route,
            limiter: Arc::new(limiter),
            trusted_proxies: trusted.clone(),
        })
    };
    // A3: anyone may write in; per-client limits keep one client from crowding out the
    // rest. A11: the progress query is keyed by a 6-digit code, so it is limited too.
    // The console's public forms share the limits (and the buckets) of their API routes.
    let submit_guard = guard("submit", config.submit_per_minute, config.submit_burst);
    let query_guard = guard("query", config.query_per_minute, config.query_burst);
    let login_guard = guard("login", config.login_per_minute, config.login_burst);
    let submit = limited(post(routes::register_order), submit_guard.clone());
    let query = limited(get(routes::progress), query_guard.clone());
    let login = limited(post(auth::api::login), login_guard.clone());
    let pages = console::routes(
        limited(post(console::public::submit_message), submit_guard),
        limited(get(console::public::track), query_guard),
        limited(post(console::staff::login), login_guard),
    );
    let access = auth::guard::AuthState {
        pool: state.pool.clone(),
        tokens: state.auth.tokens.clone(),
        max_body_bytes: config.max_body_bytes,
    };
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/orders", submit)
        .route("/api/v1/orders/{number}", query)
        .route("/api/v1/orders/{number}/sign", post(routes::sign))
        .route(
            "/api/v1/orders/{number}/result",
            post(routes::submit_result),
        )
        .route(
            "/api/v1/orders/{number}/satisfaction",
            post(routes::record_satisfaction),
        )
        .route(
            "/api/v1/orders/{number}/harassment-flags",
            post(routes::flag_harassment),
        )
        .route("/api/v1/repeat-candidates", post(routes::repeat_candidates))
        // Public, read-only: the calendar every deadline is counted on (A15).
        .route("/api/v1/calendar/due", get(routes::calendar_due))
        .route("/api/v1/calendar/{year}", get(routes::calendar_year))
        // The router's desks (issue 5): disputes, co-handling, requests, consultation.
        .merge(unit_desk::routes())
        // Supervision's desks (issue 7): send-back on two people's word, cases.
        .merge(review_desk::routes())
        // Accounts and sessions (issue 10); login is rate-limited per client.
        .merge(auth::api::routes(login))
        // A17.4: the hot-spot reports (published).
        .merge(hotspots::routes())
        // The router's directory (issue 5): units, catalogue, rules.
        .merge(directory::routes())
        // A15: the time-limit policies (read; the administrator writes new versions).
        .merge(crate::policies::routes())
        // A17: the clocks about to run out (the supervision board's near-due list).
        .merge(crate::near_due::routes())
        // Analytics' KPI report (issue 9).
        .merge(analytics::routes())
        .merge(crate::bulletins::routes())
        .merge(knowledge_routes(config))
        // A12: category suggestion for the dispatcher.
        .merge(category::routes())
        // A8: joint handling with a partner hotline (emergency bridge).
        .merge(crate::joint_handling::routes())
        // Issue 10: the Open311 GeoReport v2 facade (docs/open311.md).
        .merge(crate::open311::routes(config))
        // The browser (issue 10): public pages and the staff console, HTML.
        .merge(pages)
        // Every matched route passes the access guard (declared in auth::endpoints).
        .route_layer(middleware::from_fn_with_state(access, auth::guard::enforce))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("referrer-policy", "no-referrer"))
        .layer(header(
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .layer(header("cache-control", "no-store"))
        .with_state(state)
}

/// The knowledge base (A22): public reading and search, agents' suggestions, editors'
/// workflow. Bulk import takes bodies up to `knowledge_import_max_bytes`.
fn knowledge_routes(config: &GatewaySection) -> Router<AppState> {
    Router::new()
        .route("/api/v1/knowledge/search", get(knowledge::search))
        .route("/api/v1/knowledge/suggest", post(knowledge::suggest))
        .route("/api/v1/knowledge/articles", post(knowledge::draft_article))
        .route("/api/v1/knowledge/articles/{id}", get(knowledge::article))
        .route(
            "/api/v1/knowledge/articles/{id}/history",
            get(knowledge::history),
        )
        .route("/api/v1/knowledge/articles/{id}/diff", get(knowledge::diff))
        .route(
            "/api/v1/knowledge/articles/{id}/unpublish",
            post(knowledge::unpublish),
        )
        .route(
            "/api/v1/knowledge/articles/{id}/versions",
            post(knowledge::draft_version),
        )
        .route(
            "/api/v1/knowledge/articles/{id}/versions/{n}",
            get(knowledge::article_version),
        )
        .route(
            "/api/v1/knowledge/articles/{id}/versions/{n}/submit",
            post(knowledge::submit),
        )
        .route(
            "/api/v1/knowledge/articles/{id}/versions/{n}/review",
            post(knowledge::review),
        )
        .route(
            "/api/v1/knowledge/articles/{id}/versions/{n}/publish",
            post(knowledge::publish),
        )
        .route(
            "/api/v1/knowledge/articles/{id}/versions/{n}/feedback",
            post(knowledge::feedback),
        )
        .route(
            "/api/v1/knowledge/import",
            post(knowledge::import).layer(DefaultBodyLimit::max(config.knowledge_import_max_bytes)),
        )
        .route("/api/v1/knowledge/export", get(knowledge::export))
        .route(
            "/api/v1/knowledge/synonyms",
            get(knowledge::synonyms).put(knowledge::set_synonyms),
        )
        .route("/api/v1/knowledge/reindex", post(knowledge::reindex))
}

/// `route` behind the rate limit `guard`, if that limit is on.
fn limited(route: MethodRouter<AppState>, guard: Option<Guard>) -> MethodRouter<AppState> {
    match guard {
        Some(guard) => route.layer(middleware::from_fn_with_state(guard, rate_limit::enforce)),
        None => route,
    }
}

fn header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.merge(unit_desk::UnitDeskDoc::openapi());
    doc.merge(review_desk::ReviewDeskDoc::openapi());
    doc.merge(hotspots::HotspotsDoc::openapi());
    doc.merge(directory::DirectoryDoc::openapi());
    doc.merge(crate::policies::PoliciesDoc::openapi());
    doc.merge(crate::near_due::NearDueDoc::openapi());
    doc.merge(analytics::AnalyticsDoc::openapi());
    doc.merge(crate::bulletins::BulletinsDoc::openapi());
    doc.merge(category::CategoryDoc::openapi());
    doc.merge(auth::api::AccountsDoc::openapi());
    doc.merge(crate::joint_handling::JointHandlingDoc::openapi());
    doc.merge(crate::open311::Open311Doc::openapi());
    Json(doc)
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "未找到", "没有这个接口")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "不支持的请求方法",
        "该接口不支持此请求方法",
    )
}
