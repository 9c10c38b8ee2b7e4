//! Disputes (A13): a unit says an order is not theirs; the center coordinates; what the
//! center cannot settle in time goes to the authority, whose decision is final.
//!
//! ```text
//!            center upholds / redispatches
//!   open ───────────────────────────────────► upheld | redispatched
//!    │ center escalates, or open longer than `dispute_escalation_after`
//!    ▼
//!   escalated ──authority upholds (dispute rejected: improper) / redispatches──► final
//! ```
//!
//! A unit disputes instead of signing: only an order dispatched to it and not yet signed
//! can be disputed, and only one dispute per order is unsettled at a time. The sign clock
//! keeps running meanwhile (A15 gives the unit one working day either way; a unit that
//! disputes without grounds must not gain time by it). Pure: the caller loads the state
//! and stores the outcome.

use chrono::{DateTime, Duration, Utc};
use hotline_contract::events::{DisputeDecider, DisputeOutcome};

/// Where a dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeStatus {
    Open,
    Escalated,
    Upheld,
    Redispatched,
}

impl DisputeStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Escalated => "escalated",
            Self::Upheld => "upheld",
            Self::Redispatched => "redispatched",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Open,
            Self::Escalated,
            Self::Upheld,
            Self::Redispatched,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// A dispute step the dispute's state does not allow; the message is shown to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DisputeRefused {
    #[error("该异议已处理完毕")]
    Settled,
    #[error("该异议已提交主管部门，由主管部门裁定")]
    WithAuthority,
    #[error("该异议尚未提交主管部门")]
    NotEscalated,
    #[error("改派须指定新的承办单位")]
    NoNewUnit,
    #[error("改派的单位与原承办单位相同")]
    SameUnit,
}

/// What a decision does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ruling {
    pub status: DisputeStatus,
    /// The authority rejected the dispute: improper (不当退单), counted by supervision.
    pub improper: bool,
}

/// A13: may `decider` decide a dispute in `status`, and what follows.
pub fn decide(
    status: DisputeStatus,
    decider: DisputeDecider,
    outcome: DisputeOutcome,
) -> Result<Ruling, DisputeRefused> {
    match (status, decider) {
        (DisputeStatus::Upheld | DisputeStatus::Redispatched, _) => Err(DisputeRefused::Settled),
        (DisputeStatus::Escalated, DisputeDecider::Center) => Err(DisputeRefused::WithAuthority),
        (DisputeStatus::Open, DisputeDecider::Authority) => Err(DisputeRefused::NotEscalated),
        (DisputeStatus::Open, DisputeDecider::Center)
        | (DisputeStatus::Escalated, DisputeDecider::Authority) => Ok(Ruling {
            status: match outcome {
                DisputeOutcome::Upheld => DisputeStatus::Upheld,
                DisputeOutcome::Redispatched => DisputeStatus::Redispatched,
            },
            improper: decider == DisputeDecider::Authority && outcome == DisputeOutcome::Upheld,
        }),
    }
}

/// The center sends an open dispute up.
pub fn escalate(status: DisputeStatus) -> Result<DisputeStatus, DisputeRefused> {
    match status {
        DisputeStatus::Open => Ok(DisputeStatus::Escalated),
        DisputeStatus::Escalated => Err(DisputeRefused::WithAuthority),
        DisputeStatus::Upheld | DisputeStatus::Redispatched => Err(DisputeRefused::Settled),
    }
}

/// The unit a redispatch goes to: named, and not the disputing unit.
pub fn redispatch_target<'a>(
    outcome: DisputeOutcome,
    new_unit: Option<&'a str>,
    disputing_unit: &'a str,
) -> Result<&'a str, DisputeRefused> {
    match outcome {
        DisputeOutcome::Upheld => Ok(disputing_unit),
        DisputeOutcome::Redispatched => match new_unit.map(str::trim).filter(|u| !u.is_empty()) {
            None => Err(DisputeRefused::NoNewUnit),
            Some(unit) if unit == disputing_unit => Err(DisputeRefused::SameUnit),
            Some(unit) => Ok(unit),
        },
    }
}

/// An open dispute the center has not settled within `after` goes to the authority.
pub fn escalation_due(disputed_at: DateTime<Utc>, after: Duration, now: DateTime<Utc>) -> bool {
    now >= disputed_at + after
}

#[cfg(test)]
mod tests {
    use super::*;
    use DisputeDecider::{Authority, Center};
    use DisputeOutcome::{Redispatched, Upheld};

    #[test]
    fn the_center_decides_an_open_dispute_and_it_is_never_improper() {
        for outcome in [Upheld, Redispatched] {
            let ruling = decide(DisputeStatus::Open, Center, outcome).unwrap();
            assert!(!ruling.improper);
        }
        assert_eq!(
            decide(DisputeStatus::Open, Center, Upheld).unwrap().status,
            DisputeStatus::Upheld
        );
        assert_eq!(
            decide(DisputeStatus::Open, Center, Redispatched)
                .unwrap()
                .status,
            DisputeStatus::Redispatched
        );
    }

    #[test]
    fn only_the_authority_decides_an_escalated_dispute_and_a_rejection_is_improper() {
        assert_eq!(
            decide(DisputeStatus::Escalated, Center, Upheld),
            Err(DisputeRefused::WithAuthority)
        );
        assert_eq!(
            decide(DisputeStatus::Open, Authority, Upheld),
            Err(DisputeRefused::NotEscalated)
        );
        let rejected = decide(DisputeStatus::Escalated, Authority, Upheld).unwrap();
        assert_eq!(
            rejected,
            Ruling {
                status: DisputeStatus::Upheld,
                improper: true
            }
        );
        let accepted = decide(DisputeStatus::Escalated, Authority, Redispatched).unwrap();
        assert!(!accepted.improper);
    }

    #[test]
    fn a_settled_dispute_is_final() {
        for status in [DisputeStatus::Upheld, DisputeStatus::Redispatched] {
            for decider in [Center, Authority] {
                for outcome in [Upheld, Redispatched] {
                    assert_eq!(
                        decide(status, decider, outcome),
                        Err(DisputeRefused::Settled)
                    );
                }
            }
            assert_eq!(escalate(status), Err(DisputeRefused::Settled));
        }
        assert_eq!(
            escalate(DisputeStatus::Escalated),
            Err(DisputeRefused::WithAuthority)
        );
        assert_eq!(escalate(DisputeStatus::Open), Ok(DisputeStatus::Escalated));
    }

    #[test]
    fn a_redispatch_names_another_unit() {
        assert_eq!(redispatch_target(Upheld, None, "a"), Ok("a"));
        assert_eq!(
            redispatch_target(Redispatched, None, "a"),
            Err(DisputeRefused::NoNewUnit)
        );
        assert_eq!(
            redispatch_target(Redispatched, Some(" "), "a"),
            Err(DisputeRefused::NoNewUnit)
        );
        assert_eq!(
            redispatch_target(Redispatched, Some("a"), "a"),
            Err(DisputeRefused::SameUnit)
        );
        assert_eq!(redispatch_target(Redispatched, Some(" b "), "a"), Ok("b"));
    }

    #[test]
    fn escalation_is_due_once_the_time_has_passed() {
        let at: DateTime<Utc> = "2026-11-30T02:00:00Z".parse().unwrap();
        let after = Duration::hours(24);
        assert!(!escalation_due(at, after, at + Duration::hours(23)));
        assert!(escalation_due(at, after, at + Duration::hours(24)));
    }

    #[test]
    fn status_codes_round_trip() {
        for s in [
            DisputeStatus::Open,
            DisputeStatus::Escalated,
            DisputeStatus::Upheld,
            DisputeStatus::Redispatched,
        ] {
            assert_eq!(DisputeStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(DisputeStatus::from_code("closed"), None);
    }
}
