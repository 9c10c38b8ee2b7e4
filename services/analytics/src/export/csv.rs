//! The CSV writer: a header of the column names, then one line per order, every cell as
//! text ([`Value::to_cell`]).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use futures::{Stream, TryStreamExt};
use sqlx::postgres::PgRow;

use super::{COLUMNS, Value, column_names};

/// Write `rows` to `path` as CSV; returns the rows written.
pub async fn write(
    rows: impl Stream<Item = Result<PgRow, sqlx::Error>>,
    path: &Path,
) -> anyhow::Result<u64> {
    let file = std::fs::File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut writer = ::csv::Writer::from_writer(std::io::BufWriter::new(file));
    writer.write_record(column_names())?;
    let mut rows = std::pin::pin!(rows);
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await? {
        let cells = (0..COLUMNS.len())
            .map(|i| Value::read(&row, i).map(|v| v.to_cell()))
            .collect::<Result<Vec<_>, _>>()?;
        writer.write_record(&cells)?;
        n += 1;
    }
    writer.into_inner().map_err(|e| e.into_error())?.flush()?;
    Ok(n)
}
