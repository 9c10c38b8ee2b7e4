//! KPI benchmark (issue 9): how long `rpc.analytics.kpis` takes over 10,000,000 orders,
//! and how many order events per second the facts projection applies.
//!
//! ```sh
//! HOTLINE_NATS_SERVER_BIN=/work/main/.tools/bin/nats-server \
//!   cargo run --release -p hotline-analytics --example bench_kpis
//! # other sizes (flags, or BENCH_<NAME> in the environment):
//! cargo run --release -p hotline-analytics --example bench_kpis -- \
//!   --orders 10000000 --runs 20 --events-orders 20000
//! ```
//!
//! Analytics runs in this process against a pinned nats-server and a fresh PostgreSQL
//! database (`hotline-service-test`), configured as in production. The benchmark:
//!
//! 1. **load**: fills `analytics.order_facts` with `--orders` fact rows of the year 2025
//!    server-side (`INSERT … SELECT … FROM generate_series`, 1,000,000 a batch), spread
//!    over the province's 88 counties (real codes from `hotline-reference`, Guiyang's
//!    districts busier), 5 kinds, 3 channels, 80 categories and ~1,700 units, with the
//!    outcome shares of a real hotline (direct answers, repeats, overdue signs and results,
//!    disputes, redispatches, satisfaction visits); then the send-backs and supervision
//!    cases of a few percent of them (and their counts on the fact rows), and `ANALYZE`;
//! 2. **KPI latency**: [`kpis::report`] (what the RPC runs) for typical queries, each
//!    `--runs` times after a warm-up, p50/p95/p99/max;
//! 3. **projection throughput**: with analytics stopped, publishes every event of
//!    `--events-orders` generated orders (the month generator of the KPI test,
//!    `tests/month/mod.rs`: registrations, dispositions, dispatches, signs, results,
//!    send-backs, closes, visits, overdue verdicts, cases) to JetStream, then starts
//!    analytics and measures from its start until both consumers have applied every event.
//!
//! It prints a report to stdout; the database and the nats-server store are discarded.

// The generator of the KPI test, which panics on its own broken steps like a test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "../tests/month/mod.rs"]
mod month;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use hotline_analytics::{AnalyticsConfig, kpis};
use hotline_contract::analytics::{KpiQuery, KpiSlice};
use hotline_reference::{Level, Regions};
use hotline_service_test::TestEnv;
use hotline_service_test::machine::{percentile, print_machine};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Rows a load batch inserts.
const BATCH: i64 = 1_000_000;

#[derive(Debug, Clone)]
struct Settings {
    orders: i64,
    runs: usize,
    events_orders: usize,
}

impl Settings {
    fn from_args_and_env() -> anyhow::Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let known = ["orders", "runs", "events-orders"];
        let mut flags = Vec::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let Some(name) = flag.strip_prefix("--").filter(|n| known.contains(n)) else {
                bail!(
                    "unexpected argument {flag:?} (known flags: --{})",
                    known.join(", --")
                );
            };
            let value = it
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            flags.push((name.to_owned(), value.clone()));
        }
        let get = |name: &str, default: usize| -> anyhow::Result<usize> {
            let env = format!("BENCH_{}", name.replace('-', "_").to_uppercase());
            match flags
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(&env).ok())
            {
                None => Ok(default),
                Some(v) => v
                    .replace('_', "")
                    .parse()
                    .with_context(|| format!("--{name}: not a number: {v:?}")),
            }
        };
        Ok(Self {
            orders: get("orders", 10_000_000)? as i64,
            runs: get("runs", 20)?.max(1),
            events_orders: get("events-orders", 20_000)?,
        })
    }
}

/// One batch of fact rows, numbers `$1..=$2` of `$3`, registered evenly over 2025 in
/// number order (as order ids are time-ordered UUIDs, so are the rows). `$4`: the county
/// codes. The shares follow a real hotline's: ~15 % answered directly at intake, ~3 %
/// repeats, ~2 % redirected, the rest dispatched; of those ~97 % signed (~4 % late),
/// ~93 % with a result (~6 % late), ~90 % closed, ~3 % disputed, ~4 % redispatched; ~60 %
/// of the closed visited (75 % satisfied, 15 % basically, 10 % not; 85 % resolved).
const LOAD: &str = "\
INSERT INTO analytics.order_facts (order_id, number, kind, channel, region_code, category, \
    unit_id, registered_at, dispatched_at, signed_at, result_submitted_at, closed_at, \
    disposition, follow_up_of, satisfaction, resolved, satisfaction_at, sign_overdue, \
    handling_overdue, disputed, redispatched, handling_working_days) \
SELECT lpad(to_hex(n), 32, '0')::uuid, \
    county || lpad(n::text, 12, '0'), \
    (ARRAY['consultation','help','complaint','report','suggestion'])[1 + (r.k * 5)::int % 5], \
    (ARRAY['phone','phone','phone','online_chat','web_message'])[1 + (r.c * 5)::int % 5], \
    county, \
    'bench.c' || lpad((floor(r.g * r.g * 80))::int::text, 2, '0'), \
    CASE WHEN dispatched THEN county || '-u' || (floor(r.u * 19))::int END, \
    registered, \
    CASE WHEN dispatched THEN registered + interval '20 minutes' + r.t1 * interval '3 hours' END, \
    CASE WHEN dispatched AND r.s < 0.97 THEN registered + interval '4 hours' + r.t2 * interval '2 days' END, \
    CASE WHEN dispatched AND r.s < 0.93 THEN registered + interval '1 day' + r.t3 * interval '14 days' END, \
    CASE WHEN NOT dispatched THEN registered + interval '10 minutes' \
         WHEN r.s < 0.90 THEN registered + interval '2 days' + r.t3 * interval '16 days' END, \
    CASE WHEN r.d < 0.15 THEN 'answered_directly' WHEN r.d < 0.18 THEN 'repeat_linked' \
         WHEN r.d < 0.20 THEN 'redirected' END, \
    CASE WHEN r.d >= 0.15 AND r.d < 0.18 THEN lpad(to_hex(greatest(n - 1000, 1)), 32, '0')::uuid END, \
    CASE WHEN r.s < 0.90 AND r.v < 0.60 THEN \
         CASE WHEN r.w < 0.75 THEN 'satisfied' WHEN r.w < 0.90 THEN 'basically_satisfied' \
              ELSE 'unsatisfied' END END, \
    CASE WHEN r.s < 0.90 AND r.v < 0.60 THEN r.w < 0.85 END, \
    CASE WHEN r.s < 0.90 AND r.v < 0.60 THEN registered + interval '20 days' END, \
    dispatched AND r.o < 0.04, \
    dispatched AND r.o2 < 0.06, \
    dispatched AND r.x < 0.03, \
    dispatched AND r.x >= 0.03 AND r.x < 0.07, \
    CASE WHEN dispatched AND r.s < 0.93 THEN 1 + (r.t3 * 10)::int END \
FROM generate_series($1::bigint, $2::bigint) AS n \
CROSS JOIN LATERAL (SELECT random() AS k, random() AS c, random() AS g, random() AS u, \
    random() AS t1, random() AS t2, random() AS t3, random() AS s, random() AS d, \
    random() AS v, random() AS w, random() AS o, random() AS o2, random() AS x, \
    random() AS a, n AS same) AS r \
CROSS JOIN LATERAL (SELECT \
    ($4::text[])[1 + floor(power(r.a, 1.6) * array_length($4::text[], 1))::int] AS county, \
    timestamptz '2025-01-01 00:00+08' + (n - 1) * (interval '365 days' / $3::bigint) AS registered, \
    r.d >= 0.20 AS dispatched) AS o";

async fn load(pool: &PgPool, counties: &[String], settings: &Settings) -> anyhow::Result<()> {
    let t = Instant::now();
    let mut from = 1;
    while from <= settings.orders {
        let to = (from + BATCH - 1).min(settings.orders);
        let b = Instant::now();
        sqlx::query(LOAD)
            .bind(from)
            .bind(to)
            .bind(settings.orders)
            .bind(counties)
            .execute(pool)
            .await
            .context("load a batch")?;
        println!("  rows {from}..={to} in {:.1} s", b.elapsed().as_secs_f64());
        from = to + 1;
    }
    let facts = t.elapsed();
    let t2 = Instant::now();
    // ~4 % of the results sent back once, ~1.5 % of the dispatched orders supervised (80 %
    // of the cases closed).
    sqlx::query(
        "INSERT INTO analytics.order_send_backs (result_id, order_id, sent_back_at) \
         SELECT gen_random_uuid(), order_id, result_submitted_at + interval '1 day' \
         FROM analytics.order_facts WHERE result_submitted_at IS NOT NULL AND random() < 0.04",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO analytics.order_cases (case_id, order_id, opened_at, closed_at) \
         SELECT gen_random_uuid(), order_id, dispatched_at + interval '3 days', \
                CASE WHEN random() < 0.8 THEN dispatched_at + interval '10 days' END \
         FROM analytics.order_facts WHERE dispatched_at IS NOT NULL AND random() < 0.015",
    )
    .execute(pool)
    .await?;
    // Their counts on the fact rows, as the projection keeps them (and the migration
    // backfills them).
    sqlx::query(
        "UPDATE analytics.order_facts f SET send_backs = s.n \
         FROM (SELECT order_id, count(*) AS n FROM analytics.order_send_backs GROUP BY order_id) s \
         WHERE s.order_id = f.order_id",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "UPDATE analytics.order_facts f SET cases = c.n, cases_closed = c.closed \
         FROM (SELECT order_id, count(*) AS n, count(closed_at) AS closed \
               FROM analytics.order_cases GROUP BY order_id) c \
         WHERE c.order_id = f.order_id",
    )
    .execute(pool)
    .await?;
    let side = t2.elapsed();
    let t3 = Instant::now();
    sqlx::query("ANALYZE analytics.order_facts, analytics.order_send_backs, analytics.order_cases")
        .execute(pool)
        .await?;
    let analyze = t3.elapsed();
    let count =
        |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await };
    let size: String = sqlx::query_scalar(
        "SELECT pg_size_pretty(pg_total_relation_size('analytics.order_facts'))",
    )
    .fetch_one(pool)
    .await?;
    println!(
        "load: {} facts in {:.1} s ({:.0} rows/s), {} send-backs and {} cases in {:.1} s, \
         ANALYZE {:.1} s; order_facts with indexes {size}",
        settings.orders,
        facts.as_secs_f64(),
        settings.orders as f64 / facts.as_secs_f64(),
        count("SELECT count(*) FROM analytics.order_send_backs").await?,
        count("SELECT count(*) FROM analytics.order_cases").await?,
        side.as_secs_f64(),
        analyze.as_secs_f64(),
    );
    Ok(())
}

fn beijing(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    month::beijing(NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(), 0)
}

async fn latency(pool: &PgPool, settings: &Settings) -> anyhow::Result<()> {
    let queries: Vec<(&str, KpiQuery)> = vec![
        (
            "one month (2025-06), by county, province-wide",
            query(
                beijing(2025, 6, 1),
                beijing(2025, 7, 1),
                KpiSlice::County,
                None,
            ),
        ),
        (
            "one month (2025-06), by unit, province-wide",
            query(
                beijing(2025, 6, 1),
                beijing(2025, 7, 1),
                KpiSlice::Unit,
                None,
            ),
        ),
        (
            "one month (2025-06), all, one county (520102)",
            query(
                beijing(2025, 6, 1),
                beijing(2025, 7, 1),
                KpiSlice::All,
                Some("520102"),
            ),
        ),
        (
            "one week (2025-06-02..09), by county, Guiyang roll-up (520100)",
            query(
                beijing(2025, 6, 2),
                beijing(2025, 6, 9),
                KpiSlice::County,
                Some("520100"),
            ),
        ),
        (
            "one week (2025-06-02..09), by prefecture, province-wide",
            query(
                beijing(2025, 6, 2),
                beijing(2025, 6, 9),
                KpiSlice::Prefecture,
                None,
            ),
        ),
        (
            "one day (2025-06-02), by unit, province-wide",
            query(
                beijing(2025, 6, 2),
                beijing(2025, 6, 3),
                KpiSlice::Unit,
                None,
            ),
        ),
        (
            "one year (2025), by category, province-wide",
            query(
                beijing(2025, 1, 1),
                beijing(2026, 1, 1),
                KpiSlice::Category,
                None,
            ),
        ),
    ];
    println!(
        "KPI latency (kpis::report, {} runs after a warm-up)",
        settings.runs
    );
    for (label, q) in queries {
        let warm = kpis::report(pool, q.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{label}: {e:?}"))?;
        let registered: i64 = warm.rows.iter().map(|r| r.counts.registered).sum();
        let mut samples = Vec::with_capacity(settings.runs);
        for _ in 0..settings.runs {
            let t = Instant::now();
            let r = kpis::report(pool, q.clone())
                .await
                .map_err(|e| anyhow::anyhow!("{label}: {e:?}"))?;
            samples.push(t.elapsed());
            std::hint::black_box(r);
        }
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "  {label}: {} rows over {registered} orders; p50 {:.0} ms, p95 {:.0} ms, \
             p99 {:.0} ms, max {:.0} ms",
            warm.rows.len(),
            ms(percentile(&samples, 50.0)),
            ms(percentile(&samples, 95.0)),
            ms(percentile(&samples, 99.0)),
            ms(samples.last().copied().unwrap_or_default()),
        );
    }
    Ok(())
}

/// The plans of a province-wide month and year (EXPLAIN ANALYZE of the report's SQL).
async fn explain(pool: &PgPool) -> anyhow::Result<()> {
    for (label, from, to, slice) in [
        (
            "one month (2025-06), by county, province-wide",
            beijing(2025, 6, 1),
            beijing(2025, 7, 1),
            KpiSlice::County,
        ),
        (
            "one year (2025), by category, province-wide",
            beijing(2025, 1, 1),
            beijing(2026, 1, 1),
            KpiSlice::Category,
        ),
    ] {
        let sql = format!(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {}",
            kpis::slice_query_text(slice)
        );
        let plan: Vec<String> = sqlx::query_scalar(&sql)
            .bind(from)
            .bind(to)
            .bind("")
            .fetch_all(pool)
            .await
            .with_context(|| format!("explain {label}"))?;
        println!("plan of {label}:");
        for line in plan {
            println!("  {line}");
        }
    }
    Ok(())
}

fn query(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    slice: KpiSlice,
    region: Option<&str>,
) -> KpiQuery {
    KpiQuery {
        from,
        to,
        slice,
        region_code: region.map(str::to_owned),
    }
}

async fn throughput(env: &TestEnv, settings: &Settings) -> anyhow::Result<()> {
    let (_, events) = month::generate(settings.events_orders);
    let (facts, signals) = month::split(&events);
    let t = Instant::now();
    futures::stream::iter(events.iter())
        .for_each_concurrent(64, |e| e.publish(env))
        .await;
    println!(
        "projection throughput ({} orders, {} order events + {} signals queued in {:.1} s)",
        settings.events_orders,
        facts,
        signals,
        t.elapsed().as_secs_f64()
    );
    let shutdown = CancellationToken::new();
    let t = Instant::now();
    let running = hotline_analytics::start(
        AnalyticsConfig {
            common: env.common_config(),
            ..Default::default()
        },
        shutdown.clone(),
    )
    .await?;
    let ready = t.elapsed();
    let pool = env.pool().await;
    let applied = loop {
        let f = env.inbox_count(&pool, "analytics", "analytics-facts").await;
        let s = env
            .inbox_count(&pool, "analytics", "analytics-signals")
            .await;
        if f >= facts && s >= signals {
            break t.elapsed();
        }
        if t.elapsed() > Duration::from_secs(1200) {
            bail!("applied {f}/{facts} order events and {s}/{signals} signals in 20 minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let drain = applied.saturating_sub(ready);
    let total = facts + signals;
    println!(
        "  analytics start until ready: {:.2} s (migrations on a fresh schema)",
        ready.as_secs_f64()
    );
    println!(
        "  all {total} events applied {:.2} s after ready: {:.0} events/s ({:.0} orders/s)",
        drain.as_secs_f64(),
        total as f64 / drain.as_secs_f64(),
        settings.events_orders as f64 / drain.as_secs_f64()
    );
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), running.wait())
        .await
        .context("analytics stop")?;
    pool.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args_and_env()?;
    let env = TestEnv::new().await;
    {
        // The KPI part: its own database, migrated as analytics migrates at start.
        let db = hotline_test_support::TestDatabase::create().await;
        let pool = hotline_service_test::migrated_pool(
            &db,
            hotline_analytics::SCHEMA,
            &hotline_analytics::MIGRATOR,
            4,
        )
        .await;
        print_machine(
            "analytics KPI benchmark",
            &pool,
            &env.client.server_info().version,
        )
        .await?;
        println!("settings: {settings:?}");
        let regions = Regions::bundled()?;
        let counties: Vec<String> = regions
            .at_level(Level::County)
            .iter()
            .map(|d| d.code.clone())
            .collect();
        println!(
            "loading {} orders over {} counties",
            settings.orders,
            counties.len()
        );
        load(&pool, &counties, &settings).await?;
        latency(&pool, &settings).await?;
        explain(&pool).await?;
        pool.close().await;
        db.drop_database().await;
    }
    throughput(&env, &settings).await?;
    env.db.drop_database().await;
    Ok(())
}
