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

use chrono::{DateTime, Utc};
use futures::StreamExt;
use hotline_contract::events::{OrderClosed, OrderDispatched, OrderRegistered, OrderSigned};
use hotline_contract::subjects::{HOTLINE_STREAM, event};
use hotline_contract::{Namespace, RawEnvelope};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::{Role, Stack};

/// The running system the load goes to: the in-process [`Stack`] or the services run as
/// processes ([`crate::processes::ProcessStack`]).
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://<gateway>`
    pub base: String,
    /// The bootstrap administrator's API token (to make the agent's and units' accounts).
    pub admin_token: String,
    pub namespace: String,
    /// A client on the bus with the right to read the `HOTLINE` stream.
    pub bus: async_nats::Client,
    /// A superuser's URL of the system's database (for the raw commit rate).
    pub db_url: String,
}

impl Stack {
    /// This stack as a load target.
    pub async fn target(&self) -> Target {
        Target {
            base: self.url(""),
            admin_token: self.admin_token.clone(),
            namespace: self.namespace.clone(),
            bus: self.bus().await,
            db_url: self.db.url(),
        }
    }
}

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

/// One order as the tool follows it. The HTTP answer and the events arrive in any order
/// (the dispatch is often seen before the 201), so every field is filled by whoever sees it.
#[derive(Debug, Clone, Default)]
struct Tracked {
    /// When the request was sent (tool clock); `None` until the answer is in.
    sent: Option<Instant>,
    /// Whether this order is to be worked to closed; `None` until the answer is in.
    work: Option<bool>,
    /// Server times of registration and of each dispatch / the first sign.
    registered_at: Option<DateTime<Utc>>,
    dispatched_at: Vec<DateTime<Utc>>,
    signed_at: Option<DateTime<Utc>>,
    /// When each close was seen (tool clock).
    closed: Vec<Instant>,
    /// Number and unit, from the dispatch.
    number: Option<String>,
    unit: Option<String>,
    /// The unit's work was started.
    working: bool,
}

impl Tracked {
    /// The order number and unit, once, when it is both to be worked and dispatched.
    fn start_work(&mut self) -> Option<(String, String)> {
        if self.working || self.work != Some(true) || self.dispatched_at.is_empty() {
            return None;
        }
        self.working = true;
        Some((self.number.clone()?, self.unit.clone()?))
    }
}

type Book = Arc<Mutex<HashMap<uuid::Uuid, Tracked>>>;

/// What the HTTP tasks and the event listener share.
struct Driver {
    book: Book,
    base: String,
    admin_token: String,
    /// The agent who registers phone and online-chat requests.
    agent: reqwest::Client,
    anonymous: reqwest::Client,
    units: Mutex<HashMap<String, reqwest::Client>>,
}

impl Driver {
    /// Starts the unit's work on an order (sign, then a complete result) in the background.
    async fn work(self: &Arc<Self>, number: String, unit: String) {
        let client = {
            let mut units = self.units.lock().await;
            match units.get(&unit) {
                Some(c) => c.clone(),
                None => {
                    let c = crate::make_user(
                        &self.base,
                        &self.admin_token,
                        &format!("load-{unit}"),
                        Role::UnitHandler,
                        Some(&unit),
                    )
                    .await;
                    units.insert(unit.clone(), c.clone());
                    c
                }
            }
        };
        tokio::spawn(work_order(client, self.base.clone(), number, unit));
    }
}

const KINDS: &[&str] = &["complaint", "help", "suggestion", "report", "complaint"];
/// Citizens write web messages themselves; calls and chats are registered by an agent.
const CHANNELS: &[&str] = &["web_message", "phone", "web_message", "online_chat"];
const AGENT: &str = "load-agent";
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

/// The body of the `i`-th request of the mix, and whether an agent registers it.
pub fn request_body(i: usize) -> (Value, bool) {
    let (category, matter) = CATEGORIES[i % CATEGORIES.len()];
    let channel = CHANNELS[i % CHANNELS.len()];
    let by_agent = channel != "web_message";
    let mut body = json!({
        "channel": channel,
        "kind": KINDS[i % KINDS.len()],
        "requester": {"type": "person", "phone": format!("13{:09}", 100_000_000 + i % 800_000_000)},
        "matter": format!("{matter}（编号{i}）"),
        "category": category,
        "region_code": REGIONS[(i / CATEGORIES.len()) % REGIONS.len()],
    });
    if by_agent {
        body["agent_id"] = json!(AGENT);
    }
    (body, by_agent)
}

/// Runs the load against `stack` (started with per-client rate limits off).
pub async fn run(target: &Target, config: &LoadConfig) -> Report {
    let ns = Namespace::new(target.namespace.clone()).expect("namespace");
    let driver = Arc::new(Driver {
        book: Arc::default(),
        base: target.base.clone(),
        admin_token: target.admin_token.clone(),
        agent: crate::make_user(&target.base, &target.admin_token, AGENT, Role::Agent, None).await,
        anonymous: reqwest::Client::builder()
            .pool_max_idle_per_host(config.concurrency.max(1))
            .build()
            .expect("HTTP client"),
        units: Mutex::default(),
    });
    listen(&target.bus, &ns, driver.clone()).await;

    let url = format!("{}/api/v1/orders", target.base);
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
        let (url, statuses, driver) = (url.clone(), statuses.clone(), driver.clone());
        // Every 1/lifecycle-th order is worked, spread evenly.
        let work =
            (i as f64 * config.lifecycle).floor() != ((i + 1) as f64 * config.lifecycle).floor();
        tasks.spawn(async move {
            let (body, by_agent) = request_body(i);
            let client = if by_agent {
                &driver.agent
            } else {
                &driver.anonymous
            };
            let sent = Instant::now();
            let answer = client.post(&url).json(&body).send().await;
            let latency = sent.elapsed();
            let status = match answer {
                Ok(r) if r.status().as_u16() == 201 => {
                    let receipt: Value = r.json().await.unwrap_or_default();
                    let id = receipt["order_id"].as_str().and_then(|s| s.parse().ok());
                    if let (Some(id), true) = (id, receipt["disposition"] == "dispatched") {
                        let start = {
                            let mut book = driver.book.lock().await;
                            let t = book.entry(id).or_default();
                            t.sent = Some(sent);
                            t.work = Some(work);
                            t.start_work()
                        };
                        if let Some((number, unit)) = start {
                            driver.work(number, unit).await;
                        }
                    }
                    201
                }
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            statuses.lock().await.push((status, latency));
            drop(permit);
        });
        i += 1;
    }
    while tasks.join_next().await.is_some() {}
    let send_seconds = started.elapsed().as_secs_f64();

    // Drain: wait until every answered order reached its end state, or the drain time.
    let drain_start = Instant::now();
    loop {
        let pending = {
            let book = driver.book.lock().await;
            book.values()
                .filter(|t| t.sent.is_some())
                .filter(|t| {
                    t.dispatched_at.is_empty() || (t.work == Some(true) && t.closed.is_empty())
                })
                .count()
        };
        if pending == 0 || drain_start.elapsed() > config.drain {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Late duplicates would arrive now, if any.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut report = summarize(&driver.book, &statuses, send_seconds).await;
    if !config.raw_limits.is_zero() {
        report.pg_commits_per_sec = pg_commit_rate(&target.db_url, config.raw_limits).await;
        report.js_publishes_per_sec = js_publish_rate(&target.bus, config.raw_limits).await;
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
    let server = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).to_std().unwrap_or_default();
    // Orders answered with 201 and a dispatch disposition (events of other orders, e.g. a
    // test's own, are ignored).
    for (id, t) in book.iter().filter(|(_, t)| t.sent.is_some()) {
        match t.dispatched_at.as_slice() {
            [] => report
                .violations
                .push(format!("order {id} accepted but never dispatched")),
            [at, rest @ ..] => {
                dispatched += 1;
                if let Some(registered) = t.registered_at {
                    to_dispatch.push(server(registered, *at));
                }
                if !rest.is_empty() {
                    report
                        .violations
                        .push(format!("order {id} dispatched {} times", rest.len() + 1));
                }
                if let Some(signed) = t.signed_at {
                    to_sign.push(server(*at, signed));
                }
            }
        }
        match (t.work == Some(true), t.closed.as_slice()) {
            (true, []) => report
                .violations
                .push(format!("order {id} worked but never closed")),
            (_, [at, rest @ ..]) => {
                closed += 1;
                if let Some(sent) = t.sent {
                    whole.push(at.saturating_duration_since(sent));
                }
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

/// Follows the order events; starts the units' work on the orders the run chose.
async fn listen(bus: &async_nats::Client, ns: &Namespace, driver: Arc<Driver>) {
    // Read from the stream, not a plain subscription: an ordered consumer survives a
    // nats-server restart without missing what was published meanwhile (the fault
    // harness restarts it under load).
    let consumer = async_nats::jetstream::new(bus.clone())
        .get_stream(ns.stream(HOTLINE_STREAM))
        .await
        .expect("the HOTLINE stream")
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            filter_subject: ns.subject("hotline.order.>"),
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .expect("an ordered consumer of the order events");
    let mut sub = consumer.messages().await.expect("order events");
    let registered = ns.subject(event::ORDER_REGISTERED);
    let dispatched = ns.subject(event::ORDER_DISPATCHED);
    let signed = ns.subject(event::ORDER_SIGNED);
    let closed = ns.subject(event::ORDER_CLOSED);
    tokio::spawn(async move {
        while let Some(m) = sub.next().await {
            let Ok(m) = m else {
                continue;
            };
            let now = Instant::now();
            let Ok(raw) = RawEnvelope::parse(&m.payload) else {
                continue;
            };
            let subject = m.subject.as_str();
            let start = {
                let mut book = driver.book.lock().await;
                if subject == registered {
                    if let Ok(e) = raw.decode::<OrderRegistered>() {
                        book.entry(e.data.order_id).or_default().registered_at =
                            Some(e.data.registered_at);
                    }
                    None
                } else if subject == dispatched {
                    match raw.decode::<OrderDispatched>() {
                        Ok(e) => {
                            let t = book.entry(e.data.order_id).or_default();
                            t.dispatched_at.push(e.data.dispatched_at);
                            t.number.get_or_insert(e.data.number);
                            t.unit.get_or_insert(e.data.unit_id);
                            t.start_work()
                        }
                        Err(_) => None,
                    }
                } else if subject == signed {
                    if let Ok(e) = raw.decode::<OrderSigned>() {
                        book.entry(e.data.order_id)
                            .or_default()
                            .signed_at
                            .get_or_insert(e.data.signed_at);
                    }
                    None
                } else if subject == closed {
                    if let Ok(e) = raw.decode::<OrderClosed>() {
                        book.entry(e.data.order_id).or_default().closed.push(now);
                    }
                    None
                } else {
                    None
                }
            };
            if let Some((number, unit)) = start {
                driver.work(number, unit).await;
            }
        }
    });
}

/// The unit's staff: sign, then a complete result (supervision accepts complete results).
/// Each step is retried while the system answers 5xx or cannot be reached (a fault being
/// injected), as staff would try again; a 409 means the step was already done.
async fn work_order(client: reqwest::Client, base: String, number: String, unit: String) {
    let staff = format!("load-{unit}");
    let steps = [
        (
            format!("{base}/api/v1/orders/{number}/sign"),
            json!({"unit_id": unit, "signed_by": staff}),
        ),
        (
            format!("{base}/api/v1/orders/{number}/result"),
            json!({
                "unit_id": unit, "submitted_by": staff,
                "basis": "相关法律法规及政策规定",
                "findings": "经核查，情况属实，已安排处理。",
                "reply": "您反映的问题已处理，感谢您的监督。",
            }),
        ),
    ];
    for (url, body) in steps {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let status = client
                .post(&url)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            let retry = status == 0 || status >= 500 || status == 429;
            if !retry || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// Single-row INSERT commits per second on as many connections as the services use.
async fn pg_commit_rate(db_url: &str, duration: Duration) -> f64 {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(db_url)
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
async fn js_publish_rate(bus: &async_nats::Client, duration: Duration) -> f64 {
    let js = async_nats::jetstream::new(bus.clone());
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
                if let Ok(ack) = js.publish(subject.clone(), "x".into()).await
                    && ack.await.is_ok()
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
