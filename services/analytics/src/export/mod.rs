//! Exports for analysts (A20): `hotline-analytics export --format csv|parquet [--from DATE]
//! [--to DATE] --out FILE` writes the fact rows of the orders registered from the start of
//! `--from` to the end of `--to` (civil days in Asia/Shanghai, both inclusive; either may
//! be left open), one row per order, streamed so that millions of rows take bounded memory.
//!
//! Only personal-data-free columns ([`COLUMNS`]): the order's id (not its number, which
//! the public status page answers to), what it was about and where, its steps and
//! outcomes. No staff ids either (the staff assessment, A19, is for the center head and the
//! authority). Both formats read the same query ([`rows`]); [`csv`] writes text cells,
//! [`parquet`] typed columns. Either file is written whole or not at all: to
//! `<out>.partial`, renamed at the end.

pub mod csv;
pub mod parquet;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use futures::Stream;
use sqlx::PgPool;
use sqlx::postgres::PgRow;

/// What a column holds, which decides its Parquet type (CSV writes every one as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text, or an id written in its text form (uuid); may be empty.
    Text,
    /// An instant (UTC); may be empty.
    Instant,
    /// A yes/no that may not be known yet.
    OptionalFlag,
    /// A yes/no that is always known.
    Flag,
    /// A whole number that may not be known yet.
    OptionalCount,
    /// A whole number that is always known (a count, 0 when nothing happened).
    Count,
}

/// One exported column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
}

const fn column(name: &'static str, kind: ColumnKind) -> Column {
    Column { name, kind }
}

/// The exported columns, in order (the CSV header, the Parquet schema).
pub const COLUMNS: &[Column] = {
    use ColumnKind::*;
    &[
        column("order_id", Text),
        column("kind", Text),
        column("channel", Text),
        column("region_code", Text),
        column("category", Text),
        column("unit_id", Text),
        column("registered_at", Instant),
        column("dispatched_at", Instant),
        column("signed_at", Instant),
        column("result_submitted_at", Instant),
        column("closed_at", Instant),
        column("disposition", Text),
        column("disposition_reason", Text),
        column("follow_up_of", Text),
        column("repeat_of", Text),
        column("transfer_requested_at", Instant),
        column("satisfaction", Text),
        column("resolved", OptionalFlag),
        column("satisfaction_at", Instant),
        column("sign_overdue", Flag),
        column("handling_overdue", Flag),
        column("disputed", Flag),
        column("redispatched", Flag),
        column("handling_working_days", OptionalCount),
        column("send_backs", Count),
        column("cases", Count),
        column("cases_closed", Count),
    ]
};

/// The column names, in order.
pub fn column_names() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.name).collect()
}

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
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
                    "parquet" => Format::Parquet,
                    other => return Err(format!("--format: csv or parquet, not {other:?}")),
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
        format: format.ok_or("--format is required (csv or parquet)")?,
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

/// The export query: the [`COLUMNS`] in order (ids cast to text, everything else in its
/// own type) of the orders registered in `[$1, $2)`, either end open when NULL.
static QUERY: LazyLock<String> = LazyLock::new(|| {
    let select = COLUMNS
        .iter()
        .map(|c| match c.name {
            "order_id" | "follow_up_of" | "repeat_of" => format!("{0}::text AS {0}", c.name),
            name => name.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {select} FROM analytics.order_facts \
         WHERE registered_at IS NOT NULL \
           AND ($1::timestamptz IS NULL OR registered_at >= $1) \
           AND ($2::timestamptz IS NULL OR registered_at < $2) \
         ORDER BY registered_at, order_id"
    )
});

/// The period's fact rows, oldest registration first, streamed from the database.
pub fn rows<'a>(
    pool: &'a PgPool,
    args: &ExportArgs,
) -> impl Stream<Item = Result<PgRow, sqlx::Error>> + 'a {
    let from = args.from.map(day_start);
    let to = args.to.and_then(|d| d.succ_opt()).map(day_start);
    sqlx::query(QUERY.as_str()).bind(from).bind(to).fetch(pool)
}

/// One cell of a fact row, typed by its column's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Instant(Option<DateTime<Utc>>),
    Flag(Option<bool>),
    Count(Option<i32>),
}

impl Value {
    /// Read column `index` of a row of [`rows`].
    pub fn read(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(match COLUMNS[index].kind {
            ColumnKind::Text => Self::Text(row.try_get(index)?),
            ColumnKind::Instant => Self::Instant(row.try_get(index)?),
            ColumnKind::OptionalFlag | ColumnKind::Flag => Self::Flag(row.try_get(index)?),
            ColumnKind::OptionalCount | ColumnKind::Count => Self::Count(row.try_get(index)?),
        })
    }

    /// The CSV cell: empty when not known; instants in RFC 3339 UTC
    /// (`2026-03-01T08:00:00Z`), flags `true`/`false`.
    pub fn to_cell(&self) -> String {
        match self {
            Self::Text(v) => v.clone().unwrap_or_default(),
            Self::Instant(v) => v
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                .unwrap_or_default(),
            Self::Flag(v) => v.map(|b| b.to_string()).unwrap_or_default(),
            Self::Count(v) => v.map(|n| n.to_string()).unwrap_or_default(),
        }
    }
}

/// Write the export in the asked format; returns the rows written.
pub async fn export(pool: &PgPool, args: &ExportArgs) -> anyhow::Result<u64> {
    let partial = args.out.with_extension("partial");
    let n = match args.format {
        Format::Csv => csv::write(rows(pool, args), &partial).await?,
        Format::Parquet => parquet::write(rows(pool, args), &partial).await?,
    };
    finish(&partial, &args.out)?;
    Ok(n)
}

/// Rename the complete file into place.
fn finish(partial: &Path, out: &Path) -> anyhow::Result<()> {
    std::fs::rename(partial, out).with_context(|| format!("rename to {}", out.display()))
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
            ("--format xls --out f", "--format: csv or parquet"),
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
