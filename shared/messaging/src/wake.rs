//! In-process wake-ups for the outbox relays.
//!
//! Every [`crate::Outbox`] and [`crate::OutboxRelay`] of one schema in a process share one
//! [`Notify`]: appending a row wakes the relay. The wake comes *before* the writer's commit
//! (the outbox cannot see the commit), so the relay chases it: it drains at once, and while
//! drains find nothing it tries again after [`CHASE_FIRST`], twice that, and so on up to
//! [`CHASE_LAST`]; a drain that publishes restarts the chase. A writer whose transaction
//! commits later than the chase is found by the relay's poll (`RelayConfig::poll_interval`,
//! 1 s by default), so a missed wake only delays.
//!
//! Why not `NOTIFY`: PostgreSQL (15, the version we run) serialises the commits of every transaction
//! that notified, cluster-wide: the notification queue's lock is taken before the commit
//! record and held until the commit's WAL flush, so such commits cannot share a flush. Under
//! load that lock was the most waited-for thing after supervision's trail head
//! (`docs/performance.md`). The relay still `LISTEN`s, for wake-ups from other processes
//! (`hotlinectl replay-outbox`), which are rare.
//!
//! Replicas: each replica's relay is woken by its own writers and may publish any committed
//! row (the per-schema advisory lock keeps the order), so a row written in one replica is
//! published by that replica's relay without waiting for another's poll.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

/// First re-check after a wake that found nothing yet: about the time a short transaction
/// takes to commit.
pub const CHASE_FIRST: Duration = Duration::from_millis(2);
/// Last re-check of a chase (the chase spans about twice this).
pub const CHASE_LAST: Duration = Duration::from_millis(512);

static WAKES: LazyLock<Mutex<HashMap<String, Arc<Notify>>>> = LazyLock::new(Mutex::default);

/// The wake-up shared by the outboxes and the relay of `schema` in this process.
pub fn for_schema(schema: &str) -> Arc<Notify> {
    let mut wakes = WAKES.lock().unwrap_or_else(PoisonError::into_inner);
    wakes.entry(schema.to_owned()).or_default().clone()
}

/// The relay's next re-check after a drain that published `published` rows, given the
/// current chase (`None`: not chasing; wait for a wake or the poll).
pub fn next_chase(chase: Option<Duration>, published: u64) -> Option<Duration> {
    if published > 0 {
        return Some(CHASE_FIRST);
    }
    chase.map(|c| c * 2).filter(|c| *c <= CHASE_LAST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chase_doubles_until_its_end_and_a_publish_restarts_it() {
        let mut chase = Some(CHASE_FIRST);
        let mut steps = vec![];
        while let Some(c) = chase {
            steps.push(c.as_millis());
            chase = next_chase(chase, 0);
        }
        assert_eq!(steps, [2, 4, 8, 16, 32, 64, 128, 256, 512]);
        assert_eq!(next_chase(None, 0), None);
        assert_eq!(next_chase(None, 3), Some(CHASE_FIRST));
        assert_eq!(next_chase(Some(CHASE_LAST), 1), Some(CHASE_FIRST));
    }

    #[test]
    fn one_schema_shares_one_wake_and_schemas_do_not_share() {
        assert!(Arc::ptr_eq(&for_schema("a"), &for_schema("a")));
        assert!(!Arc::ptr_eq(&for_schema("a"), &for_schema("b")));
    }
}
