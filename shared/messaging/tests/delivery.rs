#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Delivery guarantees against a real nats-server and a real PostgreSQL: a crash between
//! commit and ack has one effect, a malformed message is dead-lettered while the next one is
//! applied, outbox rows wait out a NATS outage and go once (never twice), a publish that
//! fails leaves its row and the rows after it queued while the acknowledged ones before it
//! are marked sent, a relay pass without the schema's relay lock takes nothing and waits
//! for nothing, a committed row is published without waiting for the relay's poll, and a deleted
//! consumer is re-created on its own; a backlog is applied in batches (several events per
//! transaction) with the same exactly-once, in-order and dead-letter outcomes, also when an
//! event in the batch fails or the consumer crashes after a batch's commit.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use async_nats::jetstream;
use chrono::Utc;
use hotline_contract::envelope::Envelope;
use hotline_contract::events::{DeadLetterRecorded, OrderSigned};
use hotline_contract::subjects::{self, event};
use hotline_contract::{Event, Namespace, RawEnvelope};
use hotline_messaging::{
    ConsumerConfig, ConsumerSpec, EventHandler, HandlerError, IncomingEvent, Outbox, OutboxRelay,
    RelayConfig, ensure_stream, run_consumer,
};
use hotline_telemetry::TraceContext;
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace, wait_for};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const SCHEMA: &str = "svc";
const SERVICE: &str = "svc";
const WAIT: Duration = Duration::from_secs(30);

struct World {
    nats: NatsServer,
    _db: TestDatabase,
    pool: PgPool,
    js: jetstream::Context,
    ns: Namespace,
    stream: String,
}

async fn world() -> World {
    let nats = NatsServer::start().await;
    let db = TestDatabase::create().await;
    let options: PgConnectOptions = db.url().parse().unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options.options([("search_path", SCHEMA)]))
        .await
        .unwrap();
    sqlx::query("CREATE SCHEMA svc")
        .execute(&pool)
        .await
        .unwrap();
    hotline_messaging::MIGRATOR.run(&pool).await.unwrap();
    sqlx::query(
        "CREATE TABLE svc.effects (seq BIGSERIAL PRIMARY KEY, aggregate TEXT NOT NULL, stream_seq BIGINT NOT NULL, \
         txid BIGINT NOT NULL DEFAULT txid_current())",
    )
        .execute(&pool)
        .await
        .unwrap();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = jetstream::new(client);
    let ns = Namespace::new(unique_namespace()).unwrap();
    let spec = subjects::hotline_stream(&ns, 1);
    ensure_stream(&js, &spec).await.unwrap();
    World {
        nats,
        _db: db,
        pool,
        js,
        ns,
        stream: spec.name,
    }
}

/// Records one effect row per applied event: a double effect shows as two rows.
struct RecordEffect;

impl EventHandler for RecordEffect {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let signed = event.envelope.decode::<OrderSigned>()?;
        sqlx::query("INSERT INTO svc.effects (aggregate, stream_seq) VALUES ($1, $2)")
            .bind(signed.data.order_id.to_string())
            .bind(event.stream_sequence as i64)
            .execute(tx)
            .await?;
        Ok(())
    }
}

fn signed(order_id: Uuid) -> Envelope<OrderSigned> {
    Envelope::new(
        "router",
        order_id.to_string(),
        OrderSigned {
            order_id,
            unit_id: "unit-1".to_owned(),
            signed_by: "staff-1".to_owned(),
            signed_at: Utc::now(),
        },
    )
}

async fn publish(w: &World, env: &Envelope<OrderSigned>) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", env.id.to_string().as_str());
    w.js.publish_with_headers(
        w.ns.subject(event::ORDER_SIGNED),
        headers,
        env.to_bytes().unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
}

fn consumer_config(w: &World, durable: &str) -> ConsumerConfig {
    let mut spec = ConsumerSpec::new(durable, vec![w.ns.subject(event::ORDER_SIGNED)]);
    spec.ack_wait = Duration::from_secs(1);
    ConsumerConfig::new(SERVICE, SCHEMA, w.ns.clone(), w.stream.clone(), spec)
}

async fn effects(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM svc.effects")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// `order`'s events were applied `n` times, in the order they were published.
async fn assert_applied_in_order(pool: &PgPool, order: &Uuid, n: usize) {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT stream_seq FROM svc.effects WHERE aggregate = $1 ORDER BY seq")
            .bind(order.to_string())
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(applied.len(), n, "order {order}");
    assert!(
        applied.windows(2).all(|p| p[0] < p[1]),
        "order {order} applied out of order: {applied:?}"
    );
}

#[tokio::test]
async fn a_consumer_killed_after_commit_before_ack_applies_the_event_exactly_once() {
    let w = world().await;
    let order = Uuid::now_v7();
    publish(&w, &signed(order)).await;

    // First run: commits the effect, then "crashes" before the ack.
    let mut config = consumer_config(&w, "svc-crash");
    config.faults.crash_after_commit_before_ack = Arc::new(AtomicU32::new(1));
    let crashed = tokio::spawn(run_consumer(
        w.js.clone(),
        w.pool.clone(),
        config,
        Arc::new(RecordEffect),
        CancellationToken::new(),
    ));
    tokio::time::timeout(WAIT, crashed).await.unwrap().unwrap();
    assert_eq!(
        effects(&w.pool).await,
        1,
        "the effect was committed before the crash"
    );

    // Restart: the server redelivers after ack_wait; the inbox absorbs it.
    let shutdown = CancellationToken::new();
    let restarted = tokio::spawn(run_consumer(
        w.js.clone(),
        w.pool.clone(),
        consumer_config(&w, "svc-crash"),
        Arc::new(RecordEffect),
        shutdown.clone(),
    ));
    let stream = w.js.get_stream(&w.stream).await.unwrap();
    wait_for("the redelivery to be acknowledged", WAIT, || {
        let stream = stream.clone();
        async move {
            let mut consumer: jetstream::consumer::PullConsumer =
                stream.get_consumer("svc-crash").await.ok()?;
            let info = consumer.info().await.ok()?;
            // Two deliveries of one message, the last one acknowledged.
            (info.ack_floor.consumer_sequence >= 2 && info.num_ack_pending == 0).then_some(())
        }
    })
    .await;
    assert_eq!(
        effects(&w.pool).await,
        1,
        "the redelivery had no second effect"
    );
    shutdown.cancel();
    restarted.await.unwrap();
}

#[tokio::test]
async fn a_malformed_message_is_dead_lettered_and_the_next_one_is_applied() {
    let w = world().await;
    w.js.publish(w.ns.subject(event::ORDER_SIGNED), "this is not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    publish(&w, &signed(Uuid::now_v7())).await;

    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn(run_consumer(
        w.js.clone(),
        w.pool.clone(),
        consumer_config(&w, "svc-dlq"),
        Arc::new(RecordEffect),
        shutdown.clone(),
    ));
    let relay = tokio::spawn(
        OutboxRelay::new(w.pool.clone(), w.js.clone(), SCHEMA, RelayConfig::default())
            .run(shutdown.clone()),
    );
    wait_for("the valid message to be applied", WAIT, || async {
        (effects(&w.pool).await == 1).then_some(())
    })
    .await;
    let reason: String = sqlx::query_scalar("SELECT reason FROM svc.dead_letter")
        .fetch_one(&w.pool)
        .await
        .unwrap();
    assert!(
        reason.contains("not a CloudEvents JSON envelope"),
        "{reason}"
    );

    // The dead letter is announced on hotline.deadletter.svc with its reason.
    let stream = w.js.get_stream(&w.stream).await.unwrap();
    let dlq_subject = w.ns.subject(&event::dead_letter(SERVICE));
    let message = wait_for("the dead letter on its subject", WAIT, || {
        let stream = stream.clone();
        let subject = dlq_subject.clone();
        async move { stream.get_last_raw_message_by_subject(&subject).await.ok() }
    })
    .await;
    let dead = RawEnvelope::parse(&message.payload)
        .unwrap()
        .decode::<DeadLetterRecorded>()
        .unwrap();
    assert_eq!(dead.event_type, DeadLetterRecorded::TYPE);
    assert_eq!(dead.data.payload, "this is not json");
    assert_eq!(dead.data.original_subject, event::ORDER_SIGNED);
    shutdown.cancel();
    consumer.await.unwrap();
    relay.await.unwrap();
}

#[tokio::test]
async fn outbox_rows_wait_while_nats_is_down_then_go_exactly_once() {
    let mut w = world().await;
    let outbox = Outbox::new(SERVICE, SCHEMA, w.ns.clone());
    let relay = OutboxRelay::new(
        w.pool.clone(),
        w.js.clone(),
        SCHEMA,
        RelayConfig {
            poll_interval: Duration::from_millis(200),
            max_backoff: Duration::from_millis(500),
            ..RelayConfig::default()
        },
    );
    w.nats.stop();
    for _ in 0..3 {
        append_signed(&w, &outbox).await;
    }
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(relay.clone().run(shutdown.clone()));
    assert_eq!(
        relay.backlog().await.unwrap(),
        3,
        "rows wait while NATS is down"
    );

    w.nats.restart().await;
    wait_for("the outbox to drain after NATS is back", WAIT, || async {
        (relay.backlog().await.ok()? == 0).then_some(())
    })
    .await;

    let mut stream = w.js.get_stream(&w.stream).await.unwrap();
    assert_eq!(
        stream.info().await.unwrap().state.messages,
        3,
        "each row published once"
    );

    // A relay that crashed after the ack but before marking the row re-publishes it:
    // JetStream drops the copy by its Nats-Msg-Id.
    sqlx::query(
        "UPDATE svc.outbox SET sent_at = NULL WHERE seq = (SELECT min(seq) FROM svc.outbox)",
    )
    .execute(&w.pool)
    .await
    .unwrap();
    relay.drain().await.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(
        info.state.messages, 3,
        "three events, none lost, none doubled"
    );
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn an_appended_row_is_published_at_its_commit_without_waiting_for_the_poll() {
    let w = world().await;
    let outbox = Outbox::new(SERVICE, SCHEMA, w.ns.clone());
    // A poll that never comes within the test: only the outbox's wake can start a pass.
    let relay = OutboxRelay::new(
        w.pool.clone(),
        w.js.clone(),
        SCHEMA,
        RelayConfig {
            poll_interval: Duration::from_secs(3600),
            ..RelayConfig::default()
        },
    );
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(relay.clone().run(shutdown.clone()));
    for commit_delay_ms in [0, 150] {
        // The wake comes at the append; the relay chases the commit that follows.
        append_signed_committing_after(&w, &outbox, Duration::from_millis(commit_delay_ms)).await;
        wait_for(
            "the row to be published",
            Duration::from_secs(10),
            || async { (relay.backlog().await.ok()? == 0).then_some(()) },
        )
        .await;
    }
    let mut stream = w.js.get_stream(&w.stream).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 2);
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_deleted_consumer_is_recreated_and_consumption_goes_on() {
    let w = world().await;
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_consumer(
        w.js.clone(),
        w.pool.clone(),
        consumer_config(&w, "svc-heal"),
        Arc::new(RecordEffect),
        shutdown.clone(),
    ));
    publish(&w, &signed(Uuid::now_v7())).await;
    wait_for("the first event", WAIT, || async {
        (effects(&w.pool).await == 1).then_some(())
    })
    .await;

    let stream = w.js.get_stream(&w.stream).await.unwrap();
    stream.delete_consumer("svc-heal").await.unwrap();
    publish(&w, &signed(Uuid::now_v7())).await;
    wait_for("the event after the consumer was deleted", WAIT, || async {
        (effects(&w.pool).await == 2).then_some(())
    })
    .await;
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn events_of_one_order_are_applied_in_the_order_they_were_published() {
    let w = world().await;
    let orders: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    // Interleaved: o1 o2 o3 o4 o1 o2 ... so lanes work in parallel on different orders.
    for _ in 0..25 {
        for order in &orders {
            publish(&w, &signed(*order)).await;
        }
    }
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_consumer(
        w.js.clone(),
        w.pool.clone(),
        consumer_config(&w, "svc-order"),
        Arc::new(RecordEffect),
        shutdown.clone(),
    ));
    wait_for("all hundred events", WAIT, || async {
        (effects(&w.pool).await == 100).then_some(())
    })
    .await;
    for order in &orders {
        assert_applied_in_order(&w.pool, order, 25).await;
    }
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_batch_appended_at_once_is_published_once_each_in_the_order_given() {
    let w = world().await;
    let outbox = Outbox::new(SERVICE, SCHEMA, w.ns.clone());
    let orders: Vec<Uuid> = (0..50).map(|_| Uuid::now_v7()).collect();
    let mut tx = w.pool.begin().await.unwrap();
    let ids = outbox
        .append_all(
            &mut tx,
            orders
                .iter()
                .rev()
                .map(|id| (TraceContext::new_root(), signed(*id).data)),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids.len(), 50);
    // Nothing appended for an empty batch.
    let mut tx = w.pool.begin().await.unwrap();
    let none = outbox
        .append_all(&mut tx, Vec::<(TraceContext, OrderSigned)>::new())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(none.is_empty());

    let relay = OutboxRelay::new(w.pool.clone(), w.js.clone(), SCHEMA, RelayConfig::default());
    relay.drain().await.unwrap();
    let stream = w.js.get_stream(&w.stream).await.unwrap();
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut published = Vec::new();
    while published.len() < 50 {
        let message = tokio::time::timeout(WAIT, futures::StreamExt::next(&mut messages))
            .await
            .expect("all 50 published")
            .unwrap()
            .unwrap();
        let raw = RawEnvelope::parse(&message.payload).unwrap();
        published.push((raw.id, raw.decode::<OrderSigned>().unwrap().data.order_id));
    }
    let expected: Vec<(Uuid, Uuid)> = ids.into_iter().zip(orders.into_iter().rev()).collect();
    assert_eq!(
        published, expected,
        "each once, in the order given, ids as returned"
    );
}

/// Fails the events of `poisoned` permanently, and the first attempt of each event of
/// `flaky` transiently; records an effect for everything else.
struct FailSome {
    poisoned: Uuid,
    flaky: Uuid,
    flaky_failures: AtomicU32,
}

impl EventHandler for FailSome {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let order = event.envelope.decode::<OrderSigned>()?.data.order_id;
        if order == self.poisoned {
            return Err(HandlerError::permanent("poisoned order"));
        }
        if order == self.flaky
            && self
                .flaky_failures
                .fetch_update(
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                    |n| n.checked_sub(1),
                )
                .is_ok()
        {
            return Err(HandlerError::transient("not yet"));
        }
        RecordEffect.handle(tx, event).await
    }
}

/// Effects per (order, stream sequence): exactly one each means nothing lost or doubled.
async fn effect_counts(pool: &PgPool) -> Vec<(String, i64, i64)> {
    sqlx::query_as(
        "SELECT aggregate, stream_seq, count(*) FROM svc.effects GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// [`FailSome`] with the set-based batch form: each batch is counted, then applied.
struct Batched {
    inner: FailSome,
    batches: Arc<AtomicU32>,
}

impl EventHandler for Batched {
    const BATCHED: bool = true;

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        self.inner.handle(tx, event).await
    }

    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        self.batches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        for event in events {
            self.inner.handle(tx, event).await?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_backlog_is_applied_in_batches_and_a_failing_event_costs_only_its_batch() {
    let (poisoned, flaky) = (Uuid::now_v7(), Uuid::now_v7());
    let handler = FailSome {
        poisoned,
        flaky,
        flaky_failures: AtomicU32::new(5),
    };
    apply_a_backlog_with_failures(handler, "svc-batch", poisoned, flaky).await;
}

#[tokio::test]
async fn a_set_based_handler_gets_whole_batches_and_a_failing_batch_falls_back_to_single_events() {
    let (poisoned, flaky) = (Uuid::now_v7(), Uuid::now_v7());
    let batches = Arc::new(AtomicU32::new(0));
    let handler = Batched {
        inner: FailSome {
            poisoned,
            flaky,
            flaky_failures: AtomicU32::new(5),
        },
        batches: batches.clone(),
    };
    apply_a_backlog_with_failures(handler, "svc-set-batch", poisoned, flaky).await;
    assert!(
        batches.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "a backlog should reach the handler's batch form"
    );
}

/// Six good orders, a poisoned and a flaky one, 30 events each, published before the
/// consumer starts (four lanes, so every lane has a backlog and takes batches): every good
/// and flaky event is applied once and in order, every poisoned one is dead-lettered.
async fn apply_a_backlog_with_failures(
    handler: impl EventHandler,
    durable: &str,
    poisoned: Uuid,
    flaky: Uuid,
) {
    let w = world().await;
    let good: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    for _ in 0..30 {
        for order in good.iter().chain([&poisoned, &flaky]) {
            publish(&w, &signed(*order)).await;
        }
    }
    let shutdown = CancellationToken::new();
    let mut config = consumer_config(&w, durable);
    config.lanes = 4;
    let task = tokio::spawn(run_consumer(
        w.js.clone(),
        w.pool.clone(),
        config,
        Arc::new(handler),
        shutdown.clone(),
    ));
    let dead_letters = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM svc.dead_letter")
            .fetch_one(&w.pool)
            .await
            .unwrap()
    };
    wait_for(
        "every good and flaky event applied, every poisoned one dead-lettered",
        WAIT,
        || async { (effects(&w.pool).await == 7 * 30 && dead_letters().await == 30).then_some(()) },
    )
    .await;

    let counts = effect_counts(&w.pool).await;
    assert_eq!(counts.len(), 7 * 30, "one row per applied event");
    assert!(
        counts.iter().all(|(_, _, n)| *n == 1),
        "an event applied twice: {counts:?}"
    );
    assert!(
        !counts
            .iter()
            .any(|(order, _, _)| *order == poisoned.to_string())
    );
    for order in good.iter().chain([&flaky]) {
        assert_applied_in_order(&w.pool, order, 30).await;
    }
    let largest_batch: i64 = sqlx::query_scalar(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM svc.effects GROUP BY txid) t",
    )
    .fetch_one(&w.pool)
    .await
    .unwrap();
    assert!(
        largest_batch > 1,
        "a backlog should be applied several events per transaction"
    );
    shutdown.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_consumer_killed_after_a_batch_commit_applies_each_event_exactly_once() {
    let w = world().await;
    let order = Uuid::now_v7();
    for _ in 0..40 {
        publish(&w, &signed(order)).await;
    }
    // One lane: the backlog of one order goes in batches; crash after the first commit.
    let mut config = consumer_config(&w, "svc-batch-crash");
    config.lanes = 1;
    config.faults.crash_after_commit_before_ack = Arc::new(AtomicU32::new(1));
    let crashed = tokio::spawn(run_consumer(
        w.js.clone(),
        w.pool.clone(),
        config,
        Arc::new(RecordEffect),
        CancellationToken::new(),
    ));
    tokio::time::timeout(WAIT, crashed).await.unwrap().unwrap();
    assert!(
        effects(&w.pool).await >= 1,
        "the first batch committed before the crash"
    );

    // Restart: the unacknowledged batch is redelivered after ack_wait; the inbox absorbs
    // what was committed, the rest is applied once.
    let shutdown = CancellationToken::new();
    let mut config = consumer_config(&w, "svc-batch-crash");
    config.lanes = 1;
    let restarted = tokio::spawn(run_consumer(
        w.js.clone(),
        w.pool.clone(),
        config,
        Arc::new(RecordEffect),
        shutdown.clone(),
    ));
    wait_for("all forty events", WAIT, || async {
        (effects(&w.pool).await == 40).then_some(())
    })
    .await;
    let counts = effect_counts(&w.pool).await;
    assert_eq!(counts.len(), 40);
    assert!(
        counts.iter().all(|(_, _, n)| *n == 1),
        "an event applied twice: {counts:?}"
    );
    shutdown.cancel();
    restarted.await.unwrap();
}

/// Appends one `order.signed` row to the outbox and commits.
async fn append_signed(w: &World, outbox: &Outbox) {
    append_signed_committing_after(w, outbox, Duration::ZERO).await;
}

/// Appends one `order.signed` row to the outbox and commits `delay` after the append.
async fn append_signed_committing_after(w: &World, outbox: &Outbox, delay: Duration) {
    let mut tx = w.pool.begin().await.unwrap();
    outbox
        .append(
            &mut tx,
            &TraceContext::new_root(),
            signed(Uuid::now_v7()).data,
        )
        .await
        .unwrap();
    tokio::time::sleep(delay).await;
    tx.commit().await.unwrap();
}

/// The outbox's rows in `seq` order, as (sent, attempts).
async fn outbox_rows(pool: &PgPool) -> Vec<(bool, i32)> {
    sqlx::query_as("SELECT sent_at IS NOT NULL, attempts FROM svc.outbox ORDER BY seq")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_failed_publish_commits_only_the_acknowledged_rows_before_it_as_sent() {
    let w = world().await;
    let outbox = Outbox::new(SERVICE, SCHEMA, w.ns.clone());
    let relay = OutboxRelay::new(w.pool.clone(), w.js.clone(), SCHEMA, RelayConfig::default());
    append_signed(&w, &outbox).await;
    // A row no stream takes: JetStream answers its publish with an error.
    sqlx::query(
        "INSERT INTO svc.outbox (id, subject, payload) VALUES (gen_random_uuid(), 'nowhere.at.all', '\\x7b7d')",
    )
    .execute(&w.pool)
    .await
    .unwrap();
    append_signed(&w, &outbox).await;

    let error = relay
        .drain()
        .await
        .expect_err("the second row cannot be published");
    assert!(error.to_string().contains("nowhere.at.all"), "{error}");
    assert_eq!(
        outbox_rows(&w.pool).await,
        [(true, 1), (false, 0), (false, 0)],
        "the first row is sent; the failed one and the one after it wait, in order"
    );
    // The third row was published before the second one's ack came back (the publishes
    // are pipelined); it is published again below and dropped as a duplicate.
    let mut stream = w.js.get_stream(&w.stream).await.unwrap();
    let stored = stream.info().await.unwrap().state.messages;
    assert!((1..=2).contains(&stored), "{stored} stored");

    // Once the row is fixed, the next pass sends the rest, in order, and nothing twice.
    sqlx::query("UPDATE svc.outbox SET subject = $1 WHERE subject = 'nowhere.at.all'")
        .bind(w.ns.subject(event::ORDER_SIGNED))
        .execute(&w.pool)
        .await
        .unwrap();
    assert_eq!(relay.drain().await.unwrap(), 2);
    assert_eq!(
        outbox_rows(&w.pool).await,
        [(true, 1), (true, 1), (true, 1)]
    );
    assert_eq!(
        stream.info().await.unwrap().state.messages,
        3,
        "three events, none lost, none doubled"
    );
}

#[tokio::test]
async fn a_pass_without_the_schemas_relay_lock_claims_nothing_and_waits_for_nothing() {
    let w = world().await;
    let outbox = Outbox::new(SERVICE, SCHEMA, w.ns.clone());
    let relay = OutboxRelay::new(w.pool.clone(), w.js.clone(), SCHEMA, RelayConfig::default());
    append_signed(&w, &outbox).await;
    // Another replica's pass holds the lock.
    let mut other = w.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('hotline-outbox-relay:svc', 0))")
        .execute(&mut *other)
        .await
        .unwrap();
    let published = tokio::time::timeout(Duration::from_secs(10), relay.publish_batch())
        .await
        .expect("a pass without the lock does not wait for it");
    assert_eq!(published.unwrap(), 0);
    assert_eq!(outbox_rows(&w.pool).await, [(false, 0)]);

    other.rollback().await.unwrap();
    assert_eq!(relay.publish_batch().await.unwrap(), 1);
    assert_eq!(outbox_rows(&w.pool).await, [(true, 1)]);
}
