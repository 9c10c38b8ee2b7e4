//! The unit directory and rules written at start, idempotently (A5, A12).
//!
//! Two parts, with different ownership:
//!
//! - **Governments**: the people's government of the province, of every prefecture and of
//!   every county in the divisions catalogue (`gov-<code>`, "南明区人民政府"). They are
//!   the territorial fallback of A12, so they must exist for every region; they are
//!   derived from the catalogue, so a start refreshes their names and parents (an
//!   operator's `active = false` is kept).
//! - **Demo directory** (`router.demo_directory`, on by default): a few real line
//!   departments of Guiyang and its Nanming district with their dispatch rules, enough to
//!   run the happy path and to show a county rule, a city-wide rule and a province-wide
//!   sub-center rule. Rows are created when missing and never changed afterwards: once
//!   they exist they belong to the operators who maintain the directory.
//!
//! The rows are built by pure functions ([`governments`], [`demo_units`], [`demo_rules`])
//! so their shape is unit-tested; [`run`] writes them in one transaction.

use hotline_reference::{Level, Regions};
use sqlx::PgPool;

use crate::domain::dispatch::{DispatchRule, PROVINCE_CODE, government_unit_id};
use crate::store::{self, HandlingUnit, Upsert};

/// Seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seeding the unit directory failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// What a seed wrote (for the start-up log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub governments: usize,
    pub demo_units: usize,
    pub demo_rules: usize,
}

/// Write the governments and, when `demo` is set, the demo directory.
pub async fn run(pool: &PgPool, regions: &Regions, demo: bool) -> Result<Seeded, SeedError> {
    let governments = governments(regions);
    let (units, rules) = if demo {
        (demo_units(), demo_rules())
    } else {
        (Vec::new(), Vec::new())
    };
    let mut tx = pool.begin().await?;
    // Parents come before children (province, prefectures, counties), so the
    // parent_unit_id foreign key holds at every insert.
    for unit in &governments {
        store::upsert_unit(&mut tx, unit, Upsert::Refresh).await?;
    }
    for unit in &units {
        store::upsert_unit(&mut tx, unit, Upsert::KeepExisting).await?;
    }
    for rule in &rules {
        store::insert_rule_if_missing(&mut tx, rule).await?;
    }
    tx.commit().await?;
    Ok(Seeded {
        governments: governments.len(),
        demo_units: units.len(),
        demo_rules: rules.len(),
    })
}

/// The people's government of the province, each prefecture and each county, parents
/// first. Townships have no unit of their own here: A12's fallback for a township is its
/// county.
pub fn governments(regions: &Regions) -> Vec<HandlingUnit> {
    [Level::Province, Level::Prefecture, Level::County]
        .into_iter()
        .flat_map(|level| regions.at_level(level))
        .map(|division| HandlingUnit {
            unit_id: government_unit_id(&division.code),
            // 贵州省人民政府, 贵阳市人民政府, 黔东南苗族侗族自治州人民政府, 南明区人民政府.
            name: format!("{}人民政府", division.name),
            unit_type: "government",
            region_code: division.code.clone(),
            parent_unit_id: division.parent.as_deref().map(government_unit_id),
        })
        .collect()
}

/// Demo line departments: Guiyang city and its Nanming district (parents first).
pub fn demo_units() -> Vec<HandlingUnit> {
    let unit =
        |id: &str, name: &str, unit_type: &'static str, region: &str, parent: &str| HandlingUnit {
            unit_id: id.to_owned(),
            name: name.to_owned(),
            unit_type,
            region_code: region.to_owned(),
            parent_unit_id: Some(parent.to_owned()),
        };
    vec![
        // 贵阳市 (520100): city departments under the city government.
        unit(
            "520100-env",
            "贵阳市生态环境局",
            "department",
            "520100",
            "gov-520100",
        ),
        unit(
            "520100-housing",
            "贵阳市住房和城乡建设局",
            "department",
            "520100",
            "gov-520100",
        ),
        unit(
            "520100-market",
            "贵阳市市场监督管理局",
            "department",
            "520100",
            "gov-520100",
        ),
        unit(
            "520100-hrss",
            "贵阳市人力资源和社会保障局",
            "department",
            "520100",
            "gov-520100",
        ),
        unit(
            "520100-transport",
            "贵阳市交通运输局",
            "department",
            "520100",
            "gov-520100",
        ),
        // 南明区 (520102). Environmental protection is managed vertically: the district
        // office is a branch of the city bureau.
        unit(
            "520102-env",
            "贵阳市生态环境局南明分局",
            "department",
            "520102",
            "520100-env",
        ),
        unit(
            "520102-housing",
            "南明区住房和城乡建设局",
            "department",
            "520102",
            "gov-520102",
        ),
        unit(
            "520102-market",
            "南明区市场监督管理局",
            "department",
            "520102",
            "gov-520102",
        ),
        unit(
            "520102-hrss",
            "南明区人力资源和社会保障局",
            "department",
            "520102",
            "gov-520102",
        ),
        // A8: a sub-center hotline running beside 12345, province-wide.
        unit(
            "520000-12366",
            "国家税务总局贵州省税务局12366纳税缴费服务热线",
            "sub_center",
            PROVINCE_CODE,
            "gov-520000",
        ),
    ]
}

/// Demo dispatch rules. Taxis are regulated city-wide, so only the city has a rule; the
/// other categories have a district rule (most specific, wins in Nanming) and a city rule
/// (covers Guiyang's other counties).
pub fn demo_rules() -> Vec<DispatchRule> {
    let rule = |category: &str, region: &str, unit: &str| DispatchRule {
        rule_id: format!("{region}:{category}"),
        category: category.to_owned(),
        region_code: region.to_owned(),
        unit_id: unit.to_owned(),
        priority: 0,
        version: 1,
    };
    vec![
        rule("environment.noise", "520102", "520102-env"),
        rule("environment.pollution", "520102", "520102-env"),
        rule("housing.property", "520102", "520102-housing"),
        rule("market.consumer", "520102", "520102-market"),
        rule("labour.wages", "520102", "520102-hrss"),
        rule("environment.noise", "520100", "520100-env"),
        rule("environment.pollution", "520100", "520100-env"),
        rule("housing.property", "520100", "520100-housing"),
        rule("market.consumer", "520100", "520100-market"),
        rule("labour.wages", "520100", "520100-hrss"),
        rule("transport.taxi", "520100", "520100-transport"),
        rule("tax.service", PROVINCE_CODE, "520000-12366"),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use hotline_contract::events::DispatchBasis;

    use super::*;
    use crate::domain::dispatch::decide;

    #[test]
    fn every_province_prefecture_and_county_has_its_government() {
        let regions = Regions::bundled().unwrap();
        let govs = governments(&regions);
        let expected =
            1 + regions.at_level(Level::Prefecture).len() + regions.at_level(Level::County).len();
        assert_eq!(govs.len(), expected);
        let by_id = |id: &str| govs.iter().find(|u| u.unit_id == id).unwrap();
        assert_eq!(by_id("gov-520000").name, "贵州省人民政府");
        assert_eq!(by_id("gov-520000").parent_unit_id, None);
        assert_eq!(by_id("gov-520102").name, "南明区人民政府");
        assert_eq!(
            by_id("gov-520102").parent_unit_id.as_deref(),
            Some("gov-520100")
        );
        assert_eq!(by_id("gov-522600").name, "黔东南苗族侗族自治州人民政府");
        assert!(govs.iter().all(|u| u.unit_type == "government"));
    }

    #[test]
    fn governments_come_after_their_parents() {
        let govs = governments(&Regions::bundled().unwrap());
        let mut seen = HashSet::new();
        for unit in &govs {
            if let Some(parent) = &unit.parent_unit_id {
                assert!(seen.contains(parent), "{} before {parent}", unit.unit_id);
            }
            seen.insert(unit.unit_id.clone());
        }
    }

    #[test]
    fn demo_units_have_known_parents_and_rules_name_demo_units() {
        let regions = Regions::bundled().unwrap();
        let mut known: HashSet<String> = governments(&regions)
            .into_iter()
            .map(|u| u.unit_id)
            .collect();
        for unit in demo_units() {
            let parent = unit.parent_unit_id.clone().unwrap();
            assert!(
                known.contains(&parent),
                "{} has unknown parent {parent}",
                unit.unit_id
            );
            assert!(regions.get(&unit.region_code).is_some(), "{}", unit.unit_id);
            known.insert(unit.unit_id);
        }
        let mut ids = HashSet::new();
        for rule in demo_rules() {
            assert!(known.contains(&rule.unit_id), "{}", rule.rule_id);
            assert!(regions.get(&rule.region_code).is_some(), "{}", rule.rule_id);
            assert!(
                ids.insert(rule.rule_id.clone()),
                "duplicate {}",
                rule.rule_id
            );
        }
    }

    #[test]
    fn the_demo_directory_routes_the_happy_path_as_documented() {
        let regions = Regions::bundled().unwrap();
        let units: HashSet<String> = governments(&regions)
            .into_iter()
            .chain(demo_units())
            .map(|u| u.unit_id)
            .collect();
        let rules = demo_rules();
        let unit_for = |category: Option<&str>, region: &str| {
            decide(category, region, &rules, &regions, &units).unwrap()
        };
        assert_eq!(
            unit_for(Some("environment.noise"), "520102").unit_id,
            "520102-env"
        );
        assert_eq!(
            unit_for(Some("environment.noise"), "520103").unit_id,
            "520100-env"
        );
        assert_eq!(
            unit_for(Some("transport.taxi"), "520102").unit_id,
            "520100-transport"
        );
        assert_eq!(
            unit_for(Some("tax.service"), "522601").unit_id,
            "520000-12366"
        );
        let fallback = unit_for(Some("environment.noise"), "520302");
        assert_eq!(fallback.unit_id, "gov-520302");
        assert_eq!(fallback.basis, DispatchBasis::Territorial);
    }
}
