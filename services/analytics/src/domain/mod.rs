//! Analytics' pure rules: the KPI catalogue and its arithmetic ([`kpi`]), the stages and
//! stuck rules of dynamic monitoring ([`monitor`]), the bulletins' periods, scores and
//! tiers ([`bulletin`]). No I/O.

pub mod bulletin;
pub mod kpi;
pub mod monitor;
