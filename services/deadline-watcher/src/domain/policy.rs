//! Time-limit policies (A15): which limit applies to a clock of an order.
//!
//! Policies are data (`deadline_watcher.policies`, seeded with the documented defaults in
//! `docs/deadlines.md`), so a limit changes by adding a policy version, not by a release.
//! A policy may name a kind, an urgency, both, or neither; for a clock of an order the most
//! specific active policy that matches wins: kind and urgency, then kind alone, then
//! urgency alone, then neither. So an urgent complaint gets the urgent limit (24 hours)
//! unless an operator adds a policy for urgent complaints in particular.
//!
//! Every timer records the policy id and version that set its due instant (A23), written as
//! [`Policy::label`] (`handling-complaint-normal@v1`) on `deadline.scheduled`.

use chrono::{DateTime, Utc};
use hotline_contract::events::DeadlineClock;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_workday::{Calendar, CalendarError};

use super::deadline::{Limit, due_at};

/// One version of a time-limit policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub id: String,
    pub version: i32,
    pub clock: DeadlineClock,
    /// `None`: any kind.
    pub kind: Option<RequestKind>,
    /// `None`: any urgency.
    pub urgency: Option<Urgency>,
    pub limit: Limit,
    /// Where the limit comes from (the article, or the project default and why).
    pub basis: String,
    pub active: bool,
    /// Whether the clock stops while the order is suspended (挂起).
    pub stops_when_suspended: bool,
}

impl Policy {
    /// `<id>@v<version>`, as recorded on the timer and on `deadline.scheduled`.
    pub fn label(&self) -> String {
        format!("{}@v{}", self.id, self.version)
    }

    /// The due instant of a clock started at `started_at` under this policy.
    ///
    /// # Errors
    ///
    /// [`CalendarError::MissingYear`] when the calendar lacks a year the count reaches.
    pub fn due_at(
        &self,
        calendar: &Calendar,
        started_at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, CalendarError> {
        due_at(calendar, started_at, self.limit)
    }

    /// How specific the policy is, when it matches the order at all: 3 for kind and
    /// urgency, 2 for kind, 1 for urgency, 0 for neither.
    fn specificity(
        &self,
        clock: DeadlineClock,
        kind: Option<RequestKind>,
        urgency: Option<Urgency>,
    ) -> Option<u8> {
        if !self.active || self.clock != clock {
            return None;
        }
        let kind_score = match self.kind {
            None => 0,
            Some(k) if Some(k) == kind => 2,
            Some(_) => return None,
        };
        let urgency_score = match self.urgency {
            None => 0,
            Some(u) if Some(u) == urgency => 1,
            Some(_) => return None,
        };
        Some(kind_score + urgency_score)
    }
}

/// The policy for `clock` of an order of `kind` and `urgency` (`None` when not known, e.g.
/// a timer started before kinds were recorded): the most specific active policy that
/// matches, or `None` when no active policy does.
///
/// Two active policies of the same specificity (an operator's mistake) are decided by
/// policy id, so the choice is at least stable.
pub fn select(
    policies: &[Policy],
    clock: DeadlineClock,
    kind: Option<RequestKind>,
    urgency: Option<Urgency>,
) -> Option<&Policy> {
    policies
        .iter()
        .filter_map(|p| p.specificity(clock, kind, urgency).map(|s| (s, p)))
        .max_by(|(sa, a), (sb, b)| sa.cmp(sb).then_with(|| b.id.cmp(&a.id)))
        .map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(
        id: &str,
        clock: DeadlineClock,
        kind: Option<RequestKind>,
        urgency: Option<Urgency>,
        limit: Limit,
    ) -> Policy {
        Policy {
            id: id.to_owned(),
            version: 1,
            clock,
            kind,
            urgency,
            limit,
            basis: "test".to_owned(),
            active: true,
            stops_when_suspended: clock == DeadlineClock::Handling,
        }
    }

    /// The seeded defaults (migration 20261128200000).
    fn defaults() -> Vec<Policy> {
        use DeadlineClock::{Handling, Sign};
        use RequestKind::*;
        let normal = Some(Urgency::Normal);
        vec![
            policy("sign", Sign, None, None, Limit::WorkingDays(1)),
            policy(
                "handling-consultation-normal",
                Handling,
                Some(Consultation),
                normal,
                Limit::WorkingDays(3),
            ),
            policy(
                "handling-help-normal",
                Handling,
                Some(Help),
                normal,
                Limit::WorkingDays(5),
            ),
            policy(
                "handling-suggestion-normal",
                Handling,
                Some(Suggestion),
                normal,
                Limit::WorkingDays(5),
            ),
            policy(
                "handling-complaint-normal",
                Handling,
                Some(Complaint),
                normal,
                Limit::WorkingDays(10),
            ),
            policy(
                "handling-report-normal",
                Handling,
                Some(Report),
                normal,
                Limit::WorkingDays(10),
            ),
            policy(
                "handling-urgent",
                Handling,
                None,
                Some(Urgency::Urgent),
                Limit::Hours(24),
            ),
            policy(
                "sign-critical",
                Sign,
                None,
                Some(Urgency::Critical),
                Limit::Hours(1),
            ),
            policy(
                "handling-critical",
                Handling,
                None,
                Some(Urgency::Critical),
                Limit::Hours(2),
            ),
        ]
    }

    fn chosen(
        policies: &[Policy],
        clock: DeadlineClock,
        kind: RequestKind,
        urgency: Urgency,
    ) -> Option<String> {
        select(policies, clock, Some(kind), Some(urgency)).map(Policy::label)
    }

    #[test]
    fn the_defaults_give_each_kind_its_documented_handling_limit() {
        let policies = defaults();
        for (kind, days) in [
            (RequestKind::Consultation, 3),
            (RequestKind::Help, 5),
            (RequestKind::Suggestion, 5),
            (RequestKind::Complaint, 10),
            (RequestKind::Report, 10),
        ] {
            let p = select(
                &policies,
                DeadlineClock::Handling,
                Some(kind),
                Some(Urgency::Normal),
            )
            .unwrap();
            assert_eq!(p.limit, Limit::WorkingDays(days), "{kind:?}");
            assert_eq!(p.label(), format!("handling-{}-normal@v1", kind.code()));
        }
    }

    #[test]
    fn a_risk_to_life_or_property_gets_2_hours_whatever_the_kind() {
        let policies = defaults();
        for kind in [
            RequestKind::Help,
            RequestKind::Complaint,
            RequestKind::Report,
        ] {
            let p = select(
                &policies,
                DeadlineClock::Handling,
                Some(kind),
                Some(Urgency::Critical),
            )
            .unwrap();
            assert_eq!(
                (p.label().as_str(), p.limit),
                ("handling-critical@v1", Limit::Hours(2))
            );
        }
        // Signing such a matter may not take the day A15 allows at most.
        assert_eq!(
            chosen(
                &policies,
                DeadlineClock::Sign,
                RequestKind::Help,
                Urgency::Critical
            )
            .as_deref(),
            Some("sign-critical@v1")
        );
        assert_eq!(
            chosen(
                &policies,
                DeadlineClock::Sign,
                RequestKind::Help,
                Urgency::Urgent
            )
            .as_deref(),
            Some("sign@v1")
        );
    }

    #[test]
    fn an_urgent_order_of_any_kind_gets_24_hours() {
        let policies = defaults();
        for kind in [RequestKind::Consultation, RequestKind::Complaint] {
            assert_eq!(
                chosen(&policies, DeadlineClock::Handling, kind, Urgency::Urgent).as_deref(),
                Some("handling-urgent@v1")
            );
        }
    }

    #[test]
    fn every_order_signs_within_one_working_day() {
        let policies = defaults();
        let p = select(
            &policies,
            DeadlineClock::Sign,
            Some(RequestKind::Report),
            Some(Urgency::Urgent),
        )
        .unwrap();
        assert_eq!(
            (p.label().as_str(), p.limit),
            ("sign@v1", Limit::WorkingDays(1))
        );
    }

    #[test]
    fn the_most_specific_policy_wins() {
        use DeadlineClock::Handling;
        let complaint = Some(RequestKind::Complaint);
        let urgent = Some(Urgency::Urgent);
        let mut policies = vec![policy("any", Handling, None, None, Limit::WorkingDays(15))];
        assert_eq!(
            chosen(&policies, Handling, RequestKind::Complaint, Urgency::Urgent).as_deref(),
            Some("any@v1")
        );
        policies.push(policy("urgent", Handling, None, urgent, Limit::Hours(24)));
        assert_eq!(
            chosen(&policies, Handling, RequestKind::Complaint, Urgency::Urgent).as_deref(),
            Some("urgent@v1")
        );
        policies.push(policy(
            "complaint",
            Handling,
            complaint,
            None,
            Limit::WorkingDays(10),
        ));
        assert_eq!(
            chosen(&policies, Handling, RequestKind::Complaint, Urgency::Urgent).as_deref(),
            Some("complaint@v1"),
            "kind beats urgency"
        );
        policies.push(policy(
            "complaint-urgent",
            Handling,
            complaint,
            urgent,
            Limit::Hours(12),
        ));
        assert_eq!(
            chosen(&policies, Handling, RequestKind::Complaint, Urgency::Urgent).as_deref(),
            Some("complaint-urgent@v1")
        );
        // The others still get the most specific policy that matches them.
        assert_eq!(
            chosen(&policies, Handling, RequestKind::Help, Urgency::Urgent).as_deref(),
            Some("urgent@v1")
        );
        assert_eq!(
            chosen(&policies, Handling, RequestKind::Complaint, Urgency::Normal).as_deref(),
            Some("complaint@v1")
        );
        assert_eq!(
            chosen(&policies, Handling, RequestKind::Help, Urgency::Normal).as_deref(),
            Some("any@v1")
        );
    }

    #[test]
    fn inactive_policies_and_other_clocks_are_never_chosen() {
        let mut policies = defaults();
        for p in &mut policies {
            if p.id == "handling-complaint-normal" {
                p.active = false;
            }
        }
        assert_eq!(
            chosen(
                &policies,
                DeadlineClock::Handling,
                RequestKind::Complaint,
                Urgency::Normal
            ),
            None
        );
        // The sign policy (no kind, no urgency) does not leak into the handling clock.
        assert_eq!(select(&policies, DeadlineClock::Handling, None, None), None);
    }

    #[test]
    fn a_new_active_version_is_what_is_recorded() {
        let mut policies = defaults();
        for p in &mut policies {
            if p.id == "handling-help-normal" {
                p.active = false;
            }
        }
        let mut v2 = policy(
            "handling-help-normal",
            DeadlineClock::Handling,
            Some(RequestKind::Help),
            Some(Urgency::Normal),
            Limit::WorkingDays(7),
        );
        v2.version = 2;
        policies.push(v2);
        assert_eq!(
            chosen(
                &policies,
                DeadlineClock::Handling,
                RequestKind::Help,
                Urgency::Normal
            )
            .as_deref(),
            Some("handling-help-normal@v2")
        );
    }

    #[test]
    fn equally_specific_policies_are_decided_by_id() {
        use DeadlineClock::Handling;
        let policies = vec![
            policy("b", Handling, None, None, Limit::WorkingDays(2)),
            policy("a", Handling, None, None, Limit::WorkingDays(1)),
        ];
        assert_eq!(
            chosen(&policies, Handling, RequestKind::Help, Urgency::Normal).as_deref(),
            Some("a@v1")
        );
    }
}
