//! Clocks that start again, against a real nats-server and Postgres: a result sent back
//! (A16.2) gives the unit a new handling clock for its redo, and each escalation of a
//! supervision case (A17) starts the case's rectification clock again at the new rung, so
//! a unit that keeps not rectifying is flagged at every rung. Both are applied once however
//! often the event arrives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, Utc};
use hotline_contract::events::{
    DeadlineClock, DeadlineOverdue, DeadlineScheduled, OrderSentBack, SupervisionCaseClosed,
    SupervisionCaseEscalated, SupervisionCaseOpened, SupervisionLevel, SupervisionMeasure,
    SupervisionRectificationReported,
};
use hotline_contract::subjects::event;
use hotline_deadline_watcher::SCHEMA;
use support::{UNIT, Watcher, at};
use uuid::Uuid;

fn send_back(order_id: Uuid, result_id: Uuid, sent_back_at: &str) -> OrderSentBack {
    OrderSentBack {
        order_id,
        unit_id: UNIT.to_owned(),
        result_id,
        reason_code: "reply_incomplete".to_owned(),
        sent_back_by: "center-head-02".to_owned(),
        sent_back_at: at(sent_back_at),
    }
}

/// The `deadline.scheduled` of the order's `clock` that started at `started_at`.
async fn scheduled_at(
    watcher: &Watcher,
    order_id: Uuid,
    clock: DeadlineClock,
    started_at: DateTime<Utc>,
) -> DeadlineScheduled {
    watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == clock && e.started_at == started_at
        })
        .await
        .data
}

/// A complaint dispatched to and signed by [`UNIT`] on `signed_on` (dispatched at 09:00 and
/// signed at 11:00 Beijing time), its result submitted at 10:00 on `result_on` and meeting
/// the handling clock. Returns the order and the result.
async fn handled_in_time(watcher: &Watcher, signed_on: &str, result_on: &str) -> (Uuid, Uuid) {
    let order_id = Uuid::now_v7();
    watcher
        .dispatch(order_id, at(&format!("{signed_on}T09:00:00+08:00")))
        .await;
    watcher
        .sign(order_id, at(&format!("{signed_on}T11:00:00+08:00")))
        .await;
    let result_id = Uuid::now_v7();
    watcher
        .submit_result_as(
            order_id,
            result_id,
            at(&format!("{result_on}T10:00:00+08:00")),
        )
        .await;
    watcher
        .wait_for_clock_state(order_id, "handling", "met")
        .await;
    (order_id, result_id)
}

fn row(party: &str, state: &str, due: &str) -> (String, String, DateTime<Utc>) {
    (party.to_owned(), state.to_owned(), at(due))
}

#[tokio::test]
async fn a_send_back_gives_the_unit_a_new_handling_clock_which_its_next_result_stops() {
    let watcher = Watcher::start(3600).await;
    // A complaint signed on Mon 2026-11-16: 10 working days, due at the end of Mon 11-30.
    let (order_id, first_result) = handled_in_time(&watcher, "2026-11-16", "2026-11-18").await;

    // A16.2: the center sends the result back on Fri 11-20; the redo gets a full handling
    // period from then: 10 working days, the end of Fri 12-04.
    let sent_back_at = "2026-11-20T10:00:00+08:00";
    let sent_back_id = watcher
        .env
        .publish(
            "supervision",
            send_back(order_id, first_result, sent_back_at),
        )
        .await;
    let redo = scheduled_at(
        &watcher,
        order_id,
        DeadlineClock::Handling,
        at(sent_back_at),
    )
    .await;
    assert_eq!(redo.unit_id, UNIT);
    assert_eq!(redo.due_at, at("2026-12-05T00:00:00+08:00"));
    assert_eq!(redo.policy, "handling-complaint-normal@v1");
    assert_eq!(redo.case_id, None);
    let redo_party = first_result.to_string();
    assert_eq!(
        watcher.clocks_of(order_id, "handling").await,
        [
            row("", "met", "2026-12-01T00:00:00+08:00"),
            row(&redo_party, "running", "2026-12-05T00:00:00+08:00"),
        ]
    );
    assert_eq!(
        watcher.changes_of(order_id, "handling").await,
        [(
            redo_party.clone(),
            "sent_back".to_owned(),
            at("2026-12-01T00:00:00+08:00"),
            at("2026-12-05T00:00:00+08:00"),
        )]
    );

    // The same send-back redelivered (the same event id) and published again (a new id):
    // neither starts another clock.
    watcher
        .publish_again(
            "supervision",
            send_back(order_id, first_result, sent_back_at),
            sent_back_id,
        )
        .await;
    watcher
        .env
        .publish(
            "supervision",
            send_back(order_id, first_result, sent_back_at),
        )
        .await;
    // The redo's result on Thu 12-03 meets the redo's clock.
    watcher
        .submit_result_as(order_id, Uuid::now_v7(), at("2026-12-03T10:00:00+08:00"))
        .await;
    // dispatched, signed, two results, two distinct send-back events.
    watcher.wait_for_inbox(6).await;
    assert_eq!(
        watcher.clocks_of(order_id, "handling").await,
        [
            row("", "met", "2026-12-01T00:00:00+08:00"),
            row(&redo_party, "met", "2026-12-05T00:00:00+08:00"),
        ]
    );
    assert_eq!(watcher.changes_of(order_id, "handling").await.len(), 1);
    let scheduled = watcher
        .env
        .outbox_count(&watcher.pool, SCHEMA, event::DEADLINE_SCHEDULED, order_id)
        .await;
    assert_eq!(scheduled, 3, "sign, handling, and one redo");
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM deadline_watcher.dead_letter")
        .fetch_one(&watcher.pool)
        .await
        .unwrap();
    assert_eq!(dead, 0);

    watcher.stop().await;
}

#[tokio::test]
async fn a_redo_clock_runs_out_like_the_first_and_a_second_send_back_starts_another() {
    let watcher = Watcher::start(3600).await;
    // Signed Mon 11-02: due at the end of Mon 11-16; the result comes in time.
    let (order_id, first_result) = handled_in_time(&watcher, "2026-11-02", "2026-11-05").await;
    // Sent back on Fri 11-06: the redo is due at the end of Fri 11-20; nothing comes.
    watcher
        .env
        .publish(
            "supervision",
            send_back(order_id, first_result, "2026-11-06T10:00:00+08:00"),
        )
        .await;
    scheduled_at(
        &watcher,
        order_id,
        DeadlineClock::Handling,
        at("2026-11-06T10:00:00+08:00"),
    )
    .await;
    watcher.scan_now().await;
    let overdue = watcher
        .env
        .wait_for_event::<DeadlineOverdue>(event::DEADLINE_OVERDUE, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Handling
        })
        .await
        .data;
    assert_eq!(overdue.due_at, at("2026-11-21T00:00:00+08:00"));
    assert_eq!(overdue.unit_id, UNIT);

    // A late redo result, sent back again on Wed 11-25: another redo clock, due at the end
    // of Wed 12-09; the overdue one stays overdue.
    let second_result = Uuid::now_v7();
    watcher
        .submit_result_as(order_id, second_result, at("2026-11-24T10:00:00+08:00"))
        .await;
    watcher
        .env
        .publish(
            "supervision",
            send_back(order_id, second_result, "2026-11-25T10:00:00+08:00"),
        )
        .await;
    let again = scheduled_at(
        &watcher,
        order_id,
        DeadlineClock::Handling,
        at("2026-11-25T10:00:00+08:00"),
    )
    .await;
    assert_eq!(again.due_at, at("2026-12-10T00:00:00+08:00"));
    assert_eq!(
        watcher.clocks_of(order_id, "handling").await,
        [
            row("", "met", "2026-11-17T00:00:00+08:00"),
            row(
                &first_result.to_string(),
                "overdue",
                "2026-11-21T00:00:00+08:00"
            ),
            row(
                &second_result.to_string(),
                "running",
                "2026-12-10T00:00:00+08:00"
            ),
        ]
    );
    assert_eq!(
        watcher
            .overdue_events_queued_for(order_id, DeadlineClock::Handling)
            .await,
        1,
        "the late result does not flag the redo twice"
    );

    watcher.stop().await;
}

fn open_case(case_id: Uuid, order_id: Uuid, opened_at: &str) -> SupervisionCaseOpened {
    SupervisionCaseOpened {
        case_id,
        order_id,
        unit_id: UNIT.to_owned(),
        measure: SupervisionMeasure::Notice,
        reason_code: "overdue".to_owned(),
        opened_at: at(opened_at),
    }
}

fn close_case(case_id: Uuid, order_id: Uuid, closed_at: &str) -> SupervisionCaseClosed {
    SupervisionCaseClosed {
        case_id,
        order_id,
        closed_at: at(closed_at),
    }
}

fn escalate(
    case_id: Uuid,
    order_id: Uuid,
    (from, to): (SupervisionLevel, SupervisionLevel),
    escalated_at: &str,
) -> SupervisionCaseEscalated {
    SupervisionCaseEscalated {
        case_id,
        order_id,
        unit_id: UNIT.to_owned(),
        from,
        to,
        reason_code: "rectification_overdue".to_owned(),
        escalated_at: at(escalated_at),
    }
}

#[tokio::test]
async fn each_escalation_restarts_the_rectification_clock_so_the_case_can_fall_overdue_again() {
    use SupervisionLevel::{Authority, Coordination, Interview, Notice};
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    let case = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    // A notice on Mon 11-02: 5 working days, due at the end of Mon 11-09.
    watcher
        .env
        .publish(
            "supervision",
            open_case(case, order_id, "2026-11-02T09:00:00+08:00"),
        )
        .await;
    scheduled_at(
        &watcher,
        order_id,
        DeadlineClock::Rectification,
        at("2026-11-02T09:00:00+08:00"),
    )
    .await;

    // Each rung: the clock in force runs out, supervision escalates, a new clock starts at
    // the escalation with the full rectification period, and runs out again.
    let rungs = [
        // (from, to, escalated at, due at the end of)
        (
            Notice,
            Coordination,
            "2026-11-10T10:00:00+08:00",
            "2026-11-18T00:00:00+08:00",
        ),
        (
            Coordination,
            Interview,
            "2026-11-18T10:00:00+08:00",
            "2026-11-26T00:00:00+08:00",
        ),
    ];
    for (n, (from, to, escalated_at, due)) in rungs.into_iter().enumerate() {
        // Every event applied first: a handler holds the order's timers while it runs, and
        // the scan skips rows held (it would flag them on its next pass).
        let rung = i64::try_from(n).unwrap();
        watcher.wait_for_inbox(2 + 2 * rung).await;
        watcher.scan_now().await;
        let overdue_so_far = rung + 1;
        support::wait_until("the rectification clock flagged", || async {
            watcher
                .overdue_events_queued_for(order_id, DeadlineClock::Rectification)
                .await
                == overdue_so_far
        })
        .await;
        let escalation = escalate(case, order_id, (from, to), escalated_at);
        watcher.env.publish("supervision", escalation.clone()).await;
        let scheduled = scheduled_at(
            &watcher,
            order_id,
            DeadlineClock::Rectification,
            at(escalated_at),
        )
        .await;
        assert_eq!(scheduled.case_id, Some(case));
        assert_eq!(scheduled.due_at, at(due));
        assert_eq!(scheduled.policy, "rectification@v1");
        // The same escalation published again starts nothing.
        watcher.env.publish("supervision", escalation).await;
    }
    // The interview's clock runs out too: a third overdue, naming the case.
    watcher.wait_for_inbox(6).await;
    watcher.scan_now().await;
    let third = watcher
        .env
        .wait_for_event::<DeadlineOverdue>(event::DEADLINE_OVERDUE, |e| {
            e.order_id == order_id
                && e.clock == DeadlineClock::Rectification
                && e.due_at == at("2026-11-26T00:00:00+08:00")
        })
        .await
        .data;
    assert_eq!(third.case_id, Some(case));
    // At the top of the ladder the unit still owes its report: a last clock, which the
    // report meets; closing the case leaves it met.
    watcher
        .env
        .publish(
            "supervision",
            escalate(
                case,
                order_id,
                (Interview, Authority),
                "2026-11-26T10:00:00+08:00",
            ),
        )
        .await;
    watcher
        .env
        .publish(
            "supervision",
            SupervisionRectificationReported {
                case_id: case,
                order_id,
                unit_id: UNIT.to_owned(),
                reported_at: at("2026-11-27T10:00:00+08:00"),
            },
        )
        .await;
    watcher
        .env
        .publish(
            "supervision",
            close_case(case, order_id, "2026-11-27T16:00:00+08:00"),
        )
        .await;
    // dispatched, opened, 2 × 2 escalations, the last escalation, reported, closed.
    watcher.wait_for_inbox(9).await;
    let party = |level: &str| format!("{case}/{level}");
    assert_eq!(
        watcher.clocks_of(order_id, "rectification").await,
        [
            row(&case.to_string(), "overdue", "2026-11-10T00:00:00+08:00"),
            row(
                &party("coordination"),
                "overdue",
                "2026-11-18T00:00:00+08:00"
            ),
            row(&party("interview"), "overdue", "2026-11-26T00:00:00+08:00"),
            row(&party("authority"), "met", "2026-12-04T00:00:00+08:00"),
        ]
    );
    let escalated = |level: &str, previous: &str, due: &str| {
        (party(level), "escalated".to_owned(), at(previous), at(due))
    };
    assert_eq!(
        watcher.changes_of(order_id, "rectification").await,
        [
            escalated(
                "coordination",
                "2026-11-10T00:00:00+08:00",
                "2026-11-18T00:00:00+08:00"
            ),
            escalated(
                "interview",
                "2026-11-18T00:00:00+08:00",
                "2026-11-26T00:00:00+08:00"
            ),
            escalated(
                "authority",
                "2026-11-26T00:00:00+08:00",
                "2026-12-04T00:00:00+08:00"
            ),
        ]
    );
    assert_eq!(
        watcher
            .overdue_events_queued_for(order_id, DeadlineClock::Rectification)
            .await,
        3
    );

    watcher.stop().await;
}

#[tokio::test]
async fn an_escalation_supersedes_a_running_rectification_clock_and_a_closed_case_gets_none() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    let case = Uuid::now_v7();
    // Opened Mon 11-23: due at the end of Mon 11-30, still running when escalated on
    // Wed 11-25 (a new rung: due at the end of Wed 12-02).
    watcher
        .env
        .publish(
            "supervision",
            open_case(case, order_id, "2026-11-23T09:00:00+08:00"),
        )
        .await;
    watcher
        .env
        .publish(
            "supervision",
            escalate(
                case,
                order_id,
                (SupervisionLevel::Notice, SupervisionLevel::Coordination),
                "2026-11-25T10:00:00+08:00",
            ),
        )
        .await;
    watcher
        .env
        .publish(
            "supervision",
            close_case(case, order_id, "2026-11-26T10:00:00+08:00"),
        )
        .await;
    // An escalation that arrives after the case closed starts nothing.
    watcher
        .env
        .publish(
            "supervision",
            escalate(
                case,
                order_id,
                (SupervisionLevel::Coordination, SupervisionLevel::Interview),
                "2026-11-27T10:00:00+08:00",
            ),
        )
        .await;
    watcher.wait_for_inbox(4).await;
    assert_eq!(
        watcher.clocks_of(order_id, "rectification").await,
        [
            row(&case.to_string(), "cancelled", "2026-12-01T00:00:00+08:00"),
            row(
                &format!("{case}/coordination"),
                "cancelled",
                "2026-12-03T00:00:00+08:00"
            ),
        ]
    );
    assert_eq!(watcher.scan_now().await, 0, "nothing of the case runs out");

    watcher.stop().await;
}
