//! Bulletins over HTTP (A18, issue 9): the weekly to yearly bulletins analytics makes on
//! schedule, and on demand. Handlers translate only: `GET /api/v1/bulletins` asks
//! `rpc.analytics.bulletins`, `GET /api/v1/bulletins/{id}?format=html|csv|json` asks
//! `rpc.analytics.bulletin` and serves the stored rendering with its content type,
//! `POST /api/v1/bulletins` asks `rpc.analytics.generate_bulletin`. A bad parameter is a
//! 400 or 422 problem+json naming the field; an unknown bulletin a 404.
//!
//! The HTML is self-contained (inline SVG charts and styles, no script, no external
//! asset), so it is served under a CSP that allows inline styles and nothing else.
//! Bulletins carry units, order numbers and counts, never anything about a requester.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hotline_contract::analytics::{KpiCounts, KpiRow};
use hotline_contract::bulletin::{
    Bulletin, BulletinDocument, BulletinFormat, BulletinHotspot, BulletinList, BulletinQuery,
    BulletinSummary, BulletinTrigger, BulletinsQuery, GenerateBulletin, PeriodKind, RankedUnit,
    SupervisedCase, SupervisionSection, Tier, TieringSource,
};
use hotline_contract::rpc::verbs;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

use crate::problem::Problem;
use crate::routes::{
    AppState, bad_parameters, call, call_problem, param_error, parse_json, query, trace_of,
};

/// The CSP of a bulletin's HTML: inline styles (and the inline SVG they draw), nothing
/// fetched, no script, not framed.
pub const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// The bulletins' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(bulletins, bulletin, generate_bulletin),
    components(schemas(
        BulletinList,
        BulletinSummary,
        Bulletin,
        GenerateBulletin,
        PeriodKind,
        BulletinTrigger,
        BulletinFormat,
        TieringSource,
        Tier,
        RankedUnit,
        SupervisionSection,
        SupervisedCase,
        BulletinHotspot,
        KpiRow,
        KpiCounts
    )),
    tags((name = "bulletins", description = "通报（A18）：周报、月报、季报、年报，含分档排名与图表"))
)]
pub struct BulletinsDoc;

/// The routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/v1/bulletins", get(bulletins).post(generate_bulletin))
        .route("/api/v1/bulletins/{bulletin_id}", get(bulletin))
}

/// `GET /api/v1/bulletins` parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulletinsParams {
    /// week、month、quarter 或 year：只列该类通报
    pub kind: Option<String>,
    /// 条数，1–200，默认50
    pub limit: Option<String>,
}

fn kind_of(text: &str) -> Result<PeriodKind, Problem> {
    PeriodKind::from_code(text).ok_or_else(|| {
        bad_parameters(vec![param_error(
            "kind",
            "invalid_format",
            "kind 只能是 week、month、quarter 或 year",
        )])
    })
}

/// The list request, or the problem with its parameters.
fn list_request(params: BulletinsParams) -> Result<BulletinsQuery, Problem> {
    let kind = params.kind.as_deref().map(kind_of).transpose()?;
    let limit = match params.limit.as_deref() {
        None => None,
        Some(text) => Some(text.parse::<u32>().map_err(|_| {
            bad_parameters(vec![param_error(
                "limit",
                "invalid_format",
                "limit 须为正整数",
            )])
        })?),
    };
    if limit.is_some_and(|n| !(1..=200).contains(&n)) {
        return Err(Problem::invalid(vec![param_error(
            "limit",
            "out_of_range",
            "limit 须在 1 到 200 之间",
        )]));
    }
    Ok(BulletinsQuery { kind, limit })
}

#[utoipa::path(
    get,
    path = "/api/v1/bulletins",
    params(BulletinsParams),
    responses(
        (status = 200, description = "通报列表：统计期间新者在前", body = BulletinList),
        (status = 400, description = "查询参数有误", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "条数超出范围", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "bulletins"
)]
pub async fn bulletins(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<BulletinsParams>, QueryRejection>,
) -> Result<axum::Json<BulletinList>, Problem> {
    let request = list_request(query(params)?)?;
    crate::routes::ask(
        &state,
        verbs::ANALYTICS_BULLETINS,
        &request,
        &trace_of(&headers),
    )
    .await
}

/// `GET /api/v1/bulletins/{id}` parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulletinParams {
    /// html、csv 或 json（默认 json）
    pub format: Option<String>,
}

fn format_of(text: Option<&str>) -> Result<BulletinFormat, Problem> {
    match text {
        None | Some("json") => Ok(BulletinFormat::Json),
        Some("html") => Ok(BulletinFormat::Html),
        Some("csv") => Ok(BulletinFormat::Csv),
        Some(_) => Err(bad_parameters(vec![param_error(
            "format",
            "invalid_format",
            "format 只能是 html、csv 或 json",
        )])),
    }
}

/// The stored rendering as an HTTP response with its content type (and, for HTML, the
/// CSP that lets its inline styles apply; for CSV, a file name).
fn document_response(document: BulletinDocument) -> Response {
    let format = document.format;
    let mut response = document.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    match format {
        BulletinFormat::Html => {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(HTML_CSP),
            );
        }
        BulletinFormat::Csv => {
            if let Ok(value) = HeaderValue::from_str(&format!(
                "attachment; filename=\"bulletin-{}.csv\"",
                document.bulletin_id
            )) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
        }
        BulletinFormat::Json => {}
    }
    response
}

#[utoipa::path(
    get,
    path = "/api/v1/bulletins/{bulletin_id}",
    params(("bulletin_id" = Uuid, Path, description = "通报ID"), BulletinParams),
    responses(
        (status = 200, description = "通报：json 为通报内容；html 为含内联SVG图表的页面（text/html）；csv 为各单位指标（text/csv）", body = Bulletin),
        (status = 400, description = "通报ID或格式无法解析", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "没有这期通报", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "bulletins"
)]
pub async fn bulletin(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<Uuid>, PathRejection>,
    params: Result<Query<BulletinParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Path(bulletin_id) = path.map_err(|_| {
        bad_parameters(vec![param_error(
            "bulletin_id",
            "invalid_format",
            "通报ID应为UUID",
        )])
    })?;
    let format = format_of(query(params)?.format.as_deref())?;
    let document: BulletinDocument = call(
        &state,
        verbs::ANALYTICS_BULLETIN,
        &BulletinQuery {
            bulletin_id,
            format,
        },
        &trace_of(&headers),
    )
    .await
    .map_err(call_problem)?;
    Ok(document_response(document))
}

#[utoipa::path(
    post,
    path = "/api/v1/bulletins",
    request_body = GenerateBulletin,
    responses(
        (status = 201, description = "已生成并发布（同一期间的新一版）", body = BulletinSummary),
        (status = 400, description = "请求体无法解析", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "起始日不是该类期间的首日，或期间尚未开始", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "bulletins"
)]
pub async fn generate_bulletin(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let request: GenerateBulletin = parse_json(body)?;
    let summary: BulletinSummary = call(
        &state,
        verbs::ANALYTICS_GENERATE_BULLETIN,
        &request,
        &trace_of(&headers),
    )
    .await
    .map_err(call_problem)?;
    let mut response = (StatusCode::CREATED, axum::Json(&summary)).into_response();
    if let Ok(location) =
        HeaderValue::from_str(&format!("/api/v1/bulletins/{}", summary.bulletin_id))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(kind: Option<&str>, limit: Option<&str>) -> BulletinsParams {
        BulletinsParams {
            kind: kind.map(str::to_owned),
            limit: limit.map(str::to_owned),
        }
    }

    #[test]
    fn list_parameters_are_checked() {
        assert_eq!(
            list_request(params(Some("month"), Some("10"))).unwrap(),
            BulletinsQuery {
                kind: Some(PeriodKind::Month),
                limit: Some(10),
            }
        );
        let bad_kind = list_request(params(Some("daily"), None)).unwrap_err();
        assert_eq!(
            (bad_kind.status, bad_kind.errors[0].field.as_str()),
            (400, "kind")
        );
        let bad_limit = list_request(params(None, Some("many"))).unwrap_err();
        assert_eq!(
            (bad_limit.status, bad_limit.errors[0].field.as_str()),
            (400, "limit")
        );
        let out_of_range = list_request(params(None, Some("0"))).unwrap_err();
        assert_eq!(
            (out_of_range.status, out_of_range.errors[0].field.as_str()),
            (422, "limit")
        );
    }

    #[test]
    fn formats_are_served_with_their_content_type() {
        assert!(matches!(format_of(None), Ok(BulletinFormat::Json)));
        assert_eq!(format_of(Some("pdf")).unwrap_err().status, 400);
        let id = Uuid::nil();
        let html = document_response(BulletinDocument {
            bulletin_id: id,
            format: format_of(Some("html")).unwrap(),
            body: "<html></html>".to_owned(),
        });
        assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
        assert_eq!(html.headers()["content-security-policy"], HTML_CSP);
        let csv = document_response(BulletinDocument {
            bulletin_id: id,
            format: BulletinFormat::Csv,
            body: "a,b\r\n".to_owned(),
        });
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(
            csv.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".csv")
        );
    }
}
