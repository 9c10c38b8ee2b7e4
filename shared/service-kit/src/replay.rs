//! Replaying a service's outbox: the runbook's answer to a lost JetStream store.
//!
//! The outbox keeps every event it published (`sent_at` set, the row stays). If NATS loses
//! its store (all replicas' disks, or a stream deleted by mistake), the events that were
//! published but not yet consumed are gone from the bus while the services' databases still
//! hold them. Marking those rows unsent again makes the running relay publish them once
//! more, in their original `seq` order, with their original ids as `Nats-Msg-Id`. Consumers
//! that had already applied an event find it in their inbox and skip it, so replaying more
//! than was lost is harmless; replaying less is the only mistake, hence a generous
//! `--since` (or none: everything).
//!
//! Every service binary takes `replay-outbox [--since RFC3339]`
//! ([`command`]); it needs only the database settings, not NATS, and returns at once.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::config::CommonConfig;
use crate::db;

/// Why a replay could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("usage: replay-outbox [--since <RFC 3339 time, e.g. 2026-11-29T08:00:00+08:00>]")]
    Usage,
    #[error("--since {0:?} is not an RFC 3339 time (e.g. 2026-11-29T08:00:00+08:00)")]
    BadSince(String),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("replaying the outbox of schema {schema} failed: {source}")]
    Sql {
        schema: String,
        #[source]
        source: sqlx::Error,
    },
}

/// Marks the outbox rows of `schema` created at or after `since` (all, if `None`) as not
/// sent, so the relay publishes them again in `seq` order; wakes the relay. Returns how many
/// rows will be published again.
pub async fn replay_outbox(
    pool: &PgPool,
    schema: &str,
    since: Option<DateTime<Utc>>,
) -> Result<u64, ReplayError> {
    db::validate_schema(schema)?;
    let sql_error = |source| ReplayError::Sql {
        schema: schema.to_owned(),
        source,
    };
    let mut tx = pool.begin().await.map_err(sql_error)?;
    let marked = sqlx::query(&format!(
        "UPDATE \"{schema}\".outbox SET sent_at = NULL, attempts = 0, last_error = NULL \
         WHERE sent_at IS NOT NULL AND ($1::timestamptz IS NULL OR created_at >= $1)"
    ))
    .bind(since)
    .execute(&mut *tx)
    .await
    .map_err(sql_error)?
    .rows_affected();
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(hotline_messaging::outbox::notify_channel(schema))
        .execute(&mut *tx)
        .await
        .map_err(sql_error)?;
    tx.commit().await.map_err(sql_error)?;
    tracing::warn!(schema, ?since, rows = marked, "outbox marked for replay");
    Ok(marked)
}

/// Parses `[--since <time>]`.
pub fn parse_since(args: &[String]) -> Result<Option<DateTime<Utc>>, ReplayError> {
    match args {
        [] => Ok(None),
        [flag, value] if flag == "--since" => DateTime::parse_from_rfc3339(value)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| ReplayError::BadSince(value.clone())),
        _ => Err(ReplayError::Usage),
    }
}

/// The binaries' `replay-outbox` subcommand: when `args` (without the program name) start
/// with it, replays the outbox of each of `schemas`, prints what it did and returns
/// `Some(result)`; otherwise returns `None` and the binary goes on as usual.
pub async fn command(
    args: &[String],
    schemas: &[&str],
    common: &CommonConfig,
) -> Option<Result<(), ReplayError>> {
    let (first, rest) = args.split_first()?;
    if first != "replay-outbox" {
        return None;
    }
    Some(run(rest, schemas, common).await)
}

async fn run(args: &[String], schemas: &[&str], common: &CommonConfig) -> Result<(), ReplayError> {
    let since = parse_since(args)?;
    for schema in schemas {
        let pool = db::connect(&common.database, schema).await?;
        let rows = replay_outbox(&pool, schema, since).await?;
        println!("{schema}: {rows} outbox events will be published again");
        pool.close().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn since_is_optional_and_must_be_rfc3339() {
        assert_eq!(parse_since(&[]).unwrap(), None);
        let t = parse_since(&args(&["--since", "2026-11-29T08:00:00+08:00"])).unwrap();
        assert_eq!(t.unwrap().to_rfc3339(), "2026-11-29T00:00:00+00:00");
        assert!(matches!(
            parse_since(&args(&["--since", "yesterday"])),
            Err(ReplayError::BadSince(v)) if v == "yesterday"
        ));
        assert!(matches!(
            parse_since(&args(&["--from", "x"])),
            Err(ReplayError::Usage)
        ));
        assert!(matches!(
            parse_since(&args(&["--since"])),
            Err(ReplayError::Usage)
        ));
    }
}
