//! The hot-spot report (A17.4): what supervision adds to a hot spot intake detected, whom
//! the report goes to, and when it must be published again.
//!
//! A17.4: hot and hard problems that many report, and whose responsibility is unclear, are
//! aggregated and reported to the government of the same level. Intake found the cluster
//! (`hotspot.detected`); supervision knows, per order, the unit handling it and how the
//! dispatch went, from the router's events:
//!
//! - **Unclear responsibility** ([`Responsibility::unclear`]): the order was disputed by a
//!   unit (A13), redispatched, sent to the pre-dispatch consultation (A12.2), or dispatched
//!   to the region's people's government because no rule named a unit (territorial basis,
//!   A12.3: "unclear unit but known region"). The report counts these orders and their share;
//!   the list of reports puts the highest share first.
//! - **Addressee** ([`addressed_to`]): the people's government of the hot spot's county,
//!   `gov-<county code>`. A township's hot spot also goes to its county's government: the
//!   unit directory has governments down to county level only (the router seeds them from
//!   the division catalogue), which is also where the router's territorial fallback sends a
//!   township's matter; the report names the township in `region_code`.
//! - **Republication** ([`same_content`]): the report is published again (a higher
//!   `version`) whenever its content changes: the hot spot grew, an order was dispatched,
//!   disputed or redispatched. A dispute after detection is exactly what turns a hot
//!   problem into a hard one, so the government must see it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use hotline_contract::events::{
    DispatchBasis, HotspotDetected, HotspotReportOrder, HotspotUnit, SupervisionHotspotReported,
};
use hotline_contract::rpc::FieldError;
use uuid::Uuid;

/// Default and largest page of the reports list.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// What supervision knows of how one order's responsibility was settled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Responsibility {
    /// The unit handling it now (the latest dispatch or redispatch).
    pub unit_id: Option<String>,
    /// Why the latest dispatch went where it went.
    pub basis: Option<DispatchBasis>,
    pub disputed: bool,
    pub consulted: bool,
    pub redispatched: bool,
}

impl Responsibility {
    /// Whether responsibility for the order was unclear (see the module docs).
    pub fn unclear(&self) -> bool {
        self.disputed
            || self.consulted
            || self.redispatched
            || matches!(
                self.basis,
                Some(
                    DispatchBasis::Territorial
                        | DispatchBasis::Consultation
                        | DispatchBasis::Dispute
                )
            )
    }
}

/// The government a hot spot of `region_code` is reported to: `gov-<county>` (a township's
/// code starts with its county's six digits).
pub fn addressed_to(region_code: &str) -> String {
    let county = region_code.get(..6).unwrap_or(region_code);
    format!("gov-{county}")
}

/// The county a hot spot belongs to (for filtering the list).
pub fn county_of(region_code: &str) -> &str {
    region_code.get(..6).unwrap_or(region_code)
}

/// The report on `detected` from what is known of its orders (`facts`; an order without
/// facts is not dispatched yet and not unclear).
pub fn build_report(
    detected: &HotspotDetected,
    facts: &HashMap<Uuid, Responsibility>,
    version: u32,
    reported_at: DateTime<Utc>,
) -> SupervisionHotspotReported {
    let unknown = Responsibility::default();
    let orders: Vec<HotspotReportOrder> = detected
        .orders
        .iter()
        .map(|order| {
            let fact = facts.get(&order.order_id).unwrap_or(&unknown);
            HotspotReportOrder {
                order_id: order.order_id,
                number: order.number.clone(),
                registered_at: order.registered_at,
                unit_id: fact.unit_id.clone(),
                unclear: fact.unclear(),
            }
        })
        .collect();
    let mut per_unit: BTreeMap<&str, u32> = BTreeMap::new();
    for order in &orders {
        if let Some(unit) = &order.unit_id {
            *per_unit.entry(unit.as_str()).or_default() += 1;
        }
    }
    let mut units: Vec<HotspotUnit> = per_unit
        .into_iter()
        .map(|(unit_id, orders)| HotspotUnit {
            unit_id: unit_id.to_owned(),
            orders,
        })
        .collect();
    units.sort_by(|a, b| b.orders.cmp(&a.orders).then(a.unit_id.cmp(&b.unit_id)));
    let order_count = u32::try_from(orders.len()).unwrap_or(u32::MAX);
    let unclear_orders = u32::try_from(orders.iter().filter(|o| o.unclear).count()).unwrap_or(0);
    SupervisionHotspotReported {
        hotspot_id: detected.hotspot_id,
        version,
        detected_version: detected.version,
        addressed_to: addressed_to(&detected.region_code),
        region_code: detected.region_code.clone(),
        region_level: detected.region_level,
        keywords: detected.keywords.clone(),
        orders,
        units,
        trend: detected.trend.clone(),
        order_count,
        requesters: detected.requesters,
        unclear_orders,
        unclear_share: share(unclear_orders, order_count),
        reported_at,
    }
}

/// `part / whole` rounded to three decimals; 0 for an empty whole.
fn share(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (f64::from(part) / f64::from(whole) * 1000.0).round() / 1000.0
}

/// Whether two reports say the same thing (their versions and times aside): if so, nothing
/// is published.
pub fn same_content(a: &SupervisionHotspotReported, b: &SupervisionHotspotReported) -> bool {
    let normalise = |r: &SupervisionHotspotReported| SupervisionHotspotReported {
        version: 0,
        reported_at: DateTime::<Utc>::UNIX_EPOCH,
        ..r.clone()
    };
    normalise(a) == normalise(b)
}

/// The page size a list query asks for, or why it is invalid; and the county filter.
pub fn list_query(
    region_code: Option<&str>,
    limit: Option<u32>,
) -> Result<(Option<String>, u32), Vec<FieldError>> {
    let mut errors = Vec::new();
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError {
            field: "limit".to_owned(),
            code: "out_of_range".to_owned(),
            message: format!("每页条数须在1到{MAX_LIMIT}之间"),
        });
    }
    let region = region_code.map(str::trim).filter(|c| !c.is_empty());
    if region.is_some_and(|code| code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit())) {
        errors.push(FieldError {
            field: "region_code".to_owned(),
            code: "invalid_format".to_owned(),
            message: "区划代码应为6位数字（县级，GB/T 2260）".to_owned(),
        });
    }
    if errors.is_empty() {
        Ok((region.map(str::to_owned), limit))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use hotline_contract::events::{DayCount, HotspotLevel, HotspotOrder};

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, 0, 0).unwrap()
    }

    fn detected(n: u128) -> HotspotDetected {
        HotspotDetected {
            hotspot_id: Uuid::from_u128(0xa),
            version: 3,
            region_code: "520102016".to_owned(),
            region_level: HotspotLevel::Township,
            orders: (1..=n)
                .map(|i| HotspotOrder {
                    order_id: Uuid::from_u128(i),
                    number: format!("520102261202{i:04}"),
                    registered_at: at(1),
                })
                .collect(),
            requesters: u32::try_from(n).unwrap(),
            trend: vec![DayCount {
                day: at(1).date_naive(),
                orders: u32::try_from(n).unwrap(),
            }],
            keywords: vec!["垃圾站".to_owned()],
            window_days: 7,
            detected_at: at(2),
        }
    }

    fn dispatched(unit: &str, basis: DispatchBasis) -> Responsibility {
        Responsibility {
            unit_id: Some(unit.to_owned()),
            basis: Some(basis),
            ..Responsibility::default()
        }
    }

    #[test]
    fn disputes_redispatches_consultations_and_territorial_dispatches_are_unclear() {
        assert!(!dispatched("520102-env", DispatchBasis::Rule).unclear());
        assert!(!Responsibility::default().unclear());
        assert!(dispatched("gov-520102", DispatchBasis::Territorial).unclear());
        assert!(dispatched("520102-env", DispatchBasis::Consultation).unclear());
        assert!(dispatched("520102-env", DispatchBasis::Dispute).unclear());
        for flag in 0..3 {
            let mut r = dispatched("520102-env", DispatchBasis::Rule);
            match flag {
                0 => r.disputed = true,
                1 => r.redispatched = true,
                _ => r.consulted = true,
            }
            assert!(r.unclear(), "{r:?}");
        }
    }

    #[test]
    fn a_hot_spot_is_reported_to_its_countys_government() {
        assert_eq!(addressed_to("520102016"), "gov-520102");
        assert_eq!(addressed_to("520102"), "gov-520102");
        assert_eq!(county_of("520102016"), "520102");
    }

    #[test]
    fn the_report_lists_units_most_orders_first_and_the_unclear_share() {
        let facts = HashMap::from([
            (
                Uuid::from_u128(1),
                dispatched("520102-env", DispatchBasis::Rule),
            ),
            (
                Uuid::from_u128(2),
                dispatched("520102-env", DispatchBasis::Rule),
            ),
            (
                Uuid::from_u128(3),
                dispatched("gov-520102", DispatchBasis::Territorial),
            ),
            (
                Uuid::from_u128(4),
                Responsibility {
                    disputed: true,
                    ..dispatched("520102-city", DispatchBasis::Rule)
                },
            ),
        ]);
        // Orders 5 and 6 are not dispatched yet.
        let report = build_report(&detected(6), &facts, 1, at(3));
        assert_eq!(report.addressed_to, "gov-520102");
        assert_eq!(report.order_count, 6);
        assert_eq!(report.unclear_orders, 2);
        assert!((report.unclear_share - 0.333).abs() < 1e-9);
        let units: Vec<(&str, u32)> = report
            .units
            .iter()
            .map(|u| (u.unit_id.as_str(), u.orders))
            .collect();
        assert_eq!(
            units,
            vec![("520102-env", 2), ("520102-city", 1), ("gov-520102", 1)]
        );
        assert_eq!(report.orders[4].unit_id, None);
        assert!(!report.orders[4].unclear);
        assert_eq!(report.detected_version, 3);
        assert_eq!(report.keywords, vec!["垃圾站"]);
    }

    #[test]
    fn only_a_change_of_content_is_republished() {
        let facts = HashMap::from([(
            Uuid::from_u128(1),
            dispatched("520102-env", DispatchBasis::Rule),
        )]);
        let first = build_report(&detected(2), &facts, 1, at(3));
        // Later, again: same content.
        assert!(same_content(
            &first,
            &build_report(&detected(2), &facts, 2, at(5))
        ));
        // A dispute changes it.
        let disputed = HashMap::from([(
            Uuid::from_u128(1),
            Responsibility {
                disputed: true,
                ..dispatched("520102-env", DispatchBasis::Rule)
            },
        )]);
        assert!(!same_content(
            &first,
            &build_report(&detected(2), &disputed, 2, at(5))
        ));
        // So does growth.
        assert!(!same_content(
            &first,
            &build_report(&detected(3), &facts, 2, at(5))
        ));
    }

    #[test]
    fn list_queries_are_checked() {
        assert_eq!(list_query(None, None), Ok((None, DEFAULT_LIMIT)));
        assert_eq!(
            list_query(Some(" 520102 "), Some(5)),
            Ok((Some("520102".to_owned()), 5))
        );
        let errors = list_query(Some("5201"), Some(0)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["limit", "region_code"]);
    }
}
