//! Supervision's pure rules. No I/O here; every function takes plain values and returns a
//! decision, and is unit-tested.
//!
//! - [`review`]: the first check of a submitted result (A16) and what a new result does to
//!   the review already recorded for the order.
//! - [`checklist`]: the reviewer's checklist beyond completeness: what accepting and
//!   sending back require (A16); when an unsatisfied requester opens a case (A17).
//! - [`call_back`]: the call-back to the requester (A16).
//! - [`text`]: free text the desk stores: short, no phone numbers.
//! - [`queue`]: paging the reviewers' queue.
//! - [`reminder`]: one reminder per clock and due instant (A17).
//! - [`case`]: two-person send-back, case reasons and the escalation ladder.
//! - [`hotspot`]: the hot-spot report: unclear responsibility, addressee, republication
//!   (A17.4).

pub mod call_back;
pub mod case;
pub mod checklist;
pub mod hotspot;
pub mod queue;
pub mod reminder;
pub mod review;
pub mod text;
