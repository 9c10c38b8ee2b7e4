//! The load tool (`hotlinectl load`, issue 12): realistic traffic through the public API and
//! the units' actions against every service running in this process, with per-stage
//! latencies and the machine's raw limits measured in the same run.
//!
//! * **Traffic.** Citizens' requests (`POST /api/v1/orders`) with a mix of kinds, channels,
//!   districts and categories, at a fixed rate (open loop: a slow system shows as latency,
//!   not as a lower rate) or as fast as `concurrency` requests in flight allow. A share of
//!   the dispatched orders (`lifecycle`) is worked by its unit the way staff do it through the
//!   API: sign, then submit a complete result, which supervision accepts and closes.
//! * **Stages.** The tool listens to the order events on NATS and times, per order, HTTP
//!   accept (request sent → 201), registered → dispatched (201 received → `order.dispatched`
//!   seen), dispatched → signed (the event seen → `order.signed` seen, including the tool's own
//!   sign request), and the full lifecycle (request sent → `order.closed` seen).
//! * **Raw limits.** In the same run, on the same machine: PostgreSQL single-row commits per
//!   second with the services' connection count, and JetStream publishes per second with an
//!   acknowledgement each; the report gives our throughput as a share of them.
//! * **Invariants.** After the run, every order accepted with 201 must have reached the
//!   state its path leads to (dispatched; closed when worked) exactly once; the report lists
//!   what did not ([`Report::violations`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use hotline_contract::events::{OrderClosed, OrderDispatched, OrderSigned};
use hotline_contract::{Namespace, RawEnvelope, subjects::event};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::{Role, Stack};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Requests per second; 0 means as fast as `concurrency` allows.
    pub rate: u32,
    /// How long to send requests.
    pub duration: Duration,
    /// Requests in flight at most (closed loop when `rate` is 0).
    pub concurrency: usize,
    /// Share of the dispatched orders the units sign and answer (0.0 ..= 1.0).
    pub lifecycle: f64,
    /// How long to wait, after the last request, for the pipeline to drain.
    pub drain: Duration,
    /// How long each raw-limit measurement runs (zero: skip them).
    pub raw_limits: Duration,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            rate: 50,
            duration: Duration::from_secs(30),
            concurrency: 64,
            lifecycle: 1.0,
            drain: Duration::from_secs(120),
            raw_limits: Duration::from_secs(5),
        }
    }
}

/// Latency percentiles of one stage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stage {
    pub count: usize,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Stage {
    /// Percentiles of `samples` (nearest rank).
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let pick = |p: f64| -> Duration {
            if samples.is_empty() {
                return Duration::ZERO;
            }
            let rank = (samples.len() as f64 * p).ceil() as usize;
            samples[rank.saturating_sub(1).min(samples.len() - 1)]
        };
        Self {
            count: samples.len(),
            p50: pick(0.50),
            p90: pick(0.90),
            p99: pick(0.99),
            max: samples.last().copied().unwrap_or_default(),
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub sent: usize,
    pub accepted: usize,
    /// Non-201 answers by status (0: the request failed).
    pub errors: HashMap<u16, usize>,
    pub send_seconds: f64,
    pub accept: Stage,
    pub registered_to_dispatched: Stage,
    pub dispatched_to_signed: Stage,
    pub lifecycle: Stage,
    /// Orders dispatched per second over the send period (accepted orders dispatched by the
    /// end of the drain / send time).
    pub dispatched_per_sec: f64,
    pub closed_per_sec: f64,
    pub pg_commits_per_sec: f64,
    pub js_publishes_per_sec: f64,
    /// Broken invariants, one line each (empty when all held).
    pub violations: Vec<String>,
}

/// One accepted order as the tool follows it.
#[derive(Debug, Clone)]
struct Tracked {
    sent: Instant,
    accepted: Instant,
    work: bool,
    dispatched: Vec<Instant>,
    signed: Option<Instant>,
    closed: Vec<Instant>,
}

type Book = Arc<Mutex<HashMap<uuid::Uuid, Tracked>>>;

const KINDS: &[&str] = &["complaint", "help", "suggestion", "report", "complaint"];
const CHANNELS: &[&str] = &["web_message", "phone", "web_message", "app"];
/// Guiyang's districts and two counties elsewhere (real division codes).
const REGIONS: &[&str] = &[
    "520102", "520103", "520111", "520112", "520113", "520115", "520302", "520402",
];
const CATEGORIES: &[(&str, &str)] = &[
    (
        "environment.noise",
        "小区旁工地夜间施工，噪声扰民，希望尽快处理。",
    ),
    (
        "social_insurance.pension",
        "退休后养老金迟迟没有发放，想了解办理进度。",
    ),
    ("labour.wages", "公司拖欠三个月工资，请有关部门督促支付。"),
    (
        "market.consumer",
        "在商场购买的电器有质量问题，商家拒绝退换。",
    ),
    ("transport.road", "路口红绿灯损坏多日，车辆通行困难。"),
    (
        "education.enrollment",
        "孩子入学报名材料不清楚，希望得到答复。",
    ),
];

/// The body of the `i`-th request of the mix.
pub fn request_body(i: usize) -> Value {
    let (category, matter) = CATEGORIES[i % CATEGORIES.len()];
    json!({
        "channel": CHANNELS[i % CHANNELS.len()],
        "kind": KINDS[i % KINDS.len()],
        "requester": {"type": "person", "phone": format!("13{:09}", 100_000_000 + i % 800_000_000)},
        "matter": format!("{matter}（编号{i}）"),
        "category": category,
        "region_code": REGIONS[(i / CATEGORIES.len()) % REGIONS.len()],
    })
}

/// Runs the load against `stack` (started with per-client rate limits off).
pub async fn run(stack: &Stack, config: &LoadConfig) -> Report {
    let ns = Namespace::new(stack.namespace.clone()).expect("namespace");
    let book: Book = Arc::default();
    let units: Arc<Mutex<HashMap<String, reqwest::Client>>> = Arc::default();
    let bus = stack.bus().await;
    listen(&bus, &ns, book.clone(), stack, units.clone()).await;

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(config.concurrency.max(1))
        .build()
        .expect("HTTP client");
    let url = stack.url("/api/v1/orders");
    let statuses: Arc<Mutex<Vec<(u16, Duration)>>> = Arc::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1)));
    let mut tick = (config.rate > 0).then(|| {
        let mut t =
            tokio::time::interval(Duration::from_nanos(1_000_000_000 / u64::from(config.rate)));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        t
    });
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut i = 0usize;
    while started.elapsed() < config.duration {
        if let Some(t) = tick.as_mut() {
            t.tick().await;
        }
        let permit = permits.clone().acquire_owned().await.expect("semaphore");
        let (http, url, statuses, book) =
            (http.clone(), url.clone(), statuses.clone(), book.clone());
        let work =
            (i as f64 * config.lifecycle).floor() != ((i + 1) as f64 * config.lifecycle).floor();
        tasks.spawn(async move {
            let sent = Instant::now();
            let answer = http.post(&url).json(&request_body(i)).send().await;
            let accepted = Instant::now();
            let status = match answer {
                Ok(r) if r.status().as_u16() == 201 => {
                    let receipt: Value = r.json().await.unwrap_or_default();
                    let id = receipt["order_id"].as_str().and_then(|s| s.parse().ok());
                    let dispatch = receipt["disposition"] == "dispatch";
                    if let (Some(id), true) = (id, dispatch) {
                        let mut book = book.lock().await;
                        let entry = book.entry(id).or_insert(Tracked {
                            sent,
                            accepted,
                            work,
                            dispatched: Vec::new(),
                            signed: None,
                            closed: Vec::new(),
                        });
                        // The dispatch may have been seen before the answer arrived.
                        entry.sent = sent;
                        entry.accepted = accepted;
                        entry.work = work;
                    }
                    201
                }
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            statuses.lock().await.push((status, accepted - sent));
            drop(permit);
        });
        i += 1;
    }
    while tasks.join_next().await.is_some() {}
    let send_seconds = started.elapsed().as_secs_f64();

    // Drain: wait until every tracked order reached its end state, or the drain time.
    let drain_start = Instant::now();
    loop {
        let pending = {
            let book = book.lock().await;
            book.values()
                .filter(|t| t.dispatched.is_empty() || (t.work && t.closed.is_empty()))
                .count()
        };
        if pending == 0 || drain_start.elapsed() > config.drain {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Late duplicates would arrive now, if any.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut report = summarize(&book, &statuses, send_seconds).await;
    if !config.raw_limits.is_zero() {
        report.pg_commits_per_sec = pg_commit_rate(stack, config.raw_limits).await;
        report.js_publishes_per_sec = js_publish_rate(stack, config.raw_limits).await;
    }
    report
}

async fn summarize(
    book: &Book,
    statuses: &Mutex<Vec<(u16, Duration)>>,
    send_seconds: f64,
) -> Report {
    let statuses = statuses.lock().await;
    let book = book.lock().await;
    let mut report = Report {
        sent: statuses.len(),
        accepted: statuses.iter().filter(|(s, _)| *s == 201).count(),
        send_seconds,
        accept: Stage::of(statuses.iter().map(|(_, d)| *d).collect()),
        ..Report::default()
    };
    for (status, _) in statuses.iter().filter(|(s, _)| *s != 201) {
        *report.errors.entry(*status).or_default() += 1;
    }
    let (mut to_dispatch, mut to_sign, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    let (mut dispatched, mut closed) = (0usize, 0usize);
    for (id, t) in book.iter() {
        match t.dispatched.as_slice() {
            [] => report
                .violations
                .push(format!("order {id} accepted but never dispatched")),
            [at, rest @ ..] => {
                dispatched += 1;
                to_dispatch.push(at.saturating_duration_since(t.accepted));
                if !rest.is_empty() {
                    report
                        .violations
                        .push(format!("order {id} dispatched {} times", rest.len() + 1));
                }
                if let Some(signed) = t.signed {
                    to_sign.push(signed.saturating_duration_since(*at));
                }
            }
        }
        match (t.work, t.closed.as_slice()) {
            (true, []) => report
                .violations
                .push(format!("order {id} worked but never closed")),
            (_, [at, rest @ ..]) => {
                closed += 1;
                whole.push(at.saturating_duration_since(t.sent));
                if !rest.is_empty() {
                    report
                        .violations
                        .push(format!("order {id} closed {} times", rest.len() + 1));
                }
            }
            (false, []) => {}
        }
    }
    report.registered_to_dispatched = Stage::of(to_dispatch);
    report.dispatched_to_signed = Stage::of(to_sign);
    report.lifecycle = Stage::of(whole);
    report.dispatched_per_sec = dispatched as f64 / send_seconds;
    report.closed_per_sec = closed as f64 / send_seconds;
    report
}

/// Follows the order events; works the orders the run chose (sign, then a complete result).
async fn listen(
    bus: &async_nats::Client,
    ns: &Namespace,
    book: Book,
    stack: &Stack,
    units: Arc<Mutex<HashMap<String, reqwest::Client>>>,
) {
    let mut sub = bus
        .subscribe(ns.subject("hotline.order.*"))
        .await
        .expect("subscribe to order events");
    hotline_messaging::server_barrier(bus)
        .await
        .expect("barrier");
    let dispatched = ns.subject(event::ORDER_DISPATCHED);
    let signed = ns.subject(event::ORDER_SIGNED);
    let closed = ns.subject(event::ORDER_CLOSED);
    let base = stack.url("");
    // Accounts are created through the stack's admin; the listener only needs the clients.
    let accounts = AccountMaker::new(stack).await;
    tokio::spawn(async move {
        while let Some(m) = sub.next().await {
            let now = Instant::now();
            let Ok(raw) = RawEnvelope::parse(&m.payload) else {
                continue;
            };
            if m.subject.as_str() == dispatched {
                let Ok(e) = raw.decode::<OrderDispatched>() else {
                    continue;
                };
                let work = {
                    let mut book = book.lock().await;
                    let t = book.entry(e.data.order_id).or_insert(Tracked {
                        sent: now,
                        accepted: now,
                        work: false,
                        dispatched: Vec::new(),
                        signed: None,
                        closed: Vec::new(),
                    });
                    t.dispatched.push(now);
                    t.work && t.dispatched.len() == 1
                };
                if work {
                    let unit = e.data.unit_id.clone();
                    let client = {
                        let mut units = units.lock().await;
                        match units.get(&unit) {
                            Some(c) => c.clone(),
                            None => {
                                let c = accounts.unit_handler(&unit).await;
                                units.insert(unit.clone(), c.clone());
                                c
                            }
                        }
                    };
                    tokio::spawn(work_order(client, base.clone(), e.data.number, unit));
                }
            } else if m.subject.as_str() == signed {
                if let Ok(e) = raw.decode::<OrderSigned>() {
                    if let Some(t) = book.lock().await.get_mut(&e.data.order_id) {
                        t.signed.get_or_insert(now);
                    }
                }
            } else if m.subject.as_str() == closed {
                if let Ok(e) = raw.decode::<OrderClosed>() {
                    if let Some(t) = book.lock().await.get_mut(&e.data.order_id) {
                        t.closed.push(now);
                    }
                }
            }
        }
    });
}

/// The unit's staff: sign, then a complete result (supervision accepts complete results).
async fn work_order(client: reqwest::Client, base: String, number: String, unit: String) {
    let staff = format!("load-{unit}");
    let _ = client
        .post(format!("{base}/api/v1/orders/{number}/sign"))
        .json(&json!({"unit_id": unit, "signed_by": staff}))
        .send()
        .await;
    let _ = client
        .post(format!("{base}/api/v1/orders/{number}/result"))
        .json(&json!({
            "unit_id": unit, "submitted_by": staff,
            "basis": "相关法律法规及政策规定",
            "findings": "经核查，情况属实，已安排处理。",
            "reply": "您反映的问题已处理，感谢您的监督。",
        }))
        .send()
        .await;
}

/// Makes a unit handler's account (and API token) per unit, through the gateway.
struct AccountMaker {
    stack_url: String,
    admin_token: String,
}

impl AccountMaker {
    async fn new(stack: &Stack) -> Self {
        Self {
            stack_url: stack.url(""),
            admin_token: stack.admin_token.clone(),
        }
    }

    async fn unit_handler(&self, unit: &str) -> reqwest::Client {
        crate::make_user(
            &self.stack_url,
            &self.admin_token,
            &format!("load-{unit}"),
            Role::UnitHandler,
            Some(unit),
        )
        .await
    }
}

/// Single-row INSERT commits per second on as many connections as the services use.
async fn pg_commit_rate(stack: &Stack, duration: Duration) -> f64 {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(&stack.db.url())
        .await
        .expect("connect");
    sqlx::query("CREATE TABLE IF NOT EXISTS public.load_probe (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), body text)")
        .execute(&pool)
        .await
        .expect("probe table");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let pool = pool.clone();
        tasks.spawn(async move {
            let mut n = 0u64;
            while started.elapsed() < duration {
                if sqlx::query("INSERT INTO public.load_probe (body) VALUES ('x')")
                    .execute(&pool)
                    .await
                    .is_ok()
                {
                    n += 1;
                }
            }
            n
        });
    }
    let mut total = 0;
    while let Some(n) = tasks.join_next().await {
        total += n.unwrap_or(0);
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    let _ = sqlx::query("DROP TABLE public.load_probe")
        .execute(&pool)
        .await;
    pool.close().await;
    rate
}

/// JetStream publishes per second, each awaiting its acknowledgement, 64 in flight.
async fn js_publish_rate(stack: &Stack, duration: Duration) -> f64 {
    let js = async_nats::jetstream::new(stack.bus().await);
    let name = format!("LOADPROBE{}", uuid::Uuid::new_v4().simple());
    let subject = format!("loadprobe.{name}");
    js.create_stream(async_nats::jetstream::stream::Config {
        name: name.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .expect("probe stream");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (js, subject) = (js.clone(), subject.clone());
        tasks.spawn(async move {
            let mut n = 0u64;
            while started.elapsed() < duration {
                if let Ok(ack) = js.publish(subject.clone(), "x".into()).await {
                    if ack.await.is_ok() {
                        n += 1;
                    }
                }
            }
            n
        });
    }
    let mut total = 0;
    while let Some(n) = tasks.join_next().await {
        total += n.unwrap_or(0);
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    let _ = js.delete_stream(&name).await;
    rate
}

impl Report {
    /// The report as text.
    pub fn render(&self, config: &LoadConfig) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let stage = |name: &str, s: &Stage| {
            format!(
                "  {name:<24} n={:<6} p50 {:>8.1} ms  p90 {:>8.1} ms  p99 {:>8.1} ms  max {:>8.1} ms\n",
                s.count,
                ms(s.p50),
                ms(s.p90),
                ms(s.p99),
                ms(s.max)
            )
        };
        let rate = if config.rate == 0 {
            format!("as fast as possible ({} in flight)", config.concurrency)
        } else {
            format!("{}/s", config.rate)
        };
        let mut out = format!(
            "load: {rate} for {:.0} s, {:.0} % of dispatched orders worked to closed\n",
            config.duration.as_secs_f64(),
            config.lifecycle * 100.0
        );
        out += &format!(
            "  sent {} ({:.1}/s), accepted {}, errors {:?}\n",
            self.sent,
            self.sent as f64 / self.send_seconds,
            self.accepted,
            self.errors
        );
        out += &format!(
            "  throughput: dispatched {:.1} orders/s, closed {:.1} orders/s\n",
            self.dispatched_per_sec, self.closed_per_sec
        );
        out += &stage("HTTP accept", &self.accept);
        out += &stage("registered → dispatched", &self.registered_to_dispatched);
        out += &stage("dispatched → signed", &self.dispatched_to_signed);
        out += &stage("full lifecycle", &self.lifecycle);
        if self.pg_commits_per_sec > 0.0 {
            out += &format!(
                "  raw limits: PostgreSQL {:.0} single-row commits/s (8 connections), JetStream {:.0} acked publishes/s (64 in flight)\n",
                self.pg_commits_per_sec, self.js_publishes_per_sec
            );
            out += &format!(
                "  dispatched orders/s as a share: {:.1} % of the commit rate, {:.1} % of the publish rate\n",
                100.0 * self.dispatched_per_sec / self.pg_commits_per_sec,
                100.0 * self.dispatched_per_sec / self.js_publishes_per_sec.max(1.0)
            );
        }
        if self.violations.is_empty() {
            out += "  invariants: every accepted order reached its end state exactly once\n";
        } else {
            out += &format!("  INVARIANTS BROKEN ({}):\n", self.violations.len());
            for v in self.violations.iter().take(20) {
                out += &format!("    {v}\n");
            }
        }
        out
    }
}
