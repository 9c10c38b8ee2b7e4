//! Supervision's request/reply endpoints (issue 7): the center's review desk and case desk.
//!
//! - `accept_result` (A16): a reviewer accepts the result under review once every item of
//!   their checklist passed ([`crate::domain::checklist`]); the order closes and is archived
//!   ([`crate::archive`]).
//! - `propose_send_back` / `approve_send_back` (A16): two people. A reviewer (or the head)
//!   proposes, citing the checklist items that failed; the center's head approves, never
//!   the proposer (`forbidden`). The first approved send-back of an order publishes
//!   `order.sent_back` (the router returns the order to the same unit); a second one opens a
//!   supervision case instead.
//! - The review queue, the checklist, the call-back and the archive: [`crate::review_desk`].
//! - `open_case`, `report_rectification`, `close_case` (A17, A18).
//!
//! Until logins come (issue 10) the acting person and role are request fields. Each step is
//! one transaction: the rows, the trail entry and the event commit together; the reply is
//! sent after the commit.

use chrono::{SubsecRound, Utc};
use hotline_contract::events::{
    Closure, OrderClosed, OrderSentBack, SupervisionCaseClosed, SupervisionLevel,
    SupervisionMeasure, SupervisionRectificationReported,
};
use hotline_contract::rpc::{RpcError, RpcErrorCode};
use hotline_contract::supervision_desk::*;
use hotline_messaging::{Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use uuid::Uuid;

use std::collections::BTreeMap;

use crate::cases::{self, CaseError, Opening};
use crate::domain::case::{Refused, check_approval, check_close, send_back_outcome};
use crate::domain::checklist::{acceptance_errors, citation_errors};
use crate::store::{self, NewProposal};
use crate::trail::{self, Entry};

/// Everything the desk needs.
#[derive(Debug, Clone)]
pub struct Desk {
    pub pool: PgPool,
    pub outbox: Outbox,
}

/// Why a step was not applied.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StepError {
    #[error("{0}")]
    Reply(RpcError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
}

impl From<CaseError> for StepError {
    fn from(error: CaseError) -> Self {
        match error {
            CaseError::Database(e) => Self::Database(e),
            CaseError::Outbox(e) => Self::Outbox(e),
        }
    }
}

impl From<Refused> for StepError {
    fn from(refused: Refused) -> Self {
        let code = match refused {
            Refused::ApproverNotHead
            | Refused::ProposerCannotApprove
            | Refused::CloserNotHead
            | Refused::NotTheCaseUnit => RpcErrorCode::Forbidden,
            Refused::NothingUnderReview
            | Refused::ProposalDecided
            | Refused::ResultNoLongerUnderReview
            | Refused::ProposalPending
            | Refused::CaseClosed => RpcErrorCode::Conflict,
        };
        Self::Reply(RpcError::new(code, refused.to_string()))
    }
}

pub(crate) fn into_reply(error: StepError, step: &'static str) -> RpcError {
    match error {
        StepError::Reply(e) => e,
        other => {
            tracing::error!(step, error = %other, "step failed");
            RpcError::new(RpcErrorCode::Unavailable, "暂时无法处理，请稍后重试")
        }
    }
}

pub(crate) fn required(field: &str, value: &str) -> Result<(), RpcError> {
    if value.trim().is_empty() {
        return Err(RpcError::invalid(vec![hotline_contract::rpc::FieldError {
            field: field.to_owned(),
            code: "required".to_owned(),
            message: "不能为空".to_owned(),
        }]));
    }
    Ok(())
}

impl Desk {
    /// `rpc.supervision.accept_result` (A16): a reviewer accepts the result under review;
    /// the order closes.
    pub async fn accept_result(
        &self,
        command: AcceptResultCommand,
        trace: &TraceContext,
    ) -> Result<ResultAcceptance, RpcError> {
        required("accepted_by", &command.accepted_by)?;
        let now = Utc::now().trunc_subsecs(6);
        let result: Result<ResultAcceptance, StepError> = async {
            let mut tx = self.pool.begin().await?;
            let review = lock_under_review(&mut tx, command.order_id).await?;
            let result_id = review.result_id;
            // The head decides a pending send-back first (approving it, or not); the refusal
            // names it.
            if let Some(pending) = store::pending_proposal(&mut tx, result_id).await? {
                return Err(StepError::Reply(RpcError::conflict_with(
                    Refused::ProposalPending.to_string(),
                    pending,
                )));
            }
            // A16: the reviewer's checklist passed, item by item.
            let errors = acceptance_errors(&recorded_checks(&mut tx, result_id).await?);
            if !errors.is_empty() {
                return Err(StepError::Reply(RpcError::invalid(errors)));
            }
            store::mark_accepted(&mut tx, command.order_id, &command.accepted_by, now).await?;
            let acceptance = trail::append(
                &mut tx,
                &Entry {
                    order_id: command.order_id,
                    kind: "review",
                    subject_id: result_id.to_string(),
                    actor: &command.accepted_by,
                    what: "accepted".to_owned(),
                },
                now,
            )
            .await?;
            // A16: closed and archived, in the same transaction.
            crate::archive::write(&mut tx, &review, &command.accepted_by, now, &acceptance).await?;
            self.outbox
                .append(
                    &mut tx,
                    trace,
                    OrderClosed {
                        order_id: command.order_id,
                        closure: Closure::ResultAccepted,
                        closed_by: command.accepted_by.clone(),
                        closed_at: now,
                    },
                )
                .await?;
            tx.commit().await?;
            metrics::counter!("hotline_reviews_total", "decision" => "accepted").increment(1);
            Ok(ResultAcceptance {
                order_id: command.order_id,
                result_id,
                accepted_at: now,
            })
        }
        .await;
        result.map_err(|e| into_reply(e, "accept_result"))
    }

    /// `rpc.supervision.propose_send_back` (A16).
    pub async fn propose_send_back(
        &self,
        command: ProposeSendBackCommand,
        trace: &TraceContext,
    ) -> Result<SendBackProposal, RpcError> {
        required("reason_code", &command.reason_code)?;
        required("reasons", &command.reasons)?;
        required("proposed_by", &command.proposed_by)?;
        let _ = trace;
        let now = Utc::now().trunc_subsecs(6);
        let result: Result<SendBackProposal, StepError> = async {
            let mut tx = self.pool.begin().await?;
            let review = lock_under_review(&mut tx, command.order_id).await?;
            let (result_id, unit_id) = (review.result_id, review.unit_id);
            // A16: the send-back stands on the checklist items that failed.
            let errors = citation_errors(
                &recorded_checks(&mut tx, result_id).await?,
                &command.failed_items,
            );
            if !errors.is_empty() {
                return Err(StepError::Reply(RpcError::invalid(errors)));
            }
            let proposal_id = Uuid::now_v7();
            let inserted = store::insert_proposal(
                &mut tx,
                &NewProposal {
                    proposal_id,
                    order_id: command.order_id,
                    result_id,
                    unit_id: &unit_id,
                    reason_code: &command.reason_code,
                    reasons: &command.reasons,
                    proposed_by: &command.proposed_by,
                    proposed_at: now,
                },
            )
            .await?;
            if !inserted {
                // Named, so a caller whose first answer was lost can go on with it.
                let pending = store::pending_proposal(&mut tx, result_id).await?;
                let message = "该办理结果已有待批准的退回提议";
                return Err(StepError::Reply(match pending {
                    Some(id) => RpcError::conflict_with(message, id),
                    None => RpcError::conflict(message),
                }));
            }
            trail::append(
                &mut tx,
                &Entry {
                    order_id: command.order_id,
                    kind: "send_back_proposed",
                    subject_id: proposal_id.to_string(),
                    actor: &command.proposed_by,
                    what: format!(
                        "result={result_id} reason={} failed={}",
                        command.reason_code,
                        command
                            .failed_items
                            .iter()
                            .map(|i| i.code())
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                },
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(SendBackProposal {
                proposal_id,
                order_id: command.order_id,
                result_id,
                unit_id,
                proposed_at: now,
            })
        }
        .await;
        result.map_err(|e| into_reply(e, "propose_send_back"))
    }

    /// `rpc.supervision.approve_send_back` (A16): the head, not the proposer.
    pub async fn approve_send_back(
        &self,
        command: ApproveSendBackCommand,
        trace: &TraceContext,
    ) -> Result<SendBackApproval, RpcError> {
        required("approved_by", &command.approved_by)?;
        let now = Utc::now().trunc_subsecs(6);
        let result: Result<SendBackApproval, StepError> = async {
            let mut tx = self.pool.begin().await?;
            let not_found = || StepError::Reply(RpcError::not_found("未找到该退回提议"));
            // Lock order as in every step on an order: its review row first, then the
            // proposal.
            let order_id = store::proposal_order(&mut tx, command.proposal_id)
                .await?
                .ok_or_else(not_found)?;
            let under_review = store::lock_review_row(&mut tx, order_id).await?;
            let proposal = store::lock_proposal(&mut tx, command.proposal_id)
                .await?
                .ok_or_else(not_found)?;
            check_approval(command.role, &command.approved_by, &proposal.proposed_by)?;
            if proposal.outcome.is_some() {
                return Err(Refused::ProposalDecided.into());
            }
            // The result proposed for send-back must still be the one under review (not
            // replaced by a newer result, nor accepted meanwhile).
            if !under_review
                .as_ref()
                .is_some_and(|r| r.result_id == proposal.result_id && r.pending())
            {
                return Err(Refused::ResultNoLongerUnderReview.into());
            }
            let earlier = store::count_send_backs(&mut tx, proposal.order_id).await?;
            let outcome = send_back_outcome(earlier);
            let case_id = match outcome {
                SendBackOutcome::SentBack => {
                    store::mark_sent_back(&mut tx, proposal.order_id, &command.approved_by, now)
                        .await?;
                    self.outbox
                        .append(
                            &mut tx,
                            trace,
                            OrderSentBack {
                                order_id: proposal.order_id,
                                unit_id: proposal.unit_id.clone(),
                                result_id: proposal.result_id,
                                reason_code: proposal.reason_code.clone(),
                                sent_back_by: command.approved_by.clone(),
                                sent_back_at: now,
                            },
                        )
                        .await?;
                    None
                }
                // A16: a second failure opens a supervision case instead of a third round.
                SendBackOutcome::CaseOpened => {
                    cases::open(
                        &mut tx,
                        &self.outbox,
                        trace,
                        Opening {
                            order_id: proposal.order_id,
                            unit_id: &proposal.unit_id,
                            reason_code: "second_send_back",
                            measure: SupervisionMeasure::Notice,
                            opened_by: &command.approved_by,
                            dedup_key: Some(format!("send_back:{}", proposal.proposal_id)),
                        },
                        now,
                    )
                    .await?
                }
            };
            let outcome_code = match outcome {
                SendBackOutcome::SentBack => "sent_back",
                SendBackOutcome::CaseOpened => "case_opened",
            };
            store::approve_proposal(
                &mut tx,
                proposal.proposal_id,
                &command.approved_by,
                now,
                outcome_code,
                case_id,
            )
            .await?;
            trail::append(
                &mut tx,
                &Entry {
                    order_id: proposal.order_id,
                    kind: "send_back_approved",
                    subject_id: proposal.proposal_id.to_string(),
                    actor: &command.approved_by,
                    what: format!(
                        "proposed_by={} outcome={outcome_code}",
                        proposal.proposed_by
                    ),
                },
                now,
            )
            .await?;
            tx.commit().await?;
            metrics::counter!("hotline_send_backs_approved_total", "outcome" => outcome_code)
                .increment(1);
            Ok(SendBackApproval {
                proposal_id: proposal.proposal_id,
                order_id: proposal.order_id,
                outcome,
                case_id,
                approved_at: now,
            })
        }
        .await;
        result.map_err(|e| into_reply(e, "approve_send_back"))
    }

    /// `rpc.supervision.open_case`: by hand (a refusal, poor handling; A17).
    pub async fn open_case(
        &self,
        command: OpenCaseCommand,
        trace: &TraceContext,
    ) -> Result<CaseReceipt, RpcError> {
        required("unit_id", &command.unit_id)?;
        required("reason_code", &command.reason_code)?;
        required("opened_by", &command.opened_by)?;
        let now = Utc::now().trunc_subsecs(6);
        let measure = command.measure.unwrap_or(SupervisionMeasure::Notice);
        let result: Result<CaseReceipt, StepError> = async {
            let mut tx = self.pool.begin().await?;
            let case_id = cases::open(
                &mut tx,
                &self.outbox,
                trace,
                Opening {
                    order_id: command.order_id,
                    unit_id: &command.unit_id,
                    reason_code: &command.reason_code,
                    measure,
                    opened_by: &command.opened_by,
                    dedup_key: None,
                },
                now,
            )
            .await?
            .ok_or_else(|| StepError::Reply(RpcError::conflict("督办案件已存在")))?;
            tx.commit().await?;
            Ok(CaseReceipt {
                case_id,
                order_id: command.order_id,
                unit_id: command.unit_id.clone(),
                level: measure.into(),
                status: "open".to_owned(),
                at: now,
            })
        }
        .await;
        result.map_err(|e| into_reply(e, "open_case"))
    }

    /// `rpc.supervision.report_rectification`: the supervised unit reports (A18).
    pub async fn report_rectification(
        &self,
        command: ReportRectificationCommand,
        trace: &TraceContext,
    ) -> Result<CaseReceipt, RpcError> {
        required("report", &command.report)?;
        required("reported_by", &command.reported_by)?;
        let now = Utc::now().trunc_subsecs(6);
        let result: Result<CaseReceipt, StepError> = async {
            let mut tx = self.pool.begin().await?;
            let case = lock_open_case(&mut tx, command.case_id).await?;
            if case.unit_id != command.unit_id {
                return Err(Refused::NotTheCaseUnit.into());
            }
            store::update_case(&mut tx, case.case_id, &case.level, "rectified").await?;
            store::insert_step(
                &mut tx,
                case.case_id,
                "rectification_reported",
                &case.level,
                &command.reported_by,
                &command.report,
                now,
            )
            .await?;
            trail::append(
                &mut tx,
                &Entry {
                    order_id: case.order_id,
                    kind: "rectification_reported",
                    subject_id: case.case_id.to_string(),
                    actor: &command.reported_by,
                    what: format!("unit={}", case.unit_id),
                },
                now,
            )
            .await?;
            self.outbox
                .append(
                    &mut tx,
                    trace,
                    SupervisionRectificationReported {
                        case_id: case.case_id,
                        order_id: case.order_id,
                        unit_id: case.unit_id.clone(),
                        reported_at: now,
                    },
                )
                .await?;
            tx.commit().await?;
            Ok(receipt(&case, "rectified", now))
        }
        .await;
        result.map_err(|e| into_reply(e, "report_rectification"))
    }

    /// `rpc.supervision.close_case`: the head ends a case.
    pub async fn close_case(
        &self,
        command: CloseCaseCommand,
        trace: &TraceContext,
    ) -> Result<CaseReceipt, RpcError> {
        required("closed_by", &command.closed_by)?;
        let now = Utc::now().trunc_subsecs(6);
        let result: Result<CaseReceipt, StepError> = async {
            check_close(command.role)?;
            let mut tx = self.pool.begin().await?;
            let case = lock_open_case(&mut tx, command.case_id).await?;
            store::update_case(&mut tx, case.case_id, &case.level, "closed").await?;
            store::insert_step(
                &mut tx,
                case.case_id,
                "closed",
                &case.level,
                &command.closed_by,
                "",
                now,
            )
            .await?;
            trail::append(
                &mut tx,
                &Entry {
                    order_id: case.order_id,
                    kind: "case_closed",
                    subject_id: case.case_id.to_string(),
                    actor: &command.closed_by,
                    what: format!("level={}", case.level),
                },
                now,
            )
            .await?;
            self.outbox
                .append(
                    &mut tx,
                    trace,
                    SupervisionCaseClosed {
                        case_id: case.case_id,
                        order_id: case.order_id,
                        closed_at: now,
                    },
                )
                .await?;
            tx.commit().await?;
            Ok(receipt(&case, "closed", now))
        }
        .await;
        result.map_err(|e| into_reply(e, "close_case"))
    }
}

/// The order's review row, locked, while a result waits for a reviewer.
pub(crate) async fn lock_under_review(
    tx: &mut sqlx::PgConnection,
    order_id: Uuid,
) -> Result<store::ReviewRow, StepError> {
    let Some(review) = store::lock_review_row(tx, order_id).await? else {
        return Err(StepError::Reply(RpcError::not_found(
            "未找到该工单的办理结果",
        )));
    };
    if !review.pending() {
        return Err(Refused::NothingUnderReview.into());
    }
    Ok(review)
}

/// The reviewer's checklist of a result: item → passed.
pub(crate) async fn recorded_checks(
    tx: &mut sqlx::PgConnection,
    result_id: Uuid,
) -> Result<BTreeMap<ReviewItem, bool>, sqlx::Error> {
    Ok(store::checks(tx, result_id)
        .await?
        .into_iter()
        .map(|c| (c.item, c.passed))
        .collect())
}

async fn lock_open_case(
    tx: &mut sqlx::PgConnection,
    case_id: Uuid,
) -> Result<store::Case, StepError> {
    let Some(case) = store::lock_case(tx, case_id).await? else {
        return Err(StepError::Reply(RpcError::not_found("未找到该督办案件")));
    };
    if case.status == "closed" {
        return Err(Refused::CaseClosed.into());
    }
    Ok(case)
}

fn receipt(case: &store::Case, status: &str, at: chrono::DateTime<Utc>) -> CaseReceipt {
    CaseReceipt {
        case_id: case.case_id,
        order_id: case.order_id,
        unit_id: case.unit_id.clone(),
        level: SupervisionLevel::from_code(&case.level).unwrap_or(SupervisionLevel::Notice),
        status: status.to_owned(),
        at,
    }
}
