//! Analytics' pure rules: the KPI catalogue and its arithmetic ([`kpi`]), the stages and
//! stuck rules of dynamic monitoring ([`monitor`]). No I/O.

pub mod kpi;
pub mod monitor;
