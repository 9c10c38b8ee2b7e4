//! The knowledge base's pure rules: what a valid article is ([`content`]), who may move a
//! version through the workflow ([`workflow`]), what changed between two versions
//! ([`diff`]). No I/O: they take plain values and return decisions.

pub mod content;
pub mod diff;
pub mod workflow;
