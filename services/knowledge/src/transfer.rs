//! Bulk files: parsing an import (JSON array or CSV) into records, and writing an export.
//!
//! CSV columns, with a header: `article_id, title, questions, answer, category,
//! region_code, owner_unit_id, legal_basis, valid_from, valid_until, tags`; the list fields
//! (`questions`, `tags`) are joined by `|`; empty cells are absent values; dates are
//! `YYYY-MM-DD`. JSON is an array of [`ArticleRecord`].

use chrono::NaiveDate;
use hotline_contract::knowledge::{ArticleContent, ArticleRecord, TransferFormat};
use hotline_contract::rpc::FieldError;

/// CSV header, in column order.
pub const CSV_COLUMNS: [&str; 11] = [
    "article_id",
    "title",
    "questions",
    "answer",
    "category",
    "region_code",
    "owner_unit_id",
    "legal_basis",
    "valid_from",
    "valid_until",
    "tags",
];

/// Most records in one import.
pub const MAX_RECORDS: usize = 5_000;

fn error(field: String, code: &str, message: String) -> FieldError {
    FieldError {
        field,
        code: code.to_owned(),
        message,
    }
}

/// The records of a bulk file, or what is wrong with it.
pub fn parse(format: TransferFormat, data: &str) -> Result<Vec<ArticleRecord>, Vec<FieldError>> {
    let records = match format {
        TransferFormat::Json => serde_json::from_str::<Vec<ArticleRecord>>(data).map_err(|e| {
            vec![error(
                "data".to_owned(),
                "invalid_json",
                format!(
                    "JSON 无法解析（第 {} 行第 {} 列）：{e}",
                    e.line(),
                    e.column()
                ),
            )]
        })?,
        TransferFormat::Csv => parse_csv(data)?,
    };
    if records.len() > MAX_RECORDS {
        return Err(vec![error(
            "data".to_owned(),
            "too_many",
            format!("一次最多导入 {MAX_RECORDS} 条"),
        )]);
    }
    Ok(records)
}

fn split_list(cell: &str) -> Vec<String> {
    cell.split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(cell: &str) -> Option<String> {
    let cell = cell.trim();
    (!cell.is_empty()).then(|| cell.to_owned())
}

fn parse_csv(data: &str) -> Result<Vec<ArticleRecord>, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(data.as_bytes());
    let header_ok = reader
        .headers()
        .map(|h| h.iter().map(str::trim).eq(CSV_COLUMNS))
        .unwrap_or(false);
    if !header_ok {
        return Err(vec![error(
            "data".to_owned(),
            "invalid_header",
            format!("CSV 表头须为：{}", CSV_COLUMNS.join(",")),
        )]);
    }
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(error(
                    format!("records[{i}]"),
                    "invalid_csv",
                    format!("CSV 第 {} 条记录无法解析：{e}", i + 1),
                ));
                continue;
            }
        };
        let cell = |n: usize| row.get(n).unwrap_or_default();
        let mut date = |n: usize, field: &str| -> Option<NaiveDate> {
            let text = cell(n).trim();
            if text.is_empty() {
                return None;
            }
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_or_else(
                |_| {
                    errors.push(error(
                        format!("records[{i}].{field}"),
                        "invalid_date",
                        "日期须为 YYYY-MM-DD".to_owned(),
                    ));
                    None
                },
                Some,
            )
        };
        let valid_from = date(8, "valid_from");
        let valid_until = date(9, "valid_until");
        records.push(ArticleRecord {
            article_id: cell(0).trim().to_owned(),
            content: ArticleContent {
                title: cell(1).to_owned(),
                questions: split_list(cell(2)),
                answer: cell(3).to_owned(),
                category: cell(4).to_owned(),
                region_code: cell(5).to_owned(),
                owner_unit_id: optional(cell(6)),
                legal_basis: optional(cell(7)),
                valid_from,
                valid_until,
                tags: split_list(cell(10)),
            },
        });
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(errors)
    }
}

/// Write `records` in `format`.
pub fn write(format: TransferFormat, records: &[ArticleRecord]) -> Result<String, String> {
    match format {
        TransferFormat::Json => serde_json::to_string_pretty(records).map_err(|e| e.to_string()),
        TransferFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer
                .write_record(CSV_COLUMNS)
                .map_err(|e| e.to_string())?;
            for r in records {
                let c = &r.content;
                let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                writer
                    .write_record([
                        r.article_id.as_str(),
                        &c.title,
                        &c.questions.join("|"),
                        &c.answer,
                        &c.category,
                        &c.region_code,
                        c.owner_unit_id.as_deref().unwrap_or_default(),
                        c.legal_basis.as_deref().unwrap_or_default(),
                        &date(c.valid_from),
                        &date(c.valid_until),
                        &c.tags.join("|"),
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

    fn record() -> ArticleRecord {
        ArticleRecord {
            article_id: "hpf-withdrawal".to_owned(),
            content: ArticleContent {
                title: "公积金提取, \"材料\"".to_owned(),
                questions: vec!["公积金怎么取".to_owned(), "提取公积金".to_owned()],
                answer: "第一行\n第二行".to_owned(),
                category: "housing_fund.withdrawal".to_owned(),
                region_code: "520100".to_owned(),
                owner_unit_id: Some("520100-hpf".to_owned()),
                legal_basis: None,
                valid_from: NaiveDate::from_ymd_opt(2026, 1, 1),
                valid_until: None,
                tags: vec!["公积金".to_owned()],
            },
        }
    }

    #[test]
    fn csv_and_json_round_trip() {
        for format in [TransferFormat::Csv, TransferFormat::Json] {
            let data = write(format, &[record()]).unwrap();
            assert_eq!(parse(format, &data).unwrap(), [record()], "{format:?}");
        }
    }

    #[test]
    fn a_wrong_header_or_date_is_named() {
        let errors = parse(TransferFormat::Csv, "id,title\n1,2\n").unwrap_err();
        assert_eq!(errors[0].code, "invalid_header");
        let mut data = write(TransferFormat::Csv, &[record()]).unwrap();
        data = data.replace("2026-01-01", "2026/01/01");
        let errors = parse(TransferFormat::Csv, &data).unwrap_err();
        assert_eq!(errors[0].field, "records[0].valid_from");
        let errors = parse(TransferFormat::Json, "[{\"article_id\": 1}]").unwrap_err();
        assert_eq!(errors[0].code, "invalid_json");
    }
}
