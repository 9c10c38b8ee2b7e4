//! Accounts, roles and the access guard (issue 10).
//!
//! - [`roles`]: the roles and the permissions each grants (pure).
//! - [`endpoints`]: every endpoint with its access rule and identity bindings (pure data).
//! - [`decide`]: the access decision (pure).
//! - [`guard`]: the middleware that authenticates and applies the decision.
//! - [`store`], [`secrets`]: accounts, sessions and tokens; argon2 and bearer secrets.
//! - [`token_cache`]: live tokens remembered for a few seconds (the bound on how late a
//!   revocation through another replica takes effect).
//! - [`api`]: login/logout and the administration of accounts and tokens.
//!
//! See `docs/accounts.md` for the role matrix and how to bootstrap the first administrator.

pub mod api;
pub mod decide;
pub mod endpoints;
pub mod guard;
pub mod principal;
pub mod roles;
pub mod secrets;
pub mod store;
pub mod token_cache;

/// How sessions are issued.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub session_ttl: chrono::Duration,
    pub cookie_secure: bool,
    /// Live API tokens, shared with the guard; the account endpoints drop revoked ones.
    pub tokens: token_cache::TokenCache,
}
