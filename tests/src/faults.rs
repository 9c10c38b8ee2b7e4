//! The faults the fault harness injects into a [`ProcessStack`] under load (issue 12), and
//! the randomized schedule of its long mode.
//!
//! * a service killed with SIGKILL and started again, as a crashed pod;
//! * nats-server killed and started again (its store kept);
//! * every PostgreSQL connection of the system cut (what the services see of a database
//!   restart; the machine's PostgreSQL is shared with other tests, so it is not restarted);
//! * the JetStream store lost: nats-server stopped, its store deleted, started empty; then
//!   the runbook (docs/operations.md, "Replay the outbox after a NATS loss"): every service
//!   restarted (each provisions its streams and consumers at start), then every service's
//!   `replay-outbox`.

use std::time::Duration;

use crate::load::Target;
use crate::processes::{ProcessStack, SERVICES};

/// One fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Kill(&'static str),
    NatsRestart,
    PostgresCut,
    JetStreamLost,
}

impl Fault {
    /// Every fault once, in the order the bounded run injects them: each service, then
    /// nats-server, then PostgreSQL, and the lost store last.
    pub fn each_once() -> Vec<Fault> {
        let mut all: Vec<Fault> = SERVICES.iter().map(|s| Fault::Kill(s)).collect();
        all.extend([Fault::NatsRestart, Fault::PostgresCut, Fault::JetStreamLost]);
        all
    }

    /// Injects the fault and waits until the system was brought back (each outage lasts
    /// a set time: these sleeps are the fault's length, not waits for a condition).
    /// Returns what was done, for the log, and how many connections were cut or outbox
    /// events replayed.
    pub async fn inject(
        self,
        stack: &mut ProcessStack,
        target: &Target,
        pool: &sqlx::PgPool,
    ) -> (String, u64) {
        match self {
            Fault::Kill(service) => {
                stack.kill(service);
                tokio::time::sleep(Duration::from_millis(500)).await;
                stack.restart(service).await;
                (format!("{service} killed and restarted"), 0)
            }
            Fault::NatsRestart => {
                stack.nats.stop();
                tokio::time::sleep(Duration::from_secs(1)).await;
                stack.nats.restart().await;
                ("nats-server killed and restarted".to_owned(), 0)
            }
            Fault::PostgresCut => {
                let cut: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
                )
                .fetch_one(pool)
                .await
                .unwrap_or(0);
                (
                    format!("{cut} PostgreSQL connections cut"),
                    u64::try_from(cut).unwrap_or(0),
                )
            }
            Fault::JetStreamLost => {
                stack.nats.stop();
                std::fs::remove_dir_all(stack.nats.store_dir()).expect("delete the store");
                stack.nats.restart().await;
                for service in SERVICES {
                    stack.restart(service).await;
                }
                let mut replayed = 0;
                for service in SERVICES {
                    replayed += replayed_events(&stack.replay_outbox(service).await);
                }
                // The tool reads the rebuilt stream from its start.
                target.relisten.notify_one();
                (
                    format!(
                        "JetStream store lost; every service restarted, {replayed} outbox events replayed"
                    ),
                    replayed,
                )
            }
        }
    }
}

/// The events a `replay-outbox` run said it marked (`<schema>: <n> outbox events …`).
fn replayed_events(output: &str) -> u64 {
    output
        .lines()
        .filter_map(|line| {
            line.split(": ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

/// A reproducible random sequence (SplitMix64): the same seed, the same schedule.
#[derive(Debug, Clone)]
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// The next fault of the randomized run, and how long to wait before it (3 to 15 s).
    /// Every kind of fault is equally likely: each service's kill, nats-server's
    /// restart, the cut connections, the lost store.
    pub fn next_fault(&mut self) -> (Duration, Fault) {
        let kinds = Fault::each_once();
        let fault = kinds[self.below(kinds.len() as u64) as usize];
        let wait = Duration::from_millis(3_000 + self.below(12_000));
        (wait, fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_once_kills_every_service_and_ends_with_the_lost_store() {
        let all = Fault::each_once();
        assert_eq!(all.len(), SERVICES.len() + 3);
        assert_eq!(all.last(), Some(&Fault::JetStreamLost));
    }

    #[test]
    fn a_seed_gives_the_same_schedule_and_every_kind_of_fault_comes_up() {
        let (mut a, mut b) = (Random::new(42), Random::new(42));
        let schedule: Vec<_> = (0..200).map(|_| a.next_fault()).collect();
        assert_eq!(
            schedule,
            (0..200).map(|_| b.next_fault()).collect::<Vec<_>>()
        );
        for fault in Fault::each_once() {
            assert!(schedule.iter().any(|(_, f)| *f == fault), "{fault:?}");
        }
        assert!(schedule.iter().all(|(w, _)| (3..15).contains(&w.as_secs())));
    }

    #[test]
    fn the_replayed_events_are_read_from_the_commands_output() {
        let out = "emergency_bridge: 3 outbox events will be published again\n\
                   emergency_bridge_lane: 0 outbox events will be published again\n";
        assert_eq!(replayed_events(out), 3);
    }
}
