//! A generated month (March 2026) of orders with known outcomes, and the events the
//! services would publish for them: shared by the KPI replay test (`kpis.rs`) and the
//! bulletin test (`bulletins.rs`) of issue 9's acceptance.

#![allow(dead_code)]

use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use hotline_contract::analytics::KpiCounts;
use hotline_contract::events::*;
use hotline_contract::vocabulary::{
    Channel, RequestKind, RequesterType, SatisfactionVerdict, Urgency,
};
use hotline_service_test::TestEnv;
use hotline_workday::Calendar;
use uuid::Uuid;

/// A small deterministic generator.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub const UNITS: [&str; 3] = ["520102-market", "520102-housing", "520103-market"];
pub const COUNTIES: [&str; 3] = ["520102", "520103", "520302"];

/// What really happened to one order: the ground truth the test computes KPIs from.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub county: &'static str,
    pub answered_directly: bool,
    pub repeat: bool,
    pub unit: Option<&'static str>,
    pub disputed: bool,
    pub redispatched: bool,
    pub signed: bool,
    pub sign_overdue: bool,
    pub result: bool,
    pub handling_overdue: bool,
    pub sent_back: bool,
    pub working_days: Option<i64>,
    pub visit: Option<(SatisfactionVerdict, bool)>,
    pub cases: i64,
    pub cases_closed: i64,
}

/// One event to publish, with its producer.
pub enum Ev {
    Registered(OrderRegistered),
    Answered(OrderAnswered),
    Repeat(OrderRepeatLinked),
    Dispatched(OrderDispatched),
    Disputed(OrderDisputed),
    Redispatched(OrderRedispatched),
    Signed(OrderSigned),
    Result(OrderResultSubmitted),
    SentBack(OrderSentBack),
    Closed(OrderClosed),
    Visit(OrderSatisfactionRecorded),
    Overdue(DeadlineOverdue),
    CaseOpened(SupervisionCaseOpened),
    CaseClosed(SupervisionCaseClosed),
}

impl Ev {
    pub async fn publish(&self, env: &TestEnv) {
        match self {
            Ev::Registered(e) => env.publish("intake", e.clone()).await,
            Ev::Answered(e) => env.publish("intake", e.clone()).await,
            Ev::Repeat(e) => env.publish("intake", e.clone()).await,
            Ev::Dispatched(e) => env.publish("router", e.clone()).await,
            Ev::Disputed(e) => env.publish("router", e.clone()).await,
            Ev::Redispatched(e) => env.publish("router", e.clone()).await,
            Ev::Signed(e) => env.publish("router", e.clone()).await,
            Ev::Result(e) => env.publish("router", e.clone()).await,
            Ev::SentBack(e) => env.publish("supervision", e.clone()).await,
            Ev::Closed(e) => env.publish("supervision", e.clone()).await,
            Ev::Visit(e) => env.publish("intake", e.clone()).await,
            Ev::Overdue(e) => env.publish("deadline-watcher", e.clone()).await,
            Ev::CaseOpened(e) => env.publish("supervision", e.clone()).await,
            Ev::CaseClosed(e) => env.publish("supervision", e.clone()).await,
        };
    }
    /// Order events go to `analytics-facts`, the others to `analytics-signals`.
    pub fn is_signal(&self) -> bool {
        matches!(self, Ev::Overdue(_) | Ev::CaseOpened(_) | Ev::CaseClosed(_))
    }
}

pub fn beijing(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&date.and_hms_opt(hour, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// The date `n` working days after `date`, walked on the official calendar.
fn after_working_days(calendar: &Calendar, date: NaiveDate, n: i64) -> NaiveDate {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        d = d.checked_add_days(Days::new(1)).unwrap();
        if calendar.is_working_day(d).unwrap() {
            left -= 1;
        }
    }
    d
}

/// A month (March 2026) of orders with random, known outcomes, and their events.
pub fn generate(orders: usize) -> (Vec<Truth>, Vec<Ev>) {
    let calendar = Calendar::official();
    let mut rng = Lcg(20260301);
    let mut truths = Vec::new();
    let mut events = Vec::new();
    for n in 0..orders {
        let mut t = Truth {
            county: COUNTIES[rng.below(3) as usize],
            ..Truth::default()
        };
        let order_id = Uuid::now_v7();
        let number = format!("{}26030{:05}", t.county, n);
        let day = NaiveDate::from_ymd_opt(2026, 3, 1 + rng.below(31) as u32).unwrap();
        let registered_at = beijing(day, 9);
        let registration = OrderRegistered {
            order_id,
            number: number.clone(),
            channel: if rng.chance(50) {
                Channel::Phone
            } else {
                Channel::WebMessage
            },
            kind: RequestKind::Complaint,
            category: Some("market.consumer".to_owned()),
            region_code: t.county.to_owned(),
            urgency: Urgency::default(),
            requester: RequesterRef {
                requester_type: RequesterType::Person,
                phone_masked: None,
                phone_hash: None,
                confidential: false,
            },
            requested_at: registered_at,
            registered_at,
            registered_by: None,
            follow_up_of: None,
        };
        events.push(Ev::Registered(registration.clone()));
        match rng.below(10) {
            0 => {
                t.answered_directly = true;
                events.push(Ev::Answered(OrderAnswered {
                    registration,
                    article_id: "a".to_owned(),
                    article_version: 1,
                    answered_by: "agent-1".to_owned(),
                    answered_at: registered_at,
                }));
                truths.push(t);
                continue;
            }
            1 => {
                t.repeat = true;
                events.push(Ev::Repeat(OrderRepeatLinked {
                    registration,
                    earlier_order_id: Uuid::now_v7(),
                    earlier_number: "5201022602010001".to_owned(),
                    decided_by: "agent-1".to_owned(),
                    linked_at: registered_at,
                }));
                truths.push(t);
                continue;
            }
            _ => {}
        }
        let unit = UNITS[rng.below(3) as usize];
        t.unit = Some(unit);
        let dispatched_at = registered_at + chrono::Duration::minutes(5);
        events.push(Ev::Dispatched(OrderDispatched {
            order_id,
            number: number.clone(),
            unit_id: unit.to_owned(),
            basis: DispatchBasis::Rule,
            rule_id: Some("r".to_owned()),
            kind: RequestKind::Complaint,
            urgency: Urgency::default(),
            dispatched_at,
        }));
        let overdue = |clock| {
            Ev::Overdue(DeadlineOverdue {
                order_id,
                clock,
                unit_id: unit.to_owned(),
                case_id: None,
                due_at: dispatched_at,
                detected_at: dispatched_at,
            })
        };
        if rng.chance(12) {
            t.disputed = true;
            let dispute_id = Uuid::now_v7();
            events.push(Ev::Disputed(OrderDisputed {
                order_id,
                dispute_id,
                unit_id: unit.to_owned(),
                reason: DisputeReason::NotOurDuty,
                proposed_unit_id: None,
                disputed_by: "staff".to_owned(),
                disputed_at: dispatched_at,
            }));
            if rng.chance(50) {
                t.redispatched = true;
                events.push(Ev::Redispatched(OrderRedispatched {
                    order_id,
                    number: number.clone(),
                    dispatch_id: Uuid::now_v7(),
                    from_unit_id: unit.to_owned(),
                    unit_id: "gov-520102".to_owned(),
                    dispute_id: Some(dispute_id),
                    kind: RequestKind::Complaint,
                    urgency: Urgency::default(),
                    decided_by: "center".to_owned(),
                    redispatched_at: dispatched_at + chrono::Duration::hours(1),
                }));
            }
        }
        t.sign_overdue = rng.chance(15);
        if t.sign_overdue {
            events.push(overdue(DeadlineClock::Sign));
        }
        t.signed = rng.chance(90);
        if !t.signed {
            truths.push(t);
            continue;
        }
        events.push(Ev::Signed(OrderSigned {
            order_id,
            unit_id: unit.to_owned(),
            signed_by: "staff".to_owned(),
            signed_at: dispatched_at + chrono::Duration::hours(2),
        }));
        t.handling_overdue = rng.chance(10);
        if t.handling_overdue {
            events.push(overdue(DeadlineClock::Handling));
            // A17: an overdue order is supervised; half the cases are rectified.
            t.cases = 1;
            let case_id = Uuid::now_v7();
            events.push(Ev::CaseOpened(SupervisionCaseOpened {
                case_id,
                order_id,
                unit_id: unit.to_owned(),
                measure: SupervisionMeasure::Notice,
                reason_code: "overdue".to_owned(),
                opened_at: dispatched_at,
            }));
            if rng.chance(50) {
                t.cases_closed = 1;
                events.push(Ev::CaseClosed(SupervisionCaseClosed {
                    case_id,
                    order_id,
                    closed_at: dispatched_at,
                }));
            }
        }
        t.result = rng.chance(85);
        if !t.result {
            truths.push(t);
            continue;
        }
        let days = rng.below(8) as i64;
        t.working_days = Some(days);
        let result_at = beijing(after_working_days(&calendar, day, days), 16);
        let result_id = Uuid::now_v7();
        events.push(Ev::Result(OrderResultSubmitted {
            order_id,
            unit_id: unit.to_owned(),
            result_id,
            submitted_by: "staff".to_owned(),
            submitted_at: result_at,
            checklist: ResultChecklist::complete(),
        }));
        if rng.chance(10) {
            t.sent_back = true;
            events.push(Ev::SentBack(OrderSentBack {
                order_id,
                unit_id: unit.to_owned(),
                result_id,
                reason_code: "reply_incomplete".to_owned(),
                sent_back_by: "head".to_owned(),
                sent_back_at: result_at,
            }));
        }
        events.push(Ev::Closed(OrderClosed {
            order_id,
            closure: Closure::ResultAccepted,
            closed_by: "reviewer".to_owned(),
            closed_at: result_at,
        }));
        if rng.chance(70) {
            let verdict = match rng.below(3) {
                0 => SatisfactionVerdict::Satisfied,
                1 => SatisfactionVerdict::BasicallySatisfied,
                _ => SatisfactionVerdict::Unsatisfied,
            };
            let resolved = rng.chance(75);
            t.visit = Some((verdict, resolved));
            events.push(Ev::Visit(OrderSatisfactionRecorded {
                order_id,
                verdict,
                resolved,
                via: VisitChannel::AgentCallback,
                recorded_by: "agent".to_owned(),
                recorded_at: result_at,
            }));
        }
        truths.push(t);
    }
    (truths, events)
}

/// The KPI parts, counted from the truth by the definitions of docs/kpis.md.
pub fn expected_counts<'a>(truths: impl Iterator<Item = &'a Truth>) -> KpiCounts {
    let mut c = KpiCounts::default();
    for t in truths {
        let count = |b: bool| i64::from(b);
        c.registered += 1;
        c.answered_directly += count(t.answered_directly);
        c.repeats += count(t.repeat);
        if t.unit.is_none() {
            continue;
        }
        c.dispatched += 1;
        c.signed += count(t.signed);
        c.sign_decided += count(t.signed || t.sign_overdue);
        c.signed_on_time += count(t.signed && !t.sign_overdue);
        c.completion_decided += count(t.result || t.handling_overdue);
        c.completed_on_time += count(t.result && !t.handling_overdue);
        c.with_result += count(t.result);
        c.redone += count(t.sent_back);
        c.disputed += count(t.disputed);
        c.redispatched += count(t.redispatched);
        if let Some((verdict, resolved)) = t.visit {
            c.visited += 1;
            c.satisfied += count(verdict != SatisfactionVerdict::Unsatisfied);
            c.resolved += count(resolved);
        }
        c.cases += t.cases;
        c.cases_closed += t.cases_closed;
        if let Some(days) = t.working_days {
            c.timed += 1;
            c.working_days_sum += days;
        }
    }
    c
}

/// Wait until both consumers have applied `facts` and `signals` messages.
/// How many of `events` go to `analytics-facts` and to `analytics-signals`.
pub fn split(events: &[Ev]) -> (i64, i64) {
    let signals = events.iter().filter(|e| e.is_signal()).count() as i64;
    (events.len() as i64 - signals, signals)
}

pub async fn wait_applied(env: &TestEnv, pool: &sqlx::PgPool, facts: i64, signals: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let f = env.inbox_count(pool, "analytics", "analytics-facts").await;
        let s = env
            .inbox_count(pool, "analytics", "analytics-signals")
            .await;
        if f >= facts && s >= signals {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "applied {f}/{facts} order events and {s}/{signals} signals"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
