//! The load tool (`hotlinectl load`, issue 12): realistic traffic through the public API and
//! the staff's actions against every service, with per-stage latencies and the machine's
//! raw limits measured in the same run.
//!
//! * **Traffic.** Citizens' requests (`POST /api/v1/orders`) with a mix of kinds, channels,
//!   districts and categories, at a fixed rate (open loop: a slow system shows as latency,
//!   not as a lower rate) or as fast as `concurrency` requests in flight allow. A share of
//!   the dispatched orders (`lifecycle`) is worked by its unit the way staff do it through the
//!   API: sign, then submit a complete result, which supervision accepts and closes.
//! * **The mix** ([`mix`]): shares of partner transfers (emergencies handed to a simulated
//!   110 or 119 through the emergency bridge), disputes (the unit disputes, the dispatcher
//!   redispatches through the API) and send-backs (the reviewer sends the first result
//!   back, the head approves, the unit answers again). With send-backs, results wait for a
//!   reviewer (the target's supervision runs with `auto_accept_complete` off, see
//!   [`LoadConfig::people_review`]) and the tool reviews every worked result.
//! * **Stages.** The tool listens to the order events on NATS and times, per order, HTTP
//!   accept (request sent → 201), registered → dispatched (201 received → `order.dispatched`
//!   seen), dispatched → signed (the event seen → `order.signed` seen, including the tool's own
//!   sign request), the full lifecycle (request sent → `order.closed` seen), and per path of
//!   the mix: disputed → redispatched, result → sent back, sent back → closed, registered →
//!   accepted by the partner (server times of the events). Throughput is counted over the
//!   window from the first request to the moment every accepted order had reached its end
//!   states, so a backlog worked off after the sending does not count as throughput.
//! * **Raw limits** ([`raw`]). In the same run, on the same machine: PostgreSQL single-row
//!   commits per second with the services' connection count, and JetStream publishes per
//!   second with an acknowledgement each; the report gives our throughput as a share of them.
//! * **Invariants.** After the run, every order accepted with 201 must have reached each
//!   end state its path leads to exactly once (dispatched, or accepted by the partner;
//!   redispatched when disputed; sent back when chosen; closed when worked), and no other;
//!   the report lists what did not ([`Report::violations`]). The count is taken once the
//!   system is at rest ([`crate::rest`]: no unsent outbox row, no durable consumer behind),
//!   after reading the events the listener had not reached yet, so a late duplicate counts;
//!   a system not at rest 30 s after the last order's end states (a closed loop: the run's
//!   duration, if longer) is a violation too.

pub mod mix;
pub mod raw;
pub mod staff;
mod track;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use hotline_contract::events::{
    OrderClosed, OrderDispatched, OrderDisputed, OrderRedispatched, OrderRegistered,
    OrderResultSubmitted, OrderSentBack, OrderSigned, OrderTransferRequested,
};
use hotline_contract::subjects::{HOTLINE_STREAM, event};
use hotline_contract::transfer::{self, OrderTransferAccepted};
use hotline_contract::{Namespace, RawEnvelope};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::{Role, Stack};
use mix::{Mix, Plan};
use track::{Action, Tracked};

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
    /// Notified after the JetStream store was lost and rebuilt (the fault harness): the
    /// tool reads the new stream from its start (events it saw already, replayed from the
    /// outboxes, are recognized by their ids).
    pub relisten: Arc<tokio::sync::Notify>,
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
            relisten: Arc::default(),
        }
    }

    /// A stack for `config`: per-client rate limits off; results wait for a reviewer when
    /// the run sends some back ([`LoadConfig::people_review`]).
    pub async fn start_for_load(config: &LoadConfig) -> Stack {
        let auto_accept = !config.people_review();
        let stack = Stack::start_configured(
            |gateway| {
                gateway.gateway.submit_per_minute = 0;
                gateway.gateway.query_per_minute = 0;
            },
            |supervision| supervision.supervision.auto_accept_complete = auto_accept,
        )
        .await;
        stack.wait_ready().await;
        stack
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
    /// Share of the dispatched orders their first unit disputes (0.0 ..= 1.0).
    pub disputes: f64,
    /// Share of the worked orders whose first result is sent back (0.0 ..= 1.0).
    pub send_backs: f64,
    /// Share of all requests that are emergencies for a partner hotline (0.0 ..= 1.0).
    pub transfers: f64,
    /// How long to wait, after the last request, for the pipeline to drain.
    pub drain: Duration,
    /// How long each raw-limit measurement runs (zero: skip them).
    pub raw_limits: Duration,
}

impl Default for LoadConfig {
    /// 50/s for 30 s, every dispatched order worked; no disputes, send-backs or transfers
    /// (the benchmark's plain pipeline; the mix is asked for with its flags).
    fn default() -> Self {
        Self {
            rate: 50,
            duration: Duration::from_secs(30),
            concurrency: 64,
            lifecycle: 1.0,
            disputes: 0.0,
            send_backs: 0.0,
            transfers: 0.0,
            drain: Duration::from_secs(120),
            raw_limits: Duration::from_secs(5),
        }
    }
}

impl LoadConfig {
    /// Whether results wait for a reviewer: the run sends some back, so the target's
    /// supervision must run with `auto_accept_complete` off, and the tool reviews every
    /// worked result (accepts it, or sends it back).
    pub fn people_review(&self) -> bool {
        self.send_backs > 0.0 && self.lifecycle > 0.0
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
    /// From the first request to the moment every accepted order had reached its end
    /// states (or the drain gave up): the window the throughput is counted over, so a
    /// backlog still being worked off when the sending stops does not count as throughput.
    pub window_seconds: f64,
    pub accept: Stage,
    pub registered_to_dispatched: Stage,
    pub dispatched_to_signed: Stage,
    pub lifecycle: Stage,
    /// Disputed orders: the dispute → the redispatch.
    pub disputed_to_redispatched: Stage,
    /// Sent-back orders: the first result → the send-back, and the send-back → closed.
    pub result_to_sent_back: Stage,
    pub sent_back_to_closed: Stage,
    /// Transfers: registered → accepted by the partner hotline.
    pub registered_to_partner: Stage,
    /// Orders dispatched per second over the send period (accepted orders dispatched by the
    /// end of the drain / send time).
    pub dispatched_per_sec: f64,
    pub closed_per_sec: f64,
    pub pg_commits_per_sec: f64,
    pub js_publishes_per_sec: f64,
    /// Broken invariants, one line each (empty when all held).
    pub violations: Vec<String>,
    /// How long after the last order's end states the system came to rest (its consumers'
    /// backlogs, such as intake's public status, worked off; see [`crate::rest`]).
    pub at_rest_after: Duration,
}

type Book = Arc<Mutex<HashMap<uuid::Uuid, Tracked>>>;

/// What the HTTP tasks and the event listener share.
struct Driver {
    book: Book,
    base: String,
    admin_token: String,
    /// Results wait for the tool's reviewer ([`LoadConfig::people_review`]).
    people_review: bool,
    /// The agent who registers phone and online-chat requests.
    agent: reqwest::Client,
    anonymous: reqwest::Client,
    /// The center's dispatcher, reviewer and head (made when the mix needs them).
    dispatcher: Option<reqwest::Client>,
    reviewer: Option<(reqwest::Client, reqwest::Client)>,
    units: Mutex<HashMap<String, reqwest::Client>>,
    /// Answers that did not fit the plan (e.g. an emergency not transferred).
    misfits: Mutex<Vec<String>>,
    /// The ids of the events recorded (each counts once).
    seen: Mutex<std::collections::HashSet<uuid::Uuid>>,
    /// The stream sequence of the last event the listener read, in its current pass over
    /// the stream (0 before its first, and again after a relisten).
    listened_through: std::sync::atomic::AtomicU64,
}

impl Driver {
    /// The unit's staff account, made on first use (retried like a staff step while the
    /// gateway is down for a fault). `None`, noted as a misfit of the order `number`, when it
    /// could not be made.
    async fn unit(&self, unit: &str, number: &str) -> Option<reqwest::Client> {
        let mut units = self.units.lock().await;
        if let Some(c) = units.get(unit) {
            return Some(c.clone());
        }
        let id = staff::unit_staff(unit);
        let made = staff::account(
            &self.base,
            &self.admin_token,
            &id,
            Role::UnitHandler,
            Some(unit),
        )
        .await;
        match made {
            Some(c) => {
                units.insert(unit.to_owned(), c.clone());
                Some(c)
            }
            None => {
                self.misfits.lock().await.push(format!(
                    "order {number}: the staff account of unit {unit} could not be made"
                ));
                None
            }
        }
    }

    /// Starts `action` in the background: the listener never waits for the staff, whose
    /// account may first have to be made while the gateway is down.
    fn start(self: &Arc<Self>, action: Action) {
        let driver = self.clone();
        tokio::spawn(async move { driver.act(action).await });
    }

    /// Carries `action` out as the staff do.
    async fn act(&self, action: Action) {
        let base = self.base.clone();
        match action {
            Action::Work { number, unit } => {
                if let Some(client) = self.unit(&unit, &number).await {
                    staff::work_order(client, base, number, unit).await;
                }
            }
            Action::AnswerAgain { number, unit } => {
                if let Some(client) = self.unit(&unit, &number).await {
                    staff::answer_again(client, base, number, unit).await;
                }
            }
            Action::Dispute {
                number,
                unit,
                proposed,
            } => {
                let dispatcher = self.dispatcher.clone().expect("a dispatcher for disputes");
                if let Some(client) = self.unit(&unit, &number).await {
                    staff::dispute(client, dispatcher, base, number, unit, proposed).await;
                }
            }
            Action::Review {
                order_id,
                send_back,
            } => {
                let (reviewer, head) = self.reviewer.clone().expect("a reviewer");
                staff::review(reviewer, head, base, order_id, send_back).await;
            }
        }
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

/// The district of the `i`-th request.
fn region(i: usize) -> &'static str {
    REGIONS[(i / CATEGORIES.len()) % REGIONS.len()]
}

/// The body of the `i`-th request of the mix, and whether an agent registers it.
pub fn request_body(i: usize, plan: &Plan) -> (Value, bool) {
    if plan.transfer {
        return (mix::emergency_body(i, region(i)), false);
    }
    let (category, matter) = CATEGORIES[i % CATEGORIES.len()];
    let channel = CHANNELS[i % CHANNELS.len()];
    let by_agent = channel != "web_message";
    let mut body = json!({
        "channel": channel,
        "kind": KINDS[i % KINDS.len()],
        "requester": {"type": "person", "phone": format!("13{:09}", 100_000_000 + i % 800_000_000)},
        "matter": format!("{matter}（编号{i}）"),
        "category": category,
        "region_code": region(i),
    });
    if by_agent {
        body["agent_id"] = json!(AGENT);
    }
    (body, by_agent)
}

/// Runs the load against `target` (per-client rate limits off; with send-backs, results
/// waiting for a reviewer: [`Stack::start_for_load`]).
pub async fn run(target: &Target, config: &LoadConfig) -> Report {
    let ns = Namespace::new(target.namespace.clone()).expect("namespace");
    let center = |id: &'static str, role: Role| {
        crate::make_user(&target.base, &target.admin_token, id, role, None)
    };
    let dispatcher = if config.disputes > 0.0 {
        Some(center(staff::DISPATCHER, Role::Dispatcher).await)
    } else {
        None
    };
    let reviewer = if config.people_review() {
        Some((
            center(staff::REVIEWER, Role::Reviewer).await,
            center(staff::HEAD, Role::CenterHead).await,
        ))
    } else {
        None
    };
    let driver = Arc::new(Driver {
        book: Arc::default(),
        base: target.base.clone(),
        admin_token: target.admin_token.clone(),
        people_review: config.people_review(),
        agent: center(AGENT, Role::Agent).await,
        anonymous: reqwest::Client::builder()
            .pool_max_idle_per_host(config.concurrency.max(1))
            .build()
            .expect("HTTP client"),
        dispatcher,
        reviewer,
        units: Mutex::default(),
        misfits: Mutex::default(),
        seen: Mutex::default(),
        listened_through: std::sync::atomic::AtomicU64::new(0),
    });
    // The partner hotlines the emergencies go to, simulated: each accepts.
    let partners = CancellationToken::new();
    if config.transfers > 0.0 {
        for code in mix::partners() {
            hotline_emergency_bridge::simulator::start(
                target.bus.clone(),
                ns.clone(),
                code.to_owned(),
                hotline_emergency_bridge::simulator::Mode::Accept,
                None,
                partners.clone(),
            )
            .await
            .expect("a simulated partner hotline");
        }
    }
    listen(target, &ns, driver.clone()).await;

    let url = format!("{}/api/v1/orders", target.base);
    let statuses: Arc<Mutex<Vec<(u16, Duration)>>> = Arc::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1)));
    let mut tick = (config.rate > 0).then(|| {
        let mut t =
            tokio::time::interval(Duration::from_nanos(1_000_000_000 / u64::from(config.rate)));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        t
    });
    let mut mix = Mix::new(
        config.transfers,
        config.lifecycle,
        config.disputes,
        config.send_backs,
    );
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut i = 0usize;
    while started.elapsed() < config.duration {
        if let Some(t) = tick.as_mut() {
            t.tick().await;
        }
        let permit = permits.clone().acquire_owned().await.expect("semaphore");
        let (url, statuses, driver) = (url.clone(), statuses.clone(), driver.clone());
        let plan = mix.next_plan();
        tasks.spawn(async move {
            let (body, by_agent) = request_body(i, &plan);
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
                    driver.answered(&receipt, plan, sent, region(i)).await;
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

    // Drain: wait until every answered order reached its end states, or the drain time.
    let drain_start = Instant::now();
    loop {
        let pending = {
            let book = driver.book.lock().await;
            book.values()
                .filter(|t| t.sent.is_some() && !t.done())
                .count()
        };
        if pending == 0 || drain_start.elapsed() > config.drain {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let window_seconds = started.elapsed().as_secs_f64();
    // Late duplicates, if the system made any, are in the stream once it is at rest.
    let drained = Instant::now();
    settle(target, &ns, &driver, settle_limit(config)).await;
    let settled = drained.elapsed();
    partners.cancel();

    let mut report = summarize(&driver.book, &statuses, send_seconds, window_seconds).await;
    report.at_rest_after = settled;
    report
        .violations
        .extend(driver.misfits.lock().await.iter().cloned());
    if !config.raw_limits.is_zero() {
        report.pg_commits_per_sec = raw::pg_commit_rate(&target.db_url, config.raw_limits).await;
        report.js_publishes_per_sec = raw::js_publish_rate(&target.bus, config.raw_limits).await;
    }
    report
}

impl Driver {
    /// An order event from the stream: recorded once by its id if it is one of
    /// [`FOLLOWED`]; the staff step it starts, if any.
    async fn observe(
        &self,
        followed: &[String],
        m: &async_nats::jetstream::Message,
    ) -> Option<Action> {
        let now = Instant::now();
        let raw = RawEnvelope::parse(&m.payload).ok()?;
        let k = followed.iter().position(|s| s == m.subject.as_str())?;
        if !self.seen.lock().await.insert(raw.id) {
            return None;
        }
        let mut book = self.book.lock().await;
        record(&mut book, k, &raw, now, self.people_review)
    }

    /// The 201 of a request with `plan`: the order is followed when it went the way the
    /// plan expects (dispatched; transferred for an emergency). Requests the system
    /// answers otherwise (a suggestion answered at once, say) are not followed; an
    /// emergency not transferred is a misfit.
    async fn answered(self: &Arc<Self>, receipt: &Value, plan: Plan, sent: Instant, region: &str) {
        let Some(id) = receipt["order_id"].as_str().and_then(|s| s.parse().ok()) else {
            return;
        };
        let expected = if plan.transfer {
            "transfer_requested"
        } else {
            "dispatched"
        };
        if receipt["disposition"] != expected {
            if plan.transfer {
                self.misfits.lock().await.push(format!(
                    "order {id}: an emergency answered {}, not transferred",
                    receipt["disposition"]
                ));
            }
            return;
        }
        let next = {
            let mut book = self.book.lock().await;
            let t = book.entry(id).or_default();
            t.sent = Some(sent);
            t.plan = Some(plan);
            region.clone_into(&mut t.region);
            t.next_step()
        };
        if let Some(action) = next {
            self.start(action);
        }
    }
}

/// Server time from `a` to `b`.
fn between(a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
    (b - a).to_std().unwrap_or_default()
}

async fn summarize(
    book: &Book,
    statuses: &Mutex<Vec<(u16, Duration)>>,
    send_seconds: f64,
    window_seconds: f64,
) -> Report {
    let statuses = statuses.lock().await;
    let book = book.lock().await;
    let mut report = Report {
        sent: statuses.len(),
        accepted: statuses.iter().filter(|(s, _)| *s == 201).count(),
        send_seconds,
        window_seconds,
        accept: Stage::of(statuses.iter().map(|(_, d)| *d).collect()),
        ..Report::default()
    };
    for (status, _) in statuses.iter().filter(|(s, _)| *s != 201) {
        *report.errors.entry(*status).or_default() += 1;
    }
    let mut samples: [Vec<Duration>; 7] = Default::default();
    let [
        to_dispatch,
        to_sign,
        whole,
        to_redispatch,
        to_send_back,
        to_close,
        to_partner,
    ] = &mut samples;
    let (mut dispatched, mut closed) = (0usize, 0usize);
    // Orders answered with 201 as their plan expects (events of other orders, e.g. a
    // test's own, are ignored).
    for (id, t) in book.iter().filter(|(_, t)| t.sent.is_some()) {
        report.violations.extend(t.violations(*id));
        if let (Some(registered), Some(at)) = (t.registered_at, t.dispatched_at.first()) {
            to_dispatch.push(between(registered, *at));
        }
        dispatched += usize::from(!t.dispatched_at.is_empty());
        let latest = t.redispatched_at.first().or(t.dispatched_at.first());
        if let (Some(from), Some(signed)) = (latest, t.signed_at) {
            to_sign.push(between(*from, signed));
        }
        if let (Some(disputed), Some(at)) = (t.disputed_at, t.redispatched_at.first()) {
            to_redispatch.push(between(disputed, *at));
        }
        if let (Some((_, first)), Some(back)) = (t.results.first(), t.sent_back_at.first()) {
            to_send_back.push(between(*first, *back));
            if let Some((_, at)) = t.closed.first() {
                to_close.push(between(*back, *at));
            }
        }
        if let (Some(registered), Some(at)) = (t.registered_at, t.transfer_accepted_at.first()) {
            to_partner.push(between(registered, *at));
        }
        if let (Some(sent), Some((seen, _))) = (t.sent, t.closed.first()) {
            closed += 1;
            whole.push(seen.saturating_duration_since(sent));
        }
    }
    let [
        to_dispatch,
        to_sign,
        whole,
        to_redispatch,
        to_send_back,
        to_close,
        to_partner,
    ] = samples;
    report.registered_to_dispatched = Stage::of(to_dispatch);
    report.dispatched_to_signed = Stage::of(to_sign);
    report.lifecycle = Stage::of(whole);
    report.disputed_to_redispatched = Stage::of(to_redispatch);
    report.result_to_sent_back = Stage::of(to_send_back);
    report.sent_back_to_closed = Stage::of(to_close);
    report.registered_to_partner = Stage::of(to_partner);
    report.dispatched_per_sec = dispatched as f64 / window_seconds;
    report.closed_per_sec = closed as f64 / window_seconds;
    report
}

/// Decodes `raw` as `E` and applies `f` to the book's entry of the order it names.
fn apply<E: hotline_contract::Event>(
    book: &mut HashMap<uuid::Uuid, Tracked>,
    raw: &RawEnvelope,
    order_id: impl Fn(&E) -> uuid::Uuid,
    f: impl FnOnce(&mut Tracked, E) -> Option<Action>,
) -> Option<Action> {
    let e = raw.decode::<E>().ok()?.data;
    f(book.entry(order_id(&e)).or_default(), e)
}

/// The order events the tool follows, in the order [`record`] knows them.
const FOLLOWED: [&str; 11] = [
    event::ORDER_REGISTERED,
    event::ORDER_DISPATCHED,
    event::ORDER_SIGNED,
    event::ORDER_CLOSED,
    event::ORDER_DISPUTED,
    event::ORDER_REDISPATCHED,
    event::ORDER_RESULT_SUBMITTED,
    event::ORDER_SENT_BACK,
    transfer::subject::ORDER_TRANSFER_ACCEPTED,
    event::ORDER_TRANSFER_REQUESTED,
    event::ORDER_TRANSFER_REQUESTED_EMERGENCY,
];

/// Records the `k`-th of [`FOLLOWED`] in the book; the step it starts, if any.
fn record(
    book: &mut HashMap<uuid::Uuid, Tracked>,
    k: usize,
    raw: &RawEnvelope,
    now: Instant,
    people_review: bool,
) -> Option<Action> {
    match k {
        0 => apply(
            book,
            raw,
            |e: &OrderRegistered| e.order_id,
            |t, e| {
                t.registered_at = Some(e.registered_at);
                None
            },
        ),
        1 => apply(
            book,
            raw,
            |e: &OrderDispatched| e.order_id,
            |t, e| {
                t.dispatched_at.push(e.dispatched_at);
                t.number.get_or_insert(e.number);
                t.unit.get_or_insert(e.unit_id);
                t.next_step()
            },
        ),
        2 => apply(
            book,
            raw,
            |e: &OrderSigned| e.order_id,
            |t, e| {
                t.signed_at.get_or_insert(e.signed_at);
                None
            },
        ),
        3 => apply(
            book,
            raw,
            |e: &OrderClosed| e.order_id,
            |t, e| {
                t.closed.push((now, e.closed_at));
                None
            },
        ),
        4 => apply(
            book,
            raw,
            |e: &OrderDisputed| e.order_id,
            |t, e| {
                t.disputed_at.get_or_insert(e.disputed_at);
                None
            },
        ),
        5 => apply(
            book,
            raw,
            |e: &OrderRedispatched| e.order_id,
            |t, e| {
                t.redispatched_at.push(e.redispatched_at);
                t.unit = Some(e.unit_id);
                t.next_step()
            },
        ),
        6 => apply(
            book,
            raw,
            |e: &OrderResultSubmitted| e.order_id,
            |t, e| t.result_submitted(e.order_id, e.result_id, e.submitted_at, people_review),
        ),
        7 => apply(
            book,
            raw,
            |e: &OrderSentBack| e.order_id,
            |t, e| t.sent_back(e.sent_back_at),
        ),
        8 => apply(
            book,
            raw,
            |e: &OrderTransferAccepted| e.order_id,
            |t, e| {
                t.transfer_accepted_at.push(e.accepted_at);
                None
            },
        ),
        // A transfer is registered with its request (no `order.registered`).
        _ => apply(
            book,
            raw,
            |e: &OrderTransferRequested| e.registration.order_id,
            |t, e| {
                t.registered_at = Some(e.registration.registered_at);
                None
            },
        ),
    }
}

/// An ordered consumer of the order events on the `HOTLINE` stream. Read from the
/// stream, not a plain subscription: an ordered consumer survives a nats-server restart
/// without missing what was published meanwhile (the fault harness restarts it under
/// load).
async fn order_consumer(
    bus: &async_nats::Client,
    ns: &Namespace,
    from: async_nats::jetstream::consumer::DeliverPolicy,
) -> Result<
    async_nats::jetstream::consumer::Consumer<async_nats::jetstream::consumer::pull::OrderedConfig>,
    async_nats::Error,
> {
    Ok(async_nats::jetstream::new(bus.clone())
        .get_stream(ns.stream(HOTLINE_STREAM))
        .await?
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            filter_subject: ns.subject("hotline.order.>"),
            deliver_policy: from,
            ..Default::default()
        })
        .await?)
}

/// The events of an [`order_consumer`].
async fn order_events(
    bus: &async_nats::Client,
    ns: &Namespace,
    from: async_nats::jetstream::consumer::DeliverPolicy,
) -> Result<async_nats::jetstream::consumer::pull::Ordered, async_nats::Error> {
    Ok(order_consumer(bus, ns, from).await?.messages().await?)
}

/// Follows the order events; starts the staff's steps of the orders the run chose. Each
/// event counts once, by its id: after a lost store the outboxes publish every event
/// again, and [`Target::relisten`] reads the rebuilt stream from its start.
async fn listen(target: &Target, ns: &Namespace, driver: Arc<Driver>) {
    use async_nats::jetstream::consumer::DeliverPolicy;
    let mut messages = order_events(&target.bus, ns, DeliverPolicy::New)
        .await
        .expect("an ordered consumer of the order events");
    let subjects = FOLLOWED.map(|s| ns.subject(s));
    let (bus, ns, relisten) = (target.bus.clone(), ns.clone(), target.relisten.clone());
    tokio::spawn(async move {
        loop {
            let m = tokio::select! {
                m = messages.next() => m,
                () = relisten.notified() => None,
            };
            // Told to, or the consumer gave up (its stream gone for a while): read the
            // stream again from its start.
            let Some(Ok(m)) = m else {
                if m.is_none() {
                    match order_events(&bus, &ns, DeliverPolicy::All).await {
                        Ok(fresh) => {
                            messages = fresh;
                            driver.listened_through.store(0, Ordering::SeqCst);
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                    }
                }
                continue;
            };
            if let Some(action) = driver.observe(&subjects, &m).await {
                driver.start(action);
            }
            if let Ok(info) = m.info() {
                driver
                    .listened_through
                    .store(info.stream_sequence, Ordering::SeqCst);
            }
        }
    });
}

/// How long the system may take to come to rest after the run's last order reached its
/// end states, at a fixed rate (see [`settle_limit`]).
const SETTLE: Duration = Duration::from_secs(30);

/// How long a run may take to come to rest: [`SETTLE`] at a fixed rate. A closed loop
/// (`rate` 0) overloads the system on purpose: its requests are answered once registered,
/// so it may leave the consumers that are not on an order's path to its end states (intake's
/// public status, the deadline clocks) a backlog as long as the run, which they work off
/// afterwards. It gets the run's duration if that is longer. A system that does not come to
/// rest within the limit is a violation either way.
fn settle_limit(config: &LoadConfig) -> Duration {
    if config.rate == 0 {
        SETTLE.max(config.duration)
    } else {
        SETTLE
    }
}

/// Waits until the system is at rest ([`crate::rest`]), then reads the events the listener
/// has not reached yet, so that a late duplicate counts. A system not at rest within
/// `limit` ([`settle_limit`]) is a violation of its own.
async fn settle(target: &Target, ns: &Namespace, driver: &Arc<Driver>, limit: Duration) {
    use async_nats::jetstream::consumer::DeliverPolicy;
    let js = async_nats::jetstream::new(target.bus.clone());
    let Ok(pool) = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&target.db_url)
        .await
    else {
        driver
            .misfits
            .lock()
            .await
            .push("the system's database could not be reached to check it is at rest".into());
        return;
    };
    let streams = crate::rest::streams_of(&js, ns).await;
    let deadline = Instant::now() + limit;
    while !crate::rest::at_rest(&js, &streams, &pool).await {
        if Instant::now() > deadline {
            driver.misfits.lock().await.push(format!(
                "the system was not at rest {} s after the run: an outbox row unsent or a \
                 durable consumer with events pending",
                limit.as_secs()
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pool.close().await;
    // Everything the system did is in the stream now; read what the listener has not.
    let start_sequence = driver.listened_through.load(Ordering::SeqCst) + 1;
    let unread = async {
        let consumer = order_consumer(
            &target.bus,
            ns,
            DeliverPolicy::ByStartSequence { start_sequence },
        )
        .await?;
        let pending = consumer.cached_info().num_pending;
        Ok::<_, async_nats::Error>((consumer.messages().await?, pending))
    }
    .await;
    let Ok((mut events, pending)) = unread else {
        driver
            .misfits
            .lock()
            .await
            .push("the order events after the run could not be read".into());
        return;
    };
    let subjects = FOLLOWED.map(|s| ns.subject(s));
    for _ in 0..pending {
        let Ok(Some(Ok(m))) = tokio::time::timeout(SETTLE, events.next()).await else {
            driver
                .misfits
                .lock()
                .await
                .push("the order events after the run could not be read to the end".into());
            return;
        };
        if let Some(action) = driver.observe(&subjects, &m).await {
            driver.start(action);
        }
    }
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
            "  mix: {:.0} % transfers to partner hotlines; of dispatched orders {:.0} % disputed; of worked orders {:.0} % sent back{}\n",
            config.transfers * 100.0,
            config.disputes * 100.0,
            config.send_backs * 100.0,
            if config.people_review() {
                " (the tool reviews every result)"
            } else {
                ""
            }
        );
        out += &format!(
            "  sent {} ({:.1}/s), accepted {}, errors {:?}\n",
            self.sent,
            self.sent as f64 / self.send_seconds,
            self.accepted,
            self.errors
        );
        out += &format!(
            "  throughput: dispatched {:.1} orders/s, closed {:.1} orders/s (over {:.1} s: from the first request to the last order's end states)\n",
            self.dispatched_per_sec, self.closed_per_sec, self.window_seconds
        );
        out += &stage("HTTP accept", &self.accept);
        out += &stage("registered → dispatched", &self.registered_to_dispatched);
        out += &stage("dispatched → signed", &self.dispatched_to_signed);
        out += &stage("full lifecycle", &self.lifecycle);
        let mix = [
            (
                config.disputes,
                "disputed → redispatched",
                &self.disputed_to_redispatched,
            ),
            (
                config.send_backs,
                "result → sent back",
                &self.result_to_sent_back,
            ),
            (
                config.send_backs,
                "sent back → closed",
                &self.sent_back_to_closed,
            ),
            (
                config.transfers,
                "registered → partner",
                &self.registered_to_partner,
            ),
        ];
        for (share, name, s) in mix {
            if share > 0.0 {
                out += &stage(name, s);
            }
        }
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
        out += &format!(
            "  at rest {:.1} s after the last order's end states\n",
            self.at_rest_after.as_secs_f64()
        );
        if self.violations.is_empty() {
            out +=
                "  invariants: every accepted order reached each of its end states exactly once\n";
        } else {
            out += &format!("  INVARIANTS BROKEN ({}):\n", self.violations.len());
            for v in self.violations.iter().take(20) {
                out += &format!("    {v}\n");
            }
        }
        out
    }
}
