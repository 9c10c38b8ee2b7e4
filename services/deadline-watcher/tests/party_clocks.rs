//! The clocks of the other parties of an order, against a real nats-server and Postgres:
//! each co-handling unit's report to the lead unit (A14), one clock per co-unit, and each
//! supervision case's rectification (A17), one clock per case, which the order's closing
//! does not end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hotline_contract::events::{
    Closure, DeadlineClock, DeadlineOverdue, DeadlineScheduled, OrderClosed,
    OrderCoHandlingAssigned, OrderCoHandlingReported, SupervisionCaseClosed, SupervisionCaseOpened,
    SupervisionMeasure, SupervisionRectificationReported,
};
use hotline_contract::subjects::event;
use support::{UNIT, Watcher, at};
use uuid::Uuid;

const CO_HOUSING: &str = "unit-nanming-housing-bureau";
const CO_STREET: &str = "unit-nanming-street-office";

/// The state of the order's `clock` timer of `party`.
async fn party_state(watcher: &Watcher, order_id: Uuid, clock: &str, party: &str) -> String {
    sqlx::query_scalar(
        "SELECT state FROM deadline_watcher.timers \
         WHERE order_id = $1 AND clock = $2 AND party = $3",
    )
    .bind(order_id)
    .bind(clock)
    .bind(party)
    .fetch_one(&watcher.pool)
    .await
    .unwrap()
}

async fn wait_party_state(
    watcher: &Watcher,
    order_id: Uuid,
    clock: &str,
    party: &str,
    state: &str,
) {
    support::wait_until(&format!("{clock} clock of {party} {state}"), || async {
        sqlx::query_scalar::<_, String>(
            "SELECT state FROM deadline_watcher.timers \
             WHERE order_id = $1 AND clock = $2 AND party = $3",
        )
        .bind(order_id)
        .bind(clock)
        .bind(party)
        .fetch_optional(&watcher.pool)
        .await
        .unwrap()
        .as_deref()
            == Some(state)
    })
    .await;
}

#[tokio::test]
async fn each_co_handling_unit_has_its_own_clock_to_report_to_the_lead_unit() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-16T01:00:00Z")).await;
    // Signed Mon 11-16: the lead's handling clock runs to the end of Mon 11-30.
    watcher.sign(order_id, at("2026-11-16T03:00:00Z")).await;
    // Two co-units assigned on Tue 2026-11-17: 3 working days, due at the end of Fri 11-20.
    for unit in [CO_HOUSING, CO_STREET] {
        watcher
            .env
            .publish(
                "router",
                OrderCoHandlingAssigned {
                    order_id,
                    lead_unit_id: UNIT.to_owned(),
                    unit_id: unit.to_owned(),
                    assigned_at: at("2026-11-17T10:00:00+08:00"),
                },
            )
            .await;
    }
    for unit in [CO_HOUSING, CO_STREET] {
        let scheduled = watcher
            .env
            .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
                e.order_id == order_id && e.clock == DeadlineClock::CoHandling && e.unit_id == unit
            })
            .await;
        assert_eq!(scheduled.data.due_at, at("2026-11-21T00:00:00+08:00"));
        assert_eq!(scheduled.data.policy, "co-handling@v1");
        assert_eq!(scheduled.data.case_id, None);
    }

    // The housing bureau reports in time; the street office never does.
    watcher
        .env
        .publish(
            "router",
            OrderCoHandlingReported {
                order_id,
                lead_unit_id: UNIT.to_owned(),
                unit_id: CO_HOUSING.to_owned(),
                reported_at: at("2026-11-19T16:00:00+08:00"),
            },
        )
        .await;
    wait_party_state(&watcher, order_id, "co_handling", CO_HOUSING, "met").await;
    // The lead's handling clock and the housing bureau's are not overdue; the
    // street office's is, and only it.
    assert_eq!(watcher.scan_now().await, 1);
    let overdue = watcher
        .env
        .wait_for_event::<DeadlineOverdue>(event::DEADLINE_OVERDUE, |e| e.order_id == order_id)
        .await;
    assert_eq!(
        (overdue.data.clock, overdue.data.unit_id.as_str()),
        (DeadlineClock::CoHandling, CO_STREET)
    );
    assert_eq!(
        party_state(&watcher, order_id, "co_handling", CO_HOUSING).await,
        "met"
    );
    watcher
        .assert_clock_state(order_id, "handling", "running")
        .await;
    watcher.stop().await;
}

#[tokio::test]
async fn each_supervision_case_has_a_rectification_clock_that_outlives_the_order() {
    let watcher = Watcher::start(3600).await;
    let order_id = Uuid::now_v7();
    watcher.dispatch(order_id, at("2026-11-02T01:00:00Z")).await;
    let open_case = |case_id: Uuid, opened_at: &str| SupervisionCaseOpened {
        case_id,
        order_id,
        unit_id: UNIT.to_owned(),
        measure: SupervisionMeasure::Notice,
        reason_code: "overdue".to_owned(),
        opened_at: at(opened_at),
    };
    // A case opened on Mon 2026-11-16: 5 working days, due at the end of Mon 11-23.
    let first = Uuid::now_v7();
    watcher
        .env
        .publish("supervision", open_case(first, "2026-11-16T09:00:00+08:00"))
        .await;
    let scheduled = watcher
        .env
        .wait_for_event::<DeadlineScheduled>(event::DEADLINE_SCHEDULED, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Rectification
        })
        .await;
    assert_eq!(scheduled.data.case_id, Some(first));
    assert_eq!(scheduled.data.due_at, at("2026-11-24T00:00:00+08:00"));
    assert_eq!(scheduled.data.policy, "rectification@v1");

    // Rectification reported late: overdue at once, naming the case (A17 escalation).
    watcher
        .env
        .publish(
            "supervision",
            SupervisionRectificationReported {
                case_id: first,
                order_id,
                unit_id: UNIT.to_owned(),
                reported_at: at("2026-11-25T10:00:00+08:00"),
            },
        )
        .await;
    let overdue = watcher
        .env
        .wait_for_event::<DeadlineOverdue>(event::DEADLINE_OVERDUE, |e| {
            e.order_id == order_id && e.clock == DeadlineClock::Rectification
        })
        .await;
    assert_eq!(overdue.data.case_id, Some(first));

    // A second case on the same order has its own clock; closing the order leaves it
    // running, closing the case cancels it.
    let second = Uuid::now_v7();
    watcher
        .env
        .publish(
            "supervision",
            open_case(second, "2026-11-26T09:00:00+08:00"),
        )
        .await;
    let second_party = second.to_string();
    wait_party_state(
        &watcher,
        order_id,
        "rectification",
        &second_party,
        "running",
    )
    .await;
    watcher
        .env
        .publish(
            "supervision",
            OrderClosed {
                order_id,
                closure: Closure::ResultAccepted,
                closed_by: "reviewer-3".to_owned(),
                closed_at: at("2026-11-27T09:00:00+08:00"),
            },
        )
        .await;
    watcher
        .wait_for_clock_state(order_id, "sign", "cancelled")
        .await;
    assert_eq!(
        party_state(&watcher, order_id, "rectification", &second_party).await,
        "running"
    );
    watcher
        .env
        .publish(
            "supervision",
            SupervisionCaseClosed {
                case_id: second,
                order_id,
                closed_at: at("2026-11-27T10:00:00+08:00"),
            },
        )
        .await;
    wait_party_state(
        &watcher,
        order_id,
        "rectification",
        &second_party,
        "cancelled",
    )
    .await;
    assert_eq!(
        party_state(&watcher, order_id, "rectification", &first.to_string()).await,
        "overdue"
    );
    watcher.stop().await;
}
