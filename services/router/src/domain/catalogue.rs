//! The dispatch catalogue (派单目录, A9/A12) and the standard directory derived from it.
//!
//! Two operator-updatable data files in `data/router/` (loaded at build time, like the
//! divisions):
//!
//! - `line-departments.csv`: the lines of work (条) the province organises its handling
//!   units by: human resources and social security, market regulation, public security,
//!   ... For each, the type of unit, whether the line is managed vertically (a county
//!   office is a branch of the prefecture's bureau rather than a department of the county
//!   government) and the name pattern of its unit at the province, prefecture and county
//!   levels (`{prefecture}市场监督管理局`, `{county}市场监督管理局`; an empty pattern means
//!   the line has no unit at that level).
//! - `dispatch-catalogue.csv`: every category with its Chinese name, the line responsible
//!   and the **level** at which that line handles it (A12, tiered responsibility: a
//!   consumer complaint is the county market regulator's; a housing-provident-fund
//!   withdrawal is the prefecture fund centre's; telecom service is the province's
//!   communications administration's).
//!
//! From these and the divisions, [`standard_directory`] derives a unit for every line at
//! every level it exists (`<region>-<line>`, e.g. `520102-market`) and the dispatch rules
//! that follow from the catalogue (`<region>:<category>`): a county-level category has a
//! rule in every county **and** in every prefecture (for orders located only at the
//! prefecture, and as the fall-back when a county lacks the unit); a prefecture-level one a
//! rule per prefecture; a province-level one a single province-wide rule. Names follow the
//! common pattern; the real names, contacts and extra units come in through the
//! directory import.
//!
//! Pure: no I/O beyond the bundled text; [`crate::seed`] writes the rows.

use std::collections::{BTreeMap, HashMap, HashSet};

use hotline_reference::{Division, Level, Regions};

use crate::domain::dispatch::{DispatchRule, PROVINCE_CODE, government_unit_id};

/// The bundled line-department file.
pub const LINE_DEPARTMENTS_CSV: &str = include_str!("../../../../data/router/line-departments.csv");
/// The bundled catalogue file.
pub const CATALOGUE_CSV: &str = include_str!("../../../../data/router/dispatch-catalogue.csv");

/// The unit types of the directory (A5), with `government` for the people's governments.
pub const UNIT_TYPES: [&str; 7] = [
    "department",
    "township_government",
    "street_office",
    "authorised_org",
    "public_enterprise",
    "sub_center",
    "government",
];

/// A line of work and its units' shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDepartment {
    pub line: String,
    pub unit_type: String,
    /// A county office is a branch of the prefecture's bureau (its parent), not a
    /// department of the county government.
    pub vertical: bool,
    /// Name pattern per level; `None`: the line has no unit at that level.
    pub province_name: Option<String>,
    pub prefecture_name: Option<String>,
    pub county_name: Option<String>,
}

impl LineDepartment {
    fn pattern(&self, level: Level) -> Option<&str> {
        match level {
            Level::Province => self.province_name.as_deref(),
            Level::Prefecture => self.prefecture_name.as_deref(),
            Level::County => self.county_name.as_deref(),
            Level::Township => None,
        }
    }
}

/// One category of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub category: String,
    pub name: String,
    pub line: String,
    /// Province, prefecture or county.
    pub level: Level,
}

/// A unit the standard directory derives (the row shape of `router.units`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUnit {
    pub unit_id: String,
    pub name: String,
    pub unit_type: String,
    pub level: Level,
    pub region_code: String,
    pub parent_unit_id: Option<String>,
    pub line: Option<String>,
    pub duties: Vec<String>,
}

/// A data file is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {reason}")]
pub struct CatalogueError {
    pub file: &'static str,
    pub line: usize,
    pub reason: String,
}

fn rows(
    file: &'static str,
    text: &str,
    columns: usize,
) -> Result<Vec<(usize, Vec<String>)>, CatalogueError> {
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let cells: Vec<String> = line.split(',').map(|c| c.trim().to_owned()).collect();
            if cells.len() == columns {
                Ok((i + 1, cells))
            } else {
                Err(CatalogueError {
                    file,
                    line: i + 1,
                    reason: format!("expected {columns} columns, found {}", cells.len()),
                })
            }
        })
        .collect()
}

/// Parse `line-departments.csv`.
pub fn parse_lines(text: &str) -> Result<Vec<LineDepartment>, CatalogueError> {
    const FILE: &str = "line-departments.csv";
    let mut seen = HashSet::new();
    rows(FILE, text, 6)?
        .into_iter()
        .map(|(line_no, c)| {
            let err = |reason: String| CatalogueError {
                file: FILE,
                line: line_no,
                reason,
            };
            if !UNIT_TYPES.contains(&c[1].as_str()) || c[1] == "government" {
                return Err(err(format!("unknown unit type {}", c[1])));
            }
            if !seen.insert(c[0].clone()) {
                return Err(err(format!("line {} twice", c[0])));
            }
            let pattern = |cell: &str| (!cell.is_empty()).then(|| cell.to_owned());
            Ok(LineDepartment {
                line: c[0].clone(),
                unit_type: c[1].clone(),
                vertical: match c[2].as_str() {
                    "yes" => true,
                    "no" => false,
                    other => return Err(err(format!("vertical must be yes or no, not {other}"))),
                },
                province_name: pattern(&c[3]),
                prefecture_name: pattern(&c[4]),
                county_name: pattern(&c[5]),
            })
        })
        .collect()
}

/// Parse `dispatch-catalogue.csv`, checking every line names a known line department that
/// has a unit at the category's level.
pub fn parse_catalogue(
    text: &str,
    lines: &[LineDepartment],
) -> Result<Vec<CatalogueEntry>, CatalogueError> {
    const FILE: &str = "dispatch-catalogue.csv";
    let by_line: HashMap<&str, &LineDepartment> =
        lines.iter().map(|l| (l.line.as_str(), l)).collect();
    let mut seen = HashSet::new();
    rows(FILE, text, 4)?
        .into_iter()
        .map(|(line_no, c)| {
            let err = |reason: String| CatalogueError {
                file: FILE,
                line: line_no,
                reason,
            };
            if !is_category_code(&c[0]) {
                return Err(err(format!("category {} is not `group.item`", c[0])));
            }
            if !seen.insert(c[0].clone()) {
                return Err(err(format!("category {} twice", c[0])));
            }
            let level = Level::from_code(&c[3])
                .filter(|l| *l != Level::Township)
                .ok_or_else(|| {
                    err(format!(
                        "level must be province, prefecture or county, not {}",
                        c[3]
                    ))
                })?;
            let line = by_line
                .get(c[2].as_str())
                .ok_or_else(|| err(format!("unknown line {}", c[2])))?;
            if line.pattern(level).is_none() {
                return Err(err(format!(
                    "line {} has no unit at the {} level",
                    c[2], c[3]
                )));
            }
            Ok(CatalogueEntry {
                category: c[0].clone(),
                name: c[1].clone(),
                line: c[2].clone(),
                level,
            })
        })
        .collect()
}

/// A category code: lower-case ASCII words joined by one dot (`market.consumer`).
pub fn is_category_code(code: &str) -> bool {
    let mut parts = code.split('.');
    let word = |w: Option<&str>| {
        w.is_some_and(|w| {
            !w.is_empty()
                && w.len() <= 40
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
    };
    word(parts.next()) && word(parts.next()) && parts.next().is_none()
}

/// The bundled catalogue and line departments.
pub fn bundled() -> Result<(Vec<LineDepartment>, Vec<CatalogueEntry>), CatalogueError> {
    let lines = parse_lines(LINE_DEPARTMENTS_CSV)?;
    let catalogue = parse_catalogue(CATALOGUE_CSV, &lines)?;
    Ok((lines, catalogue))
}

/// The unit id of a line's unit in a region: `520102-market`.
pub fn line_unit_id(region_code: &str, line: &str) -> String {
    format!("{region_code}-{line}")
}

/// The id of the catalogue-derived rule for a category in a territory: `520102:market.consumer`.
pub fn catalogue_rule_id(region_code: &str, category: &str) -> String {
    format!("{region_code}:{category}")
}

/// Units and rules derived from the catalogue for every division (see the module docs).
/// Units come parents first, so a writer can insert them in order.
pub fn standard_directory(
    regions: &Regions,
    lines: &[LineDepartment],
    catalogue: &[CatalogueEntry],
) -> (Vec<DirectoryUnit>, Vec<DispatchRule>) {
    let province = regions.get(PROVINCE_CODE);
    let prefectures = regions.at_level(Level::Prefecture);
    let counties = regions.at_level(Level::County);
    // Duties of a line at a level: the catalogue's categories handled there, plus (for a
    // prefecture) the county-level ones, which it handles for orders located only at it.
    let duties = |line: &str, level: Level| -> Vec<String> {
        catalogue
            .iter()
            .filter(|e| {
                e.line == line
                    && (e.level == level
                        || (level == Level::Prefecture && e.level == Level::County))
            })
            .map(|e| e.category.clone())
            .collect()
    };

    let mut units = Vec::new();
    let mut present: HashSet<String> = HashSet::new();
    let mut add = |division: &Division, level: Level, line: &LineDepartment, parent: String| {
        let Some(pattern) = line.pattern(level) else {
            return;
        };
        let prefecture_name = match level {
            Level::County => division
                .parent
                .as_deref()
                .and_then(|p| regions.get(p))
                .map(|p| p.name.as_str()),
            _ => Some(division.name.as_str()),
        }
        .unwrap_or_default();
        let name = pattern
            .replace("{prefecture}", prefecture_name)
            .replace("{county}", &division.name);
        let unit_id = line_unit_id(&division.code, &line.line);
        present.insert(unit_id.clone());
        units.push(DirectoryUnit {
            unit_id,
            name,
            unit_type: line.unit_type.clone(),
            level,
            region_code: division.code.clone(),
            parent_unit_id: Some(parent),
            line: Some(line.line.clone()),
            duties: duties(&line.line, level),
        });
    };
    for line in lines {
        if let Some(province) = province {
            add(
                province,
                Level::Province,
                line,
                government_unit_id(PROVINCE_CODE),
            );
        }
    }
    for line in lines {
        for prefecture in &prefectures {
            let upper = line_unit_id(PROVINCE_CODE, &line.line);
            let parent = if line.vertical && line.province_name.is_some() {
                upper
            } else {
                government_unit_id(&prefecture.code)
            };
            add(prefecture, Level::Prefecture, line, parent);
        }
    }
    for line in lines {
        for county in &counties {
            let prefecture = county.parent.as_deref().unwrap_or(PROVINCE_CODE);
            let parent = if line.vertical && line.prefecture_name.is_some() {
                line_unit_id(prefecture, &line.line)
            } else {
                government_unit_id(&county.code)
            };
            add(county, Level::County, line, parent);
        }
    }

    let mut rules = Vec::new();
    for entry in catalogue {
        let territories: Vec<&str> = match entry.level {
            Level::Province => vec![PROVINCE_CODE],
            Level::Prefecture => prefectures.iter().map(|d| d.code.as_str()).collect(),
            _ => prefectures
                .iter()
                .chain(counties.iter())
                .map(|d| d.code.as_str())
                .collect(),
        };
        for region in territories {
            let unit_id = line_unit_id(region, &entry.line);
            if !present.contains(&unit_id) {
                continue;
            }
            rules.push(DispatchRule {
                rule_id: catalogue_rule_id(region, &entry.category),
                category: entry.category.clone(),
                region_code: region.to_owned(),
                kind: None,
                unit_id,
                priority: 0,
                version: 1,
            });
        }
    }
    (units, rules)
}

/// The catalogue as category → entry, for lookups.
pub fn by_category(catalogue: &[CatalogueEntry]) -> BTreeMap<&str, &CatalogueEntry> {
    catalogue.iter().map(|e| (e.category.as_str(), e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_files_parse_and_every_line_is_used() {
        let (lines, catalogue) = bundled().unwrap();
        assert!(lines.len() >= 20, "{}", lines.len());
        assert!(catalogue.len() >= 80, "{}", catalogue.len());
        for line in &lines {
            assert!(
                catalogue.iter().any(|e| e.line == line.line),
                "line {} handles no category",
                line.line
            );
        }
    }

    #[test]
    fn bad_rows_name_the_file_and_line() {
        let lines = parse_lines(LINE_DEPARTMENTS_CSV).unwrap();
        let bad =
            "category,name,line,level\nmarket.consumer,消费,market,county\nfoo,x,market,county\n";
        let err = parse_catalogue(bad, &lines).unwrap_err();
        assert_eq!((err.file, err.line), ("dispatch-catalogue.csv", 3));
        let err = parse_catalogue("h\nmarket.x,x,nowhere,county\n", &lines).unwrap_err();
        assert!(err.reason.contains("unknown line"), "{err}");
        // housing_fund has no county unit.
        let err = parse_catalogue("h\nhousing_fund.x,x,housing_fund,county\n", &lines).unwrap_err();
        assert!(err.reason.contains("no unit at the county level"), "{err}");
        let err = parse_lines("h\nx,palace,no,,,\n").unwrap_err();
        assert!(err.reason.contains("unit type"), "{err}");
    }

    #[test]
    fn category_codes_are_two_lower_case_words() {
        assert!(is_category_code("market.consumer"));
        assert!(is_category_code("medical_insurance.outpatient"));
        for bad in ["market", "Market.x", "a.b.c", ".x", "x.", "市场.x", "a b.c"] {
            assert!(!is_category_code(bad), "{bad}");
        }
    }

    #[test]
    fn the_standard_directory_covers_every_county_with_real_codes() {
        let regions = Regions::bundled().unwrap();
        let (lines, catalogue) = bundled().unwrap();
        let (units, rules) = standard_directory(&regions, &lines, &catalogue);
        let by_id: HashMap<&str, &DirectoryUnit> =
            units.iter().map(|u| (u.unit_id.as_str(), u)).collect();
        // Every county has its market regulator, named after it; Nanming's environment
        // office is a branch of Guiyang's bureau (vertical line).
        for county in regions.at_level(Level::County) {
            let unit = by_id[line_unit_id(&county.code, "market").as_str()];
            assert_eq!(unit.name, format!("{}市场监督管理局", county.name));
            assert_eq!(unit.parent_unit_id, Some(government_unit_id(&county.code)));
        }
        let env = by_id["520102-env"];
        assert_eq!(env.name, "贵阳市生态环境局南明区分局");
        assert_eq!(env.parent_unit_id.as_deref(), Some("520100-env"));
        assert_eq!(by_id["520000-12366"].unit_type, "sub_center");
        assert_eq!(by_id["520100-housing_fund"].level, Level::Prefecture);
        assert!(!by_id.contains_key("520102-housing_fund"));
        // Parents first: every parent is a government or an earlier unit.
        let mut seen = HashSet::new();
        for unit in &units {
            let parent = unit.parent_unit_id.as_deref().unwrap();
            assert!(
                parent.starts_with("gov-") || seen.contains(parent),
                "{}",
                unit.unit_id
            );
            seen.insert(unit.unit_id.as_str());
        }
        // Rules name existing units, ids are unique, and the counts follow the levels.
        let ids: HashSet<&str> = rules.iter().map(|r| r.rule_id.as_str()).collect();
        assert_eq!(ids.len(), rules.len());
        assert!(rules.iter().all(|r| by_id.contains_key(r.unit_id.as_str())));
        let count = |category: &str| rules.iter().filter(|r| r.category == category).count();
        assert_eq!(count("market.consumer"), 9 + 88);
        assert_eq!(count("housing_fund.withdrawal"), 9);
        assert_eq!(count("tax.service"), 1);
        assert!(
            units.len() > 1_000 && rules.len() > 5_000,
            "{} {}",
            units.len(),
            rules.len()
        );
    }

    #[test]
    fn duties_list_the_categories_a_unit_handles() {
        let regions = Regions::bundled().unwrap();
        let (lines, catalogue) = bundled().unwrap();
        let (units, _) = standard_directory(&regions, &lines, &catalogue);
        let unit = |id: &str| units.iter().find(|u| u.unit_id == id).unwrap();
        assert!(
            unit("520102-market")
                .duties
                .contains(&"market.consumer".to_owned())
        );
        assert!(
            unit("520100-transport")
                .duties
                .contains(&"transport.taxi".to_owned())
        );
        assert!(
            !unit("520102-transport")
                .duties
                .contains(&"transport.taxi".to_owned())
        );
    }
}
