//! Accounts, sessions and API tokens in the gateway's schema.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::{PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;

use super::principal::{Credential, Principal};
use super::roles::Role;
use super::secrets;
use super::token_cache::LiveToken;

/// A new account, as the administrator creates it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub principal_id: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<String>,
    /// A person's password; `None` makes a system principal (tokens only).
    pub password: Option<String>,
}

/// An account as the administration list shows it (no secrets).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub principal_id: String,
    pub kind: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the account exists already")]
    Exists,
    #[error("no such account")]
    NoSuchAccount,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Other(e.into())
    }
}

/// Create an account; the password (if any) is hashed here.
pub async fn create_account(pool: &PgPool, account: &NewAccount) -> Result<(), StoreError> {
    let hash = match &account.password {
        Some(p) => Some(secrets::hash_password(p)?),
        None => None,
    };
    let kind = if hash.is_some() { "person" } else { "system" };
    let inserted = sqlx::query(
        "INSERT INTO principals (principal_id, kind, display_name, role, unit_id, password_hash) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (principal_id) DO NOTHING",
    )
    .bind(&account.principal_id)
    .bind(kind)
    .bind(&account.display_name)
    .bind(account.role.code())
    .bind(&account.unit_id)
    .bind(hash)
    .execute(pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::Exists);
    }
    Ok(())
}

/// Every account, by login name.
pub async fn list_accounts(pool: &PgPool) -> Result<Vec<AccountView>, StoreError> {
    let rows = sqlx::query(
        "SELECT principal_id, kind, display_name, role, unit_id, active, created_at \
         FROM principals ORDER BY principal_id",
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let role: String = row.try_get("role")?;
        let Some(role) = Role::parse(&role) else {
            continue;
        };
        out.push(AccountView {
            principal_id: row.try_get("principal_id")?,
            kind: row.try_get("kind")?,
            display_name: row.try_get("display_name")?,
            role,
            unit_id: row.try_get("unit_id")?,
            active: row.try_get("active")?,
            created_at: row.try_get("created_at")?,
        });
    }
    Ok(out)
}

/// Switch an account off: its sessions end and its tokens are revoked at once.
pub async fn deactivate(pool: &PgPool, principal_id: &str) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE principals SET active = false, updated_at = now() WHERE principal_id = $1",
    )
    .bind(principal_id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NoSuchAccount);
    }
    sqlx::query("DELETE FROM sessions WHERE principal_id = $1")
        .bind(principal_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE principal_id = $1 AND revoked_at IS NULL",
    )
    .bind(principal_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Give an active person's account a new password (argon2id, like a new account's); its
/// sessions end, so whoever held the old password is signed out. Tokens stay.
pub async fn reset_password(
    pool: &PgPool,
    principal_id: &str,
    password: &str,
) -> Result<(), StoreError> {
    let hash = secrets::hash_password(password)?;
    let mut tx = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE principals SET password_hash = $2, updated_at = now() \
         WHERE principal_id = $1 AND active AND kind = 'person'",
    )
    .bind(principal_id)
    .bind(hash)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NoSuchAccount);
    }
    sqlx::query("DELETE FROM sessions WHERE principal_id = $1")
        .bind(principal_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The principal behind a login name and password, if both are right and it is active.
/// An unknown name costs the same hashing work as a wrong password.
pub async fn check_password(
    pool: &PgPool,
    principal_id: &str,
    password: &str,
) -> Result<Option<Principal>, StoreError> {
    let row = sqlx::query(
        "SELECT principal_id, display_name, role, unit_id, password_hash FROM principals \
         WHERE principal_id = $1 AND active AND kind = 'person'",
    )
    .bind(principal_id)
    .fetch_optional(pool)
    .await?;
    let hash: Option<String> = match &row {
        Some(r) => r.try_get("password_hash")?,
        None => None,
    };
    let password = password.to_owned();
    let hash_to_check = hash
        .clone()
        .unwrap_or_else(|| secrets::decoy_hash().to_owned());
    // argon2 is deliberately slow: keep it off the async workers.
    let matches =
        tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash_to_check))
            .await
            .map_err(anyhow::Error::from)?;
    match row {
        Some(row) if matches && hash.is_some() => Ok(principal_of(&row, Credential::Session)?),
        _ => Ok(None),
    }
}

/// A new session for the principal: the cookie value and the CSRF token.
pub async fn open_session(
    pool: &PgPool,
    principal_id: &str,
    ttl: Duration,
) -> Result<(String, String, DateTime<Utc>), StoreError> {
    let secret = secrets::new_secret("hs_");
    let csrf = secrets::new_secret("");
    let expires_at = Utc::now() + ttl;
    sqlx::query(
        "INSERT INTO sessions (session_hash, principal_id, csrf_token, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(secrets::digest(&secret))
    .bind(principal_id)
    .bind(&csrf)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok((secret, csrf, expires_at))
}

/// The principal and CSRF token of a live session.
pub async fn session(
    pool: &PgPool,
    secret: &str,
) -> Result<Option<(Principal, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT p.principal_id, p.display_name, p.role, p.unit_id, s.csrf_token \
         FROM sessions s JOIN principals p USING (principal_id) \
         WHERE s.session_hash = $1 AND s.expires_at > now() AND p.active",
    )
    .bind(secrets::digest(secret))
    .fetch_optional(pool)
    .await?;
    match row {
        Some(row) => {
            let csrf: String = row.try_get("csrf_token")?;
            Ok(principal_of(&row, Credential::Session)?.map(|p| (p, csrf)))
        }
        None => Ok(None),
    }
}

/// End a session (logout).
pub async fn close_session(pool: &PgPool, secret: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE session_hash = $1")
        .bind(secrets::digest(secret))
        .execute(pool)
        .await?;
    Ok(())
}

/// Issue an API token for an active principal; the token is returned once, never stored.
pub async fn issue_token(
    pool: &PgPool,
    principal_id: &str,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    created_by: &str,
) -> Result<(Uuid, String), StoreError> {
    let active: Option<bool> =
        sqlx::query_scalar("SELECT active FROM principals WHERE principal_id = $1")
            .bind(principal_id)
            .fetch_optional(pool)
            .await?;
    if active != Some(true) {
        return Err(StoreError::NoSuchAccount);
    }
    let token = secrets::new_secret("h12345_");
    let token_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO api_tokens (token_id, token_hash, principal_id, name, created_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_id)
    .bind(secrets::digest(&token))
    .bind(principal_id)
    .bind(name)
    .bind(created_by)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok((token_id, token))
}

/// The live API token whose digest is `digest`, with its principal.
pub async fn token(pool: &PgPool, digest: &[u8]) -> Result<Option<LiveToken>, StoreError> {
    let row = sqlx::query(
        "SELECT t.token_id, t.expires_at, p.principal_id, p.display_name, p.role, p.unit_id \
         FROM api_tokens t JOIN principals p USING (principal_id) \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
           AND (t.expires_at IS NULL OR t.expires_at > now()) AND p.active",
    )
    .bind(digest)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (token_id, expires_at) = (row.try_get("token_id")?, row.try_get("expires_at")?);
    Ok(
        principal_of(&row, Credential::Token)?.map(|principal| LiveToken {
            token_id,
            principal,
            expires_at,
        }),
    )
}

/// Revoke a token; false when there was no such live token.
pub async fn revoke_token(pool: &PgPool, token_id: Uuid) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL",
    )
    .bind(token_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Create the first administrator from configuration when there is none yet (a fresh
/// installation); does nothing once any administrator exists.
pub async fn bootstrap_administrator(
    pool: &PgPool,
    principal_id: &str,
    password: &str,
) -> Result<bool, StoreError> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM principals WHERE role = 'administrator')")
            .fetch_one(pool)
            .await?;
    if exists {
        return Ok(false);
    }
    let account = NewAccount {
        principal_id: principal_id.to_owned(),
        display_name: "系统管理员".to_owned(),
        role: Role::Administrator,
        unit_id: None,
        password: Some(password.to_owned()),
    };
    match create_account(pool, &account).await {
        Ok(()) => Ok(true),
        Err(StoreError::Exists) => Ok(false),
        Err(e) => Err(e),
    }
}

fn principal_of(
    row: &sqlx::postgres::PgRow,
    credential: Credential,
) -> Result<Option<Principal>, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(Role::parse(&role).map(|role| Principal {
        principal_id: row.try_get("principal_id").unwrap_or_default(),
        display_name: row.try_get("display_name").unwrap_or_default(),
        role,
        unit_id: row.try_get("unit_id").unwrap_or_default(),
        credential,
    }))
}
