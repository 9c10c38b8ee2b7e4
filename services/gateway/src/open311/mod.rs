//! The Open311 GeoReport v2 facade (issue 10): existing 311 clients and civic apps list
//! our services, submit requests and follow them (docs/open311.md).
//!
//! - `GET /open311/v2/services.json`: the dispatch catalogue (A9, A12) as services.
//! - `POST /open311/v2/requests.json` (form-urlencoded or JSON): a web message (A3)
//!   registered through intake like `POST /api/v1/orders`; the answer carries the order
//!   number as `service_request_id` and, as an extension, the `check_code`.
//! - `GET /open311/v2/requests/{id}.json`: A11/A21: with the id alone only non-personal
//!   fields (status, service, dates, a generic note); with `check_code` also the unit's
//!   reply once closed, as the public progress query shows it. The matter, the requester
//!   and the place are never returned.
//!
//! Only JSON is served; errors are Open311 error arrays. Submitting and reading are behind
//! the same per-client limits as `/api/v1/orders` (A3, A11).

mod error;
mod mapping;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Json, Router, middleware};
use hotline_contract::directory::{Catalogue, CatalogueQuery};
use hotline_contract::rpc::{
    self, ProgressQuery, ProgressView, PublicStatus, PublicStatusQuery, PublicStatuses,
    RegisterOrder, RegistrationReceipt, RpcReply,
};
use hotline_reference::Regions;
use hotline_telemetry::{TRACEPARENT, TraceContext};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::config::GatewaySection;
use crate::rate_limit::{self, Guard, Limiter, Rate};
use crate::routes::{AppState, call, trace_of};

pub use error::{ErrorEntry, Open311Error};
pub use mapping::{Created, Service, ServiceDefinition, ServiceRequest};

/// The facade's part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(discovery, services, service_definition, create_request, list_requests, request),
    components(schemas(ErrorEntry, Service, ServiceDefinition, Created, ServiceRequest)),
    tags((name = "open311", description = "Open311 GeoReport v2 接口（公开，仅 JSON）"))
)]
pub struct Open311Doc;

/// What the handlers need beyond [`AppState`].
#[derive(Debug, Clone)]
pub struct Settings {
    jurisdiction: Arc<str>,
    regions: Option<Arc<Regions>>,
}

/// The facade's routes, with the limits of `[gateway]` (`submit_*` for posting, `query_*`
/// for reading requests) and its one jurisdiction.
pub fn routes(config: &GatewaySection) -> Router<AppState> {
    let guard = |route: &'static str, per_minute: u32, burst: u32| {
        Limiter::new(Rate { per_minute, burst }, config.rate_limit_clients).map(|limiter| Guard {
            route,
            limiter: Arc::new(limiter),
            trusted_proxies: config.trusted_proxies.clone().into(),
        })
    };
    let submit = guard(
        "open311_submit",
        config.submit_per_minute,
        config.submit_burst,
    );
    let query = guard("open311_query", config.query_per_minute, config.query_burst);
    // Without the bundled divisions (a packaging fault) no county is read from an
    // address; `region_code` still works.
    let regions = Regions::bundled()
        .map_err(|error| tracing::error!(?error, "bundled divisions unreadable"))
        .ok()
        .map(Arc::new);
    let settings = Settings {
        jurisdiction: config.open311_jurisdiction.as_str().into(),
        regions,
    };
    let requests =
        limited(get(list_requests), query.clone()).merge(limited(post(create_request), submit));
    Router::new()
        .route("/open311/discovery.json", get(discovery))
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/services.xml", get(xml))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests.json", requests)
        .route("/open311/v2/requests.xml", get(xml).post(xml))
        .route("/open311/v2/requests/{file}", limited(get(request), query))
        .layer(Extension(settings))
}

fn limited(route: MethodRouter<AppState>, guard: Option<Guard>) -> MethodRouter<AppState> {
    match guard {
        Some(guard) => route.layer(middleware::from_fn_with_state(guard, rate_limit::enforce)),
        None => route,
    }
}

/// The common query parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommonParams {
    /// Our one jurisdiction (`guizhou.12345.gov.cn` by default); optional.
    pub jurisdiction_id: Option<String>,
    /// Extension: the check code of the order, to read its reply once closed.
    pub check_code: Option<String>,
    /// Comma-separated request ids (`GET requests.json`), at most 50.
    pub service_request_id: Option<String>,
    /// Not supported (GET requests.json needs service_request_id).
    pub service_code: Option<String>,
    /// Not supported.
    pub start_date: Option<String>,
    /// Not supported.
    pub end_date: Option<String>,
    /// Not supported.
    pub status: Option<String>,
}

type Reply<T> = Result<Json<T>, Open311Error>;

fn params(
    params: Result<Query<CommonParams>, QueryRejection>,
) -> Result<CommonParams, Open311Error> {
    params
        .map(|Query(p)| p)
        .map_err(|_| Open311Error::bad("query", "查询字符串无法解析"))
}

/// Refuses any jurisdiction but ours (404, as GeoReport v2 names it).
fn check_jurisdiction(settings: &Settings, given: Option<&str>) -> Result<(), Open311Error> {
    match given.map(str::trim).filter(|j| !j.is_empty()) {
        Some(j) if j != &*settings.jurisdiction => Err(Open311Error::new(
            StatusCode::NOT_FOUND,
            format!(
                "jurisdiction_id：未知的辖区 {j}，本接口只受理 {}",
                settings.jurisdiction
            ),
        )),
        _ => Ok(()),
    }
}

/// The id and format of `{id}.json`; a bare id is read as JSON.
fn split_format(file: &str) -> Result<&str, Open311Error> {
    match file.rsplit_once('.') {
        None => Ok(file),
        Some((id, "json")) => Ok(id),
        Some(_) => Err(Open311Error::json_only()),
    }
}

async fn xml() -> Open311Error {
    Open311Error::json_only()
}

/// Service discovery (Open311): where the GeoReport v2 endpoint is and what it serves.
#[utoipa::path(
    get,
    path = "/open311/discovery.json",
    responses((status = 200, description = "服务发现文档", body = serde_json::Value)),
    tag = "open311"
)]
pub async fn discovery(
    Extension(settings): Extension<Settings>,
    headers: HeaderMap,
) -> Json<serde_json::Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .unwrap_or("localhost");
    Json(serde_json::json!({
        "changeset": "2026-11-28T00:00:00+08:00",
        "contact": "贵州省12345政务服务便民热线 12345",
        "key_service": "无需 api_key",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("http://{host}/open311/v2"),
            "changeset": "2026-11-28T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json"],
        }],
        "jurisdiction_id": &*settings.jurisdiction,
    }))
}

/// The catalogue, or an Open311 error.
async fn catalogue(state: &AppState, trace: &TraceContext) -> Result<Catalogue, Open311Error> {
    call(
        state,
        rpc::verbs::ROUTER_CATALOGUE,
        &CatalogueQuery {},
        trace,
    )
    .await
    .map_err(Open311Error::from)
}

/// The services one may request: the dispatch catalogue's categories.
#[utoipa::path(
    get,
    path = "/open311/v2/services.json",
    params(("jurisdiction_id" = Option<String>, Query, description = "辖区，可省略")),
    responses(
        (status = 200, description = "服务列表（派单目录的类别）", body = Vec<Service>),
        (status = 404, description = "未知的辖区", body = Vec<ErrorEntry>),
    ),
    tag = "open311"
)]
pub async fn services(
    State(state): State<AppState>,
    Extension(settings): Extension<Settings>,
    headers: HeaderMap,
    query: Result<Query<CommonParams>, QueryRejection>,
) -> Reply<Vec<Service>> {
    let query = params(query)?;
    check_jurisdiction(&settings, query.jurisdiction_id.as_deref())?;
    let catalogue = catalogue(&state, &trace_of(&headers)).await?;
    Ok(Json(
        catalogue.entries.iter().map(mapping::service_of).collect(),
    ))
}

/// A service's definition: we ask no extra attributes.
#[utoipa::path(
    get,
    path = "/open311/v2/services/{service_code}.json",
    params(("service_code" = String, Path, description = "服务代码（类别代码）")),
    responses(
        (status = 200, description = "服务定义（无附加属性）", body = ServiceDefinition),
        (status = 404, description = "没有这个服务", body = Vec<ErrorEntry>),
    ),
    tag = "open311"
)]
pub async fn service_definition(
    State(state): State<AppState>,
    Extension(settings): Extension<Settings>,
    headers: HeaderMap,
    Path(file): Path<String>,
    query: Result<Query<CommonParams>, QueryRejection>,
) -> Reply<ServiceDefinition> {
    let code = split_format(&file)?;
    let query = params(query)?;
    check_jurisdiction(&settings, query.jurisdiction_id.as_deref())?;
    let catalogue = catalogue(&state, &trace_of(&headers)).await?;
    if !catalogue.entries.iter().any(|e| e.category == code) {
        return Err(unknown_service(code));
    }
    Ok(Json(ServiceDefinition {
        service_code: code.to_owned(),
        attributes: Vec::new(),
    }))
}

fn unknown_service(code: &str) -> Open311Error {
    Open311Error::new(
        StatusCode::NOT_FOUND,
        format!("service_code：服务目录中没有 {code}，可用的服务见 services.json"),
    )
}

/// The posted fields: form-urlencoded (GeoReport v2) or a JSON object; the query string's
/// fields count too (some clients put `api_key` and `jurisdiction_id` there), the body's
/// win.
fn fields_of(
    headers: &HeaderMap,
    uri_query: Option<&str>,
    body: &[u8],
) -> Result<mapping::Fields, Open311Error> {
    let mut fields: mapping::Fields = match uri_query {
        Some(q) => serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .map_err(|_| Open311Error::bad("query", "查询字符串无法解析"))?
            .into_iter()
            .collect(),
        None => BTreeMap::new(),
    };
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if json {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
            .map_err(|_| Open311Error::bad("body", "请求体须为 JSON 对象"))?;
        for (name, value) in object {
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => return Err(Open311Error::bad(&name, "字段值须为文字或数字")),
            };
            fields.insert(name, text);
        }
    } else {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
            Open311Error::bad(
                "body",
                "请求体须为 application/x-www-form-urlencoded 或 JSON",
            )
        })?;
        fields.extend(pairs);
    }
    Ok(fields)
}

/// Submit a service request: registered as a web message (A3, A11).
#[utoipa::path(
    post,
    path = "/open311/v2/requests.json",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "service_code；lat 和 long 或 address_string；description；phone；可选 first_name、last_name、media_url、jurisdiction_id，扩展字段 region_code、kind（见 docs/open311.md）"),
    responses(
        (status = 201, description = "已受理：service_request_id 为工单编号，check_code 为查询码", body = Vec<Created>),
        (status = 400, description = "缺少或无效的字段（每项写明字段名）", body = Vec<ErrorEntry>),
        (status = 404, description = "未知的辖区或服务代码", body = Vec<ErrorEntry>),
        (status = 429, description = "提交过于频繁（见 Retry-After）"),
        (status = 503, description = "暂时无法受理", body = Vec<ErrorEntry>),
    ),
    tag = "open311"
)]
pub async fn create_request(
    State(state): State<AppState>,
    Extension(settings): Extension<Settings>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Vec<Created>>), Open311Error> {
    let body = body
        .map_err(|rejection| Open311Error::new(rejection.status(), "body：请求体无法读取或过大"))?;
    let fields = fields_of(&headers, uri.query(), &body)?;
    check_jurisdiction(&settings, fields.get("jurisdiction_id").map(String::as_str))?;
    let order = mapping::register_order_of(&fields, settings.regions.as_deref())?;
    let trace = trace_of(&headers);
    let code = order.category.clone().unwrap_or_default();
    let catalogue = catalogue(&state, &trace).await?;
    if !catalogue.entries.iter().any(|e| e.category == code) {
        return Err(unknown_service(&code));
    }
    let receipt = register(&state, &trace, &order).await?;
    tracing::info!(order_id = %receipt.order_id, number = %receipt.number, "open311 request accepted");
    let created = Created {
        service_notice: mapping::notice_of(&receipt.number, receipt.notice.as_deref()),
        service_request_id: receipt.number,
        account_id: None,
        token: None,
        check_code: receipt.check_code,
    };
    Ok((StatusCode::CREATED, Json(vec![created])))
}

/// Registration goes to intake over its internal HTTP API, as `POST /api/v1/orders` does,
/// so it is accepted even while the bus is down.
async fn register(
    state: &AppState,
    trace: &TraceContext,
    order: &RegisterOrder,
) -> Result<RegistrationReceipt, Open311Error> {
    let url = format!(
        "{}/internal/v1/orders",
        state.intake_url.trim_end_matches('/')
    );
    let response = state
        .http
        .post(url)
        .header(TRACEPARENT, trace.child().to_string())
        .json(order)
        .timeout(state.timeout)
        .send()
        .await
        .map_err(|error| {
            tracing::warn!(%error, "intake unreachable");
            Open311Error::unavailable()
        })?;
    match response.json::<RpcReply<RegistrationReceipt>>().await {
        Ok(RpcReply::Ok(receipt)) => Ok(receipt),
        Ok(RpcReply::Error(e)) => Err(e.into()),
        Err(error) => {
            tracing::error!(%error, "intake reply could not be decoded");
            Err(Open311Error::unavailable())
        }
    }
}

/// The public status of these orders (found ones only, in the order asked).
async fn statuses(
    state: &AppState,
    trace: &TraceContext,
    numbers: Vec<String>,
) -> Result<Vec<PublicStatus>, Open311Error> {
    let reply: PublicStatuses = call(
        state,
        rpc::verbs::INTAKE_PUBLIC_STATUS,
        &PublicStatusQuery { numbers },
        trace,
    )
    .await?;
    Ok(reply.orders)
}

/// Service names by code, from the catalogue; empty when it cannot be read (the names are
/// a courtesy, the status is what was asked).
async fn names(state: &AppState, trace: &TraceContext) -> BTreeMap<String, String> {
    match catalogue(state, trace).await {
        Ok(c) => c
            .entries
            .into_iter()
            .map(|e| (e.category, e.name))
            .collect(),
        Err(_) => BTreeMap::new(),
    }
}

/// The status label, and a transferred order's partner outcome (issue 8, A10.1).
fn generic_notes(status: &PublicStatus) -> String {
    let label = status.status.label_zh();
    match &status.transfer_note {
        Some(note) => format!("{label}：{note}"),
        None => label.to_owned(),
    }
}

/// Several requests by id. Only the `service_request_id` lookup is supported: listing by
/// service, date or status would publish every order's existence.
#[utoipa::path(
    get,
    path = "/open311/v2/requests.json",
    params(CommonParams),
    responses(
        (status = 200, description = "按编号查到的工单（不含个人信息）", body = Vec<ServiceRequest>),
        (status = 400, description = "缺少 service_request_id，或编号过多", body = Vec<ErrorEntry>),
        (status = 429, description = "查询过于频繁（见 Retry-After）"),
    ),
    tag = "open311"
)]
pub async fn list_requests(
    State(state): State<AppState>,
    Extension(settings): Extension<Settings>,
    headers: HeaderMap,
    query: Result<Query<CommonParams>, QueryRejection>,
) -> Reply<Vec<ServiceRequest>> {
    let query = params(query)?;
    check_jurisdiction(&settings, query.jurisdiction_id.as_deref())?;
    let mut numbers: Vec<String> = query
        .service_request_id
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    numbers.dedup();
    if numbers.is_empty() {
        return Err(Open311Error::bad(
            "service_request_id",
            "本接口只支持按工单编号查询（以逗号分隔），不支持按服务、日期或状态列出",
        ));
    }
    if numbers.len() > PublicStatusQuery::MAX_NUMBERS {
        return Err(Open311Error::bad(
            "service_request_id",
            &format!("一次最多查询 {} 个编号", PublicStatusQuery::MAX_NUMBERS),
        ));
    }
    let trace = trace_of(&headers);
    let found = statuses(&state, &trace, numbers).await?;
    let names = names(&state, &trace).await;
    Ok(Json(
        found
            .iter()
            .map(|s| {
                let name = s.category.as_ref().and_then(|c| names.get(c)).cloned();
                mapping::request_of(s, name, generic_notes(s))
            })
            .collect(),
    ))
}

/// One request by id: its status without personal data; with the `check_code` extension
/// also the unit's reply once closed (A11).
#[utoipa::path(
    get,
    path = "/open311/v2/requests/{service_request_id}.json",
    params(
        ("service_request_id" = String, Path, description = "工单编号"),
        ("check_code" = Option<String>, Query, description = "扩展：查询码；给出时办结后的答复写在 status_notes"),
        ("jurisdiction_id" = Option<String>, Query, description = "辖区，可省略"),
    ),
    responses(
        (status = 200, description = "工单状态（单元素数组，不含个人信息和诉求内容）", body = Vec<ServiceRequest>),
        (status = 404, description = "未找到（编号或查询码不符）", body = Vec<ErrorEntry>),
        (status = 429, description = "查询过于频繁（见 Retry-After）"),
    ),
    tag = "open311"
)]
pub async fn request(
    State(state): State<AppState>,
    Extension(settings): Extension<Settings>,
    headers: HeaderMap,
    Path(file): Path<String>,
    query: Result<Query<CommonParams>, QueryRejection>,
) -> Reply<Vec<ServiceRequest>> {
    let number = split_format(&file)?.trim().to_owned();
    let query = params(query)?;
    check_jurisdiction(&settings, query.jurisdiction_id.as_deref())?;
    let not_found = || {
        Open311Error::new(
            StatusCode::NOT_FOUND,
            "service_request_id：未找到该工单，请核对工单编号（和查询码）",
        )
    };
    if number.is_empty() || number.len() > 32 {
        return Err(not_found());
    }
    let trace = trace_of(&headers);
    let check_code = query.check_code.filter(|c| !c.trim().is_empty());
    // With the check code the caller proves the order is theirs: the progress query
    // answers (or refuses, 404, without saying which of number and code was wrong).
    let progress: Option<ProgressView> = match check_code {
        Some(check_code) => Some(
            call(
                &state,
                rpc::verbs::INTAKE_PROGRESS,
                &ProgressQuery {
                    number: number.clone(),
                    check_code,
                },
                &trace,
            )
            .await
            .map_err(|e| match Open311Error::from(e) {
                e if e.status == StatusCode::NOT_FOUND => not_found(),
                e => e,
            })?,
        ),
        None => None,
    };
    let found = statuses(&state, &trace, vec![number]).await?;
    let status = found.first().ok_or_else(not_found)?;
    let notes = progress
        .and_then(|p| p.reply)
        .unwrap_or_else(|| generic_notes(status));
    let name = match &status.category {
        Some(code) => names(&state, &trace).await.remove(code),
        None => None,
    };
    Ok(Json(vec![mapping::request_of(status, name, notes)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_contract::vocabulary::OrderStatus;

    #[test]
    fn a_transfer_outcome_follows_the_status_label_in_the_notes() {
        let at = chrono::Utc::now();
        let mut status = PublicStatus {
            number: "5201022612010001".to_owned(),
            status: OrderStatus::TransferRequested,
            category: None,
            requested_at: at,
            updated_at: at,
            expected_completion_at: None,
            transfer_note: Some("已转 110 并被受理".to_owned()),
        };
        let label = OrderStatus::TransferRequested.label_zh();
        assert_eq!(
            generic_notes(&status),
            format!("{label}：已转 110 并被受理")
        );
        status.transfer_note = None;
        assert_eq!(generic_notes(&status), label);
    }
}
