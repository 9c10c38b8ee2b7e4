//! Analytics' pure rules: the KPI catalogue and its arithmetic ([`kpi`]). No I/O.

pub mod kpi;
