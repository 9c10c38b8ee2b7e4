//! PostgreSQL: one schema per service, a pool pinned to it, migrations under a lock.
//!
//! * **search_path instead of qualified names in migrations.** Every pooled connection
//!   starts with `search_path = "<schema>", public` (a startup parameter, so no extra round
//!   trip). Unqualified names, including sqlx's `_sqlx_migrations` table, land in the
//!   service's schema, and the shared messaging migrations can be written once for all.
//! * **Two migrators, one table.** `hotline_messaging::MIGRATOR` (versions 1..999) and the
//!   service's own migrator (timestamps) record into the same `_sqlx_migrations`, so each
//!   runs with `ignore_missing` (it must not fail on the other's versions).
//! * **Locking per schema.** Replicas of a service start together; they serialise on a
//!   Postgres advisory lock keyed by the schema name, held on one connection for the whole
//!   run (schema creation included). sqlx's own lock is keyed by the *database* and would
//!   needlessly serialise different services, so it is turned off. If anything fails, the
//!   connection is closed rather than returned to the pool, so no lock can leak.

use std::time::Duration;

use futures::future::BoxFuture;
use rand::Rng as _;
use secrecy::ExposeSecret as _;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, PgPool};
use tokio::time::Instant;

use crate::config::DatabaseConfig;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Upper bound for one connection attempt.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest schema name Postgres keeps without truncating (NAMEDATALEN - 1).
const MAX_SCHEMA_LEN: usize = 63;

/// Why the database could not be connected or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The schema name is not a plain lowercase identifier.
    #[error("invalid schema name {0:?}: use [a-z_][a-z0-9_]*, at most 63 characters")]
    InvalidSchema(String),
    /// The database URL does not parse.
    #[error("invalid database URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// Postgres refused us (bad credentials, TLS): retrying would not help.
    #[error("PostgreSQL rejected the connection: {0}")]
    Rejected(#[source] sqlx::Error),
    /// No connection within `initial_connect_timeout_secs`.
    #[error(
        "could not connect to PostgreSQL within {timeout:?} ({attempts} attempts); last error: {source}"
    )]
    ConnectTimedOut {
        timeout: Duration,
        attempts: u32,
        #[source]
        source: sqlx::Error,
    },
    /// A statement of the migration procedure itself (lock, CREATE SCHEMA) failed.
    #[error("preparing migrations of schema {schema} failed: {source}")]
    Prepare {
        schema: String,
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed (or an applied one was changed afterwards).
    #[error("migrating schema {schema} failed: {source}")]
    Migrate {
        schema: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// Checks that `schema` is safe to splice into SQL: `[a-z_][a-z0-9_]*`, 1..=63 chars.
pub fn validate_schema(schema: &str) -> Result<(), DbError> {
    let mut chars = schema.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let valid_rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid_start && valid_rest && schema.len() <= MAX_SCHEMA_LEN {
        Ok(())
    } else {
        Err(DbError::InvalidSchema(schema.to_owned()))
    }
}

/// A pool whose connections use `search_path = "<schema>", public`.
///
/// Retries the first connection with capped exponential backoff for up to
/// `config.initial_connect_timeout_secs`; fails at once on a malformed URL or rejected
/// credentials. The schema itself need not exist yet ([`migrate`] creates it).
pub async fn connect(config: &DatabaseConfig, schema: &str) -> Result<PgPool, DbError> {
    validate_schema(schema)?;
    let options: PgConnectOptions = config
        .url
        .expose_secret()
        .parse()
        .map_err(DbError::InvalidUrl)?;
    let options = options
        .application_name(schema)
        .options([("search_path", format!("{schema},public"))]);
    let (host, port, database) = (
        options.get_host().to_owned(),
        options.get_port(),
        options.get_database().unwrap_or_default().to_owned(),
    );

    let timeout = Duration::from_secs(config.initial_connect_timeout_secs);
    let deadline = Instant::now() + timeout;
    let mut backoff = FIRST_BACKOFF;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        // Probe with one plain connection: the pool's own connect retries internally until
        // its acquire timeout and then reports only `PoolTimedOut`, hiding the cause.
        let remaining = deadline.saturating_duration_since(Instant::now());
        let probe = tokio::time::timeout(
            remaining.clamp(Duration::from_millis(100), ATTEMPT_TIMEOUT),
            PgConnection::connect_with(&options),
        )
        .await
        .unwrap_or_else(|_| {
            Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connection attempt timed out",
            )))
        });
        let error = match probe {
            Ok(conn) => {
                let _ = conn.close().await;
                tracing::info!(%host, port, %database, schema, attempts, "connected to PostgreSQL");
                return Ok(PgPoolOptions::new()
                    .max_connections(config.max_connections)
                    .acquire_timeout(Duration::from_secs(config.acquire_timeout_secs))
                    .connect_lazy_with(options));
            }
            Err(error) => error,
        };
        if is_permanent(&error) {
            tracing::error!(%host, port, %database, %error, "PostgreSQL rejected the connection");
            return Err(DbError::Rejected(error));
        }
        let pause = backoff.mul_f64(rand::rng().random_range(0.8..1.2));
        if Instant::now() + pause >= deadline {
            tracing::error!(%host, port, %database, attempts, %error, "giving up connecting to PostgreSQL");
            return Err(DbError::ConnectTimedOut {
                timeout,
                attempts,
                source: error,
            });
        }
        tracing::warn!(
            %host,
            port,
            %database,
            attempts,
            retry_in_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
            %error,
            "PostgreSQL not reachable yet; retrying"
        );
        tokio::time::sleep(pause).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Errors that the same settings would hit again: bad URL, bad credentials, TLS.
fn is_permanent(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Configuration(_) | sqlx::Error::Tls(_) => true,
        // Class 28: invalid authorization specification / invalid password.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("28")),
        _ => false,
    }
}

/// Creates `schema` if needed and runs `migrators` in order, under an advisory lock keyed
/// by the schema name (see module docs). Running it again, or concurrently from several
/// replicas, is safe: already applied versions are skipped.
pub async fn migrate(pool: &PgPool, schema: &str, migrators: &[&Migrator]) -> Result<(), DbError> {
    validate_schema(schema)?;
    let prepare = |source| DbError::Prepare {
        schema: schema.to_owned(),
        source,
    };
    let mut conn = pool.acquire().await.map_err(prepare)?;
    let lock_key = format!("hotline-migrate:{schema}");

    let locked = sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind(&lock_key)
        .execute(&mut *conn)
        .await;
    if let Err(error) = locked {
        conn.close_on_drop();
        return Err(prepare(error));
    }

    let result = migrate_locked(&mut conn, schema, migrators).await;

    let unlocked = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
        .bind(&lock_key)
        .execute(&mut *conn)
        .await;
    if result.is_err() || unlocked.is_err() {
        // Whatever state the session is in (a failed migration, a lock we could not
        // release), it must not go back to the pool.
        conn.close_on_drop();
    }
    result?;
    unlocked.map_err(prepare)?;
    tracing::info!(schema, "database schema is up to date");
    Ok(())
}

async fn migrate_locked(
    conn: &mut PgConnection,
    schema: &str,
    migrators: &[&Migrator],
) -> Result<(), DbError> {
    // Must exist before the first migrator creates `_sqlx_migrations`: with the schema
    // missing, Postgres would create that table in `public`, the next path entry. Created
    // only when missing: in production the DBA creates it, owned by the service's role
    // (deploy/postgres/roles.sql), and that role may not create schemas: Postgres checks
    // the privilege even for `CREATE SCHEMA IF NOT EXISTS`.
    let prepare = |source| DbError::Prepare {
        schema: schema.to_owned(),
        source,
    };
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)")
            .bind(schema)
            .fetch_one(&mut *conn)
            .await
            .map_err(prepare)?;
    if !exists {
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .execute(&mut *conn)
            .await
            .map_err(prepare)?;
    }
    for migrator in migrators {
        let migrate_error = |source| DbError::Migrate {
            schema: schema.to_owned(),
            source,
        };
        let shared = shared_table_migrator(migrator)
            .await
            .map_err(migrate_error)?;
        shared.run(&mut *conn).await.map_err(migrate_error)?;
    }
    Ok(())
}

/// A copy of `migrator` that tolerates versions applied by the other migrators of the
/// schema and relies on our per-schema lock instead of sqlx's per-database one.
async fn shared_table_migrator(
    migrator: &Migrator,
) -> Result<Migrator, sqlx::migrate::MigrateError> {
    let mut copy = Migrator::new(Resolved(migrator.iter().cloned().collect())).await?;
    copy.set_ignore_missing(true);
    copy.set_locking(false);
    Ok(copy)
}

/// Already-resolved migrations, as a [`MigrationSource`].
#[derive(Debug)]
struct Resolved(Vec<Migration>);

impl MigrationSource<'static> for Resolved {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { Ok(self.0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_lowercase_identifiers() {
        for ok in ["intake", "deadline_watcher", "_x", "a1", &"a".repeat(63)] {
            assert!(validate_schema(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Intake",
            "1abc",
            "intake-svc",
            "a b",
            "x\"; DROP SCHEMA public; --",
            "ünï",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(validate_schema(bad), Err(DbError::InvalidSchema(_))),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn connect_rejects_a_bad_schema_before_touching_the_network() {
        let error = connect(&DatabaseConfig::default(), "Bad-Schema")
            .await
            .unwrap_err();
        assert!(matches!(error, DbError::InvalidSchema(_)));
    }

    #[tokio::test]
    async fn a_malformed_url_fails_at_once() {
        let config = DatabaseConfig {
            url: "not a url".to_owned().into(),
            ..DatabaseConfig::default()
        };
        let error = connect(&config, "intake").await.unwrap_err();
        assert!(matches!(error, DbError::InvalidUrl(_)), "{error:?}");
    }
}
