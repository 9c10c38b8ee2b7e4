//! The axum application: routes, OpenAPI document, fallbacks and protective layers.

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;

use crate::problem::Problem;
use crate::routes::{self, AppState};

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "12345 政务服务便民热线 API",
        description = "Guizhou 12345 government-service hotline: submit requests, follow their progress, and (for handling units) sign for orders and submit results."
    ),
    paths(routes::register_order, routes::progress, routes::sign, routes::submit_result),
    components(schemas(Problem, routes::SignRequest, routes::ResultRequest)),
    tags(
        (name = "orders", description = "工单：受理与进度查询"),
        (name = "units", description = "承办单位：签收与反馈")
    )
)]
pub struct ApiDoc;

/// Build the application.
pub fn app(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/orders", post(routes::register_order))
        .route("/api/v1/orders/{number}", get(routes::progress))
        .route("/api/v1/orders/{number}/sign", post(routes::sign))
        .route(
            "/api/v1/orders/{number}/result",
            post(routes::submit_result),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
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

fn header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
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
