//! Intake's pure rules: validation of a registration, phone masking and hashing, order
//! numbers. No I/O here; every function takes plain values and is unit-tested.

pub mod category_model;
pub mod hotspot;
pub mod id_number;
pub mod number;
pub mod phone;
pub mod registration;
pub mod similarity;
pub mod triage;
