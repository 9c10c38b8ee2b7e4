//! Category suggestion's latency (A12): featurise a text and rank every category, as
//! `rpc.intake.suggest_category` does per request (without the NATS round trip), and the
//! retrain time for a training set of seed articles plus confirmed orders.
//!
//! ```sh
//! cargo run --release -p hotline-intake --example bench_suggest -- 50000 20000
//! # confirmed orders in the big model, suggestions timed per model
//! ```
//!
//! The orders are the 142 labelled queries (`docs/data/knowledge-queries.csv`) cycled with
//! a running number, each filed under its expected article's category; texts timed are the
//! same queries cycled, plus a 4000-character text (the longest a matter may be).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hotline_intake::domain::category_model::{
    CategoryModel, DEFAULT_K, Example, Params, SEED_ARTICLES, features, seed_examples,
};

const QUERIES: &str = include_str!("../../../docs/data/knowledge-queries.csv");

fn main() {
    let mut args = std::env::args().skip(1);
    let orders: usize = args.next().map_or(50_000, |a| a.parse().expect("orders"));
    let runs: usize = args.next().map_or(20_000, |a| a.parse().expect("runs"));

    hotline_intake::domain::similarity::warm_up();
    let articles: Vec<serde_json::Value> = serde_json::from_str(SEED_ARTICLES).unwrap();
    let category_of: HashMap<&str, &str> = articles
        .iter()
        .map(|a| {
            (
                a["article_id"].as_str().unwrap(),
                a["category"].as_str().unwrap(),
            )
        })
        .collect();
    let queries: Vec<(String, String)> = QUERIES
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), category_of[f[2]].to_owned())
        })
        .collect();

    let seed = seed_examples(SEED_ARTICLES).unwrap();
    let started = Instant::now();
    let seed_model = CategoryModel::train(&seed, Params::default());
    println!(
        "seed model: {} examples, {} categories, {} features, trained in {:.1} ms",
        seed_model.examples(),
        seed_model.categories(),
        seed_model.vocabulary(),
        started.elapsed().as_secs_f64() * 1e3
    );

    let started = Instant::now();
    let mut all = seed.clone();
    all.extend((0..orders).map(|i| {
        let (text, category) = &queries[i % queries.len()];
        Example::from_text(category.clone(), &format!("{text}，编号{i}"))
    }));
    let featurised = started.elapsed();
    let started = Instant::now();
    let big = CategoryModel::train(&all, Params::default());
    println!(
        "seed + {orders} orders: {} features; featurising {:.2} s, training {:.2} s",
        big.vocabulary(),
        featurised.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    let long: String = queries.iter().map(|(q, _)| q.as_str()).collect::<String>();
    let long: String = long.chars().cycle().take(4000).collect();
    for (name, model) in [("seed", &seed_model), ("seed + orders", &big)] {
        let mut times = Vec::with_capacity(runs);
        for i in 0..runs {
            let text = &queries[i % queries.len()].0;
            let t = Instant::now();
            let ranked = model.suggest(&features(text), DEFAULT_K);
            times.push(t.elapsed());
            assert!(!ranked.is_empty());
        }
        report(&format!("{name}, queries"), &mut times);
        let mut times: Vec<Duration> = (0..200)
            .map(|_| {
                let t = Instant::now();
                let _ = model.suggest(&features(&long), DEFAULT_K);
                t.elapsed()
            })
            .collect();
        report(&format!("{name}, 4000 characters"), &mut times);
    }
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort_unstable();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[i].as_secs_f64() * 1e6
    };
    println!(
        "| {name} | {} | {:.0} µs | {:.0} µs | {:.0} µs | {:.0} µs |",
        times.len(),
        at(0.5),
        at(0.95),
        at(0.99),
        at(1.0)
    );
}
