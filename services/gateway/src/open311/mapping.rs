//! Pure translation between GeoReport v2 and our contract: the fields of a posted service
//! request into a web-channel [`RegisterOrder`], the dispatch catalogue into service
//! definitions, an order's public status into a service request. No I/O here.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use hotline_contract::directory::CatalogueEntry;
use hotline_contract::rpc::{PublicStatus, RegisterOrder, RequesterInput};
use hotline_contract::vocabulary::{Channel, OrderStatus, RequestKind, RequesterType};
use hotline_reference::{Level, Regions};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Open311Error;

/// Who answers for every request (`agency_responsible`): the handling unit is not named to
/// anonymous callers.
pub const AGENCY: &str = "贵州省12345政务服务便民热线";

/// The submitted fields, by name (form or JSON alike).
pub type Fields = BTreeMap<String, String>;

/// A service of `GET services.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Always `false`: no extra attributes are asked.
    pub metadata: bool,
    /// Always `realtime`: the number comes back at once.
    #[serde(rename = "type")]
    pub service_type: String,
    pub keywords: String,
    pub group: String,
}

/// A service definition (`GET services/{code}.json`): no attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<serde_json::Value>,
}

/// The answer to `POST requests.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Created {
    pub service_request_id: String,
    pub service_notice: String,
    pub account_id: Option<String>,
    pub token: Option<String>,
    /// Extension: the check code needed, with the id, to read the details.
    pub check_code: String,
}

/// A service request (`GET requests/{id}.json`). Nothing about the requester and not the
/// matter: `description`, `address`, `lat`, `long` and `media_url` are never returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    pub status_notes: String,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    pub agency_responsible: String,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
}

/// A catalogue entry as an Open311 service. The group is the first part of the category
/// code (`labour` of `labour.wages`).
pub fn service_of(entry: &CatalogueEntry) -> Service {
    let group = entry
        .category
        .split_once('.')
        .map_or(entry.category.as_str(), |(group, _)| group);
    Service {
        service_code: entry.category.clone(),
        service_name: entry.name.clone(),
        description: entry.name.clone(),
        metadata: false,
        service_type: "realtime".to_owned(),
        keywords: entry.category.replace(['.', '_'], ","),
        group: group.to_owned(),
    }
}

/// Open311 knows two states: an order is closed once it is finished in any way.
pub fn status_of(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Closed
        | OrderStatus::AnsweredDirectly
        | OrderStatus::Redirected
        | OrderStatus::RepeatLinked => "closed",
        OrderStatus::Registered
        | OrderStatus::TransferRequested
        | OrderStatus::Dispatched
        | OrderStatus::Signed
        | OrderStatus::ResultSubmitted => "open",
    }
}

/// ISO 8601 in Beijing time, as GeoReport v2 asks (offset included).
pub fn datetime(at: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(8 * 3600) {
        Some(beijing) => at
            .with_timezone(&beijing)
            .to_rfc3339_opts(SecondsFormat::Secs, false),
        None => at.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

/// An order's public status as a service request; `notes` is what the caller may read
/// (the generic status label, or with the check code the unit's reply once closed).
pub fn request_of(
    status: &PublicStatus,
    service_name: Option<String>,
    notes: String,
) -> ServiceRequest {
    ServiceRequest {
        service_request_id: status.number.clone(),
        status: status_of(status.status).to_owned(),
        status_notes: notes,
        service_name,
        service_code: status.category.clone(),
        agency_responsible: AGENCY.to_owned(),
        service_notice: None,
        requested_datetime: datetime(status.requested_at),
        updated_datetime: datetime(status.updated_at),
        expected_datetime: status.expected_completion_at.map(datetime),
    }
}

/// Non-empty trimmed value of `name`.
fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A coordinate in range, or why not.
fn coordinate(text: &str, limit: f64) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= limit)
}

/// The county an address names, when exactly one county's (or district's) name occurs in
/// it, e.g. 520102 for "贵阳市南明区花果园".
pub fn county_in(address: &str, regions: &Regions) -> Option<String> {
    let mut found: Vec<&str> = regions
        .at_level(Level::County)
        .into_iter()
        .filter(|county| address.contains(county.name.as_str()))
        .map(|county| county.code.as_str())
        .collect();
    found.dedup();
    match found.as_slice() {
        [one] => Some((*one).to_owned()),
        _ => None,
    }
}

fn kind_of(text: &str) -> Option<RequestKind> {
    match text {
        "consultation" => Some(RequestKind::Consultation),
        "help" => Some(RequestKind::Help),
        "complaint" => Some(RequestKind::Complaint),
        "report" => Some(RequestKind::Report),
        "suggestion" => Some(RequestKind::Suggestion),
        _ => None,
    }
}

/// The posted fields as a web message for intake, or a 400 naming every missing or
/// malformed field. What GeoReport v2 makes optional but our intake needs (A11: the
/// matter, a contact phone, the county) is required here and named when missing.
/// Whether the service code is in the catalogue is checked by the caller (404).
pub fn register_order_of(
    fields: &Fields,
    regions: Option<&Regions>,
) -> Result<RegisterOrder, Open311Error> {
    let mut errors = Vec::new();
    let mut missing = |field: &str, message: &str| errors.push(format!("{field}：{message}"));

    let service_code = field(fields, "service_code");
    if service_code.is_none() {
        missing("service_code", "必须填写服务代码（见 services.json）");
    }

    let lat = field(fields, "lat");
    let long = field(fields, "long");
    let address_string = field(fields, "address_string");
    let mut coordinates = None;
    match (lat, long) {
        (None, None) => {
            if address_string.is_none() {
                missing(
                    "lat/long, address_string",
                    "必须提供位置：经纬度 lat 和 long，或地址 address_string",
                );
            }
        }
        (Some(_), None) => missing("long", "提供了纬度 lat 时必须同时提供经度 long"),
        (None, Some(_)) => missing("lat", "提供了经度 long 时必须同时提供纬度 lat"),
        (Some(lat), Some(long)) => match (coordinate(lat, 90.0), coordinate(long, 180.0)) {
            (Some(lat), Some(long)) => coordinates = Some((lat, long)),
            (lat_ok, _) => {
                if lat_ok.is_none() {
                    missing("lat", "纬度须为 -90 至 90 之间的数字");
                } else {
                    missing("long", "经度须为 -180 至 180 之间的数字");
                }
            }
        },
    }

    let description = field(fields, "description");
    if description.is_none() {
        missing("description", "必须填写诉求内容（本热线受理时必填）");
    }
    let phone = field(fields, "phone");
    if phone.is_none() {
        missing(
            "phone",
            "必须填写联系电话（本热线受理时必填，仅用于回访，不会公开）",
        );
    }

    let region_code = match field(fields, "region_code") {
        Some(code) => Some(code.to_owned()),
        None => address_string
            .zip(regions)
            .and_then(|(a, r)| county_in(a, r)),
    };
    if region_code.is_none() {
        missing(
            "region_code",
            "无法确定诉求所在县（市、区）：请提供6位区划代码 region_code，或在 address_string 中写明县（市、区）名称",
        );
    }

    let kind = match field(fields, "kind") {
        None => Some(RequestKind::Help),
        Some(text) => kind_of(text).or_else(|| {
            missing(
                "kind",
                "诉求类型只能是 consultation、help、complaint、report 或 suggestion",
            );
            None
        }),
    };

    let (Some(service_code), Some(description), Some(phone), Some(region_code), Some(kind)) =
        (service_code, description, phone, region_code, kind)
    else {
        return Err(Open311Error::many(StatusCode::BAD_REQUEST, errors));
    };
    if !errors.is_empty() {
        return Err(Open311Error::many(StatusCode::BAD_REQUEST, errors));
    }

    let mut matter = description.to_owned();
    if let Some(media) = field(fields, "media_url") {
        matter.push_str(&format!("\n图片：{media}"));
    }
    let place = coordinates.map(|(lat, long)| format!("坐标 {lat},{long}"));
    let address = match (address_string, place) {
        (Some(a), Some(p)) => Some(format!("{a}（{p}）")),
        (Some(a), None) => Some(a.to_owned()),
        (None, p) => p,
    };
    let name = format!(
        "{}{}",
        field(fields, "last_name").unwrap_or_default(),
        field(fields, "first_name").unwrap_or_default()
    );
    Ok(RegisterOrder {
        channel: Channel::WebMessage,
        kind,
        requester: RequesterInput {
            requester_type: RequesterType::Person,
            name: (!name.is_empty()).then_some(name),
            phone: Some(phone.to_owned()),
            id_number: None,
        },
        matter,
        category: Some(service_code.to_owned()),
        region_code,
        address,
        confidential: false,
        urgency: Default::default(),
        requested_at: None,
        agent_id: None,
        triage: None,
    })
}

/// What the requester is told at once (`service_notice`), with intake's own notice (e.g.
/// to call 119 now) first when there is one.
pub fn notice_of(number: &str, intake_notice: Option<&str>) -> String {
    let ours = format!(
        "您的诉求已受理，工单编号 {number}。查询办理详情需同时提供查询码 check_code，请妥善保存。"
    );
    match intake_notice {
        Some(first) => format!("{first} {ours}"),
        None => ours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Regions {
        Regions::bundled().unwrap_or_else(|e| panic!("bundled regions: {e:?}"))
    }

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn complete() -> Fields {
        fields(&[
            ("service_code", "environment.noise"),
            ("lat", "26.5783"),
            ("long", "106.7135"),
            ("address_string", "贵阳市南明区花果园"),
            ("description", "工地夜间施工噪声扰民"),
            ("first_name", "三"),
            ("last_name", "张"),
            ("phone", "13812345678"),
            ("email", "zhang@example.com"),
            ("media_url", "https://example.com/a.jpg"),
        ])
    }

    fn descriptions(error: &Open311Error) -> Vec<String> {
        error
            .entries
            .iter()
            .map(|e| e.description.clone())
            .collect()
    }

    #[test]
    fn a_complete_request_becomes_a_web_message_in_the_named_county() {
        let order =
            register_order_of(&complete(), Some(&regions())).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(order.channel, Channel::WebMessage);
        assert_eq!(order.kind, RequestKind::Help);
        assert_eq!(order.category.as_deref(), Some("environment.noise"));
        assert_eq!(order.region_code, "520102");
        assert_eq!(order.requester.name.as_deref(), Some("张三"));
        assert_eq!(order.requester.phone.as_deref(), Some("13812345678"));
        assert_eq!(
            order.matter,
            "工地夜间施工噪声扰民\n图片：https://example.com/a.jpg"
        );
        assert_eq!(
            order.address.as_deref(),
            Some("贵阳市南明区花果园（坐标 26.5783,106.7135）")
        );
        assert!(order.agent_id.is_none() && order.triage.is_none());
    }

    #[test]
    fn region_code_and_kind_extensions_are_taken_as_given() {
        let mut f = complete();
        f.insert("region_code".to_owned(), "520103".to_owned());
        f.insert("kind".to_owned(), "complaint".to_owned());
        f.remove("address_string");
        let order = register_order_of(&f, Some(&regions())).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(order.region_code, "520103");
        assert_eq!(order.kind, RequestKind::Complaint);
        assert_eq!(order.address.as_deref(), Some("坐标 26.5783,106.7135"));
    }

    #[test]
    fn every_missing_field_is_named_at_once() {
        let error = register_order_of(&Fields::new(), Some(&regions())).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        let named: Vec<String> = descriptions(&error)
            .iter()
            .map(|d| d.split('：').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            named,
            [
                "service_code",
                "lat/long, address_string",
                "description",
                "phone",
                "region_code"
            ]
        );
    }

    #[test]
    fn half_a_position_or_a_bad_coordinate_is_named() {
        let mut f = complete();
        f.remove("long");
        let error = register_order_of(&f, Some(&regions())).unwrap_err();
        assert!(descriptions(&error)[0].starts_with("long："), "{error:?}");
        let mut f = complete();
        f.insert("lat".to_owned(), "north".to_owned());
        let error = register_order_of(&f, Some(&regions())).unwrap_err();
        assert!(descriptions(&error)[0].starts_with("lat："), "{error:?}");
        let mut f = complete();
        f.insert("kind".to_owned(), "pothole".to_owned());
        let error = register_order_of(&f, Some(&regions())).unwrap_err();
        assert!(descriptions(&error)[0].starts_with("kind："), "{error:?}");
    }

    #[test]
    fn a_county_is_read_from_an_address_only_when_unambiguous() {
        let regions = regions();
        assert_eq!(
            county_in("贵阳市南明区花果园", &regions).as_deref(),
            Some("520102")
        );
        assert_eq!(county_in("花果园小区", &regions), None);
        assert_eq!(county_in("南明区和云岩区交界处", &regions), None);
    }

    #[test]
    fn finished_orders_are_closed_and_the_rest_open() {
        assert_eq!(status_of(OrderStatus::Dispatched), "open");
        assert_eq!(status_of(OrderStatus::TransferRequested), "open");
        assert_eq!(status_of(OrderStatus::AnsweredDirectly), "closed");
        assert_eq!(status_of(OrderStatus::Closed), "closed");
    }

    #[test]
    fn datetimes_are_iso_8601_in_beijing_time() {
        let at = "2026-11-28T02:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(datetime(at), "2026-11-28T10:00:00+08:00");
    }

    #[test]
    fn a_catalogue_entry_is_a_realtime_service_in_its_group() {
        let entry = CatalogueEntry {
            category: "labour.wages".to_owned(),
            name: "劳动报酬（欠薪）".to_owned(),
            line: "hrss".to_owned(),
            level: "county".to_owned(),
            unit_type: "department".to_owned(),
        };
        let service = service_of(&entry);
        assert_eq!(service.service_code, "labour.wages");
        assert_eq!(service.service_name, "劳动报酬（欠薪）");
        assert_eq!(service.group, "labour");
        assert_eq!(service.service_type, "realtime");
        assert!(!service.metadata);
    }

    #[test]
    fn the_notice_says_the_check_code_is_needed_and_keeps_intakes_notice_first() {
        let notice = notice_of("5201022611280001", Some("请立即拨打119。"));
        assert!(notice.starts_with("请立即拨打119。"));
        assert!(notice.contains("5201022611280001") && notice.contains("查询码"));
    }
}
