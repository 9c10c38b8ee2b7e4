//! Dispatch accuracy (A12: a dispute counts against accuracy): the share of dispatches
//! that were not changed after a dispute, overall, per category and per dispatcher (the
//! rule that decided, `territorial`, or the center's staff member).
//!
//! A dispatch whose dispute was upheld was right and counts as accurate; only a dispatch
//! a dispute took away from its unit (a redispatch) counts against. Pure: the caller reads
//! one row per dispatch.

use std::collections::BTreeMap;

use hotline_contract::dispatch_desk::{AccuracyLine, DispatchAccuracy};

/// One dispatch, as the measure needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatchRecord {
    pub category: Option<String>,
    pub dispatcher: String,
    /// A dispute took the order away from this dispatch's unit.
    pub changed_after_dispute: bool,
}

/// The key of dispatches without a category.
pub const NO_CATEGORY: &str = "(none)";

/// Measure accuracy over `records`; groups are sorted by key.
pub fn measure(records: &[DispatchRecord]) -> DispatchAccuracy {
    let mut by_category: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut by_dispatcher: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut overall = (0, 0);
    for r in records {
        let changed = i64::from(r.changed_after_dispute);
        for (map, key) in [
            (
                &mut by_category,
                r.category.as_deref().unwrap_or(NO_CATEGORY),
            ),
            (&mut by_dispatcher, r.dispatcher.as_str()),
        ] {
            let entry = map.entry(key).or_default();
            entry.0 += 1;
            entry.1 += changed;
        }
        overall.0 += 1;
        overall.1 += changed;
    }
    let lines = |map: BTreeMap<&str, (i64, i64)>| {
        map.into_iter()
            .map(|(key, (n, changed))| line(key, n, changed))
            .collect()
    };
    DispatchAccuracy {
        overall: line("all", overall.0, overall.1),
        by_category: lines(by_category),
        by_dispatcher: lines(by_dispatcher),
    }
}

fn line(key: &str, dispatches: i64, changed: i64) -> AccuracyLine {
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let accuracy = if dispatches == 0 {
        1.0
    } else {
        (dispatches - changed) as f64 / dispatches as f64
    };
    AccuracyLine {
        key: key.to_owned(),
        dispatches,
        changed_after_dispute: changed,
        accuracy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(category: Option<&str>, dispatcher: &str, changed: bool) -> DispatchRecord {
        DispatchRecord {
            category: category.map(str::to_owned),
            dispatcher: dispatcher.to_owned(),
            changed_after_dispute: changed,
        }
    }

    #[test]
    fn a_dispatch_changed_after_a_dispute_counts_against_its_category_and_dispatcher() {
        let records = [
            record(Some("environment.noise"), "rule:r1", false),
            record(Some("environment.noise"), "rule:r1", true),
            record(Some("housing.property"), "territorial", false),
            record(None, "center-7", false),
        ];
        let m = measure(&records);
        assert_eq!(m.overall.dispatches, 4);
        assert_eq!(m.overall.changed_after_dispute, 1);
        assert!((m.overall.accuracy - 0.75).abs() < 1e-9);
        let keys: Vec<(&str, i64, i64)> = m
            .by_category
            .iter()
            .map(|l| (l.key.as_str(), l.dispatches, l.changed_after_dispute))
            .collect();
        assert_eq!(
            keys,
            [
                ("(none)", 1, 0),
                ("environment.noise", 2, 1),
                ("housing.property", 1, 0)
            ]
        );
        let r1 = m.by_dispatcher.iter().find(|l| l.key == "rule:r1").unwrap();
        assert!((r1.accuracy - 0.5).abs() < 1e-9);
    }

    #[test]
    fn no_dispatches_is_full_accuracy_with_no_groups() {
        let m = measure(&[]);
        assert_eq!(m.overall.dispatches, 0);
        assert!((m.overall.accuracy - 1.0).abs() < 1e-9);
        assert!(m.by_category.is_empty() && m.by_dispatcher.is_empty());
    }
}
