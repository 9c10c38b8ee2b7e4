//! Directory files: parsing an import (JSON array or CSV) into [`UnitRecord`]s, and
//! writing an export. The two formats carry the same fields; an export re-imports as is.
//!
//! CSV columns, with a header: `unit_id, name, unit_type, level, region_code,
//! parent_unit_id, line, duties, contacts, active`. `duties` are catalogue categories
//! joined by `|`; `contacts` are `label:value` pairs joined by `|` (`值班电话:0851-…`);
//! `active` is `true` or `false` (empty: true); other empty cells are absent values.

use hotline_contract::directory::{TransferFormat, UnitContact, UnitRecord};
use hotline_contract::rpc::FieldError;

/// CSV header, in column order.
pub const CSV_COLUMNS: [&str; 10] = [
    "unit_id",
    "name",
    "unit_type",
    "level",
    "region_code",
    "parent_unit_id",
    "line",
    "duties",
    "contacts",
    "active",
];

fn data_error(code: &str, message: String) -> FieldError {
    FieldError {
        field: "data".to_owned(),
        code: code.to_owned(),
        message,
    }
}

/// The records of a file, or what makes it unreadable (record-level checks come later,
/// in [`crate::domain::directory::check`]).
pub fn parse(format: TransferFormat, data: &str) -> Result<Vec<UnitRecord>, Vec<FieldError>> {
    match format {
        TransferFormat::Json => serde_json::from_str::<Vec<UnitRecord>>(data).map_err(|e| {
            vec![data_error(
                "invalid_json",
                format!(
                    "JSON 无法解析（第 {} 行第 {} 列）：{e}",
                    e.line(),
                    e.column()
                ),
            )]
        }),
        TransferFormat::Csv => parse_csv(data),
    }
}

fn optional(cell: &str) -> Option<String> {
    let cell = cell.trim();
    (!cell.is_empty()).then(|| cell.to_owned())
}

fn list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split('|').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_csv(data: &str) -> Result<Vec<UnitRecord>, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(data.as_bytes());
    let header_ok = reader
        .headers()
        .map(|h| h.iter().map(str::trim).eq(CSV_COLUMNS))
        .unwrap_or(false);
    if !header_ok {
        return Err(vec![data_error(
            "invalid_header",
            format!("CSV 表头须为：{}", CSV_COLUMNS.join(",")),
        )]);
    }
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let fault = |field: &str, code: &str, message: String| FieldError {
            field: format!("records[{i}]{field}"),
            code: code.to_owned(),
            message,
        };
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(fault(
                    "",
                    "invalid_csv",
                    format!("CSV 第 {} 条记录无法解析：{e}", i + 1),
                ));
                continue;
            }
        };
        let cell = |n: usize| row.get(n).unwrap_or_default();
        let mut contacts = Vec::new();
        for (n, pair) in list(cell(8)).enumerate() {
            match pair.split_once(':') {
                Some((label, value)) => contacts.push(UnitContact {
                    label: label.trim().to_owned(),
                    value: value.trim().to_owned(),
                }),
                None => errors.push(fault(
                    &format!(".contacts[{n}]"),
                    "invalid_format",
                    "联系方式须写成 名称:内容".to_owned(),
                )),
            }
        }
        let active = match cell(9).trim() {
            "" | "true" => true,
            "false" => false,
            other => {
                errors.push(fault(
                    ".active",
                    "invalid_format",
                    format!("active 须为 true 或 false，不是 {other}"),
                ));
                true
            }
        };
        records.push(UnitRecord {
            unit_id: cell(0).trim().to_owned(),
            name: cell(1).trim().to_owned(),
            unit_type: cell(2).trim().to_owned(),
            level: cell(3).trim().to_owned(),
            region_code: cell(4).trim().to_owned(),
            parent_unit_id: optional(cell(5)),
            line: optional(cell(6)),
            duties: list(cell(7)).map(str::to_owned).collect(),
            contacts,
            active,
        });
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(errors)
    }
}

/// Write `records` in `format`.
pub fn write(format: TransferFormat, records: &[UnitRecord]) -> Result<String, String> {
    match format {
        TransferFormat::Json => serde_json::to_string_pretty(records).map_err(|e| e.to_string()),
        TransferFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(CSV_COLUMNS)
                .map_err(|e| e.to_string())?;
            for r in records {
                let contacts: Vec<String> = r
                    .contacts
                    .iter()
                    .map(|c| format!("{}:{}", c.label, c.value))
                    .collect();
                writer
                    .write_record([
                        r.unit_id.as_str(),
                        &r.name,
                        &r.unit_type,
                        &r.level,
                        &r.region_code,
                        r.parent_unit_id.as_deref().unwrap_or_default(),
                        r.line.as_deref().unwrap_or_default(),
                        &r.duties.join("|"),
                        &contacts.join("|"),
                        if r.active { "true" } else { "false" },
                    ])
                    .map_err(|e| e.to_string())?;
            }
            let bytes = writer.into_inner().map_err(|e| e.to_string())?;
            String::from_utf8(bytes).map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> UnitRecord {
        UnitRecord {
            unit_id: "520102-market".to_owned(),
            name: "南明区市场监督管理局, \"消保\"".to_owned(),
            unit_type: "department".to_owned(),
            level: "county".to_owned(),
            region_code: "520102".to_owned(),
            parent_unit_id: Some("gov-520102".to_owned()),
            line: Some("market".to_owned()),
            duties: vec!["market.consumer".to_owned(), "market.food".to_owned()],
            contacts: vec![
                UnitContact {
                    label: "值班电话".to_owned(),
                    value: "0851-00000000".to_owned(),
                },
                UnitContact {
                    label: "地址".to_owned(),
                    value: "南明区某路1号".to_owned(),
                },
            ],
            active: false,
        }
    }

    #[test]
    fn both_formats_round_trip() {
        let records = vec![
            record(),
            UnitRecord {
                parent_unit_id: None,
                line: None,
                duties: vec![],
                contacts: vec![],
                active: true,
                ..record()
            },
        ];
        for format in [TransferFormat::Json, TransferFormat::Csv] {
            let text = write(format, &records).unwrap();
            assert_eq!(parse(format, &text).unwrap(), records, "{format:?}");
        }
    }

    #[test]
    fn unreadable_files_say_where() {
        let err = parse(TransferFormat::Csv, "id,name\n1,2\n").unwrap_err();
        assert_eq!(err[0].code, "invalid_header");
        let header = CSV_COLUMNS.join(",");
        let err = parse(
            TransferFormat::Csv,
            &format!("{header}\na,b,c,d,e,f,g,h,电话0851,maybe\n"),
        )
        .unwrap_err();
        let fields: Vec<&str> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["records[0].contacts[0]", "records[0].active"]);
        let err = parse(TransferFormat::Csv, &format!("{header}\na,b\n")).unwrap_err();
        assert_eq!(err[0].code, "invalid_csv");
        let err = parse(TransferFormat::Json, "[{\"unit_id\": 1}]").unwrap_err();
        assert_eq!(err[0].code, "invalid_json");
    }
}
