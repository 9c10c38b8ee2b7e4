//! The Parquet writer: typed columns ([`schema`]), Snappy-compressed, one row group per
//! [`ROW_GROUP_ROWS`] orders, so that a year of orders streams through bounded memory and
//! readers (pandas/pyarrow, polars, DuckDB, Spark) skip row groups by their statistics.
//!
//! Types: text and ids are `BYTE_ARRAY (STRING)`; instants `INT64 TIMESTAMP(MICROS, UTC)`;
//! flags `BOOLEAN`; numbers `INT32`. Columns the projection always knows (the overdue and
//! dispute flags, the counts) are `required`, the rest `optional` (null: not known yet).
//! Written with the `parquet` crate's column API (no Arrow), which keeps the build small.

use std::path::Path;
use std::sync::Arc;

use ::parquet::basic::Compression;
use ::parquet::data_type::{BoolType, ByteArray, ByteArrayType, DataType, Int32Type, Int64Type};
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use ::parquet::schema::parser::parse_message_type;
use anyhow::{Context, bail};
use futures::{Stream, TryStreamExt};
use sqlx::postgres::PgRow;

use super::{COLUMNS, Column, ColumnKind, Value};

/// Orders per row group.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// The file's schema in Parquet's message syntax, one field per export column.
pub fn schema() -> String {
    let fields: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            let name = c.name;
            match c.kind {
                ColumnKind::Text => format!("optional binary {name} (STRING);"),
                ColumnKind::Instant => {
                    format!("optional int64 {name} (TIMESTAMP(MICROS,true));")
                }
                ColumnKind::OptionalFlag => format!("optional boolean {name};"),
                ColumnKind::Flag => format!("required boolean {name};"),
                ColumnKind::OptionalCount => format!("optional int32 {name};"),
                ColumnKind::Count => format!("required int32 {name};"),
            }
        })
        .collect();
    format!("message order_facts {{ {} }}", fields.join(" "))
}

fn required(kind: ColumnKind) -> bool {
    matches!(kind, ColumnKind::Flag | ColumnKind::Count)
}

/// Write `rows` to `path` as Parquet; returns the rows written.
pub async fn write(
    rows: impl Stream<Item = Result<PgRow, sqlx::Error>>,
    path: &Path,
) -> anyhow::Result<u64> {
    let schema = Arc::new(parse_message_type(&schema()).context("export schema")?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("hotline-analytics {}", env!("CARGO_PKG_VERSION")))
            .build(),
    );
    let file = std::fs::File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut writer = SerializedFileWriter::new(std::io::BufWriter::new(file), schema, props)?;

    // Column-major buffers of the current row group.
    let mut group: Vec<Vec<Value>> = COLUMNS
        .iter()
        .map(|_| Vec::with_capacity(ROW_GROUP_ROWS))
        .collect();
    let mut rows = std::pin::pin!(rows);
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await? {
        for (i, column) in group.iter_mut().enumerate() {
            column.push(Value::read(&row, i)?);
        }
        n += 1;
        if group[0].len() == ROW_GROUP_ROWS {
            write_group(&mut writer, &mut group)?;
        }
    }
    if !group[0].is_empty() || n == 0 {
        write_group(&mut writer, &mut group)?;
    }
    writer
        .into_inner()?
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    Ok(n)
}

/// Write the buffered rows as one row group and empty the buffers.
fn write_group<W: std::io::Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    group: &mut [Vec<Value>],
) -> anyhow::Result<()> {
    let mut row_group = writer.next_row_group()?;
    for (column, values) in COLUMNS.iter().zip(group.iter_mut()) {
        let Some(mut out) = row_group.next_column()? else {
            bail!("the schema has fewer columns than the export");
        };
        write_column(&mut out, column, values)?;
        out.close()?;
        values.clear();
    }
    row_group.close()?;
    Ok(())
}

fn write_column(
    out: &mut SerializedColumnWriter<'_>,
    column: &Column,
    values: &[Value],
) -> anyhow::Result<()> {
    match column.kind {
        ColumnKind::Text => write_values::<ByteArrayType>(out, column, values, |v| match v {
            Value::Text(t) => Some(t.as_deref().map(ByteArray::from)),
            _ => None,
        }),
        ColumnKind::Instant => write_values::<Int64Type>(out, column, values, |v| match v {
            Value::Instant(t) => Some(t.map(|t| t.timestamp_micros())),
            _ => None,
        }),
        ColumnKind::OptionalFlag | ColumnKind::Flag => {
            write_values::<BoolType>(out, column, values, |v| match v {
                Value::Flag(b) => Some(*b),
                _ => None,
            })
        }
        ColumnKind::OptionalCount | ColumnKind::Count => {
            write_values::<Int32Type>(out, column, values, |v| match v {
                Value::Count(n) => Some(*n),
                _ => None,
            })
        }
    }
}

/// Write one column's values: `typed` gives a cell's value (`None` when the cell is of
/// another type, which cannot happen for cells read by [`Value::read`]), with definition
/// levels for an optional column; a required column refuses an empty cell.
fn write_values<T: DataType>(
    out: &mut SerializedColumnWriter<'_>,
    column: &Column,
    values: &[Value],
    typed: impl Fn(&Value) -> Option<Option<T::T>>,
) -> anyhow::Result<()> {
    let mut present = Vec::with_capacity(values.len());
    let mut levels = Vec::with_capacity(values.len());
    for value in values {
        let Some(cell) = typed(value) else {
            bail!("column {}: a value of the wrong type", column.name);
        };
        match cell {
            Some(v) => {
                present.push(v);
                levels.push(1);
            }
            None if required(column.kind) => {
                bail!("column {}: empty, but the column is required", column.name);
            }
            None => levels.push(0),
        }
    }
    let levels = (!required(column.kind)).then_some(levels.as_slice());
    out.typed::<T>().write_batch(&present, levels, None)?;
    Ok(())
}
