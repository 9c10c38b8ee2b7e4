//! Emergency lane benchmark (issue 8): with a backlog of ordinary transfers queued for the
//! bridge, how long an emergency transfer takes from intake's `order.transfer_requested`
//! to the partner hotline.
//!
//! ```sh
//! HOTLINE_NATS_SERVER_BIN=/work/main/.tools/bin/nats-server \
//!   cargo run --release -p hotline-emergency-bridge --example bench_emergency_lane
//! # other sizes (ordinary backlog, emergencies; or BENCH_ORDINARY / BENCH_EMERGENCIES):
//! cargo run --release -p hotline-emergency-bridge --example bench_emergency_lane -- 50000 200
//! ```
//!
//! The bridge runs in this process against a pinned nats-server and a fresh PostgreSQL
//! database (`hotline-service-test`), configured as in production. The benchmark:
//!
//! 1. starts the bridge once (migrations, streams, durable consumers), stops it, and
//!    queues the ordinary non-emergency `order.transfer_requested` events (to the power
//!    utility, 95598) in JetStream, as intake would have published them;
//! 2. subscribes to `hotline.transfer.110.requested` as a plain NATS subscriber (what a
//!    partner does), starts the bridge again and, while the ordinary backlog drains,
//!    publishes the emergencies emergency transfers to 110, one each time another
//!    `ordinary / emergencies` ordinary transfers have been handled, so they are spread
//!    evenly over the drain;
//! 3. reports, for the emergencies, the time from the publish (JetStream ack received)
//!    to the partner receiving the transfer (p50/p90/p99/max), and the ordinary backlog's
//!    drain rate (transfer rows written, and requests received by a 95598 subscriber).
//!
//! The partners do not answer (answer limits are raised to an hour, so there are no
//! re-sends). It prints a report to stdout; the database and the nats-server store are
//! discarded.
//!
//! Full disclosure is included (issue 8): 110 has a public key registered and intake runs
//! in this process, so every emergency costs the bridge a real `rpc.intake.reveal_for_transfer`
//! (vault decryption and two hash-chained audit records) and a sealed box. The emergencies
//! are real intake orders: registered (phone call, triage "transfer to 110") while the
//! bridge is stopped, their own `order.transfer_requested.emergency` events purged from the
//! stream, and then published again one by one during the drain, as in step 2. The report
//! counts how many reached 110 sealed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use futures::StreamExt;
use hotline_contract::events::{OrderRegistered, OrderTransferRequested, RequesterRef};
use hotline_contract::headers::NATS_MSG_ID;
use hotline_contract::rpc::{RegisterOrder, RegistrationReceipt, RpcReply, TriageInput};
use hotline_contract::transfer::{TransferToPartnerRequested, subject};
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_contract::{Envelope, Event, RawEnvelope};
use hotline_emergency_bridge::EmergencyBridgeConfig;
use hotline_service_test::TestEnv;
use hotline_service_test::machine::{percentile, print_machine};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Debug, Clone)]
struct Settings {
    ordinary: usize,
    emergencies: usize,
}

impl Settings {
    /// Positional arguments `[ordinary [emergencies]]`, else `BENCH_ORDINARY` /
    /// `BENCH_EMERGENCIES`, else 50,000 and 200.
    fn from_args_and_env() -> anyhow::Result<Self> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.len() > 2 {
            bail!("usage: bench_emergency_lane [ordinary [emergencies]]");
        }
        let get = |i: usize, name: &str, default: usize| -> anyhow::Result<usize> {
            args.get(i)
                .cloned()
                .or_else(|| std::env::var(format!("BENCH_{name}")).ok())
                .map_or(Ok(default), |v| {
                    v.replace('_', "")
                        .parse()
                        .with_context(|| format!("{name}: not a number: {v:?}"))
                })
        };
        Ok(Self {
            ordinary: get(0, "ORDINARY", 50_000)?,
            emergencies: get(1, "EMERGENCIES", 200)?.max(1),
        })
    }
}

/// Intake's event for order `n` transferred to `partner`.
fn transfer(n: usize, partner: &str, emergency: bool) -> OrderTransferRequested {
    let now = Utc::now();
    OrderTransferRequested {
        registration: OrderRegistered {
            order_id: Uuid::now_v7(),
            number: format!("520102{}{n:08}", if emergency { "9" } else { "1" }),
            channel: Channel::Phone,
            kind: RequestKind::Help,
            category: None,
            region_code: "520102".to_owned(),
            urgency: if emergency {
                Urgency::Critical
            } else {
                Urgency::Normal
            },
            requester: RequesterRef {
                requester_type: RequesterType::Person,
                phone_masked: Some("138****5678".to_owned()),
                phone_hash: None,
                confidential: false,
            },
            requested_at: now,
            registered_at: now,
            registered_by: Some("agent-bench".to_owned()),
            follow_up_of: None,
        },
        partner_code: partner.to_owned(),
        emergency,
        requested_by: "agent-bench".to_owned(),
        requested_at: now,
    }
}

/// Publish to JetStream as intake's relay does; returns once the stream has it.
async fn publish(env: &TestEnv, data: OrderTransferRequested) -> anyhow::Result<()> {
    let (subject, bytes, id) = encode(env, data)?;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(NATS_MSG_ID, id.as_str());
    env.jetstream
        .publish_with_headers(subject, headers, bytes.into())
        .await?
        .await?;
    Ok(())
}

fn encode(
    env: &TestEnv,
    data: OrderTransferRequested,
) -> anyhow::Result<(String, Vec<u8>, String)> {
    let subject = env.ns.subject(&data.subject());
    let envelope = Envelope::new("intake", data.aggregate_id(), data);
    Ok((subject, envelope.to_bytes()?, envelope.id.to_string()))
}

async fn count(pool: &PgPool, sql: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
}

/// Count the first attempts a plain subscriber on partner `code`'s subject receives; for
/// each, call `on_receive` with the order number and whether its contact was sealed.
async fn partner(
    env: &TestEnv,
    code: &str,
    on_receive: impl Fn(String, bool) + Send + 'static,
) -> anyhow::Result<Arc<AtomicUsize>> {
    let received = Arc::new(AtomicUsize::new(0));
    let mut sub = env
        .client
        .subscribe(env.ns.subject(&subject::to_partner_requested(code)))
        .await?;
    hotline_messaging::server_barrier(&env.client).await?;
    let seen = received.clone();
    tokio::spawn(async move {
        while let Some(message) = sub.next().await {
            let Ok(request) = RawEnvelope::parse(&message.payload)
                .and_then(|raw| raw.decode::<TransferToPartnerRequested>())
                .map(|env| env.data)
            else {
                continue;
            };
            if request.attempt == 1 {
                let sealed = request.caller.as_ref().is_some_and(|c| c.sealed.is_some());
                seen.fetch_add(1, Ordering::Relaxed);
                on_receive(request.order_number, sealed);
            }
        }
    });
    Ok(received)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args_and_env()?;
    let mut config: EmergencyBridgeConfig =
        hotline_service_kit::config::load().context("configuration")?;
    let env = TestEnv::new().await;
    config.common = env.common_config();
    let pool = env.pool().await;
    print_machine(
        "emergency lane benchmark",
        &pool,
        &env.client.server_info().version,
    )
    .await?;

    // 1. Provision, stop, register the emergencies at intake, queue the ordinary backlog.
    let shutdown_intake = CancellationToken::new();
    let shutdown = CancellationToken::new();
    let running = hotline_emergency_bridge::start(config.clone(), shutdown.clone()).await?;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), running.wait())
        .await
        .context("bridge stop")?;
    // Intake, for real emergency orders and the reveal; 110's public key, for sealing.
    let intake = hotline_intake::start(
        hotline_intake::IntakeConfig {
            common: env.common_config(),
            http: hotline_intake::config::HttpConfig {
                listen: "127.0.0.1:0".parse()?,
            },
            ..Default::default()
        },
        shutdown_intake.clone(),
    )
    .await?;
    let (_, public_key) = hotline_emergency_bridge::disclosure::keygen();
    anyhow::ensure!(
        hotline_emergency_bridge::store::set_partner_key(&pool, "110", &public_key).await?,
        "no partner 110"
    );
    let orders = register_emergencies(
        &env,
        intake.http_addr().context("intake's HTTP address")?,
        settings.emergencies,
    )
    .await?;
    // No re-sends during the run: the partners never answer.
    sqlx::query("UPDATE emergency_bridge.partners SET ack_timeout_secs = 3600")
        .execute(&pool)
        .await?;
    let t = Instant::now();
    // Acks are awaited in chunks: the client holds at most 5,000 unacknowledged publishes.
    let mut acks = Vec::with_capacity(1_000);
    for n in 0..settings.ordinary {
        if acks.len() == 1_000 {
            for ack in acks.drain(..) {
                ack.await?;
            }
        }
        let (subject, bytes, id) = encode(&env, transfer(n, "95598", false))?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(NATS_MSG_ID, id.as_str());
        acks.push(
            env.jetstream
                .publish_with_headers(subject, headers, bytes.into())
                .await?,
        );
    }
    for ack in acks {
        ack.await?;
    }
    println!(
        "backlog: {} ordinary order.transfer_requested (to 95598) queued in {:.2} s",
        settings.ordinary,
        t.elapsed().as_secs_f64()
    );

    // 2. The partners, the bridge, and emergencies spread over the drain.
    let published: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let sealed = Arc::new(AtomicUsize::new(0));
    let on_emergency = {
        let (published, latencies) = (published.clone(), latencies.clone());
        let sealed = sealed.clone();
        move |number: String, was_sealed: bool| {
            let now = Instant::now();
            if was_sealed {
                sealed.fetch_add(1, Ordering::Relaxed);
            }
            let sent = published.lock().ok().and_then(|p| p.get(&number).copied());
            if let (Some(sent), Ok(mut l)) = (sent, latencies.lock()) {
                l.push(now.duration_since(sent));
            }
        }
    };
    let emergencies_received = partner(&env, "110", on_emergency).await?;
    let ordinary_received = partner(&env, "95598", |_, _| {}).await?;

    let shutdown = CancellationToken::new();
    let t = Instant::now();
    let running = hotline_emergency_bridge::start(config, shutdown.clone()).await?;
    let ready = t.elapsed();
    let ordinary_sql =
        "SELECT count(*) FROM emergency_bridge.outbound_transfers WHERE NOT emergency";
    let step = (settings.ordinary / settings.emergencies).max(1);
    let mut sent = 0usize;
    let mut skipped_at = None;
    let deadline = Duration::from_secs(1800);
    let drained_at = loop {
        let handled = count(&pool, ordinary_sql).await? as usize;
        // Publish every emergency whose turn has come (k-th after k × step ordinary).
        while sent < settings.emergencies && handled >= sent * step {
            let mut data = transfer(sent, "110", true);
            let receipt = &orders[sent];
            data.registration.order_id = receipt.order_id;
            data.registration.number = receipt.number.clone();
            let number = data.registration.number.clone();
            published
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .insert(number, Instant::now());
            publish(&env, data).await?;
            sent += 1;
        }
        if skipped_at.is_none()
            && env
                .inbox_count(&pool, "emergency_bridge", "emergency-bridge-emergency")
                .await
                >= settings.ordinary as i64
        {
            skipped_at = Some(t.elapsed());
        }
        if handled >= settings.ordinary && sent >= settings.emergencies {
            break t.elapsed();
        }
        if t.elapsed() > deadline {
            bail!("the backlog did not drain in 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let all_received = loop {
        if ordinary_received.load(Ordering::Relaxed) >= settings.ordinary
            && emergencies_received.load(Ordering::Relaxed) >= settings.emergencies
        {
            break t.elapsed();
        }
        if t.elapsed() > deadline {
            bail!(
                "not everything reached the partners: {} ordinary, {} emergencies",
                ordinary_received.load(Ordering::Relaxed),
                emergencies_received.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };

    // 3. The report.
    println!("  bridge restart until ready: {:.2} s", ready.as_secs_f64());
    let drain = drained_at.saturating_sub(ready);
    println!(
        "  ordinary backlog: all {} transfer rows written {:.2} s after ready: {:.0} transfers/s",
        settings.ordinary,
        drain.as_secs_f64(),
        settings.ordinary as f64 / drain.as_secs_f64()
    );
    let received = all_received.saturating_sub(ready);
    println!(
        "  ordinary backlog: all received by the 95598 subscriber {:.2} s after ready: {:.0} transfers/s",
        received.as_secs_f64(),
        settings.ordinary as f64 / received.as_secs_f64()
    );
    if let Some(skipped) = skipped_at {
        println!(
            "  the emergency consumer was past the ordinary backlog {:.2} s after ready",
            skipped.saturating_sub(ready).as_secs_f64()
        );
    }
    let mut samples = latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  emergency publish → partner: n {}, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        samples.len(),
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 90.0)),
        ms(percentile(&samples, 99.0)),
        ms(samples.last().copied().unwrap_or_default()),
    );
    println!(
        "  emergencies received with the caller's contact sealed: {} of {}",
        sealed.load(Ordering::Relaxed),
        samples.len()
    );
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), running.wait())
        .await
        .context("bridge stop")?;
    shutdown_intake.cancel();
    tokio::time::timeout(Duration::from_secs(60), intake.wait())
        .await
        .context("intake stop")?;
    Ok(())
}

/// Register `n` emergency phone calls at intake (triage: transfer to 110), then purge the
/// `order.transfer_requested.emergency` events intake published for them, so the bench
/// publishes each at its own time. Returns the receipts.
async fn register_emergencies(
    env: &TestEnv,
    intake: std::net::SocketAddr,
    n: usize,
) -> anyhow::Result<Vec<RegistrationReceipt>> {
    let http = reqwest::Client::new();
    let mut orders = Vec::with_capacity(n);
    for i in 0..n {
        let order = RegisterOrder {
            channel: Channel::Phone,
            kind: RequestKind::Help,
            requester: hotline_contract::rpc::RequesterInput {
                requester_type: RequesterType::Person,
                name: None,
                phone: Some(format!("1390731{:04}", i % 10_000)),
                id_number: None,
            },
            matter: format!("楼道起火，有人被困（压测{i}）"),
            category: None,
            region_code: "520102".to_owned(),
            address: Some(format!("南明区花果园大街{}号", i + 1)),
            confidential: false,
            urgency: Urgency::Critical,
            requested_at: None,
            agent_id: Some("agent-bench".to_owned()),
            triage: Some(TriageInput::Transfer {
                partner_code: "110".to_owned(),
            }),
        };
        let body = http
            .post(format!("http://{intake}/internal/v1/orders"))
            .json(&order)
            .send()
            .await?
            .bytes()
            .await?;
        match serde_json::from_slice::<RpcReply<RegistrationReceipt>>(&body)? {
            RpcReply::Ok(receipt) => orders.push(receipt),
            RpcReply::Error(e) => bail!("registration refused: {e:?}"),
        }
    }
    let stream = env
        .jetstream
        .get_stream(env.ns.stream(hotline_contract::subjects::HOTLINE_STREAM))
        .await?;
    let filter = env
        .ns
        .subject(hotline_contract::subjects::event::ORDER_TRANSFER_REQUESTED_EMERGENCY);
    let (mut purged, t) = (0u64, Instant::now());
    while purged < n as u64 {
        purged += stream.purge().filter(filter.clone()).await?.purged;
        if t.elapsed() > Duration::from_secs(120) {
            bail!("intake published only {purged} of {n} emergency events");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "emergencies: {n} orders registered at intake (transfer to 110), their events held back"
    );
    Ok(orders)
}
