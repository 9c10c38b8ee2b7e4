//! Reviewing results (A16).
//!
//! A16: a result holds the basis of the handling, the findings of the investigation and the
//! reply to the requester; the center reviews it and closes the order, or sends it back.
//! For now the review is in two steps: an automatic completeness check accepts a complete
//! result at once (and the order closes); an incomplete one waits for a human reviewer, who
//! will accept it or send it back (issue 7).
//!
//! Redelivery and re-publication are expected: the same result reviewed again changes
//! nothing. A newer result for an order still waiting for a reviewer replaces the old one
//! (the unit corrected itself). A result for an order whose result was already accepted is
//! an impossible transition: the order is closed.

use hotline_contract::events::ResultChecklist;
use uuid::Uuid;

/// The `closed_by` of orders closed by the completeness check.
pub const COMPLETE_RESULT_RULE: &str = "rule:complete-result";

/// The outcome of a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewDecision {
    /// The result is accepted; the order closes (A16).
    Accepted,
    /// A reviewer must look at the result.
    PendingReview,
    /// Sent back to the unit (A16, two people); the unit submits a new result.
    SentBack,
}

impl ReviewDecision {
    /// The code stored in `supervision.reviews.decision`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::PendingReview => "pending_review",
            Self::SentBack => "sent_back",
        }
    }

    /// The decision a stored code names, if any.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "accepted" => Some(Self::Accepted),
            "pending_review" => Some(Self::PendingReview),
            "sent_back" => Some(Self::SentBack),
            _ => None,
        }
    }
}

/// A16: the automatic first check: a complete result (basis, findings and reply all given)
/// is accepted; anything else goes to a reviewer.
pub fn first_review(checklist: &ResultChecklist) -> ReviewDecision {
    if checklist.is_complete() {
        ReviewDecision::Accepted
    } else {
        ReviewDecision::PendingReview
    }
}

/// The review recorded for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedReview {
    pub result_id: Uuid,
    pub decision: ReviewDecision,
}

/// What to do with a submitted result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStep {
    /// This very result was reviewed already: nothing to do.
    AlreadyReviewed,
    /// Record this decision for the result (replacing a result still pending).
    Record(ReviewDecision),
    /// The order's result was accepted and the order closed; no new result can apply.
    OrderAlreadyClosed { accepted_result: Uuid },
}

/// What a submitted result (`result_id`, `checklist`) does, given the review already
/// recorded for its order, if any.
pub fn on_result_submitted(
    recorded: Option<RecordedReview>,
    result_id: Uuid,
    checklist: &ResultChecklist,
) -> ReviewStep {
    match recorded {
        Some(r) if r.result_id == result_id => ReviewStep::AlreadyReviewed,
        Some(RecordedReview {
            result_id: accepted_result,
            decision: ReviewDecision::Accepted,
        }) => ReviewStep::OrderAlreadyClosed { accepted_result },
        Some(_) | None => ReviewStep::Record(first_review(checklist)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checklist(basis: bool, findings: bool, reply: bool) -> ResultChecklist {
        ResultChecklist {
            basis_given: basis,
            findings_given: findings,
            reply_given: reply,
            promised_by: None,
        }
    }

    #[test]
    fn a_complete_result_is_accepted() {
        assert_eq!(
            first_review(&checklist(true, true, true)),
            ReviewDecision::Accepted
        );
    }

    #[test]
    fn a_result_missing_any_part_waits_for_a_reviewer() {
        for c in [
            checklist(false, true, true),
            checklist(true, false, true),
            checklist(true, true, false),
            checklist(false, false, false),
        ] {
            assert_eq!(first_review(&c), ReviewDecision::PendingReview, "{c:?}");
        }
    }

    #[test]
    fn the_same_result_again_changes_nothing() {
        let id = Uuid::now_v7();
        for decision in [ReviewDecision::Accepted, ReviewDecision::PendingReview] {
            let recorded = RecordedReview {
                result_id: id,
                decision,
            };
            assert_eq!(
                on_result_submitted(Some(recorded), id, &checklist(true, true, true)),
                ReviewStep::AlreadyReviewed
            );
        }
    }

    #[test]
    fn a_newer_result_replaces_one_still_pending() {
        let recorded = RecordedReview {
            result_id: Uuid::now_v7(),
            decision: ReviewDecision::PendingReview,
        };
        assert_eq!(
            on_result_submitted(Some(recorded), Uuid::now_v7(), &checklist(true, true, true)),
            ReviewStep::Record(ReviewDecision::Accepted)
        );
    }

    #[test]
    fn a_new_result_for_an_accepted_order_is_refused() {
        let accepted = Uuid::now_v7();
        let recorded = RecordedReview {
            result_id: accepted,
            decision: ReviewDecision::Accepted,
        };
        assert_eq!(
            on_result_submitted(Some(recorded), Uuid::now_v7(), &checklist(true, true, true)),
            ReviewStep::OrderAlreadyClosed {
                accepted_result: accepted
            }
        );
    }

    #[test]
    fn a_first_result_is_reviewed() {
        assert_eq!(
            on_result_submitted(None, Uuid::now_v7(), &checklist(true, false, true)),
            ReviewStep::Record(ReviewDecision::PendingReview)
        );
    }

    #[test]
    fn decision_codes_round_trip() {
        for d in [
            ReviewDecision::Accepted,
            ReviewDecision::PendingReview,
            ReviewDecision::SentBack,
        ] {
            assert_eq!(ReviewDecision::from_code(d.code()), Some(d));
        }
        assert_eq!(ReviewDecision::from_code("rejected"), None);
    }
}
