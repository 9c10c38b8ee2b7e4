//! The load mix (issue 12): which path each request of a run takes. Shares are spread
//! evenly over the run, not drawn at random, so a short run has its share of each path:
//!
//! * **transfers**, a share of all requests: a citizen's web message about an emergency
//!   (a knife, a gas leak) that intake's keyword table hands to a partner hotline (110,
//!   119) through the emergency bridge (A8, A10.1) instead of dispatching it;
//! * **lifecycle**, a share of the dispatched orders: the unit signs and answers;
//! * **disputes**, a share of the dispatched orders: the first unit disputes the dispatch
//!   (A13) and the center's dispatcher redispatches the order to the district government;
//! * **send-backs**, a share of the worked orders: the reviewer sends the first result
//!   back with the head's approval (A16, two people) and the unit answers again.

use serde_json::{Value, json};

/// What the tool does with one request and its order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Plan {
    /// An emergency for a partner hotline (not dispatched).
    pub transfer: bool,
    /// Worked by its unit to closed.
    pub work: bool,
    /// Disputed by its first unit, then redispatched.
    pub dispute: bool,
    /// Its first result sent back (only when worked).
    pub send_back: bool,
}

/// Picks `share` of a sequence, evenly: the `n`-th item is picked when `n · share` passes
/// a whole number.
#[derive(Debug, Clone)]
struct Picker {
    share: f64,
    n: u64,
}

impl Picker {
    fn new(share: f64) -> Self {
        Self {
            share: share.clamp(0.0, 1.0),
            n: 0,
        }
    }

    fn pick(&mut self) -> bool {
        let n = self.n as f64;
        self.n += 1;
        (n * self.share).floor() != ((n + 1.0) * self.share).floor()
    }
}

/// The plans of a run's requests, in order.
#[derive(Debug, Clone)]
pub struct Mix {
    transfers: Picker,
    lifecycle: Picker,
    disputes: Picker,
    send_backs: Picker,
}

impl Mix {
    /// Shares between 0 and 1 (clamped): `transfers` of all requests, `lifecycle` and
    /// `disputes` of the dispatched ones, `send_backs` of the worked ones.
    pub fn new(transfers: f64, lifecycle: f64, disputes: f64, send_backs: f64) -> Self {
        Self {
            transfers: Picker::new(transfers),
            lifecycle: Picker::new(lifecycle),
            disputes: Picker::new(disputes),
            send_backs: Picker::new(send_backs),
        }
    }

    /// The plan of the next request.
    pub fn next_plan(&mut self) -> Plan {
        if self.transfers.pick() {
            return Plan {
                transfer: true,
                ..Plan::default()
            };
        }
        let work = self.lifecycle.pick();
        Plan {
            transfer: false,
            work,
            dispute: self.disputes.pick(),
            send_back: work && self.send_backs.pick(),
        }
    }
}

/// Emergencies by partner hotline: each matter matches one of intake's emergency keywords
/// (`services/intake/src/domain/triage.rs`).
pub const EMERGENCIES: &[(&str, &str)] = &[
    ("110", "有人持刀在小区门口闹事，情况危险。"),
    ("119", "楼道里燃气泄漏，味道很重，请尽快处理。"),
];

/// The partner hotlines the transfers go to (the tool simulates them).
pub fn partners() -> impl Iterator<Item = &'static str> {
    EMERGENCIES.iter().map(|(code, _)| *code)
}

/// The body of the `i`-th request when it is an emergency: a citizen's web message.
pub fn emergency_body(i: usize, region: &str) -> Value {
    let (_, matter) = EMERGENCIES[i % EMERGENCIES.len()];
    json!({
        "channel": "web_message",
        "kind": "help",
        "requester": {"type": "person", "phone": format!("13{:09}", 100_000_000 + i % 800_000_000)},
        "matter": format!("{matter}（编号{i}）"),
        "region_code": region,
    })
}

/// The unit a disputing unit names (A13): the district's government (the territorial
/// fallback of A12), or the prefecture's when the district's government had the order.
pub fn proposed_unit(unit: &str, region: &str) -> String {
    let district = format!("gov-{region}");
    if unit != district {
        return district;
    }
    let prefecture: String = region.chars().take(4).collect();
    format!("gov-{prefecture}00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_spread_evenly_and_exactly() {
        let mut mix = Mix::new(0.1, 0.5, 0.2, 0.5);
        let plans: Vec<Plan> = (0..100).map(|_| mix.next_plan()).collect();
        let count = |f: fn(&Plan) -> bool| plans.iter().filter(|p| f(p)).count();
        assert_eq!(count(|p| p.transfer), 10);
        assert_eq!(count(|p| p.work), 45, "half of the 90 dispatched");
        assert_eq!(count(|p| p.dispute), 18);
        assert_eq!(
            count(|p| p.send_back),
            22,
            "half of the 45 worked, rounded down"
        );
        assert!(plans.iter().all(|p| !p.send_back || p.work));
        assert!(plans.iter().all(|p| !p.transfer || !(p.work || p.dispute)));
    }

    #[test]
    fn no_share_picks_nothing_and_a_whole_share_everything() {
        let mut mix = Mix::new(0.0, 1.0, 0.0, 0.0);
        for _ in 0..50 {
            assert_eq!(
                mix.next_plan(),
                Plan {
                    work: true,
                    ..Plan::default()
                }
            );
        }
    }

    #[test]
    fn a_dispute_names_another_government() {
        assert_eq!(proposed_unit("520102-env", "520102"), "gov-520102");
        assert_eq!(proposed_unit("gov-520102", "520102"), "gov-520100");
    }
}
