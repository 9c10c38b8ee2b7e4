//! The supervision board's near-due list against a real nats-server and Postgres
//! (`rpc.deadline-watcher.near_due`, A17): running clocks that run out by the end of the
//! next working day are listed soonest first with the order's number and the working days
//! left; clocks due later, already due, or stopped are not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use hotline_contract::events::{DeadlineClock, DeadlineScheduled};
use hotline_contract::rpc::{NearDue, NearDueQuery, RpcErrorCode, verbs};
use hotline_contract::subjects::event;
use hotline_deadline_watcher::near_due::window_end;
use hotline_workday::Calendar;
use support::{UNIT, Watcher, at};
use uuid::Uuid;

async fn scheduled(watcher: &Watcher, order_id: Uuid, clock: DeadlineClock) -> DeadlineScheduled {
    watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == clock
        })
        .await
        .data
}

#[tokio::test]
async fn clocks_due_by_the_end_of_the_next_working_day_are_listed_soonest_first() {
    let watcher = Watcher::start_answering().await;
    let now = Utc::now();
    // Dispatched now: the sign clock runs out at the end of the next working day.
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    watcher.dispatch(first, now).await;
    watcher
        .dispatch(second, now + chrono::TimeDelta::seconds(1))
        .await;
    // Signed now: the sign clock is met, the complaint's 10 working days are not near.
    let signed = Uuid::now_v7();
    watcher.dispatch(signed, now).await;
    scheduled(&watcher, signed, DeadlineClock::Sign).await;
    watcher.sign(signed, now).await;
    scheduled(&watcher, signed, DeadlineClock::Handling).await;
    // Dispatched weeks ago and never signed: already due, that is the overdue list's.
    let late = Uuid::now_v7();
    watcher.dispatch(late, at("2026-11-02T01:00:00Z")).await;
    let due_first = scheduled(&watcher, first, DeadlineClock::Sign).await.due_at;
    scheduled(&watcher, second, DeadlineClock::Sign).await;
    scheduled(&watcher, late, DeadlineClock::Sign).await;

    let near: NearDue = watcher
        .ask(verbs::DEADLINE_WATCHER_NEAR_DUE, &NearDueQuery::default())
        .await
        .unwrap();
    assert_eq!(near.until, window_end(&Calendar::official(), near.at));
    let listed: Vec<(Uuid, DeadlineClock)> =
        near.clocks.iter().map(|c| (c.order_id, c.clock)).collect();
    // Both dispatched on the same day are due at the same instant; ties go by order id.
    assert_eq!(
        listed,
        [(first, DeadlineClock::Sign), (second, DeadlineClock::Sign)]
    );
    let clock = &near.clocks[0];
    assert_eq!(clock.due_at, due_first);
    assert_eq!(clock.number.as_deref(), Some("5201022611020001"));
    assert_eq!(clock.unit_id, UNIT);
    // A15: the sign limit counts working days; the last one is the next working day.
    assert_eq!(clock.working_days_left, Some(1));
    assert!(!near.truncated);

    // A shorter list says it was cut.
    let one: NearDue = watcher
        .ask(
            verbs::DEADLINE_WATCHER_NEAR_DUE,
            &NearDueQuery { limit: Some(1) },
        )
        .await
        .unwrap();
    assert_eq!(one.clocks.len(), 1);
    assert!(one.truncated);
    let error = watcher
        .ask::<_, NearDue>(
            verbs::DEADLINE_WATCHER_NEAR_DUE,
            &NearDueQuery { limit: Some(0) },
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, RpcErrorCode::InvalidRequest);
    assert_eq!(error.fields[0].field, "limit");
    watcher.stop().await;
}
