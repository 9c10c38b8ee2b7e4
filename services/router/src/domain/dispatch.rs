//! The dispatch decision (A9, A12): which unit gets an order, and why.
//!
//! Two principles from the regulation, tried in this order:
//!
//! 1. **Legal authority (职权法定)**: when a dispatch rule gives the order's category to a
//!    unit for a territory covering the order's region, the order goes to that unit.
//!    Rules cover a county, a prefecture or the whole province (520000); among the rules
//!    that cover the region, the one for the *smallest* territory wins (a county rule beats
//!    the prefecture's, which beats the province's), then the highest `priority`, then the
//!    smallest `rule_id`, so the same inputs always give the same unit.
//! 2. **Territorial management (属地管理)**: with no matching rule but a known region, the
//!    region's people's government organises the handling: `gov-<region>` when that unit
//!    exists and is active, else the nearest ancestor's government (a township's matter
//!    goes to its county).
//! 3. **Neither** (no rule, and the region is unknown or only the province itself): the
//!    order goes to the pre-dispatch consultation queue (会商, A12), where the center
//!    invites candidate units and decides the lead and co-handling units. `decide`
//!    answers `None`.
//!
//! Pure: the caller loads the rules, the active unit ids and the divisions, and stores the
//! decision. A rule pointing at a unit that is not active is skipped rather than followed,
//! so deactivating a unit never strands orders.

use std::collections::HashSet;

use hotline_contract::events::DispatchBasis;
use hotline_reference::Regions;

/// The province: the root of every chain of divisions, and its government the last resort.
pub const PROVINCE_CODE: &str = "520000";

/// Prefix of the unit id of a division's people's government: `gov-520102`.
pub const GOVERNMENT_PREFIX: &str = "gov-";

/// The unit id of the people's government of a division.
pub fn government_unit_id(region_code: &str) -> String {
    format!("{GOVERNMENT_PREFIX}{region_code}")
}

/// One active dispatch rule, as stored in `router.dispatch_rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchRule {
    pub rule_id: String,
    /// Category code from the dispatch catalogue, e.g. `environment.noise`.
    pub category: String,
    /// The territory the rule covers: a county, a prefecture or the province.
    pub region_code: String,
    /// The kind of request the rule is for (`complaint`, ...); `None`: every kind. Over
    /// the same territory a rule for the order's kind beats one for every kind.
    pub kind: Option<String>,
    pub unit_id: String,
    /// Higher wins among rules for the same territory.
    pub priority: i32,
    /// Rules are edited at run time; each edit is a new version (A12).
    pub version: i32,
}

/// Where an order goes, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub unit_id: String,
    pub basis: DispatchBasis,
    /// The rule that decided, when `basis` is [`DispatchBasis::Rule`], and its version.
    pub rule_id: Option<String>,
    pub rule_version: Option<i32>,
}

/// [`decide_for_kind`] for an order whose kind no rule distinguishes.
pub fn decide(
    category: Option<&str>,
    region_code: &str,
    rules: &[DispatchRule],
    regions: &Regions,
    active_units: &HashSet<String>,
) -> Option<Decision> {
    decide_for_kind(category, None, region_code, rules, regions, active_units)
}

/// Decide the handling unit of an order of `kind` about `category` in `region_code`.
///
/// `active_units` holds the ids of the units that may receive orders (at least those the
/// rules name and the governments of the region's chain). `None`: neither a clear unit
/// nor a known region, the order goes to consultation.
pub fn decide_for_kind(
    category: Option<&str>,
    kind: Option<&str>,
    region_code: &str,
    rules: &[DispatchRule],
    regions: &Regions,
    active_units: &HashSet<String>,
) -> Option<Decision> {
    let chain = region_chain(region_code, regions);

    // A9, A12: clear duty and jurisdiction → the unit the rule names.
    if let Some(category) = category.filter(|c| !c.is_empty()) {
        for code in &chain {
            let best = rules
                .iter()
                .filter(|r| {
                    r.category == category
                        && r.region_code == *code
                        && (r.kind.is_none() || r.kind.as_deref() == kind)
                        && active_units.contains(&r.unit_id)
                })
                .min_by(|a, b| {
                    // A rule for the order's kind first, then the highest priority.
                    b.kind
                        .is_some()
                        .cmp(&a.kind.is_some())
                        .then_with(|| b.priority.cmp(&a.priority))
                        .then_with(|| a.rule_id.cmp(&b.rule_id))
                });
            if let Some(rule) = best {
                return Some(Decision {
                    unit_id: rule.unit_id.clone(),
                    basis: DispatchBasis::Rule,
                    rule_id: Some(rule.rule_id.clone()),
                    rule_version: Some(rule.version),
                });
            }
        }
    }

    // A12: neither a clear unit nor a known region (below the province) → consultation.
    if chain.iter().all(|code| code == PROVINCE_CODE) {
        return None;
    }
    // A12: unit unclear, region known → that region's government (or the nearest
    // ancestor's that exists, e.g. the county for a township).
    let unit_id = chain
        .iter()
        .map(|code| government_unit_id(code))
        .find(|id| active_units.contains(id))
        .unwrap_or_else(|| government_unit_id(PROVINCE_CODE));
    Some(Decision {
        unit_id,
        basis: DispatchBasis::Territorial,
        rule_id: None,
        rule_version: None,
    })
}

/// The unit ids [`decide_for_kind`] may pick for an order in `region_code`: the units the
/// rules name and the governments of the region's chain (and the province's). The caller
/// asks the database which of these are active, instead of loading every unit.
pub fn candidate_units(
    region_code: &str,
    rules: &[DispatchRule],
    regions: &Regions,
) -> Vec<String> {
    let mut ids: Vec<String> = rules.iter().map(|r| r.unit_id.clone()).collect();
    ids.extend(
        region_chain(region_code, regions)
            .iter()
            .map(|code| government_unit_id(code)),
    );
    ids.push(government_unit_id(PROVINCE_CODE));
    ids.sort();
    ids.dedup();
    ids
}

/// The region and its ancestors, most specific first (township → county → prefecture →
/// province). Empty when the catalogue does not know the region.
pub fn region_chain(region_code: &str, regions: &Regions) -> Vec<String> {
    let mut chain = Vec::new();
    let mut next = regions.get(region_code);
    while let Some(division) = next {
        // Malformed data with a cycle must not hang the dispatcher.
        if chain.contains(&division.code) {
            break;
        }
        chain.push(division.code.clone());
        next = division.parent.as_deref().and_then(|p| regions.get(p));
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Regions {
        Regions::from_csv(
            "code,name,level,parent_code\n\
             520000,贵州省,province,\n\
             520100,贵阳市,prefecture,520000\n\
             520102,南明区,county,520100\n\
             520103,云岩区,county,520100\n\
             520102016,新华路街道,township,520102\n\
             520300,遵义市,prefecture,520000\n\
             520302,红花岗区,county,520300\n",
        )
        .unwrap()
    }

    fn rule(id: &str, category: &str, region: &str, unit: &str, priority: i32) -> DispatchRule {
        DispatchRule {
            rule_id: id.to_owned(),
            category: category.to_owned(),
            region_code: region.to_owned(),
            kind: None,
            unit_id: unit.to_owned(),
            priority,
            version: 1,
        }
    }

    #[test]
    fn a_rule_for_the_orders_kind_beats_one_for_every_kind_over_the_same_territory() {
        let mut complaints = rule("c", "market.consumer", "520102", "520102-complaints", -5);
        complaints.kind = Some("complaint".to_owned());
        let rules = [
            rule("a", "market.consumer", "520102", "520102-market", 9),
            complaints,
        ];
        let units = units(&["520102-market", "520102-complaints", "gov-520102"]);
        let pick = |kind| {
            decide_for_kind(
                Some("market.consumer"),
                kind,
                "520102",
                &rules,
                &regions(),
                &units,
            )
            .unwrap()
            .unit_id
        };
        assert_eq!(pick(Some("complaint")), "520102-complaints");
        assert_eq!(pick(Some("consultation")), "520102-market");
        assert_eq!(pick(None), "520102-market");
        // A more specific territory still wins over the kind.
        let mut city = rule("d", "market.consumer", "520100", "520102-complaints", 0);
        city.kind = Some("consultation".to_owned());
        let rules = [
            rule("a", "market.consumer", "520102", "520102-market", 0),
            city,
        ];
        let d = decide_for_kind(
            Some("market.consumer"),
            Some("consultation"),
            "520102",
            &rules,
            &regions(),
            &units,
        );
        assert_eq!(d.unwrap().unit_id, "520102-market");
    }

    #[test]
    fn candidates_are_the_rules_units_and_the_chains_governments() {
        let rules = [rule("a", "x.y", "520100", "520100-market", 0)];
        assert_eq!(
            candidate_units("520102016", &rules, &regions()),
            [
                "520100-market",
                "gov-520000",
                "gov-520100",
                "gov-520102",
                "gov-520102016"
            ]
        );
    }

    fn units(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    fn all_governments() -> HashSet<String> {
        units(&[
            "gov-520000",
            "gov-520100",
            "gov-520102",
            "gov-520103",
            "gov-520300",
            "gov-520302",
        ])
    }

    fn with(mut set: HashSet<String>, ids: &[&str]) -> HashSet<String> {
        set.extend(ids.iter().map(|s| (*s).to_owned()));
        set
    }

    fn by_rule(unit: &str, rule: &str) -> Option<Decision> {
        Some(Decision {
            unit_id: unit.to_owned(),
            basis: DispatchBasis::Rule,
            rule_id: Some(rule.to_owned()),
            rule_version: Some(1),
        })
    }

    fn territorial(unit: &str) -> Option<Decision> {
        Some(Decision {
            unit_id: unit.to_owned(),
            basis: DispatchBasis::Territorial,
            rule_id: None,
            rule_version: None,
        })
    }

    #[test]
    fn a_rule_for_the_category_in_the_region_sends_the_order_to_its_unit() {
        let rules = [rule(
            "r-noise",
            "environment.noise",
            "520102",
            "520102-env",
            0,
        )];
        let units = with(all_governments(), &["520102-env"]);
        let d = decide(
            Some("environment.noise"),
            "520102",
            &rules,
            &regions(),
            &units,
        );
        assert_eq!(d, by_rule("520102-env", "r-noise"));
    }

    #[test]
    fn a_rule_of_an_ancestor_region_covers_its_counties() {
        let rules = [rule(
            "r-taxi",
            "transport.taxi",
            "520100",
            "520100-transport",
            0,
        )];
        let units = with(all_governments(), &["520100-transport"]);
        let d = decide(Some("transport.taxi"), "520103", &rules, &regions(), &units);
        assert_eq!(d, by_rule("520100-transport", "r-taxi"));
    }

    #[test]
    fn a_province_wide_rule_covers_every_region() {
        let rules = [rule("r-tax", "tax.service", "520000", "520000-12366", 0)];
        let units = with(all_governments(), &["520000-12366"]);
        let d = decide(Some("tax.service"), "520302", &rules, &regions(), &units);
        assert_eq!(d, by_rule("520000-12366", "r-tax"));
    }

    #[test]
    fn the_most_specific_region_wins_over_a_higher_priority_elsewhere() {
        let rules = [
            rule("r-city", "environment.noise", "520100", "520100-env", 100),
            rule("r-county", "environment.noise", "520102", "520102-env", 0),
            rule(
                "r-province",
                "environment.noise",
                "520000",
                "520000-env",
                1000,
            ),
        ];
        let units = with(
            all_governments(),
            &["520100-env", "520102-env", "520000-env"],
        );
        let regions = regions();
        let d = decide(
            Some("environment.noise"),
            "520102",
            &rules,
            &regions,
            &units,
        );
        assert_eq!(d, by_rule("520102-env", "r-county"));
        // Another county of the same city gets the city's rule.
        let d = decide(
            Some("environment.noise"),
            "520103",
            &rules,
            &regions,
            &units,
        );
        assert_eq!(d, by_rule("520100-env", "r-city"));
    }

    #[test]
    fn among_rules_for_one_region_the_highest_priority_then_the_smallest_id_wins() {
        let units = with(all_governments(), &["a", "b", "c"]);
        let rules = [
            rule("r-2", "market.consumer", "520102", "b", 5),
            rule("r-3", "market.consumer", "520102", "c", 1),
            rule("r-1", "market.consumer", "520102", "a", 5),
        ];
        let d = decide(
            Some("market.consumer"),
            "520102",
            &rules,
            &regions(),
            &units,
        );
        assert_eq!(d, by_rule("a", "r-1"));
    }

    #[test]
    fn a_rule_whose_unit_is_inactive_is_skipped() {
        let rules = [
            rule("r-county", "environment.noise", "520102", "520102-env", 0),
            rule("r-city", "environment.noise", "520100", "520100-env", 0),
        ];
        let units = with(all_governments(), &["520100-env"]);
        let d = decide(
            Some("environment.noise"),
            "520102",
            &rules,
            &regions(),
            &units,
        );
        assert_eq!(d, by_rule("520100-env", "r-city"));
    }

    #[test]
    fn without_a_matching_rule_the_region_government_handles_the_order() {
        let rules = [rule(
            "r-noise",
            "environment.noise",
            "520102",
            "520102-env",
            0,
        )];
        let units = with(all_governments(), &["520102-env"]);
        let regions = regions();
        // Another category.
        let d = decide(Some("housing.property"), "520102", &rules, &regions, &units);
        assert_eq!(d, territorial("gov-520102"));
        // No category at all.
        assert_eq!(
            decide(None, "520102", &rules, &regions, &units),
            territorial("gov-520102")
        );
        // The rule's territory does not cover this county.
        let d = decide(
            Some("environment.noise"),
            "520302",
            &rules,
            &regions,
            &units,
        );
        assert_eq!(d, territorial("gov-520302"));
    }

    #[test]
    fn a_township_order_falls_back_to_its_county_government() {
        let d = decide(None, "520102016", &[], &regions(), &all_governments());
        assert_eq!(d, territorial("gov-520102"));
    }

    #[test]
    fn a_township_order_follows_the_rules_of_its_county() {
        let rules = [rule(
            "r-noise",
            "environment.noise",
            "520102",
            "520102-env",
            0,
        )];
        let units = with(all_governments(), &["520102-env"]);
        let d = decide(
            Some("environment.noise"),
            "520102016",
            &rules,
            &regions(),
            &units,
        );
        assert_eq!(d, by_rule("520102-env", "r-noise"));
    }

    #[test]
    fn a_missing_county_government_falls_back_to_the_prefecture() {
        let units = units(&["gov-520000", "gov-520100"]);
        let d = decide(None, "520102", &[], &regions(), &units);
        assert_eq!(d, territorial("gov-520100"));
    }

    #[test]
    fn an_unknown_or_province_only_region_without_a_rule_goes_to_consultation() {
        let rules = [rule("r-tax", "tax.service", "520000", "520000-12366", 0)];
        let units = with(all_governments(), &["520000-12366"]);
        let regions = regions();
        for region in ["110101", "", "52010", "not-a-code", "520000"] {
            let d = decide(Some("roads.potholes"), region, &rules, &regions, &units);
            assert_eq!(d, None, "region {region:?}");
            assert_eq!(decide(None, region, &rules, &regions, &units), None);
        }
        // A province-wide rule still decides an order placed only in the province.
        let d = decide(Some("tax.service"), "520000", &rules, &regions, &units);
        assert_eq!(d, by_rule("520000-12366", "r-tax"));
    }

    #[test]
    fn an_empty_category_is_no_category() {
        let rules = [rule("r-empty", "", "520102", "520102-env", 0)];
        let units = with(all_governments(), &["520102-env"]);
        let d = decide(Some(""), "520102", &rules, &regions(), &units);
        assert_eq!(d, territorial("gov-520102"));
    }

    #[test]
    fn the_chain_runs_from_the_region_up_to_the_province() {
        assert_eq!(
            region_chain("520102016", &regions()),
            ["520102016", "520102", "520100", "520000"]
        );
        assert!(region_chain("999999", &regions()).is_empty());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        const CATEGORIES: [&str; 3] = ["environment.noise", "housing.property", "transport.taxi"];
        const REGIONS: [&str; 7] = [
            "520000",
            "520100",
            "520102",
            "520103",
            "520102016",
            "520302",
            "999999",
        ];
        const UNITS: [&str; 4] = ["u1", "u2", "u3", "gov-520102"];

        fn any_rule() -> impl Strategy<Value = DispatchRule> {
            (
                0..CATEGORIES.len(),
                0..4usize,
                0..UNITS.len(),
                -3i32..3,
                0u8..20,
            )
                .prop_map(|(c, r, u, priority, id)| {
                    rule(
                        &format!("r-{id:02}"),
                        CATEGORIES[c],
                        REGIONS[r],
                        UNITS[u],
                        priority,
                    )
                })
        }

        proptest! {
            #[test]
            fn a_decision_follows_the_best_covering_rule_or_else_the_territory(
                rules in prop::collection::vec(any_rule(), 0..12),
                category in prop::option::of(0..CATEGORIES.len()),
                region in 0..REGIONS.len(),
                active in prop::collection::vec(any::<bool>(), UNITS.len()),
            ) {
                // Rule ids are unique in the table.
                let mut seen = HashSet::new();
                let rules: Vec<DispatchRule> =
                    rules.into_iter().filter(|r| seen.insert(r.rule_id.clone())).collect();
                let regions = regions();
                let category = category.map(|c| CATEGORIES[c]);
                let region = REGIONS[region];
                let mut units = all_governments();
                for (id, on) in UNITS.iter().zip(&active) {
                    if *on { units.insert((*id).to_owned()); } else { units.remove(*id); }
                }
                let chain = region_chain(region, &regions);
                let covering: Vec<&DispatchRule> = rules
                    .iter()
                    .filter(|r| Some(r.category.as_str()) == category
                        && chain.contains(&r.region_code)
                        && units.contains(&r.unit_id))
                    .collect();
                let Some(d) = decide(category, region, &rules, &regions, &units) else {
                    // Consultation: no covering rule and no region below the province.
                    prop_assert!(covering.is_empty());
                    prop_assert!(chain.iter().all(|c| c == PROVINCE_CODE));
                    return Ok(());
                };
                match d.basis {
                    DispatchBasis::Rule => {
                        let id = d.rule_id.as_deref().unwrap();
                        let chosen = covering.iter().find(|r| r.rule_id == id).unwrap();
                        prop_assert_eq!(&d.unit_id, &chosen.unit_id);
                        let depth = |r: &DispatchRule| {
                            chain.iter().position(|c| *c == r.region_code).unwrap()
                        };
                        for other in &covering {
                            // Nothing more specific, nothing better in the same territory.
                            prop_assert!(depth(other) >= depth(chosen));
                            if depth(other) == depth(chosen) {
                                prop_assert!(
                                    (other.priority, std::cmp::Reverse(&other.rule_id))
                                        <= (chosen.priority, std::cmp::Reverse(&chosen.rule_id))
                                );
                            }
                        }
                    }
                    DispatchBasis::Consultation | DispatchBasis::Dispute => {
                        prop_assert!(false, "decide never answers {:?}", d.basis);
                    }
                    DispatchBasis::Territorial => {
                        prop_assert!(covering.is_empty());
                        prop_assert_eq!(d.rule_id, None);
                        prop_assert!(d.unit_id.starts_with(GOVERNMENT_PREFIX));
                        prop_assert!(
                            units.contains(&d.unit_id) || d.unit_id == "gov-520000"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_bundled_catalogue_sends_every_county_to_its_own_government() {
        let regions = Regions::bundled().unwrap();
        let counties = regions.at_level(hotline_reference::Level::County);
        let units: HashSet<String> = counties
            .iter()
            .map(|d| government_unit_id(&d.code))
            .chain([government_unit_id(PROVINCE_CODE)])
            .collect();
        for county in counties {
            let d = decide(None, &county.code, &[], &regions, &units);
            assert_eq!(d, territorial(&government_unit_id(&county.code)));
        }
    }
}
