//! Supervision's pure rules. No I/O here; every function takes plain values and returns a
//! decision, and is unit-tested.
//!
//! - [`review`]: the first check of a submitted result (A16) and what a new result does to
//!   the review already recorded for the order.
//! - [`case`]: two-person send-back, case reasons and the escalation ladder.

pub mod case;
pub mod review;
