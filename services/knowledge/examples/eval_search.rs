//! Prints the search-quality report on the labelled queries (`docs/knowledge.md`):
//! `cargo run --release -p hotline-knowledge --example eval_search [-- --misses]`.

use chrono::NaiveDate;
use hotline_knowledge::evaluation::{automatic, evaluate, seed_index, top_k};

fn main() -> Result<(), String> {
    let index = seed_index()?;
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).ok_or("date")?;
    let outcomes = evaluate(&index, today)?;
    let n = outcomes.len();
    let suggest_top1 = outcomes.iter().filter(|o| o.suggestion_right()).count();
    println!("labelled queries: {n}, articles: {}", index.len());
    println!("search top-1: {:.1}%", 100.0 * top_k(&outcomes, 1));
    println!("search top-3: {:.1}%", 100.0 * top_k(&outcomes, 3));
    println!("search top-10: {:.1}%", 100.0 * top_k(&outcomes, 10));
    println!(
        "suggest top-1: {:.1}%",
        100.0 * suggest_top1 as f64 / n as f64
    );
    println!("threshold | answered automatically | of which right | precision");
    for t in [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8] {
        let (answered, right) = automatic(&outcomes, t);
        let precision = if answered == 0 {
            1.0
        } else {
            right as f64 / answered as f64
        };
        println!(
            "{t:.2} | {answered} ({:.0}%) | {right} | {:.1}%",
            100.0 * answered as f64 / n as f64,
            100.0 * precision
        );
    }
    let wrong_max = outcomes
        .iter()
        .filter(|o| !o.suggestion_right())
        .filter_map(|o| o.suggested.as_ref().map(|(_, c)| *c))
        .fold(0.0, f64::max);
    println!("highest confidence of a wrong first suggestion: {wrong_max:.3}");
    if std::env::args().any(|a| a == "--misses") {
        for o in &outcomes {
            if o.rank != Some(1) || !o.suggestion_right() {
                println!(
                    "{:?} {} -> {:?} want {}",
                    o.rank, o.labelled.query, o.suggested, o.labelled.article_id
                );
            }
        }
    }
    Ok(())
}
