//! The router's pure rules: the dispatch decision ([`dispatch`]) and what a unit may do
//! with an order and must say in its result ([`handling`]). No I/O here; every function
//! takes plain values and is unit-tested.

pub mod dispatch;
pub mod handling;
