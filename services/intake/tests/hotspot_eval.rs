//! Hot-spot similarity threshold measured on the labelled pairs in
//! `docs/data/repeat-pairs.csv` (A17.4): for a hot spot, two orders are "the same matter"
//! when they are a repeat, a follow-up or another requester's report of it; "the same place,
//! another problem" (`other_problem`, `other_facts`) and "the same problem elsewhere"
//! (`other_place`) must not link. The floors below are the measured values rounded down
//! (see `docs/hotspots.md`).
//!
//! Run with `--nocapture` to see the table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hotline_intake::domain::hotspot::HotspotParams;
use hotline_intake::domain::similarity::matter_similarity;

const PAIRS: &str = include_str!("../../../docs/data/repeat-pairs.csv");

/// (kind, same matter, similarity)
fn scored() -> Vec<(String, bool, f64)> {
    PAIRS
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 9, "line: {line}");
            let same = matches!(f[5], "repeat" | "follow_up");
            (f[6].to_owned(), same, matter_similarity(f[7], f[8]))
        })
        .collect()
}

#[test]
fn the_neighbour_threshold_links_few_different_matters() {
    let pairs = scored();
    let threshold = HotspotParams::default().similarity;
    println!("| threshold | same matter linked | different matters linked |");
    println!("|---|---|---|");
    for t in [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5] {
        let same = pairs.iter().filter(|p| p.1).count();
        let diff = pairs.len() - same;
        let same_linked = pairs.iter().filter(|p| p.1 && p.2 >= t).count();
        let diff_linked = pairs.iter().filter(|p| !p.1 && p.2 >= t).count();
        println!("| {t:.2} | {same_linked}/{same} | {diff_linked}/{diff} |");
    }
    let mut kinds: Vec<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    println!("\n| kind | pairs | linked at {threshold} |\n|---|---|---|");
    for kind in kinds {
        let of: Vec<_> = pairs.iter().filter(|p| p.0 == kind).collect();
        let linked = of.iter().filter(|p| p.2 >= threshold).count();
        println!("| {kind} | {} | {linked} |", of.len());
    }
    // Floors and ceilings at the chosen threshold (measured: 81/166 and 19/143).
    let same: Vec<_> = pairs.iter().filter(|p| p.1).collect();
    let diff: Vec<_> = pairs.iter().filter(|p| !p.1).collect();
    let rate = |of: &[&(String, bool, f64)]| {
        #[allow(clippy::cast_precision_loss)]
        let r = of.iter().filter(|p| p.2 >= threshold).count() as f64 / of.len() as f64;
        r
    };
    assert!(rate(&same) >= 0.48, "same matter linked: {}", rate(&same));
    assert!(
        rate(&diff) <= 0.14,
        "different matters linked: {}",
        rate(&diff)
    );
}
