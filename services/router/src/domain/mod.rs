//! The router's pure rules: the dispatch decision ([`dispatch`]), what a unit may do with
//! an order and must say in its result ([`handling`]), disputes ([`dispute`]), the desk
//! commands and a unit's scope ([`desk`]), dispatch accuracy ([`accuracy`]), the dispatch
//! catalogue and standard directory ([`catalogue`]) and directory-import checks
//! ([`directory`]). No I/O here; every function takes plain values and is unit-tested.

pub mod accuracy;
pub mod catalogue;
pub mod desk;
pub mod directory;
pub mod dispatch;
pub mod dispute;
pub mod handling;
