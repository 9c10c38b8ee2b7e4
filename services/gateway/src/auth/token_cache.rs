//! A short-lived, bounded cache of API-token lookups, so the guard does not read the
//! database on every request made with a token (units, reviewers' tools and partner
//! systems call with tokens; under load that was 2.5 statements an order).
//!
//! **How stale an entry may be.** An entry lives at most `ttl` (5 s by default,
//! `HOTLINE_GATEWAY__TOKEN_CACHE_SECS`; 0 switches the cache off) and never past the
//! token's own expiry. Revoking a token or deactivating an account through this gateway
//! replica drops their entries at once, so the next request is refused. Through another
//! replica, or in the database by hand, the change takes effect here within `ttl`: that is
//! the documented bound on how late a revocation can take effect (`docs/accounts.md`).
//!
//! **What is cached.** Only live tokens, keyed by the token's SHA-256 digest (the token
//! itself is never kept). A wrong, revoked or expired token is looked up every time, so
//! guesses cannot fill the cache. At most `capacity` entries: when it is full, expired
//! entries are dropped, and when none has expired the new token is simply not cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::principal::Principal;

/// Default time an entry is trusted.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);
/// Default most entries.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A live token as the store found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveToken {
    pub token_id: Uuid,
    pub principal: Principal,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct Entry {
    token: LiveToken,
    until: Instant,
}

/// Shared by the guard (reads, fills) and the account endpoints (drops).
#[derive(Debug, Clone)]
pub struct TokenCache {
    ttl: Duration,
    capacity: usize,
    entries: Arc<Mutex<HashMap<Vec<u8>, Entry>>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(DEFAULT_TTL, DEFAULT_CAPACITY)
    }
}

impl TokenCache {
    /// A cache trusting entries for `ttl` (zero: caches nothing), `capacity` at most.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            entries: Arc::default(),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Entry>> {
        // A panic while holding the lock cannot leave a map half-changed in a way that
        // matters (each operation is one insert or removal): go on with it.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The principal of a token seen live less than `ttl` ago, by the token's digest.
    pub fn get(&self, digest: &[u8], now: Instant) -> Option<LiveToken> {
        let mut entries = self.entries();
        match entries.get(digest) {
            Some(entry) if entry.until > now => Some(entry.token.clone()),
            Some(_) => {
                entries.remove(digest);
                None
            }
            None => None,
        }
    }

    /// Remember a live token until `ttl` from `now`, or its expiry if sooner.
    pub fn put(&self, digest: Vec<u8>, token: LiveToken, now: Instant, wall: DateTime<Utc>) {
        let mut until = now + self.ttl;
        if let Some(expires_at) = token.expires_at {
            let left = (expires_at - wall).to_std().unwrap_or(Duration::ZERO);
            until = until.min(now + left);
        }
        if until <= now {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(&digest) {
            entries.retain(|_, e| e.until > now);
            if entries.len() >= self.capacity {
                return;
            }
        }
        entries.insert(digest, Entry { token, until });
    }

    /// Drop a revoked token.
    pub fn forget_token(&self, token_id: Uuid) {
        self.entries().retain(|_, e| e.token.token_id != token_id);
    }

    /// Drop every token of a deactivated account.
    pub fn forget_principal(&self, principal_id: &str) {
        self.entries()
            .retain(|_, e| e.token.principal.principal_id != principal_id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::principal::Credential;
    use crate::auth::roles::Role;

    fn live(principal_id: &str, expires_at: Option<DateTime<Utc>>) -> LiveToken {
        LiveToken {
            token_id: Uuid::now_v7(),
            principal: Principal {
                principal_id: principal_id.to_owned(),
                display_name: "测试单位".to_owned(),
                role: Role::UnitHandler,
                unit_id: Some("U1".to_owned()),
                credential: Credential::Token,
            },
            expires_at,
        }
    }

    #[test]
    fn an_entry_is_trusted_for_the_ttl_and_no_longer() {
        let cache = TokenCache::new(Duration::from_secs(5), 10);
        let (now, wall) = (Instant::now(), Utc::now());
        let token = live("u1", None);
        cache.put(b"d1".to_vec(), token.clone(), now, wall);
        assert_eq!(cache.get(b"d1", now + Duration::from_secs(4)), Some(token));
        assert_eq!(cache.get(b"d1", now + Duration::from_secs(5)), None);
        assert_eq!(cache.len(), 0, "an expired entry is dropped when met");
    }

    #[test]
    fn an_entry_never_outlives_its_token() {
        let cache = TokenCache::new(Duration::from_secs(5), 10);
        let (now, wall) = (Instant::now(), Utc::now());
        let soon = live("u1", Some(wall + chrono::Duration::seconds(2)));
        cache.put(b"d1".to_vec(), soon, now, wall);
        assert!(cache.get(b"d1", now + Duration::from_secs(1)).is_some());
        assert_eq!(cache.get(b"d1", now + Duration::from_secs(2)), None);
        let expired = live("u1", Some(wall - chrono::Duration::seconds(1)));
        cache.put(b"d2".to_vec(), expired, now, wall);
        assert_eq!(cache.len(), 0, "an already expired token is not cached");
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TokenCache::new(Duration::ZERO, 10);
        let now = Instant::now();
        cache.put(b"d1".to_vec(), live("u1", None), now, Utc::now());
        assert_eq!(cache.get(b"d1", now), None);
    }

    #[test]
    fn revoking_or_deactivating_drops_the_entries_at_once() {
        let cache = TokenCache::new(Duration::from_secs(5), 10);
        let (now, wall) = (Instant::now(), Utc::now());
        let (a, b, c) = (live("u1", None), live("u1", None), live("u2", None));
        cache.put(b"a".to_vec(), a.clone(), now, wall);
        cache.put(b"b".to_vec(), b, now, wall);
        cache.put(b"c".to_vec(), c.clone(), now, wall);
        cache.forget_token(a.token_id);
        assert_eq!(cache.get(b"a", now), None);
        assert!(cache.get(b"b", now).is_some());
        cache.forget_principal("u1");
        assert_eq!(cache.get(b"b", now), None);
        assert_eq!(cache.get(b"c", now), Some(c));
    }

    #[test]
    fn a_full_cache_makes_room_from_expired_entries_only() {
        let cache = TokenCache::new(Duration::from_secs(5), 2);
        let (now, wall) = (Instant::now(), Utc::now());
        cache.put(b"a".to_vec(), live("u1", None), now, wall);
        cache.put(b"b".to_vec(), live("u2", None), now, wall);
        cache.put(b"c".to_vec(), live("u3", None), now, wall);
        assert_eq!(
            cache.get(b"c", now),
            None,
            "full, nothing expired: not cached"
        );
        assert!(cache.get(b"a", now).is_some());
        let later = now + Duration::from_secs(6);
        cache.put(b"c".to_vec(), live("u3", None), later, wall);
        assert!(cache.get(b"c", later).is_some());
        assert_eq!(cache.len(), 1, "the expired entries made room");
    }
}
