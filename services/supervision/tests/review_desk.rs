//! The review desk beyond accept and send back (A16, A17), against a real nats-server and
//! Postgres: the reviewers' queue; the checklist that acceptance and send-back stand on;
//! the call-back without personal data; the archive written on acceptance that the
//! database refuses to change; an unsatisfied requester with poor handling opening a case;
//! reminders to units notified once however often they are delivered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use async_nats::HeaderMap;
use chrono::{Duration, Utc};
use hotline_contract::envelope::Envelope;
use hotline_contract::events::{
    DeadlineClock, DeadlineReminder, OrderResultSubmitted, ResultChecklist, SupervisionCaseOpened,
    SupervisionUnitReminded,
};
use hotline_contract::rpc::{RpcErrorCode, verbs};
use hotline_contract::subjects::{HOTLINE_STREAM, event};
use hotline_contract::supervision_desk::*;
use hotline_contract::vocabulary::{RequestKind, SatisfactionVerdict};
use hotline_contract::{Event, headers::NATS_MSG_ID};
use hotline_messaging::CallError;
use hotline_service_test::PATIENCE;
use hotline_supervision::{SCHEMA, trail};
use hotline_test_support::wait_for;
use support::{Supervision, UNIT, code, field_errors};
use uuid::Uuid;

impl Supervision {
    async fn queue(
        &self,
        limit: Option<u32>,
        after: Option<String>,
    ) -> Result<ReviewQueue, CallError> {
        self.call(
            verbs::SUPERVISION_REVIEW_QUEUE,
            &ReviewQueueQuery {
                status: ReviewQueueStatus::Pending,
                limit,
                after,
            },
        )
        .await
    }

    async fn call_back(
        &self,
        order_id: Uuid,
        reached: bool,
        verified: &str,
        verdict: Option<SatisfactionVerdict>,
    ) -> Result<CallBackReceipt, CallError> {
        self.call(
            verbs::SUPERVISION_RECORD_CALL_BACK,
            &RecordCallBackCommand {
                order_id,
                reached,
                verified: verified.to_owned(),
                verdict,
                called_by: "reviewer-1".into(),
                role: CenterRole::Reviewer,
            },
        )
        .await
    }

    async fn archive(&self, number: &str) -> Result<ArchiveRecord, CallError> {
        self.call(
            verbs::SUPERVISION_ARCHIVE,
            &ArchiveQuery {
                number: number.to_owned(),
            },
        )
        .await
    }

    async fn cases_about(&self, order_id: Uuid) -> Vec<String> {
        sqlx::query_scalar("SELECT reason_code FROM supervision.cases WHERE order_id = $1")
            .bind(order_id)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// Publish `envelope` under `msg_id` (a new id gets past JetStream's de-duplication, as
    /// a relay replay would).
    async fn publish_as_is<E: Event>(&self, envelope: &Envelope<E>, msg_id: &str) -> u64 {
        let mut headers = HeaderMap::new();
        headers.insert(NATS_MSG_ID, msg_id);
        let ack = self
            .env
            .jetstream
            .publish_with_headers(
                self.env.ns.subject(&envelope.data.subject()),
                headers,
                envelope.to_bytes().unwrap().into(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(!ack.duplicate);
        ack.sequence
    }

    /// Wait until the consumer `durable` has handled the stream up to `seq`.
    async fn wait_until_handled(&self, durable: &str, seq: u64) {
        let stream = self
            .env
            .jetstream
            .get_stream(self.env.ns.stream(HOTLINE_STREAM))
            .await
            .unwrap();
        wait_for("the consumer to catch up", PATIENCE, || async {
            let info = stream.consumer_info(durable).await.ok()?;
            (info.delivered.stream_sequence >= seq && info.num_ack_pending == 0).then_some(())
        })
        .await;
    }
}

fn strs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn the_queue_lists_results_awaiting_review_oldest_first_page_by_page() {
    let s = Supervision::start_with(false).await;
    let orders = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
    s.dispatched(orders[0], "5201022612010001").await;
    s.dispatched(orders[1], "5201022612010002").await;
    let mut results = Vec::new();
    for (i, order_id) in orders.iter().enumerate() {
        // The first result lacks its reply; the others are complete.
        results.push(s.result(*order_id, i > 0).await);
    }

    let first = s.queue(Some(2), None).await.unwrap();
    let listed: Vec<Uuid> = first.items.iter().map(|i| i.order_id).collect();
    assert_eq!(listed, orders[..2]);
    let head = &first.items[0];
    assert_eq!(head.number.as_deref(), Some("5201022612010001"));
    assert_eq!(head.kind, Some(RequestKind::Complaint));
    assert_eq!(head.unit_id, UNIT);
    assert_eq!(head.result_id, results[0]);
    assert_eq!(
        head.checklist,
        Some(ResultChecklist {
            reply_given: false,
            ..ResultChecklist::complete()
        })
    );
    assert!(!head.send_back_pending);
    let rest = s.queue(Some(2), first.next_after).await.unwrap();
    assert_eq!(rest.items.len(), 1);
    // Not yet seen dispatched: listed without number and kind.
    assert_eq!(rest.items[0].order_id, orders[2]);
    assert_eq!(rest.items[0].number, None);
    assert_eq!(rest.next_after, None);

    // Decided results leave the queue; a waiting send-back is shown.
    s.checklist(orders[1], &[], None).await.unwrap();
    s.accept(orders[1], "reviewer-2").await.unwrap();
    let proposal = s.propose(orders[0], "reviewer-1").await;
    let now = s.queue(None, None).await.unwrap();
    let listed: Vec<(Uuid, bool, Option<Uuid>)> = now
        .items
        .iter()
        .map(|i| (i.order_id, i.send_back_pending, i.proposal_id))
        .collect();
    // The waiting proposal is named, for the head's list of pending send-backs.
    assert_eq!(
        listed,
        [
            (orders[0], true, Some(proposal.proposal_id)),
            (orders[2], false, None)
        ]
    );

    let refused = s.queue(Some(0), Some("yesterday".into())).await;
    assert_eq!(
        field_errors(refused.unwrap_err()),
        strs(&[("limit", "out_of_range"), ("after", "invalid_format")])
    );
    s.stop().await;
}

#[tokio::test]
async fn acceptance_needs_every_item_passed_and_a_send_back_cites_the_failed_ones() {
    let s = Supervision::start_with(false).await;
    let order_id = Uuid::now_v7();
    s.result(order_id, true).await;

    // Nothing recorded: every item is named.
    let refused = field_errors(s.accept(order_id, "reviewer-1").await.unwrap_err());
    assert_eq!(refused.len(), 6);
    assert!(
        refused
            .iter()
            .all(|(f, c)| f.starts_with("checklist.") && c == "missing")
    );

    // Bad recordings are refused field by field.
    let bad = s
        .call::<_, ReviewChecklist>(
            verbs::SUPERVISION_RECORD_CHECKLIST,
            &RecordChecklistCommand {
                order_id,
                items: vec![
                    CheckEntry {
                        item: ReviewItem::RightUnit,
                        passed: false,
                        note: Some("请致电 138 1234 5678 核实".into()),
                    },
                    CheckEntry {
                        item: ReviewItem::RightUnit,
                        passed: true,
                        note: None,
                    },
                ],
                poor_handling: None,
                recorded_by: "reviewer-1".into(),
                role: CenterRole::Reviewer,
            },
        )
        .await;
    assert_eq!(
        field_errors(bad.unwrap_err()),
        strs(&[
            ("items[0].note", "personal_data"),
            ("items[1].item", "duplicate")
        ])
    );

    let checklist = s
        .checklist(order_id, &[ReviewItem::RightUnit], None)
        .await
        .unwrap();
    assert!(!checklist.all_passed);
    assert!(checklist.missing.is_empty());
    assert_eq!(checklist.items.len(), 6);
    let refused = field_errors(s.accept(order_id, "reviewer-1").await.unwrap_err());
    assert_eq!(refused, strs(&[("checklist.right_unit", "failed")]));

    let propose = |failed_items: Vec<ReviewItem>| {
        let command = ProposeSendBackCommand {
            order_id,
            reason_code: "wrong_unit".into(),
            reasons: "应由市场监管部门办理".into(),
            failed_items,
            proposed_by: "reviewer-1".into(),
            role: CenterRole::Reviewer,
        };
        let s = &s;
        async move {
            s.call::<_, SendBackProposal>(verbs::SUPERVISION_PROPOSE_SEND_BACK, &command)
                .await
        }
    };
    assert_eq!(
        field_errors(propose(vec![]).await.unwrap_err()),
        strs(&[("failed_items", "required"), ("failed_items", "uncited")])
    );
    assert_eq!(
        field_errors(propose(vec![ReviewItem::BasisCited]).await.unwrap_err()),
        strs(&[
            ("failed_items[0]", "not_failed"),
            ("failed_items", "uncited")
        ])
    );
    let proposal = propose(vec![ReviewItem::RightUnit]).await.unwrap();
    let what: String = sqlx::query_scalar(
        "SELECT what FROM supervision.trail WHERE kind = 'send_back_proposed' AND subject_id = $1",
    )
    .bind(proposal.proposal_id.to_string())
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert!(what.ends_with("failed=right_unit"), "{what}");

    // While it waits for the head: a second proposal and an acceptance are conflicts that
    // name it (a reviewer whose first answer was lost goes on from the id).
    for refused in [
        propose(vec![ReviewItem::RightUnit]).await.unwrap_err(),
        s.accept(order_id, "reviewer-1").await.unwrap_err(),
    ] {
        let CallError::Rpc(e) = refused else {
            panic!("a typed conflict, not {refused:?}")
        };
        assert_eq!(
            (e.code, e.conflicting_id),
            (
                RpcErrorCode::Conflict,
                Some(proposal.proposal_id.to_string())
            )
        );
    }

    // Correcting an item replaces it (both recordings are on the trail).
    let corrected = s.checklist(order_id, &[], None).await.unwrap();
    assert!(corrected.all_passed);
    let recordings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM supervision.trail WHERE kind = 'review_checklist' AND actor = 'reviewer-1'",
    )
    .fetch_one(&s.pool)
    .await
    .unwrap();
    assert_eq!(recordings, 2);
    assert_eq!(trail::verify(&s.pool).await.unwrap(), 4);
    s.stop().await;
}

#[tokio::test]
async fn call_backs_are_recorded_without_personal_data() {
    let s = Supervision::start_with(false).await;
    let order_id = Uuid::now_v7();
    let result_id = s.result(order_id, true).await;

    let refused = s.call_back(order_id, true, "", None).await;
    assert_eq!(
        field_errors(refused.unwrap_err()),
        strs(&[("verdict", "required"), ("verified", "required")])
    );
    let refused = s
        .call_back(
            order_id,
            true,
            "群众称可拨打13912345678找他",
            Some(SatisfactionVerdict::Satisfied),
        )
        .await;
    assert_eq!(
        field_errors(refused.unwrap_err()),
        strs(&[("verified", "personal_data")])
    );
    let refused = s
        .call_back(order_id, false, "", Some(SatisfactionVerdict::Satisfied))
        .await;
    assert_eq!(
        field_errors(refused.unwrap_err()),
        strs(&[("verdict", "not_allowed")])
    );

    let missed = s.call_back(order_id, false, "", None).await.unwrap();
    assert!(!missed.call_back.reached);
    let reached = s
        .call_back(
            order_id,
            true,
            "群众确认单位已上门查看并停止夜间施工",
            Some(SatisfactionVerdict::BasicallySatisfied),
        )
        .await
        .unwrap();
    assert_eq!(reached.call_back.result_id, result_id);
    assert_eq!(reached.case_id, None);
    let stored: Vec<(bool, Option<String>)> = sqlx::query_as(
        "SELECT reached, verdict FROM supervision.call_backs WHERE result_id = $1 ORDER BY called_at",
    )
    .bind(result_id)
    .fetch_all(&s.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        [(false, None), (true, Some("basically_satisfied".into()))]
    );
    // The trail says who called and the outcome, not what was said.
    let trail: Vec<String> = sqlx::query_scalar(
        "SELECT what FROM supervision.trail WHERE kind = 'call_back' ORDER BY seq",
    )
    .fetch_all(&s.pool)
    .await
    .unwrap();
    assert_eq!(
        trail[1],
        format!("result={result_id} reached=true verdict=basically_satisfied")
    );

    // No result waiting for review: nothing to call back about.
    let unknown = s.call_back(Uuid::now_v7(), false, "", None).await;
    assert_eq!(code(unknown.unwrap_err()), RpcErrorCode::NotFound);
    s.stop().await;
}

#[tokio::test]
async fn accepting_archives_the_order_and_the_archive_cannot_be_changed() {
    let s = Supervision::start_with(false).await;
    let order_id = Uuid::now_v7();
    let number = "5201022612010009";
    s.dispatched(order_id, number).await;
    let result_id = s.result(order_id, true).await;
    s.call_back(
        order_id,
        true,
        "群众确认问题已解决",
        Some(SatisfactionVerdict::Satisfied),
    )
    .await
    .unwrap();
    s.checklist(order_id, &[], Some(false)).await.unwrap();
    let accepted = s.accept(order_id, "reviewer-7").await.unwrap();

    let record = s.archive(number).await.unwrap();
    assert_eq!(record.order_id, order_id);
    assert_eq!(record.number.as_deref(), Some(number));
    assert_eq!(record.kind, Some(RequestKind::Complaint));
    assert_eq!(record.result_id, result_id);
    assert_eq!(record.decision, "accepted");
    assert_eq!(record.decided_by, "reviewer-7");
    assert_eq!(record.decided_at, accepted.accepted_at);
    assert!(record.result_checklist.as_ref().unwrap().is_complete());
    let items: Vec<ReviewItem> = record.review_checklist.iter().map(|c| c.item).collect();
    assert_eq!(items, ReviewItem::ALL);
    assert!(record.review_checklist.iter().all(|c| c.passed));
    assert_eq!(record.call_backs.len(), 1);
    assert_eq!(
        record.call_backs[0].verdict,
        Some(SatisfactionVerdict::Satisfied)
    );
    // The trail hash at the acceptance, and the record's digest on the trail after it.
    let (kind, hash): (String, Vec<u8>) =
        sqlx::query_as("SELECT kind, hash FROM supervision.trail WHERE strand = $1 AND seq = $2")
            .bind(record.trail_strand)
            .bind(record.trail_seq)
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!(record.trail_strand, trail::strand_of(record.order_id));
    assert_eq!(kind, "review");
    assert_eq!(record.trail_hash, hex::encode(hash));
    let archived: String = sqlx::query_scalar(
        "SELECT what FROM supervision.trail WHERE kind = 'archived' AND strand = $1 AND seq = $2",
    )
    .bind(record.trail_strand)
    .bind(record.trail_seq + 1)
    .fetch_one(&s.pool)
    .await
    .unwrap();
    let mut as_written = record.clone();
    as_written.number = Some(number.to_owned());
    assert_eq!(
        archived,
        format!(
            "record_sha256={}",
            hotline_supervision::archive::digest(&as_written).unwrap()
        )
    );
    assert_eq!(s.archive(&order_id.to_string()).await.unwrap(), record);
    let missing = s.archive("5201022699999999").await;
    assert_eq!(code(missing.unwrap_err()), RpcErrorCode::NotFound);

    // A16: the archive can never be updated or deleted.
    for statement in [
        "UPDATE supervision.archive SET archived_at = now()",
        "UPDATE supervision.archive SET record = jsonb_set(record, '{decided_by}', '\"someone\"')",
        "DELETE FROM supervision.archive",
        "TRUNCATE supervision.archive",
    ] {
        let refused = sqlx::query(statement).execute(&s.pool).await;
        let message = refused.expect_err(statement).to_string();
        assert!(message.contains("immutable"), "{statement}: {message}");
    }
    assert_eq!(s.archive(number).await.unwrap(), record);
    assert_eq!(trail::verify(&s.pool).await.unwrap(), 5);
    s.stop().await;
}

#[tokio::test]
async fn a_complete_result_accepted_by_rule_is_archived_too() {
    let s = Supervision::start().await;
    let order_id = Uuid::now_v7();
    let result_id = Uuid::now_v7();
    s.env
        .publish(
            "router",
            OrderResultSubmitted {
                order_id,
                unit_id: UNIT.into(),
                result_id,
                submitted_by: "staff-4".into(),
                submitted_at: Utc::now(),
                checklist: ResultChecklist::complete(),
            },
        )
        .await;
    let record = wait_for("the archive record", PATIENCE, || async {
        s.archive(&order_id.to_string()).await.ok()
    })
    .await;
    assert_eq!(record.result_id, result_id);
    assert_eq!(record.decided_by, "rule:complete-result");
    assert!(record.review_checklist.is_empty());
    assert_eq!(trail::verify(&s.pool).await.unwrap(), 2);
    s.stop().await;
}

#[tokio::test]
async fn an_unsatisfied_requester_and_poor_handling_open_one_case() {
    let s = Supervision::start_with(false).await;
    let unsatisfied = Some(SatisfactionVerdict::Unsatisfied);

    // The call-back first, then the reviewer's judgement.
    let first = Uuid::now_v7();
    s.result(first, true).await;
    let receipt = s
        .call_back(first, true, "群众称噪声仍未解决", unsatisfied)
        .await
        .unwrap();
    assert_eq!(receipt.case_id, None, "not judged poor yet");
    let checklist = s
        .checklist(first, &[ReviewItem::ReplyAnswersMatter], Some(true))
        .await
        .unwrap();
    let case_id = checklist.case_id.expect("a case opened");
    let opened = s
        .env
        .wait_for_event::<SupervisionCaseOpened>(event::SUPERVISION_CASE_OPENED, |e| {
            e.order_id == first
        })
        .await;
    assert_eq!(opened.data.case_id, case_id);
    assert_eq!(opened.data.reason_code, "unsatisfied_poor_handling");
    assert_eq!(opened.data.unit_id, UNIT);
    // Once per result, however often it is confirmed.
    let again = s
        .call_back(first, true, "再次回访，仍不满意", unsatisfied)
        .await
        .unwrap();
    assert_eq!(again.case_id, None);
    assert_eq!(s.cases_about(first).await, ["unsatisfied_poor_handling"]);

    // The judgement first, then the call-back.
    let second = Uuid::now_v7();
    s.result(second, true).await;
    let checklist = s.checklist(second, &[], Some(true)).await.unwrap();
    assert_eq!(checklist.case_id, None, "no call-back yet");
    let receipt = s
        .call_back(second, true, "群众不认可处理结果", unsatisfied)
        .await
        .unwrap();
    assert!(receipt.case_id.is_some());

    // Unsatisfied but not judged poor (the demand was beyond the unit's duty): no case.
    let third = Uuid::now_v7();
    s.result(third, true).await;
    s.checklist(third, &[], Some(false)).await.unwrap();
    let receipt = s
        .call_back(third, true, "群众要求超出政策范围", unsatisfied)
        .await
        .unwrap();
    assert_eq!(receipt.case_id, None);
    assert!(s.cases_about(third).await.is_empty());
    trail::verify(&s.pool).await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn a_reminder_notifies_the_unit_once_however_often_it_is_delivered() {
    let s = Supervision::start().await;
    let order_id = Uuid::now_v7();
    let number = "5201022612010005";
    s.dispatched(order_id, number).await;
    let due_at = Utc::now() + Duration::hours(4);
    let reminder = DeadlineReminder {
        order_id,
        clock: DeadlineClock::Handling,
        unit_id: UNIT.into(),
        case_id: None,
        due_at,
        reminded_at: Utc::now(),
    };
    let envelope = Envelope::new("deadline-watcher", order_id.to_string(), reminder.clone());
    s.publish_as_is(&envelope, &envelope.id.to_string()).await;
    // Redelivered as after a relay replay (same event; the inbox absorbs it) and announced
    // again (a new event, same clock and due time; the reminder's key absorbs it).
    s.publish_as_is(&envelope, &Uuid::now_v7().to_string())
        .await;
    let again = Envelope::new("deadline-watcher", order_id.to_string(), reminder.clone());
    let last = s.publish_as_is(&again, &again.id.to_string()).await;
    s.wait_until_handled("supervision-reminders", last).await;
    assert_eq!(
        s.env
            .inbox_count(&s.pool, SCHEMA, "supervision-reminders")
            .await,
        2,
        "two distinct events"
    );
    let reminded = s
        .env
        .wait_for_event::<SupervisionUnitReminded>(event::SUPERVISION_UNIT_REMINDED, |e| {
            e.order_id == order_id
        })
        .await;
    assert_eq!(reminded.data.number.as_deref(), Some(number));
    assert_eq!(reminded.data.unit_id, UNIT);
    assert_eq!(reminded.data.clock, DeadlineClock::Handling);
    let sent = s.channel.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].unit_id, UNIT);
    assert_eq!(sent[0].number.as_deref(), Some(number));
    assert_eq!(sent[0].reminder_id, reminded.data.reminder_id);
    assert_eq!(sent[0].due_at.timestamp_micros(), due_at.timestamp_micros());
    assert_eq!(
        s.env
            .outbox_count(&s.pool, SCHEMA, event::SUPERVISION_UNIT_REMINDED, order_id)
            .await,
        1
    );

    // An extension moved the due time: a new reminder.
    let later = DeadlineReminder {
        due_at: due_at + Duration::days(3),
        ..reminder
    };
    s.env.publish("deadline-watcher", later).await;
    wait_for("the second reminder", PATIENCE, || async {
        (s.channel.sent().len() == 2).then_some(())
    })
    .await;
    // The notification may go out a moment before the trail row commits: wait for it.
    wait_for("both reminders in the trail", PATIENCE, || async {
        let trail: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM supervision.trail WHERE kind = 'unit_reminded'",
        )
        .fetch_one(&s.pool)
        .await
        .ok()?;
        (trail == 2).then_some(())
    })
    .await;
    s.stop().await;
}
