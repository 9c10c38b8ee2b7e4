//! Send-backs and supervision cases (A16, A17, A18): who may do what, and the ladder.
//!
//! - Send-back (A16) takes two people: a reviewer (or the head) proposes, the center's head
//!   approves, and never the proposer. A second send-back of an order opens a case instead
//!   of a third round: the unit failed twice.
//! - A case starts on a measure (a supervision notice unless said otherwise) and, while the
//!   unit does not rectify in time, climbs the configured ladder one rung per overdue
//!   rectification, up to the authority or the unit's line department (A17).

use hotline_contract::events::{DeadlineClock, SupervisionLevel};
use hotline_contract::supervision_desk::{CenterRole, SendBackOutcome};

/// Why a desk step is refused (shown to the caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("只有中心负责人可以批准退回")]
    ApproverNotHead,
    #[error("退回须由提议人以外的负责人批准（双人审批）")]
    ProposerCannotApprove,
    #[error("只有中心负责人可以结案")]
    CloserNotHead,
    #[error("该工单当前没有待审核的办理结果")]
    NothingUnderReview,
    #[error("该退回提议已处理")]
    ProposalDecided,
    #[error("该退回提议针对的办理结果已不在待审核状态")]
    ResultNoLongerUnderReview,
    #[error("该办理结果有待批准的退回提议")]
    ProposalPending,
    #[error("该督办案件已结案")]
    CaseClosed,
    #[error("督办案件不属于本单位")]
    NotTheCaseUnit,
}

/// A16: who may approve a send-back proposed by `proposed_by`.
pub fn check_approval(
    role: CenterRole,
    approved_by: &str,
    proposed_by: &str,
) -> Result<(), Refused> {
    if role != CenterRole::Head {
        return Err(Refused::ApproverNotHead);
    }
    if approved_by == proposed_by {
        return Err(Refused::ProposerCannotApprove);
    }
    Ok(())
}

/// Only the head ends a case.
pub fn check_close(role: CenterRole) -> Result<(), Refused> {
    match role {
        CenterRole::Head => Ok(()),
        CenterRole::Reviewer => Err(Refused::CloserNotHead),
    }
}

/// A16: what an approved send-back does, given how often the order was sent back before.
pub fn send_back_outcome(earlier_send_backs: i64) -> SendBackOutcome {
    if earlier_send_backs >= 1 {
        SendBackOutcome::CaseOpened
    } else {
        SendBackOutcome::SentBack
    }
}

/// The reason code of a case opened on an overdue clock (none for the rectification clock,
/// which escalates a case instead).
pub fn overdue_reason(clock: DeadlineClock) -> Option<&'static str> {
    match clock {
        DeadlineClock::Sign => Some("overdue_sign"),
        DeadlineClock::Handling => Some("overdue_handling"),
        DeadlineClock::CoHandling => Some("overdue_co_handling"),
        DeadlineClock::Rectification => None,
    }
}

/// The rung after `current` on `ladder`: `None` at the top (or if `current` is not on the
/// ladder at all and nothing is above).
pub fn next_level(
    ladder: &[SupervisionLevel],
    current: SupervisionLevel,
) -> Option<SupervisionLevel> {
    match ladder.iter().position(|l| *l == current) {
        Some(i) => ladder.get(i + 1).copied(),
        // Not on the ladder (configuration changed): go to the first rung above it.
        None => ladder.iter().copied().find(|l| rank(*l) > rank(current)),
    }
}

fn rank(level: SupervisionLevel) -> u8 {
    match level {
        SupervisionLevel::Notice => 0,
        SupervisionLevel::Coordination => 1,
        SupervisionLevel::Interview => 2,
        SupervisionLevel::Authority => 3,
    }
}

/// The default ladder (A17): notice → coordination → interview → authority.
pub fn default_ladder() -> Vec<SupervisionLevel> {
    vec![
        SupervisionLevel::Notice,
        SupervisionLevel::Coordination,
        SupervisionLevel::Interview,
        SupervisionLevel::Authority,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proposer_cannot_approve_their_own_send_back() {
        assert_eq!(
            check_approval(CenterRole::Head, "head-1", "head-1"),
            Err(Refused::ProposerCannotApprove)
        );
        assert_eq!(
            check_approval(CenterRole::Head, "head-1", "reviewer-1"),
            Ok(())
        );
    }

    #[test]
    fn only_the_head_approves() {
        assert_eq!(
            check_approval(CenterRole::Reviewer, "reviewer-2", "reviewer-1"),
            Err(Refused::ApproverNotHead)
        );
        assert_eq!(
            check_close(CenterRole::Reviewer),
            Err(Refused::CloserNotHead)
        );
    }

    #[test]
    fn a_second_send_back_opens_a_case() {
        assert_eq!(send_back_outcome(0), SendBackOutcome::SentBack);
        assert_eq!(send_back_outcome(1), SendBackOutcome::CaseOpened);
        assert_eq!(send_back_outcome(5), SendBackOutcome::CaseOpened);
    }

    #[test]
    fn the_ladder_climbs_one_rung_and_stops_at_the_top() {
        let ladder = default_ladder();
        assert_eq!(
            next_level(&ladder, SupervisionLevel::Notice),
            Some(SupervisionLevel::Coordination)
        );
        assert_eq!(
            next_level(&ladder, SupervisionLevel::Interview),
            Some(SupervisionLevel::Authority)
        );
        assert_eq!(next_level(&ladder, SupervisionLevel::Authority), None);
        let short = [SupervisionLevel::Notice, SupervisionLevel::Authority];
        assert_eq!(
            next_level(&short, SupervisionLevel::Coordination),
            Some(SupervisionLevel::Authority)
        );
    }

    #[test]
    fn only_sign_handling_and_co_handling_clocks_open_cases() {
        assert_eq!(overdue_reason(DeadlineClock::Sign), Some("overdue_sign"));
        assert_eq!(overdue_reason(DeadlineClock::Rectification), None);
    }
}
