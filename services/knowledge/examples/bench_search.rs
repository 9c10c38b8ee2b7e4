//! Search latency with 100,000 articles (issue 4: p99 under 20 ms), numbers in
//! `docs/performance.md`:
//! `cargo run --release -p hotline-knowledge --example bench_search [-- <articles> <queries>]`.
//!
//! The articles are variants of the seed set: each copy is scoped to another prefecture or
//! county, its title and answer name the place and a running number, its question variants
//! rotate, so the index holds 100,000 distinct documents whose vocabulary is that of real
//! consultations. The queries are the labelled colloquial ones, cycled, each asked about a
//! county (region filter with its ancestors) as the public search and the agents'
//! suggestions ask. Latency is measured around one `SearchIndex::search` call (query
//! analysis, synonym expansion, BM25 with filters, stored fields, highlighting), plus the
//! confidence of the suggestions for `suggest`, on one thread.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use hotline_knowledge::base::{applicable_regions, rank_suggestions};
use hotline_knowledge::evaluation::labelled;
use hotline_knowledge::search::synonyms::parse_table;
use hotline_knowledge::search::{IndexedArticle, SearchFilter, SearchIndex, Synonyms};
use hotline_knowledge::seed;
use hotline_reference::{Level, Regions};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: n={} p50={:.2} ms p95={:.2} ms p99={:.2} ms max={:.2} ms",
        times.len(),
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.95)),
        ms(percentile(&times, 0.99)),
        ms(times[times.len() - 1]),
    );
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let articles: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let queries: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let seeds = seed::articles().map_err(|e| e.to_string())?;
    let regions = Regions::bundled().map_err(|e| e.to_string())?;
    let places: Vec<(String, String)> = [Level::Prefecture, Level::County]
        .into_iter()
        .flat_map(|level| regions.at_level(level))
        .map(|d| (d.code.clone(), d.name.clone()))
        .collect();
    let from = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("date")?;
    let docs = (0..articles).map(|i| {
        let base = &seeds[i % seeds.len()];
        let copy = i / seeds.len();
        let (code, name) = &places[(i * 7 + copy) % places.len()];
        let mut questions = base.content.questions.clone();
        if !questions.is_empty() {
            let by = copy % questions.len();
            questions.rotate_left(by);
        }
        // The first copy of each seed keeps its own scope, as published.
        let region_code = if copy == 0 {
            base.content.region_code.clone()
        } else {
            code.clone()
        };
        IndexedArticle {
            article_id: format!("bench-{i}"),
            version: 1,
            title: if copy == 0 {
                base.content.title.clone()
            } else {
                format!("{}（{name}第{copy}号）", base.content.title)
            },
            questions,
            answer: format!("{}{name}办理点说明第{copy}条。", base.content.answer),
            tags: base.content.tags.clone(),
            category: base.content.category.clone(),
            region_code,
            valid_from: from,
            valid_until: None,
        }
    });
    let index = SearchIndex::open(None, Synonyms::new(&parse_table(seed::SYNONYMS)))
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let count = index.rebuild(docs).map_err(|e| e.to_string())?;
    println!(
        "indexed {count} articles in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let asked = labelled();
    let counties = regions.at_level(Level::County);
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).ok_or("date")?;
    let synonyms = index.synonyms();
    let (mut search, mut suggest) = (Vec::with_capacity(queries), Vec::with_capacity(queries));
    for i in 0..queries + 200 {
        let q = &asked[i % asked.len()];
        let county = &counties[i % counties.len()].code;
        let filter = SearchFilter {
            regions: applicable_regions(&regions, county),
            category: None,
            today,
        };
        let t = Instant::now();
        let hits = index
            .search(&q.query, &filter, 10)
            .map_err(|e| e.to_string())?;
        let searched = t.elapsed();
        let t = Instant::now();
        let hits6 = index
            .search(&q.query, &filter, 6)
            .map_err(|e| e.to_string())?;
        let _ = rank_suggestions(&synonyms, &q.query, &hits6);
        let suggested = t.elapsed();
        // The first 200 warm the caches.
        if i >= 200 {
            search.push(searched);
            suggest.push(suggested);
        }
        std::hint::black_box(hits);
    }
    report("search (10 hits, highlighted)", search);
    report("suggest (6 hits + confidence)", suggest);
    Ok(())
}
