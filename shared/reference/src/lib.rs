//! Reference data shared by services: facts an operator updates as data files, never
//! constants in code (see `data/README.md` for sources).

pub mod regions;

pub use regions::{Division, Level, Regions, RegionsError};
