//! Deadline-watcher timer benchmark (issue 6): with a million pending timers, how late are
//! `deadline.overdue` events, how long do 100,000 timers due at the same instant take
//! to fire, and what does a reminder pass cost?
//!
//! ```sh
//! HOTLINE_NATS_SERVER_BIN=/work/main/.tools/bin/nats-server \
//!   cargo run --release -p hotline-deadline-watcher --example bench_timers
//! # smaller or different runs (flags, or BENCH_<NAME> in the environment):
//! cargo run --release -p hotline-deadline-watcher --example bench_timers -- \
//!   --pending 100000 --lag-timers 1000 --lag-window-secs 30 --burst 10000
//! # the scan settings are the service's own:
//! HOTLINE_DEADLINE_WATCHER__SCAN_INTERVAL_SECS=1 HOTLINE_DEADLINE_WATCHER__SCAN_BATCH_SIZE=500 …
//! ```
//!
//! The service runs in this process against a pinned nats-server and a fresh PostgreSQL
//! database (the integration-test harness, `hotline-service-test`), with its configuration
//! read from the environment as in production. The benchmark then:
//!
//! 1. seeds `--pending` running timers (one `INSERT … SELECT generate_series`), started now
//!    and due between one and ~24 days ahead, so none falls due (nor reaches a reminder
//!    point) during the run but every scan works on a table of that size;
//! 2. **firing lag**: seeds `--lag-timers` timers due one after another over
//!    `--lag-window-secs`, starting at least one scan interval after they are written (as
//!    real timers are: the earliest is due at the end of the next working day), and
//!    measures, per timer, the instant its `deadline.overdue` event is received by a plain
//!    NATS subscription on the namespaced subject minus its `due_at`;
//! 3. **burst**: seeds `--burst` timers all due at one instant (again at least one scan
//!    interval ahead) and measures the time from that instant until every one of their
//!    events has been received, checking that each order id is seen exactly once (and that
//!    the JetStream stream holds exactly that many events);
//! 4. **reminder scan**: times `--reminder-passes` reminder passes (`ReminderScan::scan`,
//!    the service's own code) over the whole table with nothing due, then seeds
//!    `--reminder-due` timers with both default points passed (due two hours ahead) and
//!    times the pass that sends their reminders. Run it with a long
//!    `HOTLINE_DEADLINE_WATCHER__SCAN_INTERVAL_SECS` (say 3600) so the service's own
//!    reminder scan does not send them first (the report says how many the timed pass sent).
//!
//! Timers due during the run are seeded as started a day earlier with their reminders
//! already recorded as sent, so the reminder scan runs (over the whole table, as in
//! production) but sends nothing that would compete with the overdue events.
//!
//! It prints a report to stdout and writes nothing else (the test database is dropped and
//! the nats-server store removed at the end).

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use hotline_contract::RawEnvelope;
use hotline_contract::events::DeadlineOverdue;
use hotline_contract::subjects::{HOTLINE_STREAM, event};
use hotline_deadline_watcher::domain::reminder::reminder_points;
use hotline_deadline_watcher::reminders::ReminderScan;
use hotline_deadline_watcher::{DeadlineWatcherConfig, SCHEMA, SERVICE};
use hotline_messaging::Outbox;
use hotline_service_test::TestEnv;
use hotline_service_test::machine::print_machine;
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const LAG_UNIT: &str = "bench-lag";
const BURST_UNIT: &str = "bench-burst";
const PENDING_UNIT: &str = "bench-pending";
const REMINDED_UNIT: &str = "bench-reminded";

/// What to run; flags `--name value`, else `BENCH_<NAME>`, else the default.
#[derive(Debug, Clone)]
struct Settings {
    pending: i64,
    lag_timers: i64,
    lag_window_secs: f64,
    burst: i64,
    /// Seconds between writing timers and the first of them falling due, at least (one scan
    /// interval plus five seconds is used when that is longer).
    lead_secs: f64,
    /// How long to wait for the events of a phase after its last due instant.
    patience_secs: f64,
    /// Timed reminder passes over the table with nothing due.
    reminder_passes: i64,
    /// Timers with reminders due for the timed sending pass.
    reminder_due: i64,
}

impl Settings {
    fn from_args_and_env() -> anyhow::Result<Self> {
        let mut flags: Vec<(String, String)> = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let Some(name) = flag.strip_prefix("--") else {
                bail!("unexpected argument {flag:?} (flags are --name value)");
            };
            let value = args
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            flags.push((name.to_owned(), value));
        }
        let get = |name: &str, default: f64| -> anyhow::Result<f64> {
            let env_name = format!("BENCH_{}", name.replace('-', "_").to_uppercase());
            let raw = flags
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(&env_name).ok());
            match raw {
                None => Ok(default),
                Some(raw) => raw
                    .replace('_', "")
                    .parse()
                    .with_context(|| format!("--{name} / {env_name}: not a number: {raw:?}")),
            }
        };
        let settings = Self {
            pending: get("pending", 1_000_000.0)? as i64,
            lag_timers: get("lag-timers", 3_000.0)? as i64,
            lag_window_secs: get("lag-window-secs", 60.0)?,
            burst: get("burst", 100_000.0)? as i64,
            lead_secs: get("lead-secs", 10.0)?,
            patience_secs: get("patience-secs", 300.0)?,
            reminder_passes: get("reminder-passes", 20.0)? as i64,
            reminder_due: get("reminder-due", 10_000.0)? as i64,
        };
        let known = [
            "pending",
            "lag-timers",
            "lag-window-secs",
            "burst",
            "lead-secs",
            "patience-secs",
            "reminder-passes",
            "reminder-due",
        ];
        if let Some((unknown, _)) = flags.iter().find(|(n, _)| !known.contains(&n.as_str())) {
            bail!("unknown flag --{unknown} (known: {})", known.join(", "));
        }
        Ok(settings)
    }
}

/// One `deadline.overdue` as the subscriber saw it.
#[derive(Debug, Clone)]
struct Seen {
    received_at: DateTime<Utc>,
    order_id: Uuid,
    unit_id: String,
    due_at: DateTime<Utc>,
    detected_at: DateTime<Utc>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args_and_env()?;
    let mut config: DeadlineWatcherConfig =
        hotline_service_kit::config::load().context("service configuration")?;
    let env = TestEnv::new().await;
    config.common = env.common_config();
    let interval = Duration::from_secs(config.deadline_watcher.scan_interval_secs.max(1));
    let points = reminder_points(&config.deadline_watcher.reminder_fractions)
        .context("reminder fractions")?;
    let permille: Vec<i32> = points.iter().map(|p| i32::from(p.permille())).collect();

    let pool = env.pool().await;
    // Everything the service announces as overdue, as a subscriber on NATS sees it.
    let observer = async_nats::ConnectOptions::new()
        .subscription_capacity(1 << 20)
        .connect(env.nats.url())
        .await
        .context("connect the observer")?;
    print_machine(
        "deadline-watcher timer benchmark",
        &pool,
        &observer.server_info().version,
    )
    .await?;
    println!("settings");
    println!(
        "  pending timers {}, lag timers {} over {} s, burst {}",
        settings.pending, settings.lag_timers, settings.lag_window_secs, settings.burst
    );
    println!(
        "  scan_interval_secs {}, scan_batch_size {}, reminder_fractions {:?}, db pool {}",
        config.deadline_watcher.scan_interval_secs,
        config.deadline_watcher.scan_batch_size,
        config.deadline_watcher.reminder_fractions,
        config.common.database.max_connections,
    );
    let subject = env.ns.subject(event::DEADLINE_OVERDUE);
    let mut subscription = observer.subscribe(subject.clone()).await?;
    hotline_messaging::server_barrier(&observer).await?;
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<Seen>();
    let collector = tokio::spawn(async move {
        while let Some(message) = subscription.next().await {
            let received_at = Utc::now();
            let Ok(raw) = RawEnvelope::parse(&message.payload) else {
                continue;
            };
            let Ok(envelope) = raw.decode::<DeadlineOverdue>() else {
                continue;
            };
            let data = envelope.data;
            let seen = Seen {
                received_at,
                order_id: data.order_id,
                unit_id: data.unit_id,
                due_at: data.due_at,
                detected_at: data.detected_at,
            };
            if seen_tx.send(seen).is_err() {
                break;
            }
        }
    });

    let shutdown = CancellationToken::new();
    let service_started = tokio::time::Instant::now();
    let running = hotline_deadline_watcher::start(config.clone(), shutdown.clone())
        .await
        .context("start the deadline-watcher")?;

    // 1. The pending timers.
    let started = std::time::Instant::now();
    seed_pending(&pool, settings.pending).await?;
    let seeded_in = started.elapsed();
    sqlx::query("ANALYZE deadline_watcher.timers")
        .execute(&pool)
        .await?;
    println!(
        "seeded {} pending timers in {:.1} s (then ANALYZE)",
        settings.pending,
        seeded_in.as_secs_f64()
    );

    // Timers are written at least one scan interval before they fall due, and not before
    // the service's first pass (one interval after its start).
    let lead = Duration::from_secs_f64(settings.lead_secs).max(interval + Duration::from_secs(5));
    let first_pass = service_started + interval;
    let lead_from = |now: tokio::time::Instant| -> Duration {
        lead.max(first_pass.saturating_duration_since(now) + Duration::from_secs(5))
    };

    // 2. Firing lag.
    let mut events: Vec<Seen> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    if settings.lag_timers > 0 {
        let first_due = Utc::now() + lead_from(tokio::time::Instant::now());
        let step = Duration::from_secs_f64(settings.lag_window_secs / settings.lag_timers as f64);
        seed_due(
            &pool,
            LAG_UNIT,
            settings.lag_timers,
            first_due,
            step,
            &permille,
        )
        .await?;
        let last_due = first_due + step * (settings.lag_timers - 1) as u32;
        let waited = collect(
            &mut seen_rx,
            &mut events,
            LAG_UNIT,
            settings.lag_timers,
            last_due + Duration::from_secs_f64(settings.patience_secs),
        )
        .await;
        let lag: Vec<&Seen> = events.iter().filter(|s| s.unit_id == LAG_UNIT).collect();
        let mut observed: Vec<f64> = lag
            .iter()
            .map(|s| seconds(s.received_at - s.due_at))
            .collect();
        let mut detected: Vec<f64> = lag
            .iter()
            .map(|s| seconds(s.detected_at - s.due_at))
            .collect();
        let distinct = lag.iter().map(|s| s.order_id).collect::<HashSet<_>>().len();
        println!(
            "firing lag: {} timers due one every {:.1} ms from {} to {}",
            settings.lag_timers,
            step.as_secs_f64() * 1000.0,
            first_due.format("%H:%M:%S%.3f"),
            last_due.format("%H:%M:%S%.3f"),
        );
        println!(
            "  events received {} (distinct orders {distinct}){}",
            lag.len(),
            if waited { "" } else { " -- TIMED OUT" }
        );
        println!("  due -> received on NATS: {}", summary(&mut observed));
        println!(
            "  due -> detected by the scan (detected_at): {}",
            summary(&mut detected)
        );
        if lag.len() as i64 != settings.lag_timers || distinct != lag.len() {
            failures.push(format!(
                "lag phase: {} events, {distinct} distinct, {} expected",
                lag.len(),
                settings.lag_timers
            ));
        }
    }

    // 3. The burst.
    if settings.burst > 0 {
        let now = tokio::time::Instant::now();
        let instant = Utc::now() + lead_from(now);
        let started = std::time::Instant::now();
        seed_due(
            &pool,
            BURST_UNIT,
            settings.burst,
            instant,
            Duration::ZERO,
            &permille,
        )
        .await?;
        let seeded_in = started.elapsed();
        let waited = collect(
            &mut seen_rx,
            &mut events,
            BURST_UNIT,
            settings.burst,
            instant + Duration::from_secs_f64(settings.patience_secs),
        )
        .await;
        let burst: Vec<&Seen> = events.iter().filter(|s| s.unit_id == BURST_UNIT).collect();
        let distinct = burst
            .iter()
            .map(|s| s.order_id)
            .collect::<HashSet<_>>()
            .len();
        let first = burst.iter().map(|s| s.received_at).min();
        let last = burst.iter().map(|s| s.received_at).max();
        let last_detected = burst.iter().map(|s| s.detected_at).max();
        let from_instant = |t: Option<DateTime<Utc>>| {
            t.map_or("-".to_owned(), |t| format!("{:.2} s", seconds(t - instant)))
        };
        println!(
            "burst: {} timers due at {} (seeded in {:.1} s)",
            settings.burst,
            instant.format("%H:%M:%S%.3f"),
            seeded_in.as_secs_f64()
        );
        println!(
            "  events received {} (distinct orders {distinct}, duplicates {}){}",
            burst.len(),
            burst.len() - distinct,
            if waited { "" } else { " -- TIMED OUT" }
        );
        println!(
            "  due -> first received {}, last detected by the scan {}, last received {}",
            from_instant(first),
            from_instant(last_detected),
            from_instant(last)
        );
        if let (Some(first), Some(last)) = (first, last) {
            let span = seconds(last - first);
            if span > 0.0 {
                println!(
                    "  throughput first -> last received: {:.0} events/s",
                    (burst.len() - 1) as f64 / span
                );
            }
        }
        if burst.len() as i64 != settings.burst || distinct != burst.len() {
            failures.push(format!(
                "burst: {} events, {distinct} distinct, {} expected",
                burst.len(),
                settings.burst
            ));
        }
    }

    // 4. The reminder scan.
    let reminder_scan = ReminderScan::new(
        pool.clone(),
        Outbox::new(SERVICE, SCHEMA, env.ns.clone()),
        points.clone(),
        config.deadline_watcher.scan_batch_size,
    );
    if settings.reminder_passes > 0 {
        let mut passes = Vec::new();
        for _ in 0..settings.reminder_passes {
            let started = std::time::Instant::now();
            reminder_scan.scan().await?;
            passes.push(started.elapsed().as_secs_f64());
        }
        println!(
            "reminder scan, nothing due, {} passes over {} running timers: {}",
            settings.reminder_passes,
            settings.pending + settings.lag_timers + settings.burst,
            summary(&mut passes)
        );
    }
    if settings.reminder_due > 0 {
        seed_reminded(&pool, settings.reminder_due).await?;
        let started = std::time::Instant::now();
        let sent = reminder_scan.scan().await?;
        println!(
            "reminder scan, {} timers with both points due: one pass sent {sent} reminders in {:.0} ms",
            settings.reminder_due,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }

    // Cross-checks: what the stream holds and what the database says.
    let stream = env
        .jetstream
        .get_stream(env.ns.stream(HOTLINE_STREAM))
        .await?;
    let mut per_subject = stream.info_with_subjects(&subject).await?;
    let mut in_stream = 0usize;
    while let Some(entry) = per_subject.next().await {
        in_stream += entry?.1;
    }
    let overdue_rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deadline_watcher.timers WHERE state = 'overdue'")
            .fetch_one(&pool)
            .await?;
    let still_running: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deadline_watcher.timers WHERE state = 'running' \
         AND unit_id <> $1 AND unit_id <> $2",
    )
    .bind(PENDING_UNIT)
    .bind(REMINDED_UNIT)
    .fetch_one(&pool)
    .await?;
    let reminders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deadline_watcher.outbox WHERE subject = $1")
            .bind(env.ns.subject(event::DEADLINE_REMINDER))
            .fetch_one(&pool)
            .await?;
    let metrics = hotline_telemetry::metrics_handle().render();
    // Counters of this process's recorder (the service runs in it).
    let counter = |name: &str| -> u64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    println!(
        "service: {} outbox relay errors, {} scan errors; load average {} (1/5/15 min)",
        counter("hotline_outbox_publish_errors_total"),
        counter("hotline_deadline_scan_errors_total"),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split(' ')
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    let expected = settings.lag_timers + settings.burst;
    println!(
        "check: {} overdue events in the stream, {overdue_rows} timers overdue, {still_running} due timers still running, {reminders} reminders sent (expected {expected}, {expected}, 0, {})",
        in_stream,
        2 * settings.reminder_due
    );
    if in_stream as i64 != expected
        || overdue_rows != expected
        || still_running != 0
        || reminders != 2 * settings.reminder_due
    {
        failures.push("stream or database counts differ from the timers seeded".to_owned());
    }

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), running.wait())
        .await
        .context("the service did not stop within 60 s")?;
    collector.abort();
    pool.close().await;
    env.db.drop_database().await;

    if failures.is_empty() {
        println!("result: OK");
        Ok(())
    } else {
        bail!("result: FAILED: {}", failures.join("; "))
    }
}

/// `count` running sign timers (policy `sign`@v1), started now and due between one and
/// about 24 days ahead (two seconds apart): never due during the run, and their first
/// reminder point half a day away at the earliest.
async fn seed_pending(pool: &PgPool, count: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO deadline_watcher.timers \
         (order_id, clock, unit_id, started_at, due_at, policy, policy_id, policy_version, \
          state, updated_at) \
         SELECT gen_random_uuid(), 'sign', $2, now(), \
                now() + interval '1 day' + g * interval '2 seconds', \
                'sign@v1', 'sign', 1, 'running', now() \
         FROM generate_series(1, $1) AS g",
    )
    .bind(count)
    .bind(PENDING_UNIT)
    .execute(pool)
    .await
    .context("seed the pending timers")?;
    Ok(())
}

/// `count` running sign timers of `unit`, the i-th due at `first_due + i * step`, started a
/// day before and with their reminders (`permille`) already recorded as sent.
async fn seed_due(
    pool: &PgPool,
    unit: &str,
    count: i64,
    first_due: DateTime<Utc>,
    step: Duration,
    permille: &[i32],
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO deadline_watcher.timers \
         (order_id, clock, unit_id, started_at, due_at, policy, policy_id, policy_version, \
          state, updated_at) \
         SELECT gen_random_uuid(), 'sign', $2, due - interval '1 day', due, \
                'sign@v1', 'sign', 1, 'running', now() \
         FROM (SELECT $3::timestamptz + g * make_interval(secs => $4) AS due \
               FROM generate_series(0, $1 - 1) AS g) AS d",
    )
    .bind(count)
    .bind(unit)
    .bind(first_due)
    .bind(step.as_secs_f64())
    .execute(&mut *tx)
    .await
    .with_context(|| format!("seed the {unit} timers"))?;
    sqlx::query(
        "INSERT INTO deadline_watcher.reminders_sent (order_id, clock, fraction_permille, sent_at) \
         SELECT t.order_id, t.clock, p, t.started_at \
         FROM deadline_watcher.timers AS t CROSS JOIN unnest($2::int[]) AS p \
         WHERE t.unit_id = $1",
    )
    .bind(unit)
    .bind(permille)
    .execute(&mut *tx)
    .await
    .with_context(|| format!("record the {unit} reminders"))?;
    // Recorded after the timers were written: their next reminder instant (set by the
    // trigger at insert) is recomputed, as the scan does after sending.
    sqlx::query(
        "UPDATE deadline_watcher.timers SET next_reminder_at = \
             deadline_watcher.next_reminder_instant(order_id, clock, party, started_at, due_at) \
         WHERE unit_id = $1",
    )
    .bind(unit)
    .execute(&mut *tx)
    .await
    .with_context(|| format!("recompute the {unit} next reminders"))?;
    tx.commit().await?;
    Ok(())
}

/// `count` running sign timers started ten hours ago and due in two: both default reminder
/// points (half, four fifths) have passed, the due instant has not.
async fn seed_reminded(pool: &PgPool, count: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO deadline_watcher.timers \
         (order_id, clock, unit_id, started_at, due_at, policy, policy_id, policy_version, \
          state, updated_at) \
         SELECT gen_random_uuid(), 'sign', $2, now() - interval '10 hours', \
                now() + interval '2 hours', 'sign@v1', 'sign', 1, 'running', now() \
         FROM generate_series(1, $1) AS g",
    )
    .bind(count)
    .bind(REMINDED_UNIT)
    .execute(pool)
    .await
    .context("seed the reminded timers")?;
    Ok(())
}

/// Move received events into `events` until `want` of `unit` are there or `deadline`
/// passes. Returns whether all came.
async fn collect(
    rx: &mut mpsc::UnboundedReceiver<Seen>,
    events: &mut Vec<Seen>,
    unit: &str,
    want: i64,
    deadline: DateTime<Utc>,
) -> bool {
    let mut have = events.iter().filter(|s| s.unit_id == unit).count() as i64;
    while have < want {
        let left = (deadline - Utc::now()).to_std().unwrap_or_default();
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(seen)) => {
                if seen.unit_id == unit {
                    have += 1;
                }
                events.push(seen);
            }
            Ok(None) | Err(_) => return false,
        }
    }
    true
}

fn seconds(d: chrono::TimeDelta) -> f64 {
    d.num_microseconds().map_or(f64::NAN, |us| us as f64 / 1e6)
}

/// `p50 … p99 … max` of `values` (seconds), printed in milliseconds.
fn summary(values: &mut [f64]) -> String {
    if values.is_empty() {
        return "no samples".to_owned();
    }
    values.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let rank = ((values.len() as f64 * p).ceil() as usize).clamp(1, values.len());
        values[rank - 1] * 1000.0
    };
    format!(
        "p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms, min {:.0} ms",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
        values[0] * 1000.0
    )
}
