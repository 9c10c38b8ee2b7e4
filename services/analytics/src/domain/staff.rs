//! Staff assessment (A19): the measures of one agent or one reviewer from their counted
//! parts. `docs/kpis.md` ("Staff assessment (A19)") defines each part; the SQL in
//! [`crate::staff`] counts them. A rate or mean is `None` when there is nothing to measure.

use hotline_contract::analytics::{
    AgentAssessment, AgentCounts, ReviewerAssessment, ReviewerCounts,
};

use super::kpi::rate;

/// Staff ids that are no person: automatic decisions (`rule:<name>`).
pub fn is_person(staff_id: &str) -> bool {
    !staff_id.is_empty() && !staff_id.starts_with("rule:")
}

/// An agent's measures: direct-answer rate and accuracy, mean handling time.
pub fn agent(agent_id: String, c: AgentCounts) -> AgentAssessment {
    AgentAssessment {
        agent_id,
        direct_answer_rate: rate(c.answered_directly, c.registered),
        direct_answer_accuracy: rate(
            c.answered_directly - c.answers_not_holding,
            c.answered_directly,
        ),
        average_handling_seconds: rate(c.handling_seconds_sum, c.timed),
        counts: c,
    }
}

/// A reviewer's measures: results reviewed, the share sent back, mean review time.
pub fn reviewer(reviewer_id: String, c: ReviewerCounts) -> ReviewerAssessment {
    let reviewed = c.accepted + c.sent_back;
    ReviewerAssessment {
        reviewer_id,
        reviewed,
        send_back_rate: rate(c.sent_back, reviewed),
        average_review_seconds: rate(c.review_seconds_sum, c.timed),
        counts: c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_decisions_are_nobody() {
        assert!(is_person("agent-7"));
        assert!(!is_person("rule:auto_accept"));
        assert!(!is_person(""));
    }

    #[test]
    fn an_agent_s_rates_and_mean() {
        let a = agent(
            "a1".to_owned(),
            AgentCounts {
                registered: 8,
                answered_directly: 4,
                answers_not_holding: 1,
                timed: 5,
                handling_seconds_sum: 1500,
            },
        );
        assert_eq!(a.direct_answer_rate, Some(0.5));
        assert_eq!(a.direct_answer_accuracy, Some(0.75));
        assert_eq!(a.average_handling_seconds, Some(300.0));
    }

    #[test]
    fn nothing_to_measure_is_no_rate() {
        let a = agent("a2".to_owned(), AgentCounts::default());
        assert_eq!(
            (
                a.direct_answer_rate,
                a.direct_answer_accuracy,
                a.average_handling_seconds
            ),
            (None, None, None)
        );
        let r = reviewer(
            "r1".to_owned(),
            ReviewerCounts {
                approvals: 2,
                ..ReviewerCounts::default()
            },
        );
        assert_eq!(
            (r.reviewed, r.send_back_rate, r.average_review_seconds),
            (0, None, None)
        );
    }

    #[test]
    fn a_reviewer_s_send_back_rate_and_mean() {
        let r = reviewer(
            "r1".to_owned(),
            ReviewerCounts {
                accepted: 3,
                sent_back: 1,
                approvals: 0,
                timed: 4,
                review_seconds_sum: 4 * 3600,
            },
        );
        assert_eq!(r.reviewed, 4);
        assert_eq!(r.send_back_rate, Some(0.25));
        assert_eq!(r.average_review_seconds, Some(3600.0));
    }
}
