//! Exports for analysts (A20): `hotline-analytics export --format csv [--from DATE]
//! [--to DATE] --out FILE` writes the fact rows of the orders registered from the start of
//! `--from` to the end of `--to` (civil days in Asia/Shanghai, both inclusive; either may
//! be left open) as CSV, one line per order, streamed so that millions of rows take no
//! memory.
//!
//! Only personal-data-free columns: the order's id (not its number, which the public
//! status page answers to), what it was about and where, its steps and outcomes. No staff
//! ids either (the staff assessment, A19, is for the center head and the authority).
//! Parquet is not offered yet: see `docs/analysts.md`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use futures::TryStreamExt;
use sqlx::PgPool;

/// The exported columns, in order (the CSV header).
pub const COLUMNS: &[&str] = &[
    "order_id",
    "kind",
    "channel",
    "region_code",
    "category",
    "unit_id",
    "registered_at",
    "dispatched_at",
    "signed_at",
    "result_submitted_at",
    "closed_at",
    "disposition",
    "disposition_reason",
    "follow_up_of",
    "repeat_of",
    "transfer_requested_at",
    "satisfaction",
    "resolved",
    "satisfaction_at",
    "sign_overdue",
    "handling_overdue",
    "disputed",
    "redispatched",
    "handling_working_days",
    "send_backs",
    "cases",
    "cases_closed",
];

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
}

/// A parsed `export` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportArgs {
    pub format: Format,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub out: PathBuf,
}

/// Parse the arguments after `export`; the error says what is wrong.
pub fn parse(args: &[String]) -> Result<ExportArgs, String> {
    let (mut format, mut from, mut to, mut out) = (None, None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let date = |v: &str| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| format!("{flag}: not a date (YYYY-MM-DD): {v:?}"))
        };
        match flag.as_str() {
            "--format" => {
                format = Some(match value.as_str() {
                    "csv" => Format::Csv,
                    "parquet" => {
                        return Err("--format parquet is not available yet; use csv".to_owned());
                    }
                    other => return Err(format!("--format: csv, not {other:?}")),
                });
            }
            "--from" => from = Some(date(value)?),
            "--to" => to = Some(date(value)?),
            "--out" => out = Some(PathBuf::from(value)),
            other => {
                return Err(format!(
                    "unknown flag {other:?} (--format, --from, --to, --out)"
                ));
            }
        }
    }
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err("--to is before --from".to_owned());
    }
    Ok(ExportArgs {
        format: format.ok_or("--format is required (csv)")?,
        from,
        to,
        out: out.ok_or("--out is required")?,
    })
}

/// The instant a civil day starts in Asia/Shanghai.
fn day_start(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Write the export; returns the rows written. The file is written whole or not at all
/// (a temporary file renamed at the end).
pub async fn export(pool: &PgPool, args: &ExportArgs) -> anyhow::Result<u64> {
    let from = args.from.map(day_start);
    let to = args.to.and_then(|d| d.succ_opt()).map(day_start);
    let select = COLUMNS
        .iter()
        .map(|c| format!("{c}::text"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT ARRAY[{select}] FROM analytics.order_facts \
         WHERE registered_at IS NOT NULL \
           AND ($1::timestamptz IS NULL OR registered_at >= $1) \
           AND ($2::timestamptz IS NULL OR registered_at < $2) \
         ORDER BY registered_at, order_id"
    );
    let partial = args.out.with_extension("partial");
    let file =
        std::fs::File::create(&partial).with_context(|| format!("create {}", partial.display()))?;
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
    writer.write_record(COLUMNS)?;
    let mut rows = sqlx::query_scalar::<_, Vec<Option<String>>>(&sql)
        .bind(from)
        .bind(to)
        .fetch(pool);
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await? {
        writer.write_record(row.iter().map(|v| v.as_deref().unwrap_or("")))?;
        n += 1;
    }
    writer.into_inner().map_err(|e| e.into_error())?.flush()?;
    std::fs::rename(&partial, &args.out)
        .with_context(|| format!("rename to {}", args.out.display()))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_full_command_line_parses() {
        assert_eq!(
            parse(&args(
                "--format csv --from 2026-03-01 --to 2026-03-31 --out f.csv"
            )),
            Ok(ExportArgs {
                format: Format::Csv,
                from: NaiveDate::from_ymd_opt(2026, 3, 1),
                to: NaiveDate::from_ymd_opt(2026, 3, 31),
                out: PathBuf::from("f.csv"),
            })
        );
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        for (line, says) in [
            ("--out f.csv", "--format is required"),
            ("--format csv", "--out is required"),
            ("--format xls --out f", "--format: csv"),
            ("--format parquet --out f", "not available"),
            ("--format csv --from 2026-3 --out f", "not a date"),
            (
                "--format csv --from 2026-03-02 --to 2026-03-01 --out f",
                "before",
            ),
            ("--format csv --out", "needs a value"),
            ("--format csv --since 2026-03-01 --out f", "unknown flag"),
        ] {
            let error = parse(&args(line)).unwrap_err();
            assert!(error.contains(says), "{line}: {error}");
        }
    }

    #[test]
    fn days_start_at_beijing_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        assert_eq!(
            day_start(day),
            "2026-02-28T16:00:00Z"
                .parse::<DateTime<Utc>>()
                .unwrap_or_default()
        );
    }
}
