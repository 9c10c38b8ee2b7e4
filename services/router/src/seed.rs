//! The unit directory, catalogue and rules written at start, idempotently (A5, A9, A12).
//!
//! Three parts, with different ownership:
//!
//! - **Governments**: the people's government of the province, of every prefecture and of
//!   every county in the divisions catalogue (`gov-<code>`, "南明区人民政府"). They are
//!   the territorial fallback of A12, so they must exist for every region; they are
//!   derived from the catalogue, so a start refreshes their names, levels and parents (an
//!   operator's `active = false` is kept).
//! - **Catalogue** (`router.catalogue`): the bundled `data/router/dispatch-catalogue.csv`,
//!   refreshed at every start (it is reference data; edit the file to change it).
//! - **Standard directory** (`router.seed_directory`, on by default): the line
//!   departments of the province, every prefecture and every county, and the dispatch
//!   rules the catalogue implies ([`crate::domain::catalogue::standard_directory`]). Rows
//!   are created when missing and never changed afterwards: once they exist they belong to
//!   the operators, who correct names, add contacts and units through the directory import
//!   and edit rules through `rpc.router.save_rule` (each edit a new version).
//!
//! The rows are built by pure functions so their shape is unit-tested; [`run`] writes them
//! in one transaction with a few set-based statements (about 1,690 units and 6,600 rules).

use hotline_reference::{Level, Regions};
use sqlx::PgPool;

use crate::directory::store::{self, Upsert};
use crate::domain::catalogue::{self, CatalogueEntry, CatalogueError, DirectoryUnit};
use crate::domain::dispatch::government_unit_id;

/// Seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seeding the unit directory failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the bundled dispatch catalogue is malformed: {0}")]
    Catalogue(#[from] CatalogueError),
}

/// What a seed wrote (for the start-up log): rows created by this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub governments: usize,
    pub categories: usize,
    pub units_created: u64,
    pub rules_created: u64,
}

/// Write the governments, the catalogue and, when `directory` is set, the standard
/// directory and its rules.
pub async fn run(pool: &PgPool, regions: &Regions, directory: bool) -> Result<Seeded, SeedError> {
    let (lines, entries) = catalogue::bundled()?;
    let governments = governments(regions);
    let (units, rules) = if directory {
        catalogue::standard_directory(regions, &lines, &entries)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut tx = pool.begin().await?;
    // Two seeding routers (replicas starting together) take turns.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('router.seed'))")
        .execute(&mut *tx)
        .await?;
    store::upsert_units(&mut tx, &governments, Upsert::Refresh).await?;
    store::refresh_catalogue(&mut tx, &catalogue_rows(&entries, &lines)).await?;
    let units_created = store::upsert_units(&mut tx, &units, Upsert::KeepExisting).await?;
    let rules_created = store::insert_rules_if_missing(&mut tx, &rules, "seed").await?;
    tx.commit().await?;
    Ok(Seeded {
        governments: governments.len(),
        categories: entries.len(),
        units_created,
        rules_created,
    })
}

/// The catalogue rows with the type of the responsible unit.
fn catalogue_rows(
    entries: &[CatalogueEntry],
    lines: &[catalogue::LineDepartment],
) -> Vec<(CatalogueEntry, String)> {
    entries
        .iter()
        .map(|e| {
            let unit_type = lines
                .iter()
                .find(|l| l.line == e.line)
                .map(|l| l.unit_type.clone())
                .unwrap_or_default();
            (e.clone(), unit_type)
        })
        .collect()
}

/// The people's government of the province, each prefecture and each county, parents
/// first. Townships have no unit of their own here: A12's fallback for a township is its
/// county (township governments and street offices come in through the import).
pub fn governments(regions: &Regions) -> Vec<DirectoryUnit> {
    [Level::Province, Level::Prefecture, Level::County]
        .into_iter()
        .flat_map(|level| regions.at_level(level))
        .map(|division| DirectoryUnit {
            unit_id: government_unit_id(&division.code),
            // 贵州省人民政府, 贵阳市人民政府, 黔东南苗族侗族自治州人民政府, 南明区人民政府.
            name: format!("{}人民政府", division.name),
            unit_type: "government".to_owned(),
            level: division.level,
            region_code: division.code.clone(),
            parent_unit_id: division.parent.as_deref().map(government_unit_id),
            line: None,
            duties: Vec::new(),
        })
        .collect()
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
        assert_eq!(by_id("gov-520102").level, Level::County);
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
    fn the_standard_directory_routes_the_happy_path_as_documented() {
        let regions = Regions::bundled().unwrap();
        let (lines, entries) = catalogue::bundled().unwrap();
        let (units, rules) = catalogue::standard_directory(&regions, &lines, &entries);
        let units: HashSet<String> = governments(&regions)
            .into_iter()
            .chain(units)
            .map(|u| u.unit_id)
            .collect();
        let unit_for = |category: Option<&str>, region: &str| {
            decide(category, region, &rules, &regions, &units).unwrap()
        };
        // The README's example: a noise complaint in Nanming goes to Nanming's office.
        let noise = unit_for(Some("environment.noise"), "520102");
        assert_eq!(noise.unit_id, "520102-env");
        assert_eq!(noise.rule_id.as_deref(), Some("520102:environment.noise"));
        // A street of Nanming: the county rule covers it.
        assert_eq!(
            unit_for(Some("market.consumer"), "520102016").unit_id,
            "520102-market"
        );
        // An order located only at the city: the city's bureau.
        assert_eq!(
            unit_for(Some("environment.noise"), "520100").unit_id,
            "520100-env"
        );
        // Taxis are regulated city-wide; the fund centre is the prefecture's.
        assert_eq!(
            unit_for(Some("transport.taxi"), "520102").unit_id,
            "520100-transport"
        );
        assert_eq!(
            unit_for(Some("housing_fund.withdrawal"), "522601").unit_id,
            "522600-housing_fund"
        );
        // A8: the tax sub-center hotline, province-wide.
        assert_eq!(
            unit_for(Some("tax.service"), "522601").unit_id,
            "520000-12366"
        );
        // Outside the catalogue: the territory's government.
        let fallback = unit_for(Some("roads.potholes"), "520302");
        assert_eq!(fallback.unit_id, "gov-520302");
        assert_eq!(fallback.basis, DispatchBasis::Territorial);
    }
}
