//! The deadline-watcher's pure rules: when a clock is due, and how a timer moves between
//! states. No I/O here; every function takes plain values (the calendar, instants, the
//! current state) and returns a decision, and is unit-tested.
//!
//! - [`deadline`]: due instants from the official working-day calendar (A15).
//! - [`days_left`]: the whole working days a running clock has left (A15), for the desks.
//! - [`policy`]: which time-limit policy applies to a clock of an order (A15).
//! - [`policy_edit`]: what an edit of a policy may set, and the version it writes (A15, A23).
//! - [`reminder`]: reminder points before a due instant (A17).
//! - [`timer`]: the timer state machine (A15 met, A17 overdue, cancelled on close).

pub mod days_left;
pub mod deadline;
pub mod policy;
pub mod policy_edit;
pub mod reminder;
pub mod timer;
