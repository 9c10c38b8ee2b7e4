//! Analytics' pure rules: the KPI catalogue and its arithmetic ([`kpi`]), the stages and
//! stuck rules of dynamic monitoring ([`monitor`]), the bulletins' periods, scores and
//! tiers ([`bulletin`]), the staff assessment's measures ([`staff`], A19). No I/O.

pub mod bulletin;
pub mod kpi;
pub mod monitor;
pub mod staff;
