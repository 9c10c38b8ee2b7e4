//! Router dispatch benchmark (issue 5): how long a dispatch decision takes with 10,000
//! rules and 5,000 units, and how many `order.registered` events per second the router
//! turns into assignments and `order.dispatched` events.
//!
//! ```sh
//! HOTLINE_NATS_SERVER_BIN=/work/main/.tools/bin/nats-server \
//!   cargo run --release -p hotline-router --example bench_dispatch
//! # other sizes (flags, or BENCH_<NAME> in the environment):
//! cargo run --release -p hotline-router --example bench_dispatch -- \
//!   --units 5000 --rules 10000 --decisions 20000 --orders 5000
//! ```
//!
//! The router runs in this process against a pinned nats-server and a fresh PostgreSQL
//! database (`hotline-service-test`), configured as in production. The benchmark:
//!
//! 1. lets the router seed its standard directory (the province's ~1,690 units and ~6,600
//!    catalogue rules), then tops the directory up with synthetic units spread over the
//!    88 counties and synthetic county rules for synthetic categories until it holds
//!    `--units` units and `--rules` rules;
//! 2. **decision, in memory**: `decide_for_kind` over every rule and every active unit
//!    held in memory, for `--decisions` random (category, region) pairs, to show the pure
//!    rule's cost at that size;
//! 3. **decision, as the dispatcher makes it**: the two indexed reads the consumer does
//!    per order (the category's rules over the region chain, then which candidate units
//!    are active) and the decision, in a transaction, for `--decisions / 4` orders;
//! 4. **throughput**: stops the router, publishes `--orders` registrations to JetStream,
//!    starts the router again and measures from its start until every order has an
//!    assignment (the backlog drains at the router's own pace), and until every
//!    `order.dispatched` is in the stream (after the outbox relay).
//!
//! It prints a report to stdout; the database and the nats-server store are discarded.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use hotline_contract::events::OrderRegistered;
use hotline_contract::headers::NATS_MSG_ID;
use hotline_contract::subjects::event;
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_contract::{Envelope, Event};
use hotline_reference::{Level, Regions};
use hotline_router::RouterConfig;
use hotline_router::domain::dispatch::{
    DispatchRule, candidate_units, decide_for_kind, region_chain,
};
use hotline_router::store;
use hotline_service_test::TestEnv;
use hotline_service_test::machine::{percentile, print_machine};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A small deterministic generator (the benchmark must not depend on a seed source).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

#[derive(Debug, Clone)]
struct Settings {
    units: i64,
    rules: i64,
    decisions: usize,
    orders: usize,
}

impl Settings {
    fn from_args_and_env() -> anyhow::Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let known = ["units", "rules", "decisions", "orders"];
        let mut flags = Vec::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let Some(name) = flag.strip_prefix("--").filter(|n| known.contains(n)) else {
                bail!(
                    "unexpected argument {flag:?} (known flags: --{})",
                    known.join(", --")
                );
            };
            flags.push((
                name.to_owned(),
                it.next()
                    .with_context(|| format!("--{name} needs a value"))?
                    .clone(),
            ));
        }
        let get = |name: &str, default: usize| -> anyhow::Result<usize> {
            let env = format!("BENCH_{}", name.to_uppercase());
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
            units: get("units", 5_000)? as i64,
            rules: get("rules", 10_000)? as i64,
            decisions: get("decisions", 20_000)?,
            orders: get("orders", 5_000)?,
        })
    }
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "  {label}: n {}, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        samples.len(),
        us(percentile(&samples, 50.0)),
        us(percentile(&samples, 90.0)),
        us(percentile(&samples, 99.0)),
        us(samples.last().copied().unwrap_or_default()),
    );
}

async fn count(pool: &PgPool, sql: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
}

/// Top the directory up to `units` units and `rules` rules with synthetic county rows.
async fn top_up(pool: &PgPool, counties: &[String], settings: &Settings) -> anyhow::Result<()> {
    let units = count(pool, "SELECT count(*) FROM router.units").await?;
    let extra_units = (settings.units - units).max(0);
    sqlx::query(
        "INSERT INTO router.units (unit_id, name, unit_type, level, region_code, parent_unit_id) \
         SELECT 'bench-' || n, '压测单位' || n, 'department', 'county', c, 'gov-' || c \
         FROM generate_series(1, $1::int) AS n, \
              LATERAL (SELECT ($2::text[])[1 + n % array_length($2::text[], 1)] AS c) AS r",
    )
    .bind(extra_units as i32)
    .bind(counties)
    .execute(pool)
    .await?;
    let rules = count(pool, "SELECT count(*) FROM router.dispatch_rules").await?;
    let extra_rules = (settings.rules - rules).max(0);
    // Synthetic categories `bench.c<k>`, one county rule each, naming a synthetic unit of
    // that county when there is one, else the county's government.
    sqlx::query(
        "INSERT INTO router.dispatch_rules (rule_id, category, region_code, unit_id) \
         SELECT 'bench:' || n, 'bench.c' || (n % 200), u.region_code, u.unit_id \
         FROM generate_series(1, $1::int) AS n \
         JOIN LATERAL (SELECT unit_id, region_code FROM router.units \
                       WHERE unit_id LIKE 'bench-%' OR unit_type = 'government' \
                       ORDER BY unit_id OFFSET (n * 7919) % $2::int LIMIT 1) AS u ON TRUE",
    )
    .bind(extra_rules as i32)
    .bind((extra_units + 98).max(1) as i32)
    .execute(pool)
    .await?;
    Ok(())
}

fn registration(n: usize, category: &str, region: &str) -> OrderRegistered {
    let now = Utc::now();
    OrderRegistered {
        order_id: Uuid::now_v7(),
        number: format!("{region}{:010}", n),
        channel: Channel::WebMessage,
        kind: RequestKind::Complaint,
        category: Some(category.to_owned()),
        region_code: region.to_owned(),
        urgency: Urgency::Normal,
        requester: hotline_contract::events::RequesterRef {
            requester_type: RequesterType::Person,
            phone_hash: None,
            phone_masked: None,
            confidential: false,
        },
        requested_at: now,
        registered_at: now,
        registered_by: None,
        follow_up_of: None,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args_and_env()?;
    let mut config: RouterConfig = hotline_service_kit::config::load().context("configuration")?;
    let env = TestEnv::new().await;
    config.common = env.common_config();
    let pool = env.pool().await;
    print_machine(
        "router dispatch benchmark",
        &pool,
        &env.client.server_info().version,
    )
    .await?;

    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let running = hotline_router::start(config.clone(), shutdown.clone()).await?;
    println!(
        "first start (migrations and the standard directory seed): {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let regions = Arc::new(Regions::bundled()?);
    let counties: Vec<String> = regions
        .at_level(Level::County)
        .iter()
        .map(|d| d.code.clone())
        .collect();
    let townships: Vec<String> = regions
        .at_level(Level::Township)
        .iter()
        .map(|d| d.code.clone())
        .collect();
    top_up(&pool, &counties, &settings).await?;
    let units = count(&pool, "SELECT count(*) FROM router.units").await?;
    let rules = count(&pool, "SELECT count(*) FROM router.dispatch_rules").await?;
    println!("directory: {units} units, {rules} rules");
    let categories: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT category FROM router.dispatch_rules ORDER BY 1")
            .fetch_all(&pool)
            .await?;
    let mut rng = Lcg(12345);
    let sample = |rng: &mut Lcg| {
        let category = categories[rng.below(categories.len())].clone();
        // Half the orders are located at a county, half at a township (street).
        let region = if rng.below(2) == 0 {
            counties[rng.below(counties.len())].clone()
        } else {
            townships[rng.below(townships.len())].clone()
        };
        (category, region)
    };

    // 2. The pure decision over everything in memory.
    let all_rules: Vec<DispatchRule> = {
        let mut tx = pool.begin().await?;
        let mut out = Vec::new();
        for category in &categories {
            let every: Vec<String> = regions
                .at_level(Level::Province)
                .iter()
                .chain(regions.at_level(Level::Prefecture).iter())
                .chain(regions.at_level(Level::County).iter())
                .map(|d| d.code.clone())
                .collect();
            out.extend(store::active_rules(&mut tx, category, &every).await?);
        }
        out
    };
    let active: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT unit_id FROM router.units WHERE active")
            .fetch_all(&pool)
            .await?
            .into_iter()
            .collect();
    println!(
        "decision latency ({} rules, {} active units)",
        all_rules.len(),
        active.len()
    );
    let mut samples = Vec::with_capacity(settings.decisions);
    let mut decided = 0usize;
    for _ in 0..settings.decisions {
        let (category, region) = sample(&mut rng);
        let t = Instant::now();
        let d = decide_for_kind(
            Some(&category),
            Some("complaint"),
            &region,
            &all_rules,
            &regions,
            &active,
        );
        samples.push(t.elapsed());
        decided += usize::from(d.is_some());
    }
    report("in memory, every rule scanned (decide_for_kind)", samples);
    assert_eq!(
        decided, settings.decisions,
        "every sampled order has a unit"
    );

    // 3. As the dispatcher does it: two indexed reads and the decision.
    let mut samples = Vec::new();
    for _ in 0..(settings.decisions / 4).max(1) {
        let (category, region) = sample(&mut rng);
        let t = Instant::now();
        let mut tx = pool.begin().await?;
        let chain = region_chain(&region, &regions);
        let rules = store::active_rules(&mut tx, &category, &chain).await?;
        let candidates = candidate_units(&region, &rules, &regions);
        let units = store::active_among(&mut tx, &candidates).await?;
        let d = decide_for_kind(
            Some(&category),
            Some("complaint"),
            &region,
            &rules,
            &regions,
            &units,
        );
        tx.commit().await?;
        samples.push(t.elapsed());
        if d.is_none() {
            bail!("no unit for {category} in {region}");
        }
    }
    report(
        "from PostgreSQL as the consumer reads it (2 queries + decide)",
        samples,
    );

    // 4. Throughput on a backlog of registrations.
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), running.wait())
        .await
        .context("router stop")?;
    let subject = env.ns.subject(event::ORDER_REGISTERED);
    let t = Instant::now();
    let mut acks = Vec::with_capacity(settings.orders);
    for n in 0..settings.orders {
        let (category, region) = sample(&mut rng);
        let data = registration(n, &category, &region[..6]);
        let envelope = Envelope::new("intake", data.aggregate_id(), data);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(NATS_MSG_ID, envelope.id.to_string().as_str());
        acks.push(
            env.jetstream
                .publish_with_headers(subject.clone(), headers, envelope.to_bytes()?.into())
                .await?,
        );
    }
    for ack in acks {
        ack.await?;
    }
    println!(
        "throughput on order.registered ({} orders queued in {:.2} s)",
        settings.orders,
        t.elapsed().as_secs_f64()
    );
    // Every order.dispatched as a plain subscriber sees it.
    let dispatched = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut subscription = env
        .client
        .subscribe(env.ns.subject(event::ORDER_DISPATCHED))
        .await?;
    hotline_messaging::server_barrier(&env.client).await?;
    let seen = dispatched.clone();
    tokio::spawn(async move {
        while futures::StreamExt::next(&mut subscription).await.is_some() {
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let shutdown = CancellationToken::new();
    let t = Instant::now();
    let running = hotline_router::start(config, shutdown.clone()).await?;
    let ready = t.elapsed();
    let target = settings.orders as i64;
    let assigned_at = loop {
        if count(&pool, "SELECT count(*) FROM router.assignments").await? >= target {
            break t.elapsed();
        }
        if t.elapsed() > Duration::from_secs(600) {
            bail!("the backlog did not drain in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let published_at = loop {
        if dispatched.load(std::sync::atomic::Ordering::Relaxed) >= settings.orders {
            break t.elapsed();
        }
        if t.elapsed() > Duration::from_secs(600) {
            bail!("the dispatched events were not all published in 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let drain = assigned_at.saturating_sub(ready);
    println!("  router restart until ready: {:.2} s", ready.as_secs_f64());
    println!(
        "  all {} assigned {:.2} s after ready: {:.0} orders/s",
        settings.orders,
        drain.as_secs_f64(),
        settings.orders as f64 / drain.as_secs_f64()
    );
    let published = published_at.saturating_sub(ready);
    println!(
        "  all order.dispatched in the stream {:.2} s after ready: {:.0} orders/s",
        published.as_secs_f64(),
        settings.orders as f64 / published.as_secs_f64()
    );
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), running.wait())
        .await
        .context("router stop")?;
    Ok(())
}
