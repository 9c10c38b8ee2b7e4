//! Checking an imported directory file (A5) before any of it is written: every record is
//! checked against the divisions, the catalogue, the unit types and the directory as it
//! stands, and every fault is reported at once with the record's position
//! (`records[3].region_code`), so the operator fixes the file in one go. Nothing is
//! imported while any record is wrong.
//!
//! Pure: the caller loads the current parents of every unit and the catalogue's
//! categories.

use std::collections::{HashMap, HashSet};

use hotline_contract::directory::{UnitContact, UnitRecord};
use hotline_contract::rpc::FieldError;
use hotline_reference::{Level, Regions};

use crate::domain::catalogue::{UNIT_TYPES, is_category_code};

/// Most records in one import.
pub const MAX_RECORDS: usize = 10_000;
/// Longest unit id.
pub const MAX_ID_CHARS: usize = 64;
/// Longest unit name.
pub const MAX_NAME_CHARS: usize = 100;
/// Most contact points per unit.
pub const MAX_CONTACTS: usize = 10;
/// Longest contact label and value.
pub const MAX_LABEL_CHARS: usize = 20;
pub const MAX_VALUE_CHARS: usize = 200;

/// What the checks need from the database.
#[derive(Debug)]
pub struct DirectoryState<'a> {
    pub regions: &'a Regions,
    /// The catalogue's categories.
    pub categories: &'a HashSet<String>,
    /// Every unit in the directory and its parent.
    pub parents: &'a HashMap<String, Option<String>>,
}

fn fault(i: usize, field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: format!("records[{i}].{field}"),
        code: code.to_owned(),
        message: message.into(),
    }
}

fn bad_text(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// A unit id: ASCII letters, digits, `-` and `_`.
pub fn is_unit_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Check every record; `Ok` with the records trimmed, or every fault.
pub fn check(
    records: &[UnitRecord],
    state: &DirectoryState<'_>,
) -> Result<Vec<UnitRecord>, Vec<FieldError>> {
    let mut faults = Vec::new();
    if records.len() > MAX_RECORDS {
        faults.push(FieldError {
            field: "data".to_owned(),
            code: "too_many".to_owned(),
            message: format!("一次最多导入 {MAX_RECORDS} 个单位"),
        });
        return Err(faults);
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let mut r = record.clone();
        r.unit_id = r.unit_id.trim().to_owned();
        r.name = r.name.trim().to_owned();
        r.parent_unit_id = r
            .parent_unit_id
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        r.line = r
            .line
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty());
        if !is_unit_id(&r.unit_id) {
            faults.push(fault(
                i,
                "unit_id",
                "invalid_format",
                format!("单位编码须为 1–{MAX_ID_CHARS} 位字母、数字、- 或 _"),
            ));
        } else if !seen.insert(r.unit_id.clone()) {
            faults.push(fault(
                i,
                "unit_id",
                "duplicate",
                format!("单位编码 {} 在文件中重复", r.unit_id),
            ));
        }
        if r.name.is_empty() {
            faults.push(fault(i, "name", "required", "必须填写单位名称"));
        } else if r.name.chars().count() > MAX_NAME_CHARS || bad_text(&r.name) {
            faults.push(fault(
                i,
                "name",
                "invalid_format",
                format!("单位名称不超过 {MAX_NAME_CHARS} 字且不含控制字符"),
            ));
        }
        if !UNIT_TYPES.contains(&r.unit_type.as_str()) {
            faults.push(fault(
                i,
                "unit_type",
                "unknown",
                format!("单位类型须为：{}", UNIT_TYPES.join("、")),
            ));
        }
        match state.regions.get(&r.region_code) {
            None => faults.push(fault(
                i,
                "region_code",
                "unknown_region",
                format!("未知的行政区划代码 {}", r.region_code),
            )),
            Some(division) => {
                if Level::from_code(&r.level) != Some(division.level) {
                    faults.push(fault(
                        i,
                        "level",
                        "level_mismatch",
                        format!(
                            "{}（{}）的层级是 {}",
                            division.name,
                            division.code,
                            division.level.code()
                        ),
                    ));
                }
                let township_type = matches!(
                    r.unit_type.as_str(),
                    "township_government" | "street_office"
                );
                if township_type && division.level != Level::Township {
                    faults.push(fault(
                        i,
                        "unit_type",
                        "level_mismatch",
                        "乡镇人民政府和街道办事处须对应乡镇级区划",
                    ));
                }
            }
        }
        if let Some(line) = &r.line
            && (line.len() > 40
                || !line
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
        {
            faults.push(fault(
                i,
                "line",
                "invalid_format",
                "条线代码须为小写字母、数字或 _",
            ));
        }
        for (n, duty) in r.duties.iter().enumerate() {
            if !is_category_code(duty) || !state.categories.contains(duty) {
                faults.push(fault(
                    i,
                    &format!("duties[{n}]"),
                    "unknown_category",
                    format!("{duty} 不在派单目录中"),
                ));
            }
        }
        check_contacts(i, &r.contacts, &mut faults);
        out.push(r);
    }
    check_parents(&out, state.parents, &mut faults);
    if faults.is_empty() {
        Ok(out)
    } else {
        Err(faults)
    }
}

fn check_contacts(i: usize, contacts: &[UnitContact], faults: &mut Vec<FieldError>) {
    if contacts.len() > MAX_CONTACTS {
        faults.push(fault(
            i,
            "contacts",
            "too_many",
            format!("联系方式最多 {MAX_CONTACTS} 条"),
        ));
    }
    for (n, c) in contacts.iter().enumerate() {
        let label_ok = !c.label.trim().is_empty()
            && c.label.chars().count() <= MAX_LABEL_CHARS
            && !c.label.contains([':', '|']);
        if !label_ok || bad_text(&c.label) {
            faults.push(fault(
                i,
                &format!("contacts[{n}].label"),
                "invalid_format",
                format!("联系方式名称须为 1–{MAX_LABEL_CHARS} 字，不含 : 或 |"),
            ));
        }
        let value_ok = !c.value.trim().is_empty()
            && c.value.chars().count() <= MAX_VALUE_CHARS
            && !c.value.contains('|');
        if !value_ok || bad_text(&c.value) {
            faults.push(fault(
                i,
                &format!("contacts[{n}].value"),
                "invalid_format",
                format!("联系方式内容须为 1–{MAX_VALUE_CHARS} 字，不含 |"),
            ));
        }
    }
}

/// Every parent exists (in the file or the directory), and no unit becomes its own
/// ancestor once the file is applied.
fn check_parents(
    records: &[UnitRecord],
    existing: &HashMap<String, Option<String>>,
    faults: &mut Vec<FieldError>,
) {
    let mut parents: HashMap<&str, Option<&str>> = existing
        .iter()
        .map(|(id, parent)| (id.as_str(), parent.as_deref()))
        .collect();
    for r in records {
        parents.insert(&r.unit_id, r.parent_unit_id.as_deref());
    }
    for (i, r) in records.iter().enumerate() {
        let Some(parent) = r.parent_unit_id.as_deref() else {
            continue;
        };
        if !parents.contains_key(parent) {
            faults.push(fault(
                i,
                "parent_unit_id",
                "unknown_unit",
                format!("上级单位 {parent} 不存在"),
            ));
            continue;
        }
        let mut at = Some(parent);
        let mut steps = 0;
        while let Some(id) = at {
            if id == r.unit_id || steps > parents.len() {
                faults.push(fault(i, "parent_unit_id", "cycle", "上级单位关系形成循环"));
                break;
            }
            steps += 1;
            at = parents.get(id).copied().flatten();
        }
    }
}

/// The code prefix of every division inside `code` (GB/T 2260: `52` for the province,
/// `5201` for Guiyang, `520102` for Nanming and its streets).
pub fn territory_prefix(code: &str) -> &str {
    if code.len() != 6 {
        return code;
    }
    let trimmed = code.trim_end_matches("00");
    // 520000 → 52, 520100 → 5201; a county keeps its six digits.
    if trimmed.len().is_multiple_of(2) {
        trimmed
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, region: &str, level: &str) -> UnitRecord {
        UnitRecord {
            unit_id: id.to_owned(),
            name: "南明区某局".to_owned(),
            unit_type: "department".to_owned(),
            level: level.to_owned(),
            region_code: region.to_owned(),
            parent_unit_id: Some("gov-520102".to_owned()),
            line: Some("market".to_owned()),
            duties: vec!["market.consumer".to_owned()],
            contacts: vec![UnitContact {
                label: "值班电话".to_owned(),
                value: "0851-00000000".to_owned(),
            }],
            active: true,
        }
    }

    fn fields(result: Result<Vec<UnitRecord>, Vec<FieldError>>) -> Vec<String> {
        result
            .unwrap_err()
            .into_iter()
            .map(|f| format!("{}:{}", f.field, f.code))
            .collect()
    }

    struct World {
        regions: Regions,
        categories: HashSet<String>,
        parents: HashMap<String, Option<String>>,
    }

    impl World {
        fn new() -> Self {
            let parents = [
                ("gov-520000", None),
                ("gov-520100", Some("gov-520000")),
                ("gov-520102", Some("gov-520100")),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.map(str::to_owned)))
            .collect();
            World {
                regions: Regions::bundled().unwrap(),
                categories: ["market.consumer".to_owned()].into(),
                parents,
            }
        }
        fn state(&self) -> DirectoryState<'_> {
            DirectoryState {
                regions: &self.regions,
                categories: &self.categories,
                parents: &self.parents,
            }
        }
    }

    #[test]
    fn a_good_file_passes_trimmed() {
        let w = World::new();
        let mut r = record(" 520102-x ", "520102", "county");
        r.name = " 南明区某局 ".to_owned();
        let out = check(&[r], &w.state()).unwrap();
        assert_eq!(out[0].unit_id, "520102-x");
        assert_eq!(out[0].name, "南明区某局");
    }

    #[test]
    fn every_fault_is_named_with_its_record() {
        let w = World::new();
        let mut bad = record("bad id!", "999999", "county");
        bad.name = String::new();
        bad.unit_type = "palace".to_owned();
        bad.duties = vec!["roads.nowhere".to_owned()];
        bad.contacts = vec![UnitContact {
            label: "a|b".to_owned(),
            value: String::new(),
        }];
        bad.parent_unit_id = Some("nobody".to_owned());
        let wrong_level = record("520102-y", "520102", "prefecture");
        let dup = record("520102-y", "520102", "county");
        let street = UnitRecord {
            unit_type: "street_office".to_owned(),
            ..record("520102-z", "520102", "county")
        };
        let got = fields(check(&[bad, wrong_level, dup, street], &w.state()));
        for expected in [
            "records[0].unit_id:invalid_format",
            "records[0].name:required",
            "records[0].unit_type:unknown",
            "records[0].region_code:unknown_region",
            "records[0].duties[0]:unknown_category",
            "records[0].contacts[0].label:invalid_format",
            "records[0].contacts[0].value:invalid_format",
            "records[0].parent_unit_id:unknown_unit",
            "records[1].level:level_mismatch",
            "records[2].unit_id:duplicate",
            "records[3].unit_type:level_mismatch",
        ] {
            assert!(
                got.contains(&expected.to_owned()),
                "{expected} missing from {got:?}"
            );
        }
    }

    #[test]
    fn parents_may_come_from_the_file_but_never_form_a_cycle() {
        let w = World::new();
        let mut a = record("a", "520102", "county");
        let mut b = record("b", "520102", "county");
        b.parent_unit_id = Some("a".to_owned());
        assert!(check(&[a.clone(), b.clone()], &w.state()).is_ok());
        a.parent_unit_id = Some("b".to_owned());
        assert_eq!(
            fields(check(&[a, b], &w.state())),
            [
                "records[0].parent_unit_id:cycle",
                "records[1].parent_unit_id:cycle"
            ]
        );
        // Re-parenting an existing government under its own child.
        let mut gov = record("gov-520100", "520100", "prefecture");
        gov.unit_type = "government".to_owned();
        gov.parent_unit_id = Some("gov-520102".to_owned());
        assert_eq!(
            fields(check(&[gov], &w.state())),
            ["records[0].parent_unit_id:cycle"]
        );
    }

    #[test]
    fn territory_prefixes_follow_gb_t_2260() {
        assert_eq!(territory_prefix("520000"), "52");
        assert_eq!(territory_prefix("520100"), "5201");
        assert_eq!(territory_prefix("520102"), "520102");
        assert_eq!(territory_prefix("520102016"), "520102016");
    }
}
