//! One order as the load tool follows it, and what the tool does next on each thing it
//! learns. The HTTP answer and the events arrive in any order (the dispatch is often seen
//! before the 201), so every field is filled by whoever sees it, and each step starts
//! once, when what it needs is known.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::mix::{Plan, proposed_unit};

/// A step the tool starts (outside the book's lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The unit signs and answers.
    Work { number: String, unit: String },
    /// The unit disputes the dispatch, naming `proposed`; the dispatcher redispatches.
    Dispute {
        number: String,
        unit: String,
        proposed: String,
    },
    /// The reviewer accepts the result, or sends it back.
    Review { order_id: Uuid, send_back: bool },
    /// The unit answers a sent-back order again.
    AnswerAgain { number: String, unit: String },
}

/// An order the tool follows.
#[derive(Debug, Clone, Default)]
pub struct Tracked {
    /// When the request was sent (tool clock); `None` until the answer is in.
    pub sent: Option<Instant>,
    /// What the run does with it; `None` until the answer is in.
    pub plan: Option<Plan>,
    /// The request's district.
    pub region: String,
    /// Server times of the order's steps.
    pub registered_at: Option<DateTime<Utc>>,
    pub dispatched_at: Vec<DateTime<Utc>>,
    pub disputed_at: Option<DateTime<Utc>>,
    pub redispatched_at: Vec<DateTime<Utc>>,
    /// The first sign-for after the latest dispatch.
    pub signed_at: Option<DateTime<Utc>>,
    /// Results by id, with the time each was submitted.
    pub results: Vec<(Uuid, DateTime<Utc>)>,
    pub sent_back_at: Vec<DateTime<Utc>>,
    /// Each close: when the tool saw it, and the server time.
    pub closed: Vec<(Instant, DateTime<Utc>)>,
    pub transfer_accepted_at: Vec<DateTime<Utc>>,
    /// Number and current unit, from the dispatch (and the redispatch).
    pub number: Option<String>,
    pub unit: Option<String>,
    disputing: bool,
    working: bool,
    reviewed: HashSet<Uuid>,
}

impl Tracked {
    /// The next step of the unit or the dispatcher, once, when the plan is known and the
    /// order is where the step needs it: dispatched for a dispute; dispatched and, when
    /// disputed, redispatched for the work.
    pub fn next_step(&mut self) -> Option<Action> {
        let plan = self.plan?;
        if self.dispatched_at.is_empty() {
            return None;
        }
        let (number, unit) = (self.number.clone()?, self.unit.clone()?);
        if plan.dispute && !self.disputing {
            self.disputing = true;
            let proposed = proposed_unit(&unit, &self.region);
            return Some(Action::Dispute {
                number,
                unit,
                proposed,
            });
        }
        if plan.dispute && self.redispatched_at.is_empty() {
            return None;
        }
        if plan.work && !self.working {
            self.working = true;
            return Some(Action::Work { number, unit });
        }
        None
    }

    /// A result was submitted: when people review (`by_people`), the reviewer's step,
    /// once per result. The first result of an order planned for a send-back goes back.
    pub fn result_submitted(
        &mut self,
        order_id: Uuid,
        result_id: Uuid,
        at: DateTime<Utc>,
        by_people: bool,
    ) -> Option<Action> {
        if !self.results.iter().any(|(id, _)| *id == result_id) {
            self.results.push((result_id, at));
        }
        let plan = self.plan?;
        if !by_people || !plan.work || !self.reviewed.insert(result_id) {
            return None;
        }
        Some(Action::Review {
            order_id,
            send_back: plan.send_back && self.reviewed.len() == 1,
        })
    }

    /// The result was sent back: the unit answers again, if the run sent it back.
    pub fn sent_back(&mut self, at: DateTime<Utc>) -> Option<Action> {
        self.sent_back_at.push(at);
        let plan = self.plan?;
        if !plan.send_back || self.sent_back_at.len() > 1 {
            return None;
        }
        Some(Action::AnswerAgain {
            number: self.number.clone()?,
            unit: self.unit.clone()?,
        })
    }

    /// Whether the order reached every end state its plan leads to.
    pub fn done(&self) -> bool {
        let Some(plan) = self.plan else {
            return true;
        };
        if plan.transfer {
            return !self.transfer_accepted_at.is_empty();
        }
        !self.dispatched_at.is_empty()
            && (!plan.dispute || !self.redispatched_at.is_empty())
            && (!plan.send_back || !self.sent_back_at.is_empty())
            && (!plan.work || !self.closed.is_empty())
    }

    /// What broke of the invariants: each end state reached exactly once, and no step
    /// the run did not cause.
    pub fn violations(&self, id: Uuid) -> Vec<String> {
        let Some(plan) = self.plan else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut exactly = |what: &str, n: usize, expected: bool| {
            let want = usize::from(expected);
            if n != want {
                out.push(format!("order {id}: {what} {n} times, expected {want}"));
            }
        };
        exactly("dispatched", self.dispatched_at.len(), !plan.transfer);
        exactly(
            "accepted by the partner",
            self.transfer_accepted_at.len(),
            plan.transfer,
        );
        exactly("redispatched", self.redispatched_at.len(), plan.dispute);
        exactly("sent back", self.sent_back_at.len(), plan.send_back);
        if plan.work || !self.closed.is_empty() {
            exactly("closed", self.closed.len(), plan.work);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dispatched(plan: Plan) -> Tracked {
        Tracked {
            plan: Some(plan),
            region: "520102".to_owned(),
            dispatched_at: vec![Utc::now()],
            number: Some("N1".to_owned()),
            unit: Some("520102-env".to_owned()),
            ..Tracked::default()
        }
    }

    #[test]
    fn a_disputed_order_is_worked_by_its_new_unit_after_the_redispatch() {
        let mut t = dispatched(Plan {
            work: true,
            dispute: true,
            ..Plan::default()
        });
        assert!(
            matches!(t.next_step(), Some(Action::Dispute { proposed, .. }) if proposed == "gov-520102")
        );
        assert_eq!(t.next_step(), None, "nothing until the redispatch");
        t.redispatched_at.push(Utc::now());
        t.unit = Some("gov-520102".to_owned());
        assert_eq!(
            t.next_step(),
            Some(Action::Work {
                number: "N1".to_owned(),
                unit: "gov-520102".to_owned()
            })
        );
        assert_eq!(t.next_step(), None, "once");
        assert!(!t.done());
        t.closed.push((Instant::now(), Utc::now()));
        assert!(t.done());
        assert!(t.violations(Uuid::nil()).is_empty());
    }

    #[test]
    fn the_first_result_goes_back_and_the_second_is_accepted() {
        let mut t = dispatched(Plan {
            work: true,
            send_back: true,
            ..Plan::default()
        });
        let (order, first, second) = (Uuid::nil(), Uuid::from_u128(1), Uuid::from_u128(2));
        let review = |send_back| {
            Some(Action::Review {
                order_id: order,
                send_back,
            })
        };
        assert_eq!(
            t.result_submitted(order, first, Utc::now(), true),
            review(true)
        );
        assert_eq!(t.result_submitted(order, first, Utc::now(), true), None);
        assert!(matches!(
            t.sent_back(Utc::now()),
            Some(Action::AnswerAgain { .. })
        ));
        assert_eq!(
            t.result_submitted(order, second, Utc::now(), true),
            review(false)
        );
        t.closed.push((Instant::now(), Utc::now()));
        assert!(t.done());
        assert!(t.violations(order).is_empty());
        // A second send-back is a broken invariant, and not answered.
        assert_eq!(t.sent_back(Utc::now()), None);
        assert_eq!(t.violations(order).len(), 1);
    }

    #[test]
    fn results_are_not_reviewed_by_the_tool_when_supervision_accepts_them() {
        let mut t = dispatched(Plan {
            work: true,
            ..Plan::default()
        });
        assert_eq!(
            t.result_submitted(Uuid::nil(), Uuid::nil(), Utc::now(), false),
            None
        );
    }

    #[test]
    fn a_transfer_must_be_accepted_once_and_never_dispatched() {
        let mut t = Tracked {
            plan: Some(Plan {
                transfer: true,
                ..Plan::default()
            }),
            ..Tracked::default()
        };
        assert!(!t.done());
        t.transfer_accepted_at.push(Utc::now());
        assert!(t.done());
        assert!(t.violations(Uuid::nil()).is_empty());
        t.dispatched_at.push(Utc::now());
        assert_eq!(t.violations(Uuid::nil()).len(), 1);
    }
}
