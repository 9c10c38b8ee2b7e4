//! The first review (A16) of a consumer batch of submitted results, with a few set-based
//! statements instead of about a dozen round trips per result.
//!
//! Under load the `supervision-review` consumer hands up to `consumer_batch_max` results
//! of one lane (one trail strand, `crate::trail_consumer`) to [`Reviews::review_all`] in
//! one transaction; a single event is a batch of one. A run of results of distinct orders
//! is reviewed with one statement per step, whatever its size:
//!
//! 1. the orders' recorded reviews, locked (in id order);
//! 2. the decision for each result, the pure [`on_result_submitted`] (in memory);
//! 3. the new review rows (one upsert);
//! 4. for the accepted ones, what their archive records are made of: the orders' numbers
//!    and kinds, the reviewer's checks and the call-backs (one statement each);
//! 5. the trail: the strands' heads are locked, each result's `review` row (and for an
//!    accepted one its archive record and `archived` row) is chained in memory in stream
//!    order, then all rows are written and the heads moved in one statement
//!    ([`crate::trail::Appender`]);
//! 6. the archive records (one insert) and the `order.closed` events (one outbox insert).
//!
//! A batch with a second result for an order already in the run starts a new run after
//! the first is written, so the second finds the first's review as it would one by one.
//! A result for an order closed on another result fails the batch (a permanent error);
//! the consumer then applies its events one at a time and dead-letters only that one.
//! `services/supervision/tests/review_batches.rs` checks that a batch ends where its
//! events one by one would.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use hotline_contract::Event;
use hotline_contract::events::{Closure, OrderClosed, OrderResultSubmitted};
use hotline_contract::supervision_desk::ArchiveRecord;
use hotline_messaging::{HandlerError, IncomingEvent, OutboxRows};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::archive::{self, Facts};
use crate::domain::review::{
    COMPLETE_RESULT_RULE, RecordedReview, ReviewDecision, ReviewStep, on_result_submitted,
};
use crate::handlers::Reviews;
use crate::store::{self, NewReview, ReviewRow};
use crate::trail::{Appender, Entry};

/// A submitted result of the run with what its first review decided.
struct Decided<'a> {
    event: &'a IncomingEvent,
    result: OrderResultSubmitted,
    decision: ReviewDecision,
}

impl Reviews {
    /// Review the submitted results among `events` (in stream order, none a duplicate of an
    /// applied one); events of other types are not ours yet and are skipped.
    pub(crate) async fn review_all(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        let mut run: Vec<(&IncomingEvent, OrderResultSubmitted)> = Vec::new();
        let mut orders = HashSet::new();
        for event in events {
            let env = &event.envelope;
            if env.event_type != OrderResultSubmitted::TYPE {
                continue;
            }
            let result = env.decode::<OrderResultSubmitted>()?.data;
            if !orders.insert(result.order_id) {
                // A second result for an order of the run: it must see the first's review.
                self.review_run(tx, std::mem::take(&mut run)).await?;
                orders = HashSet::from([result.order_id]);
            }
            run.push((*event, result));
        }
        self.review_run(tx, run).await
    }

    /// Review results of distinct orders (see the module doc).
    async fn review_run(
        &self,
        tx: &mut PgConnection,
        run: Vec<(&IncomingEvent, OrderResultSubmitted)>,
    ) -> Result<(), HandlerError> {
        if run.is_empty() {
            return Ok(());
        }
        let order_ids: Vec<Uuid> = run.iter().map(|(_, r)| r.order_id).collect();
        let recorded = store::lock_reviews(tx, &order_ids).await?;
        let mut decided = Vec::with_capacity(run.len());
        for (event, result) in run {
            if let Some(decision) = self.decide(recorded.get(&result.order_id).copied(), &result)? {
                decided.push(Decided {
                    event,
                    result,
                    decision,
                });
            }
        }
        if decided.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let new_reviews: Vec<NewReview<'_>> = decided
            .iter()
            .map(|d| NewReview {
                order_id: d.result.order_id,
                result_id: d.result.result_id,
                unit_id: &d.result.unit_id,
                decision: d.decision,
                decided: (d.decision == ReviewDecision::Accepted)
                    .then_some((COMPLETE_RESULT_RULE, now)),
                submitted_at: d.result.submitted_at,
                checklist: &d.result.checklist,
            })
            .collect();
        let mut rows: HashMap<Uuid, ReviewRow> = store::record_reviews(tx, &new_reviews)
            .await?
            .into_iter()
            .map(|row| (row.order_id, row))
            .collect();
        let mut facts = self.archive_facts(tx, &decided).await?;

        // A23: every review is on the trail; an accepted one's archive record follows it.
        let mut trail = Appender::lock(tx, decided.iter().map(|d| d.result.order_id)).await?;
        let mut archives: Vec<(ArchiveRecord, Vec<u8>)> = Vec::new();
        let mut closed = OutboxRows::default();
        for d in &decided {
            let reviewed = trail.push(&review_entry(d), now)?;
            if d.decision != ReviewDecision::Accepted {
                log_pending(&d.result);
                continue;
            }
            // A16: a result that checks out closes (and archives) the order.
            let review = rows.remove(&d.result.order_id).ok_or_else(|| {
                HandlerError::transient(format!(
                    "the review of order {} was not written",
                    d.result.order_id
                ))
            })?;
            let order_facts = facts.remove(&d.result.order_id).unwrap_or_default();
            let record =
                archive::record(&review, order_facts, COMPLETE_RESULT_RULE, now, &reviewed);
            trail.push(&archive::trail_entry(&record)?, now)?;
            archives.push((record, reviewed.hash));
            self.outbox.stage(
                &mut closed,
                &d.event.trace,
                OrderClosed {
                    order_id: d.result.order_id,
                    closure: Closure::ResultAccepted,
                    closed_by: COMPLETE_RESULT_RULE.to_owned(),
                    closed_at: now,
                },
            )?;
            tracing::info!(result_id = %d.result.result_id, "complete result accepted; order closed");
        }
        store::insert_archives(tx, &archives, now).await?;
        trail.write(tx).await?;
        self.outbox.append_rows(tx, closed).await?;
        for d in &decided {
            metrics::counter!("hotline_reviews_total", "decision" => d.decision.code())
                .increment(1);
        }
        Ok(())
    }

    /// What the first review decides for `result` given the order's recorded review;
    /// `None` if the result was reviewed already.
    fn decide(
        &self,
        recorded: Option<RecordedReview>,
        result: &OrderResultSubmitted,
    ) -> Result<Option<ReviewDecision>, HandlerError> {
        match on_result_submitted(recorded, result.result_id, &result.checklist) {
            ReviewStep::AlreadyReviewed => {
                tracing::info!(result_id = %result.result_id, "result already reviewed; nothing to do");
                Ok(None)
            }
            ReviewStep::OrderAlreadyClosed { accepted_result } => {
                Err(HandlerError::permanent(format!(
                    "result {} submitted for order {}, which was closed on result {accepted_result}",
                    result.result_id, result.order_id
                )))
            }
            ReviewStep::Record(_) if !self.auto_accept_complete => {
                Ok(Some(ReviewDecision::PendingReview))
            }
            ReviewStep::Record(decision) => Ok(Some(decision)),
        }
    }

    /// The archive facts of the accepted results, by order.
    async fn archive_facts(
        &self,
        tx: &mut PgConnection,
        decided: &[Decided<'_>],
    ) -> Result<HashMap<Uuid, Facts>, sqlx::Error> {
        let accepted: Vec<&OrderResultSubmitted> = decided
            .iter()
            .filter(|d| d.decision == ReviewDecision::Accepted)
            .map(|d| &d.result)
            .collect();
        if accepted.is_empty() {
            return Ok(HashMap::new());
        }
        let order_ids: Vec<Uuid> = accepted.iter().map(|r| r.order_id).collect();
        let result_ids: Vec<Uuid> = accepted.iter().map(|r| r.result_id).collect();
        let mut orders = store::order_refs(tx, &order_ids).await?;
        let mut checks = store::checks_of(tx, &result_ids).await?;
        let mut call_backs = store::call_backs_of(tx, &result_ids).await?;
        Ok(accepted
            .iter()
            .map(|r| {
                let facts = Facts {
                    order: orders.remove(&r.order_id),
                    review_checklist: checks.remove(&r.result_id).unwrap_or_default(),
                    call_backs: call_backs.remove(&r.result_id).unwrap_or_default(),
                };
                (r.order_id, facts)
            })
            .collect())
    }
}

/// The trail entry of a first review.
fn review_entry<'a>(d: &'a Decided<'_>) -> Entry<'a> {
    Entry {
        order_id: d.result.order_id,
        kind: "review",
        subject_id: d.result.result_id.to_string(),
        actor: if d.decision == ReviewDecision::Accepted {
            COMPLETE_RESULT_RULE
        } else {
            "rule:first-review"
        },
        what: d.decision.code().to_owned(),
    }
}

fn log_pending(result: &OrderResultSubmitted) {
    tracing::info!(
        result_id = %result.result_id,
        basis = result.checklist.basis_given,
        findings = result.checklist.findings_given,
        reply = result.checklist.reply_given,
        "incomplete result; waiting for a reviewer"
    );
}
