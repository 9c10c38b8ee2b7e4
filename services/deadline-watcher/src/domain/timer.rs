//! The timer state machine.
//!
//! A timer belongs to one order and one clock ([`DeadlineClock`]); the clocks run
//! separately. It starts `running` and ends exactly once:
//!
//! ```text
//!            signed by due_at (sign clock)                 -> met
//!            signed after due_at (sign clock)              -> overdue (announced, A17)
//! running -- result submitted by due_at (handling clock)   -> met
//!            result submitted after due_at (handling)      -> overdue (announced, A17)
//!            due_at passed, seen by the scan               -> overdue (announced, A17)
//!            order closed                                  -> cancelled
//!            order suspended, the policy stops the clock   -> paused
//!
//! paused  -- order resumed                                 -> running (due_at moved)
//!            result submitted (handling clock)             -> met
//!            order closed                                  -> cancelled
//! ```
//!
//! The co-handling clock (A14, one per co-unit) and the rectification clock (A17, one per
//! supervision case and rung) end the same way when their party reports (`Reported`): met
//! in time, overdue late. Closing the order cancels the order's own clocks and the co-handling ones;
//! a rectification clock belongs to its supervision case and is cancelled when the case
//! closes, not when the order does.
//!
//! A paused clock does not run: no reminder, no overdue. A suspension that arrives after
//! the due instant comes too late to stop the clock: the timer is overdue. An extension
//! (A14) moves the due instant of a running or paused clock and keeps its state.
//!
//! Final states stay final: a late or repeated event never reopens a timer, and a sign after
//! the overdue scan leaves the timer overdue (the unit did miss A15; supervision decides);
//! an extension granted after the clock ran out is recorded but does not reopen it.
//! The instant `due_at` itself still counts as in time, on every path.
//!
//! Some clocks start again: a new clock (another row, told apart by its party) replaces
//! the one before it, which stays on record as it ended. A send-back (A16.2) starts the
//! unit's handling clock for the redo after the first one was met (or ran out); an
//! escalation (A17) starts the case's rectification clock at its new rung, and a clock of
//! the rung below that was still running is `Superseded` (cancelled). See [`redo_party`]
//! and [`rectification_party`].

use chrono::{DateTime, Utc};
use hotline_contract::events::{DeadlineClock, SupervisionLevel};
use uuid::Uuid;

/// Where a timer is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerState {
    Running,
    /// The unit did what the clock measures in time.
    Met,
    /// The order closed before the clock ran out.
    Cancelled,
    /// The clock ran out first (A17: flagged for supervision).
    Overdue,
    /// Stopped while the order is suspended (its policy says so); resumes on `order.resumed`.
    Paused,
}

impl TimerState {
    /// The code stored in `deadline_watcher.timers.state`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Met => "met",
            Self::Cancelled => "cancelled",
            Self::Overdue => "overdue",
            Self::Paused => "paused",
        }
    }

    /// The state a stored code names, if any.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "running" => Self::Running,
            "met" => Self::Met,
            "cancelled" => Self::Cancelled,
            "overdue" => Self::Overdue,
            "paused" => Self::Paused,
            _ => return None,
        })
    }
}

/// The code stored in `deadline_watcher.timers.clock` (the same word as on the wire).
pub fn clock_code(clock: DeadlineClock) -> &'static str {
    match clock {
        DeadlineClock::Sign => "sign",
        DeadlineClock::Handling => "handling",
        DeadlineClock::CoHandling => "co_handling",
        DeadlineClock::Rectification => "rectification",
    }
}

/// The clock a stored code names, if any.
pub fn clock_from_code(code: &str) -> Option<DeadlineClock> {
    match code {
        "sign" => Some(DeadlineClock::Sign),
        "handling" => Some(DeadlineClock::Handling),
        "co_handling" => Some(DeadlineClock::CoHandling),
        "rectification" => Some(DeadlineClock::Rectification),
        _ => None,
    }
}

/// What happened, as far as a timer cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerEvent {
    /// The unit signed for the order at `at` (ends the sign clock only).
    Signed { at: DateTime<Utc> },
    /// The unit submitted its result at `at` (ends the handling clock only).
    ResultSubmitted { at: DateTime<Utc> },
    /// The order was closed (ends every clock but a supervision case's).
    Closed,
    /// The party of a co-handling or rectification clock reported at `at` (ends it).
    Reported { at: DateTime<Utc> },
    /// The supervision case was closed (ends its rectification clock).
    CaseClosed,
    /// The overdue scan looked at the timer at `now`.
    Checked { now: DateTime<Utc> },
    /// The order's handling was suspended at `at` (挂起).
    Suspended { at: DateTime<Utc> },
    /// The order's handling resumed.
    Resumed,
    /// A new clock of the same kind and party replaced this one (a supervision case
    /// escalated while the last rung's clock still ran).
    Superseded,
}

/// A timer as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerView {
    pub clock: DeadlineClock,
    pub state: TimerState,
    pub due_at: DateTime<Utc>,
    /// Whether the clock's policy stops it while the order is suspended.
    pub stops_when_suspended: bool,
}

/// The state `event` moves `timer` to, or `None` when the timer stays as it is. A move to
/// [`TimerState::Overdue`] is always announced with `deadline.overdue`.
pub fn next_state(timer: TimerView, event: TimerEvent) -> Option<TimerState> {
    match timer.state {
        TimerState::Running => next_from_running(timer, event),
        TimerState::Paused => next_from_paused(timer, event),
        TimerState::Met | TimerState::Cancelled | TimerState::Overdue => None,
    }
}

/// Met when `at` is within the limit (the due instant included), overdue after it.
fn settle(timer: TimerView, at: DateTime<Utc>) -> TimerState {
    if at <= timer.due_at {
        TimerState::Met
    } else {
        TimerState::Overdue
    }
}

fn next_from_running(timer: TimerView, event: TimerEvent) -> Option<TimerState> {
    match event {
        // A15: signed within the limit is met; a sign that comes later (the scan had not
        // run yet) is still a missed deadline (A17).
        TimerEvent::Signed { at } if timer.clock == DeadlineClock::Sign => Some(settle(timer, at)),
        // A15: handled within the limit; a result after it still missed the limit.
        TimerEvent::ResultSubmitted { at } if timer.clock == DeadlineClock::Handling => {
            Some(settle(timer, at))
        }
        TimerEvent::Reported { at } if reported_by_party(timer.clock) => Some(settle(timer, at)),
        TimerEvent::Signed { .. }
        | TimerEvent::ResultSubmitted { .. }
        | TimerEvent::Reported { .. } => None,
        TimerEvent::Closed => cancelled_by_order_close(timer.clock),
        TimerEvent::CaseClosed => cancelled_by_case_close(timer.clock),
        // A17: an unmet clock past its due instant is overdue.
        TimerEvent::Checked { now } => (timer.due_at < now).then_some(TimerState::Overdue),
        TimerEvent::Suspended { .. } if !timer.stops_when_suspended => None,
        // Too late to stop a clock that already ran out (the scan had not run yet).
        TimerEvent::Suspended { at } if at > timer.due_at => Some(TimerState::Overdue),
        TimerEvent::Suspended { .. } => Some(TimerState::Paused),
        TimerEvent::Resumed => None,
        TimerEvent::Superseded => Some(TimerState::Cancelled),
    }
}

fn next_from_paused(timer: TimerView, event: TimerEvent) -> Option<TimerState> {
    match event {
        TimerEvent::Resumed => Some(TimerState::Running),
        TimerEvent::Superseded => Some(TimerState::Cancelled),
        // The clock is stopped: a result while suspended is in time.
        TimerEvent::ResultSubmitted { .. } if timer.clock == DeadlineClock::Handling => {
            Some(TimerState::Met)
        }
        TimerEvent::Reported { .. } if reported_by_party(timer.clock) => Some(TimerState::Met),
        TimerEvent::Closed => cancelled_by_order_close(timer.clock),
        TimerEvent::CaseClosed => cancelled_by_case_close(timer.clock),
        TimerEvent::Signed { .. }
        | TimerEvent::ResultSubmitted { .. }
        | TimerEvent::Reported { .. }
        | TimerEvent::Checked { .. }
        | TimerEvent::Suspended { .. } => None,
    }
}

/// The party of the handling clock for the redo after the result `result_id` was sent back
/// (A16.2): one redo clock per result sent back, so a send-back published twice starts one.
/// The first handling clock of an order has party ''.
pub fn redo_party(result_id: Uuid) -> String {
    result_id.to_string()
}

/// The party of a supervision case's rectification clock: the case id for the clock
/// started when the case opened, `<case id>/<level>` for the one started when it was
/// escalated to `level` (A17), so each rung has one clock and an escalation published twice
/// starts one.
pub fn rectification_party(case_id: Uuid, escalated_to: Option<SupervisionLevel>) -> String {
    match escalated_to {
        None => case_id.to_string(),
        Some(level) => format!("{case_id}/{}", level.code()),
    }
}

/// The supervision case a `rectification` clock's party names (see
/// [`rectification_party`]); `None` for the other clocks.
pub fn case_of_party(clock: DeadlineClock, party: &str) -> Option<Uuid> {
    if clock != DeadlineClock::Rectification {
        return None;
    }
    let case = party.split_once('/').map_or(party, |(case, _)| case);
    case.parse().ok()
}

/// The clocks a party ends by reporting (a co-unit's part, a supervised unit's rectification).
fn reported_by_party(clock: DeadlineClock) -> bool {
    matches!(
        clock,
        DeadlineClock::CoHandling | DeadlineClock::Rectification
    )
}

/// Closing the order cancels its clocks, except a supervision case's.
fn cancelled_by_order_close(clock: DeadlineClock) -> Option<TimerState> {
    (clock != DeadlineClock::Rectification).then_some(TimerState::Cancelled)
}

/// Closing a supervision case cancels its rectification clock only.
fn cancelled_by_case_close(clock: DeadlineClock) -> Option<TimerState> {
    (clock == DeadlineClock::Rectification).then_some(TimerState::Cancelled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn sign_timer(state: TimerState) -> TimerView {
        TimerView {
            clock: DeadlineClock::Sign,
            state,
            due_at: at("2026-11-03T16:00:00Z"),
            stops_when_suspended: false,
        }
    }

    fn handling_timer(state: TimerState) -> TimerView {
        TimerView {
            clock: DeadlineClock::Handling,
            stops_when_suspended: true,
            ..sign_timer(state)
        }
    }

    #[test]
    fn signing_in_time_meets_the_sign_clock() {
        let signed = TimerEvent::Signed {
            at: at("2026-11-03T09:00:00Z"),
        };
        assert_eq!(
            next_state(sign_timer(TimerState::Running), signed),
            Some(TimerState::Met)
        );
    }

    #[test]
    fn signing_at_the_due_instant_is_still_in_time() {
        let signed = TimerEvent::Signed {
            at: at("2026-11-03T16:00:00Z"),
        };
        assert_eq!(
            next_state(sign_timer(TimerState::Running), signed),
            Some(TimerState::Met)
        );
        let checked = TimerEvent::Checked {
            now: at("2026-11-03T16:00:00Z"),
        };
        assert_eq!(next_state(sign_timer(TimerState::Running), checked), None);
    }

    #[test]
    fn signing_after_the_due_instant_is_overdue_even_before_the_scan() {
        let signed = TimerEvent::Signed {
            at: at("2026-11-03T16:00:01Z"),
        };
        assert_eq!(
            next_state(sign_timer(TimerState::Running), signed),
            Some(TimerState::Overdue)
        );
    }

    #[test]
    fn signing_does_not_stop_the_handling_clock() {
        let handling = TimerView {
            clock: DeadlineClock::Handling,
            ..sign_timer(TimerState::Running)
        };
        let signed = TimerEvent::Signed {
            at: at("2026-11-03T09:00:00Z"),
        };
        assert_eq!(next_state(handling, signed), None);
    }

    #[test]
    fn a_result_in_time_meets_the_handling_clock_and_a_late_one_is_overdue() {
        let handling = TimerView {
            clock: DeadlineClock::Handling,
            ..sign_timer(TimerState::Running)
        };
        let on_time = TimerEvent::ResultSubmitted {
            at: at("2026-11-03T16:00:00Z"),
        };
        assert_eq!(next_state(handling, on_time), Some(TimerState::Met));
        let late = TimerEvent::ResultSubmitted {
            at: at("2026-11-03T16:00:01Z"),
        };
        assert_eq!(next_state(handling, late), Some(TimerState::Overdue));
        // A result does not settle the sign clock.
        assert_eq!(next_state(sign_timer(TimerState::Running), on_time), None);
    }

    #[test]
    fn the_scan_marks_a_running_timer_past_due_overdue() {
        let checked = TimerEvent::Checked {
            now: at("2026-11-03T16:00:01Z"),
        };
        assert_eq!(
            next_state(sign_timer(TimerState::Running), checked),
            Some(TimerState::Overdue)
        );
        let early = TimerEvent::Checked {
            now: at("2026-11-03T15:59:59Z"),
        };
        assert_eq!(next_state(sign_timer(TimerState::Running), early), None);
    }

    #[test]
    fn closing_the_order_cancels_running_clocks() {
        assert_eq!(
            next_state(sign_timer(TimerState::Running), TimerEvent::Closed),
            Some(TimerState::Cancelled)
        );
    }

    #[test]
    fn final_states_never_change() {
        let events = [
            TimerEvent::Signed {
                at: at("2026-11-03T09:00:00Z"),
            },
            TimerEvent::ResultSubmitted {
                at: at("2026-11-03T09:00:00Z"),
            },
            TimerEvent::Closed,
            TimerEvent::Checked {
                now: at("2027-01-01T00:00:00Z"),
            },
        ];
        for state in [TimerState::Met, TimerState::Cancelled, TimerState::Overdue] {
            for event in events.into_iter().chain([
                TimerEvent::Suspended {
                    at: at("2026-11-03T09:00:00Z"),
                },
                TimerEvent::Resumed,
            ]) {
                assert_eq!(
                    next_state(sign_timer(state), event),
                    None,
                    "{state:?} {event:?}"
                );
                assert_eq!(
                    next_state(handling_timer(state), event),
                    None,
                    "{state:?} {event:?}"
                );
            }
        }
    }

    #[test]
    fn a_suspension_pauses_a_clock_whose_policy_stops_it() {
        let suspended = TimerEvent::Suspended {
            at: at("2026-11-03T09:00:00Z"),
        };
        assert_eq!(
            next_state(handling_timer(TimerState::Running), suspended),
            Some(TimerState::Paused)
        );
        // The sign clock's policy does not stop: it keeps running.
        assert_eq!(next_state(sign_timer(TimerState::Running), suspended), None);
    }

    #[test]
    fn a_suspension_after_the_due_instant_is_too_late() {
        let at_due = TimerEvent::Suspended {
            at: at("2026-11-03T16:00:00Z"),
        };
        assert_eq!(
            next_state(handling_timer(TimerState::Running), at_due),
            Some(TimerState::Paused)
        );
        let late = TimerEvent::Suspended {
            at: at("2026-11-03T16:00:01Z"),
        };
        assert_eq!(
            next_state(handling_timer(TimerState::Running), late),
            Some(TimerState::Overdue)
        );
    }

    #[test]
    fn a_paused_clock_neither_runs_out_nor_stops_twice() {
        let paused = handling_timer(TimerState::Paused);
        let long_after = TimerEvent::Checked {
            now: at("2027-01-01T00:00:00Z"),
        };
        assert_eq!(next_state(paused, long_after), None);
        let again = TimerEvent::Suspended {
            at: at("2026-11-03T09:00:00Z"),
        };
        assert_eq!(next_state(paused, again), None);
        assert_eq!(
            next_state(paused, TimerEvent::Resumed),
            Some(TimerState::Running)
        );
        assert_eq!(
            next_state(handling_timer(TimerState::Running), TimerEvent::Resumed),
            None
        );
    }

    #[test]
    fn a_result_while_suspended_is_in_time_and_closing_cancels_a_paused_clock() {
        let paused = handling_timer(TimerState::Paused);
        let late_by_the_old_due = TimerEvent::ResultSubmitted {
            at: at("2026-11-09T09:00:00Z"),
        };
        assert_eq!(
            next_state(paused, late_by_the_old_due),
            Some(TimerState::Met)
        );
        assert_eq!(
            next_state(paused, TimerEvent::Closed),
            Some(TimerState::Cancelled)
        );
    }

    fn clock(clock: DeadlineClock, state: TimerState) -> TimerView {
        TimerView {
            clock,
            ..handling_timer(state)
        }
    }

    #[test]
    fn a_co_unit_or_a_supervised_unit_ends_its_clock_by_reporting() {
        for c in [DeadlineClock::CoHandling, DeadlineClock::Rectification] {
            let in_time = TimerEvent::Reported {
                at: at("2026-11-03T16:00:00Z"),
            };
            let late = TimerEvent::Reported {
                at: at("2026-11-03T16:00:01Z"),
            };
            assert_eq!(
                next_state(clock(c, TimerState::Running), in_time),
                Some(TimerState::Met)
            );
            assert_eq!(
                next_state(clock(c, TimerState::Running), late),
                Some(TimerState::Overdue)
            );
            assert_eq!(
                next_state(clock(c, TimerState::Paused), late),
                Some(TimerState::Met)
            );
        }
        // A report ends neither the sign nor the handling clock.
        let report = TimerEvent::Reported {
            at: at("2026-11-03T09:00:00Z"),
        };
        assert_eq!(next_state(sign_timer(TimerState::Running), report), None);
        assert_eq!(
            next_state(handling_timer(TimerState::Running), report),
            None
        );
    }

    #[test]
    fn a_rectification_clock_belongs_to_its_case_not_to_the_order() {
        let rectification = clock(DeadlineClock::Rectification, TimerState::Running);
        assert_eq!(next_state(rectification, TimerEvent::Closed), None);
        assert_eq!(
            next_state(rectification, TimerEvent::CaseClosed),
            Some(TimerState::Cancelled)
        );
        let co = clock(DeadlineClock::CoHandling, TimerState::Running);
        assert_eq!(
            next_state(co, TimerEvent::Closed),
            Some(TimerState::Cancelled)
        );
        assert_eq!(next_state(co, TimerEvent::CaseClosed), None);
        assert_eq!(
            next_state(handling_timer(TimerState::Running), TimerEvent::CaseClosed),
            None
        );
    }

    #[test]
    fn a_new_clock_supersedes_a_running_or_paused_one_but_not_one_that_ended() {
        let rectification = |state| clock(DeadlineClock::Rectification, state);
        for state in [TimerState::Running, TimerState::Paused] {
            assert_eq!(
                next_state(rectification(state), TimerEvent::Superseded),
                Some(TimerState::Cancelled)
            );
        }
        for state in [TimerState::Met, TimerState::Cancelled, TimerState::Overdue] {
            assert_eq!(
                next_state(rectification(state), TimerEvent::Superseded),
                None
            );
        }
    }

    #[test]
    fn each_rung_of_a_case_has_its_own_rectification_party_naming_the_case() {
        let case = Uuid::now_v7();
        let opened = rectification_party(case, None);
        let escalated = rectification_party(case, Some(SupervisionLevel::Coordination));
        assert_eq!(opened, case.to_string());
        assert_eq!(escalated, format!("{case}/coordination"));
        for party in [&opened, &escalated] {
            assert_eq!(
                case_of_party(DeadlineClock::Rectification, party),
                Some(case)
            );
        }
        assert_ne!(
            escalated,
            rectification_party(case, Some(SupervisionLevel::Interview))
        );
        // Only a rectification clock's party names a case.
        assert_eq!(case_of_party(DeadlineClock::CoHandling, &opened), None);
        assert_eq!(case_of_party(DeadlineClock::Rectification, "unit-7"), None);
        let result = Uuid::now_v7();
        assert_eq!(redo_party(result), result.to_string());
    }

    #[test]
    fn codes_round_trip() {
        for state in [
            TimerState::Running,
            TimerState::Met,
            TimerState::Cancelled,
            TimerState::Overdue,
            TimerState::Paused,
        ] {
            assert_eq!(TimerState::from_code(state.code()), Some(state));
        }
        for clock in [
            DeadlineClock::Sign,
            DeadlineClock::Handling,
            DeadlineClock::CoHandling,
            DeadlineClock::Rectification,
        ] {
            assert_eq!(clock_from_code(clock_code(clock)), Some(clock));
            // The stored code is the wire word.
            assert_eq!(
                serde_json::to_value(clock).unwrap(),
                serde_json::Value::from(clock_code(clock))
            );
        }
        assert_eq!(TimerState::from_code("stopped"), None);
        assert_eq!(clock_from_code("reply"), None);
    }
}
