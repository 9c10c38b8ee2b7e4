//! The review desk beyond accept and send back (A16, issue 7): the reviewers' queue, their
//! checklist, the call-back to the requester, and reading the archive.
//!
//! - `review_queue`: results waiting for a reviewer, oldest first, with the order's number,
//!   unit, kind, submission time and completeness checklist ([`crate::domain::queue`]).
//! - `record_checklist`: the reviewer records checklist items (pass or fail, optional note)
//!   and, optionally, that the handling was poor ([`crate::domain::checklist`]).
//! - `record_call_back`: whether the requester was reached, what was verified, their
//!   verdict ([`crate::domain::call_back`]); no personal data.
//! - A17: once the latest reached call-back is "unsatisfied" and the reviewer judged the
//!   handling poor, whichever step completes the pair opens a supervision case
//!   (`unsatisfied_poor_handling`, once per result) through [`crate::cases::open`].
//! - `archive`: the immutable record written on acceptance ([`crate::archive`]).
//!
//! Each recording is one transaction with its trail row (A23) and, if a case opens, the
//! case's rows and `supervision.case_opened`.

use chrono::{DateTime, SubsecRound, Utc};
use hotline_contract::events::SupervisionMeasure;
use hotline_contract::rpc::RpcError;
use hotline_contract::supervision_desk::*;
use hotline_messaging::Outbox;
use hotline_telemetry::TraceContext;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::cases::{self, Opening};
use crate::desk::{Desk, StepError, into_reply, lock_under_review, required};
use crate::domain::call_back::call_back_errors;
use crate::domain::checklist::{
    UNSATISFIED_POOR_HANDLING, acceptance_errors, entry_errors, opens_unsatisfied_case,
};
use crate::domain::queue::{self, QueueCursor};
use crate::store::{self, ReviewRow};
use crate::trail::{self, Entry};

fn invalid(errors: Vec<hotline_contract::rpc::FieldError>) -> Result<(), RpcError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RpcError::invalid(errors))
    }
}

impl Desk {
    /// `rpc.supervision.review_queue` (A16): one page of results waiting for a reviewer.
    pub async fn review_queue(
        &self,
        query: ReviewQueueQuery,
        _trace: &TraceContext,
    ) -> Result<ReviewQueue, RpcError> {
        let ReviewQueueStatus::Pending = query.status;
        let (limit, cursor) =
            queue::page(query.limit, query.after.as_deref()).map_err(RpcError::invalid)?;
        let items = store::pending_reviews(&self.pool, cursor, limit)
            .await
            .map_err(|e| into_reply(e.into(), "review_queue"))?;
        let next_after = (items.len() == limit as usize)
            .then(|| items.last())
            .flatten()
            .map(|last| {
                QueueCursor {
                    submitted_at: last.submitted_at,
                    order_id: last.order_id,
                }
                .encode()
            });
        Ok(ReviewQueue { items, next_after })
    }

    /// `rpc.supervision.record_checklist` (A16): checklist items for the result under
    /// review; with an unsatisfied call-back and poor handling, a case (A17).
    pub async fn record_checklist(
        &self,
        command: RecordChecklistCommand,
        trace: &TraceContext,
    ) -> Result<ReviewChecklist, RpcError> {
        required("recorded_by", &command.recorded_by)?;
        invalid(entry_errors(
            &command.items,
            command.poor_handling.is_some(),
        ))?;
        let now = Utc::now().trunc_subsecs(6);
        let result: Result<ReviewChecklist, StepError> = async {
            let mut tx = self.pool.begin().await?;
            let mut review = lock_under_review(&mut tx, command.order_id).await?;
            store::record_checks(
                &mut tx,
                review.order_id,
                review.result_id,
                &command.items,
                &command.recorded_by,
                now,
            )
            .await?;
            if let Some(poor) = command.poor_handling {
                store::set_poor_handling(&mut tx, review.order_id, poor).await?;
                review.poor_handling = poor;
            }
            let items: Vec<String> = command
                .items
                .iter()
                .map(|e| {
                    format!(
                        "{}={}",
                        e.item.code(),
                        if e.passed { "pass" } else { "fail" }
                    )
                })
                .collect();
            trail::append(
                &mut tx,
                &Entry {
                    order_id: review.order_id,
                    kind: "review_checklist",
                    subject_id: review.result_id.to_string(),
                    actor: &command.recorded_by,
                    what: format!("{} poor_handling={}", items.join(","), review.poor_handling),
                },
                now,
            )
            .await?;
            let case_id = open_if_unsatisfied(
                &mut tx,
                &self.outbox,
                trace,
                &review,
                &command.recorded_by,
                now,
            )
            .await?;
            let checks = store::checks(&mut tx, review.result_id).await?;
            tx.commit().await?;
            let missing = ReviewItem::ALL
                .into_iter()
                .filter(|item| !checks.iter().any(|c| c.item == *item))
                .collect::<Vec<_>>();
            let all_passed =
                acceptance_errors(&checks.iter().map(|c| (c.item, c.passed)).collect()).is_empty();
            Ok(ReviewChecklist {
                order_id: review.order_id,
                result_id: review.result_id,
                items: checks,
                missing,
                poor_handling: review.poor_handling,
                all_passed,
                case_id,
            })
        }
        .await;
        result.map_err(|e| into_reply(e, "record_checklist"))
    }

    /// `rpc.supervision.record_call_back` (A16): the call-back to the requester; with an
    /// "unsatisfied" verdict and poor handling, a case (A17).
    pub async fn record_call_back(
        &self,
        command: RecordCallBackCommand,
        trace: &TraceContext,
    ) -> Result<CallBackReceipt, RpcError> {
        invalid(call_back_errors(&command))?;
        let now = Utc::now().trunc_subsecs(6);
        let result: Result<CallBackReceipt, StepError> = async {
            let mut tx = self.pool.begin().await?;
            let review = lock_under_review(&mut tx, command.order_id).await?;
            let call_back = CallBack {
                call_back_id: Uuid::now_v7(),
                result_id: review.result_id,
                reached: command.reached,
                verified: command.verified.trim().to_owned(),
                verdict: command.verdict,
                called_by: command.called_by.clone(),
                called_at: now,
            };
            store::insert_call_back(&mut tx, review.order_id, &call_back).await?;
            // The trail says who called and the outcome; what was verified stays in the
            // call-back row.
            trail::append(
                &mut tx,
                &Entry {
                    order_id: review.order_id,
                    kind: "call_back",
                    subject_id: call_back.call_back_id.to_string(),
                    actor: &command.called_by,
                    what: format!(
                        "result={} reached={} verdict={}",
                        review.result_id,
                        command.reached,
                        command.verdict.map_or("none", |v| v.code())
                    ),
                },
                now,
            )
            .await?;
            let case_id = open_if_unsatisfied(
                &mut tx,
                &self.outbox,
                trace,
                &review,
                &command.called_by,
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(CallBackReceipt {
                order_id: review.order_id,
                call_back,
                case_id,
            })
        }
        .await;
        result.map_err(|e| into_reply(e, "record_call_back"))
    }

    /// `rpc.supervision.archive`: the archive record of an order, by number (or order id).
    pub async fn archive(
        &self,
        query: ArchiveQuery,
        _trace: &TraceContext,
    ) -> Result<ArchiveRecord, RpcError> {
        required("number", &query.number)?;
        store::archive_record(&self.pool, query.number.trim())
            .await
            .map_err(|e| into_reply(e.into(), "archive"))?
            .ok_or_else(|| RpcError::not_found("未找到该工单的归档记录"))
    }
}

/// A17: open the `unsatisfied_poor_handling` case of the result under review if the latest
/// reached call-back is "unsatisfied" and the handling was judged poor; once per result.
async fn open_if_unsatisfied(
    tx: &mut PgConnection,
    outbox: &Outbox,
    trace: &TraceContext,
    review: &ReviewRow,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StepError> {
    if !review.poor_handling {
        return Ok(None);
    }
    let call_backs = store::call_backs(tx, review.result_id).await?;
    let verdict = call_backs
        .iter()
        .rev()
        .find(|c| c.reached)
        .and_then(|c| c.verdict);
    if !opens_unsatisfied_case(verdict, review.poor_handling) {
        return Ok(None);
    }
    Ok(cases::open(
        tx,
        outbox,
        trace,
        Opening {
            order_id: review.order_id,
            unit_id: &review.unit_id,
            reason_code: UNSATISFIED_POOR_HANDLING,
            measure: SupervisionMeasure::Notice,
            opened_by: actor,
            dedup_key: Some(format!("unsatisfied:{}", review.result_id)),
        },
        now,
    )
    .await?)
}
