//! The inbox consumer loop: durable pull consumer → per-order lanes → one transaction per
//! event, or per batch of events under load (inbox rows + the handlers' writes + their
//! outbox rows) → commit → ack.
//!
//! **Batches.** A lane that has more than one message waiting applies up to
//! [`ConsumerConfig::batch_max`] of them, in order, in one transaction: one commit (one WAL
//! flush) instead of one per event, which is what a busy system spends its database time
//! on. If any event of the batch fails (a transient or permanent handler error, a database
//! error, a failed commit), the whole batch is rolled back and its events are applied one
//! at a time, each with the single-event rules below, so a batch never changes what
//! happens to an event, only how many commits it takes. A batch claims its events' inbox
//! rows in one statement (`INSERT … SELECT unnest(ids) … RETURNING`): the ids it did not
//! insert are redeliveries, acknowledged without their handler. By default a lane never
//! waits to fill a batch: it takes what is already queued and nothing more. With a
//! [`ConsumerConfig::linger`] it waits that long at most after its first event for more to
//! join (the services' consumers off anyone's waiting path do; docs/performance.md, "Tenth
//! round"). The wait only delays when a batch is applied, committed and acknowledged;
//! what it applies, and the rules below, do not change. A handler with a
//! set-based form ([`EventHandler::BATCHED`]) gets the batch's new events at once and
//! writes them with a few statements instead of a few per event
//! ([`ConsumerConfig::set_based`]).
//!
//! Guarantees and how they are kept:
//! - **No double effect**: the event id goes into `<schema>.inbox` in the handler's
//!   transaction; a redelivered event finds its row and is only acknowledged again.
//! - **Nothing lost**: the ack is sent only after commit. A crash between commit and ack
//!   leads to a redelivery, which the inbox absorbs.
//! - **Order per order**: messages are routed to a fixed number of lanes by the envelope's
//!   `subject` (the order id); a lane handles one message at a time, and transient failures
//!   are retried *in place* (with progress acks) so later events of the same order wait.
//!   Only after `retries_in_place` does the message go back to the server with a delayed
//!   nak; handlers therefore treat "prerequisite not applied yet" as transient.
//! - **Nothing dropped silently**: a message that cannot be applied (not an envelope, a
//!   payload that breaks its schema, an impossible transition, or too many deliveries) is
//!   written to `<schema>.dead_letter`, announced on `hotline.deadletter.<service>` through
//!   the outbox, counted, and terminated; the loop goes on with the next message.
//! - **Self-healing**: missed heartbeats, a deleted consumer or an ended message stream make
//!   the loop re-provision the consumer (create-or-update) and pull again, with backoff.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, Message};
use base64::Engine;
use chrono::Utc;
use futures::StreamExt;
use hotline_contract::events::DeadLetterRecorded;
use hotline_contract::{Namespace, RawEnvelope};
use hotline_telemetry::{TraceContext, extract_nats};
use sqlx::{PgConnection, PgPool};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::handler::{EventHandler, HandlerError, IncomingEvent};
use crate::outbox::Outbox;
use crate::provision::{ConsumerSpec, ensure_consumer};

/// Parallel lanes of a consumer, by default. The services' consumers take theirs from the
/// service's settings instead (`consumer_lanes` in `hotline_service_kit`, 1 unless set).
pub const DEFAULT_LANES: usize = 8;

/// Events a lane applies in one transaction at most, by default: enough to turn a backlog's
/// commits into a few, few enough that a batch's locks are held only briefly.
pub const DEFAULT_BATCH_MAX: usize = 16;

/// How long a lane waits for a batch to fill, by default: not at all. A consumer whose
/// events are on the path of someone waiting (the dispatcher, the partner hand-overs) keeps
/// it at zero; the services give their other consumers a short linger
/// (`consumer_linger_ms` in `hotline_service_kit`, 20 ms), which turns a moderate load's
/// one transaction per event into one per batch.
pub const DEFAULT_LINGER: Duration = Duration::ZERO;

/// Settings of one consumer loop.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub service: &'static str,
    /// The service's schema (holds inbox, dead_letter and outbox).
    pub schema: String,
    pub namespace: Namespace,
    /// The namespaced stream name.
    pub stream: String,
    pub spec: ConsumerSpec,
    /// Parallel lanes; events of one aggregate always use the same lane.
    pub lanes: usize,
    /// Transient failures retried while holding the lane, before a delayed nak.
    pub retries_in_place: u32,
    /// Most events a lane applies in one transaction (1: one transaction per event).
    pub batch_max: usize,
    /// How long a lane that has taken an event waits for more to join its batch, at most
    /// (zero: it takes what is already queued and nothing more). See [`DEFAULT_LINGER`].
    pub linger: Duration,
    /// Hand whole batches to a handler that has a set-based form
    /// ([`EventHandler::BATCHED`]); false applies a batch's events one by one in its
    /// transaction. On by default; `HOTLINE_CONSUMER_SET_BASED=0` turns it off in every
    /// consumer of the process (to compare the two forms, or to step around a misbehaving
    /// batch statement without a release).
    pub set_based: bool,
    /// Deliveries after which a message that still fails transiently is dead-lettered.
    pub dead_letter_after_deliveries: i64,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Test-only crash points.
    pub faults: FaultInjection,
}

impl ConsumerConfig {
    pub fn new(
        service: &'static str,
        schema: &str,
        namespace: Namespace,
        stream: String,
        spec: ConsumerSpec,
    ) -> Self {
        Self {
            service,
            schema: schema.to_owned(),
            namespace,
            stream,
            spec,
            lanes: DEFAULT_LANES,
            retries_in_place: 5,
            batch_max: DEFAULT_BATCH_MAX,
            linger: DEFAULT_LINGER,
            set_based: std::env::var("HOTLINE_CONSUMER_SET_BASED").map_or(true, |v| v != "0"),
            dead_letter_after_deliveries: 20,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            faults: FaultInjection::default(),
        }
    }
}

/// Crash points for tests that prove the delivery guarantees. Each counter says how many
/// times the loop should "crash" there: it stops at once, acknowledging nothing more, as a
/// killed process would.
#[derive(Debug, Clone, Default)]
pub struct FaultInjection {
    pub crash_after_commit_before_ack: Arc<AtomicU32>,
}

impl FaultInjection {
    fn take(counter: &AtomicU32) -> bool {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

struct Delivery {
    message: Message,
    parsed: Result<RawEnvelope, String>,
}

struct Lane<H> {
    config: ConsumerConfig,
    pool: PgPool,
    handler: Arc<H>,
    outbox: Outbox,
    inbox_sql: String,
    /// The batch form of `inbox_sql`: one statement claims every message id of a batch and
    /// returns the ids it inserted (the others were applied before).
    inbox_batch_sql: String,
    dead_letter_sql: String,
    crashed: CancellationToken,
    /// Cuts an in-place retry's back-off short at shutdown (the message is then left
    /// unacknowledged and redelivered to whoever consumes next).
    shutdown: CancellationToken,
}

/// Run the consumer until `shutdown` (or a test crash point). In-flight messages are
/// finished before it returns.
pub async fn run_consumer<H: EventHandler>(
    jetstream: jetstream::Context,
    pool: PgPool,
    config: ConsumerConfig,
    handler: Arc<H>,
    shutdown: CancellationToken,
) {
    let crashed = CancellationToken::new();
    let outbox = Outbox::new(config.service, &config.schema, config.namespace.clone());
    let lane = Arc::new(Lane {
        inbox_sql: format!(
            "INSERT INTO {}.inbox (consumer, message_id, outcome) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            config.schema
        ),
        inbox_batch_sql: format!(
            "INSERT INTO {}.inbox (consumer, message_id, outcome) \
             SELECT $1, m, $3 FROM unnest($2::text[]) AS m \
             ON CONFLICT DO NOTHING RETURNING message_id",
            config.schema
        ),
        dead_letter_sql: format!(
            "INSERT INTO {}.dead_letter (consumer, message_id, subject, stream_seq, reason, payload) VALUES ($1, $2, $3, $4, $5, $6)",
            config.schema
        ),
        config: config.clone(),
        pool,
        handler,
        outbox,
        crashed: crashed.clone(),
        shutdown: shutdown.clone(),
    });

    let mut senders = Vec::with_capacity(config.lanes.max(1));
    let mut workers = Vec::with_capacity(config.lanes.max(1));
    for _ in 0..config.lanes.max(1) {
        let (tx, mut rx) = mpsc::channel::<Delivery>(16);
        senders.push(tx);
        let lane = lane.clone();
        workers.push(tokio::spawn(async move {
            let batch_max = lane.config.batch_max.max(1);
            let linger = lane.config.linger;
            while let Some(first) = rx.recv().await {
                if lane.crashed.is_cancelled() {
                    // A crashed process handles nothing more.
                    continue;
                }
                let batch = fill_batch(first, &mut rx, batch_max, linger).await;
                lane.process_batch(batch).await;
            }
        }));
    }

    let durable = config.spec.durable.clone();
    let mut backoff = config.base_backoff;
    'pull: loop {
        if shutdown.is_cancelled() || crashed.is_cancelled() {
            break;
        }
        let consumer = match provision(&jetstream, &config).await {
            Ok(c) => c,
            Err(error) => {
                tracing::warn!(consumer = %durable, %error, "consumer provisioning failed; retrying");
                if sleep_or_stop(backoff, &shutdown, &crashed).await {
                    break;
                }
                backoff = (backoff * 2).min(config.max_backoff);
                continue;
            }
        };
        let messages = consumer
            .stream()
            .max_messages_per_batch(256)
            .expires(Duration::from_secs(30))
            .heartbeat(Duration::from_secs(5))
            .messages()
            .await;
        let mut messages = match messages {
            Ok(m) => m,
            Err(error) => {
                tracing::warn!(consumer = %durable, %error, "could not start pulling; retrying");
                if sleep_or_stop(backoff, &shutdown, &crashed).await {
                    break;
                }
                backoff = (backoff * 2).min(config.max_backoff);
                continue;
            }
        };
        tracing::info!(consumer = %durable, "consuming");
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break 'pull,
                _ = crashed.cancelled() => break 'pull,
                next = messages.next() => match next {
                    Some(Ok(message)) => {
                        backoff = config.base_backoff;
                        let parsed = RawEnvelope::parse(&message.payload).map_err(|e| e.to_string());
                        let key = match &parsed {
                            Ok(env) => env.subject.as_str(),
                            Err(_) => message.subject.as_str(),
                        };
                        let index = lane_index(key, senders.len());
                        if senders[index].send(Delivery { message, parsed }).await.is_err() {
                            break 'pull;
                        }
                    }
                    Some(Err(error)) => {
                        // Missed heartbeats, a deleted consumer, a failed pull: start over.
                        metrics::counter!("hotline_consumer_restarts_total", "consumer" => durable.clone()).increment(1);
                        tracing::warn!(consumer = %durable, %error, "message stream failed; re-provisioning the consumer");
                        break;
                    }
                    None => {
                        tracing::warn!(consumer = %durable, "message stream ended; re-provisioning the consumer");
                        break;
                    }
                }
            }
        }
        if sleep_or_stop(backoff, &shutdown, &crashed).await {
            break;
        }
        backoff = (backoff * 2).min(config.max_backoff);
    }
    // Stop taking work; let the lanes finish what they hold.
    drop(senders);
    for worker in workers {
        if let Err(error) = worker.await {
            tracing::error!(consumer = %durable, %error, "consumer lane ended abnormally");
        }
    }
    tracing::info!(consumer = %durable, "consumer stopped");
}

/// A lane's next batch: `first`, whatever is already queued behind it, and, with a
/// `linger`, what arrives until `linger` after `first` was taken, up to `batch_max` events.
async fn fill_batch<T>(
    first: T,
    rx: &mut mpsc::Receiver<T>,
    batch_max: usize,
    linger: Duration,
) -> Vec<T> {
    let mut batch = vec![first];
    let now = tokio::time::Instant::now();
    // A linger past the clock's range (a config no service accepts) waits as if forever.
    let until = now
        .checked_add(linger)
        .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400));
    while batch.len() < batch_max {
        let next = match rx.try_recv() {
            Ok(next) => Some(next),
            Err(_) if linger.is_zero() => None,
            Err(_) => tokio::time::timeout_at(until, rx.recv())
                .await
                .ok()
                .flatten(),
        };
        match next {
            Some(next) => batch.push(next),
            None => break,
        }
    }
    batch
}

async fn provision(
    jetstream: &jetstream::Context,
    config: &ConsumerConfig,
) -> Result<jetstream::consumer::PullConsumer, String> {
    let stream = jetstream
        .get_stream(&config.stream)
        .await
        .map_err(|e| format!("stream {}: {e}", config.stream))?;
    ensure_consumer(&stream, &config.stream, &config.spec)
        .await
        .map_err(|e| e.to_string())
}

/// Sleep, unless asked to stop first; true when asked to stop.
async fn sleep_or_stop(d: Duration, a: &CancellationToken, b: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = a.cancelled() => true,
        _ = b.cancelled() => true,
    }
}

/// The lane of the events whose envelope subject (aggregate id) is `key`, among `lanes`.
/// FNV-1a: stable across processes and releases (unlike `DefaultHasher`). Public so that
/// state partitioned the same way (supervision's trail strands) is touched by one lane.
pub fn lane_index(key: &str, lanes: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % lanes.max(1) as u64) as usize
}

enum Outcome {
    Applied,
    Duplicate,
    Failed(HandlerError),
}

enum BatchOutcome {
    /// For each event of the batch: was it a duplicate?
    Committed(Vec<bool>),
    /// Rolled back, with the reason.
    Failed(String),
}

impl<H: EventHandler> Lane<H> {
    /// Apply a lane's batch: together in one transaction when there are several, else (or
    /// when the batch fails) one at a time.
    async fn process_batch(&self, batch: Vec<Delivery>) {
        let mut ready = Vec::with_capacity(batch.len());
        for delivery in batch {
            if let Some(prepared) = self.prepare(delivery).await {
                ready.push(prepared);
            }
        }
        if ready.len() > 1 {
            match self.try_apply_batch(&ready).await {
                BatchOutcome::Committed(outcomes) => {
                    if self.crash_point() {
                        return;
                    }
                    let consumer = self.config.spec.durable.as_str();
                    metrics::histogram!("hotline_consumer_batch_size", "consumer" => consumer.to_owned())
                        .record(ready.len() as f64);
                    for ((message, event, span), duplicate) in ready.iter().zip(outcomes) {
                        acknowledge_applied(consumer, message, event, duplicate)
                            .instrument(span.clone())
                            .await;
                    }
                    return;
                }
                BatchOutcome::Failed(reason) => {
                    tracing::info!(
                        consumer = %self.config.spec.durable,
                        events = ready.len(),
                        %reason,
                        "batch rolled back; applying its events one at a time"
                    );
                }
            }
        }
        for (message, event, span) in ready {
            if self.crashed.is_cancelled() {
                return;
            }
            self.apply(&message, &event).instrument(span).await;
        }
    }

    /// Turn a delivery into an event to apply, with its span; a message that is not an
    /// envelope is dead-lettered here and yields nothing.
    async fn prepare(&self, delivery: Delivery) -> Option<(Message, IncomingEvent, tracing::Span)> {
        let Delivery { message, parsed } = delivery;
        let (stream_sequence, delivered) = message
            .info()
            .map(|i| (i.stream_sequence, i.delivered))
            .unwrap_or((0, 1));
        let subject = self.config.namespace.strip(&message.subject).to_owned();
        let envelope = match parsed {
            Ok(env) => env,
            Err(reason) => {
                let id = fallback_message_id(&message, stream_sequence);
                self.dead_letter(&message, &id, &subject, stream_sequence, &reason)
                    .await;
                return None;
            }
        };
        let trace = extract_nats(message.headers.as_ref()).unwrap_or_else(TraceContext::new_root);
        let event = IncomingEvent {
            subject,
            trace,
            stream_sequence,
            delivered,
            envelope,
        };
        let span = hotline_telemetry::event_span(
            self.config.service,
            &self.config.spec.durable,
            &event.trace,
            Some(&event.envelope.subject),
        );
        Some((message, event, span))
    }

    /// Apply every event of `batch` in one transaction, in order. Committed: for each event,
    /// whether it was a duplicate. Any failure rolls everything back.
    async fn try_apply_batch(
        &self,
        batch: &[(Message, IncomingEvent, tracing::Span)],
    ) -> BatchOutcome {
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => return BatchOutcome::Failed(e.to_string()),
        };
        // The inbox rows of the whole batch in one statement: an id it did not insert was
        // applied before (a redelivery), and an id twice in the batch is applied once.
        let ids: Vec<String> = batch
            .iter()
            .map(|(_, event, _)| event.envelope.id.to_string())
            .collect();
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let claimed: Result<Vec<String>, _> = sqlx::query_scalar(&self.inbox_batch_sql)
            .bind(&self.config.spec.durable)
            .bind(&distinct)
            .bind("applied")
            .fetch_all(&mut *tx)
            .await;
        let mut fresh: HashSet<String> = match claimed {
            Ok(claimed) => claimed.into_iter().collect(),
            Err(e) => return BatchOutcome::Failed(e.to_string()),
        };
        let mut duplicates = Vec::with_capacity(batch.len());
        let mut to_apply = Vec::with_capacity(batch.len());
        for ((_, event, span), id) in batch.iter().zip(&ids) {
            let duplicate = !fresh.remove(id);
            duplicates.push(duplicate);
            if !duplicate {
                to_apply.push((event, span));
            }
        }
        if H::BATCHED && self.config.set_based {
            let events: Vec<&IncomingEvent> = to_apply.iter().map(|(event, _)| *event).collect();
            if let Err(error) = self.handler.handle_batch(&mut tx, &events).await {
                // Dropping `tx` rolls the whole batch back.
                return BatchOutcome::Failed(error.to_string());
            }
        } else {
            for (event, span) in to_apply {
                let handled = self
                    .handler
                    .handle(&mut tx, event)
                    .instrument(span.clone())
                    .await;
                if let Err(error) = handled {
                    // Dropping `tx` rolls the whole batch back.
                    return BatchOutcome::Failed(error.to_string());
                }
            }
        }
        match tx.commit().await {
            Ok(()) => BatchOutcome::Committed(duplicates),
            Err(e) => BatchOutcome::Failed(e.to_string()),
        }
    }

    async fn apply(&self, message: &Message, event: &IncomingEvent) {
        let consumer = self.config.spec.durable.as_str();
        let message_id = event.envelope.id.to_string();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match self.try_apply(event, &message_id).await {
                Outcome::Applied if self.crash_point() => return,
                Outcome::Applied => {
                    acknowledge_applied(consumer, message, event, false).await;
                    return;
                }
                Outcome::Duplicate => {
                    acknowledge_applied(consumer, message, event, true).await;
                    return;
                }
                Outcome::Failed(HandlerError::Permanent(reason)) => {
                    self.dead_letter(
                        message,
                        &message_id,
                        &event.subject,
                        event.stream_sequence,
                        &reason,
                    )
                    .await;
                    return;
                }
                Outcome::Failed(HandlerError::Transient(reason)) => {
                    if event.delivered >= self.config.dead_letter_after_deliveries {
                        let reason = format!(
                            "still failing after {} deliveries: {reason}",
                            event.delivered
                        );
                        self.dead_letter(
                            message,
                            &message_id,
                            &event.subject,
                            event.stream_sequence,
                            &reason,
                        )
                        .await;
                        return;
                    }
                    let delay = self.backoff(attempt);
                    if attempt > self.config.retries_in_place {
                        count(consumer, "nak");
                        tracing::warn!(%reason, delay_ms = delay.as_millis() as u64, "transient failure; returning the message for later");
                        ack(message, AckKind::Nak(Some(delay))).await;
                        return;
                    }
                    count(consumer, "retry");
                    tracing::warn!(%reason, attempt, "transient failure; retrying in place");
                    ack(message, AckKind::Progress).await;
                    if sleep_or_stop(delay, &self.crashed, &self.shutdown).await {
                        return;
                    }
                }
            }
        }
    }

    async fn try_apply(&self, event: &IncomingEvent, message_id: &str) -> Outcome {
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => return Outcome::Failed(e.into()),
        };
        match self.apply_in(&mut tx, event, message_id).await {
            Outcome::Applied => {}
            // Dropping `tx` rolls back (a duplicate wrote nothing).
            other => return other,
        }
        match tx.commit().await {
            Ok(()) => Outcome::Applied,
            Err(e) => Outcome::Failed(e.into()),
        }
    }

    /// The inbox row and the handler's writes for one event, in the caller's transaction.
    async fn apply_in(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        message_id: &str,
    ) -> Outcome {
        let inserted = sqlx::query(&self.inbox_sql)
            .bind(&self.config.spec.durable)
            .bind(message_id)
            .bind("applied")
            .execute(&mut *tx)
            .await;
        match inserted {
            Ok(r) if r.rows_affected() == 0 => return Outcome::Duplicate,
            Ok(_) => {}
            Err(e) => return Outcome::Failed(e.into()),
        }
        match self.handler.handle(tx, event).await {
            Ok(()) => Outcome::Applied,
            Err(error) => Outcome::Failed(error),
        }
    }

    /// A test crash point after commit: stop everything, ack nothing.
    fn crash_point(&self) -> bool {
        if FaultInjection::take(&self.config.faults.crash_after_commit_before_ack) {
            tracing::warn!("fault injection: crashing after commit, before ack");
            self.crashed.cancel();
            return true;
        }
        false
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        (self.config.base_backoff * factor).min(self.config.max_backoff)
    }

    /// Record, announce and terminate a message that cannot be applied.
    async fn dead_letter(
        &self,
        message: &Message,
        message_id: &str,
        subject: &str,
        stream_sequence: u64,
        reason: &str,
    ) {
        let consumer = self.config.spec.durable.as_str();
        tracing::error!(%subject, %message_id, %reason, "dead-lettering a message that cannot be applied");
        match self
            .record_dead_letter(message, message_id, subject, stream_sequence, reason)
            .await
        {
            Ok(()) => {
                count(consumer, "dead_lettered");
                metrics::counter!("hotline_dead_letters_total", "consumer" => consumer.to_owned())
                    .increment(1);
                ack(message, AckKind::Term).await;
            }
            Err(error) => {
                // Could not even record it: leave it to the server to redeliver.
                tracing::warn!(%error, "dead letter could not be recorded; retrying later");
                ack(message, AckKind::Nak(Some(self.config.max_backoff))).await;
            }
        }
    }

    async fn record_dead_letter(
        &self,
        message: &Message,
        message_id: &str,
        subject: &str,
        stream_sequence: u64,
        reason: &str,
    ) -> Result<(), crate::outbox::OutboxError> {
        let consumer = self.config.spec.durable.as_str();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(&self.inbox_sql)
            .bind(consumer)
            .bind(message_id)
            .bind("dead_lettered")
            .execute(&mut *tx)
            .await?;
        if inserted.rows_affected() == 0 {
            // Already recorded (a redelivery of a dead letter).
            return Ok(());
        }
        sqlx::query(&self.dead_letter_sql)
            .bind(consumer)
            .bind(message_id)
            .bind(subject)
            .bind(i64::try_from(stream_sequence).ok())
            .bind(reason)
            .bind(message.payload.to_vec())
            .execute(&mut *tx)
            .await?;
        let trace = extract_nats(message.headers.as_ref()).unwrap_or_else(TraceContext::new_root);
        self.outbox
            .append(
                &mut tx,
                &trace,
                DeadLetterRecorded {
                    service: self.config.service.to_owned(),
                    consumer: consumer.to_owned(),
                    original_subject: subject.to_owned(),
                    message_id: message_id.to_owned(),
                    stream_sequence: Some(stream_sequence),
                    reason: reason.to_owned(),
                    payload: payload_text(&message.payload),
                    recorded_at: Utc::now(),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn fallback_message_id(message: &Message, stream_sequence: u64) -> String {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get(hotline_contract::headers::NATS_MSG_ID))
        .map(|v| v.as_str().to_owned())
        .unwrap_or_else(|| format!("seq:{stream_sequence}"))
}

/// The payload as text when it is UTF-8, else base64 with a `base64:` prefix; at most
/// 64 KiB of it.
fn payload_text(payload: &[u8]) -> String {
    const MAX: usize = 64 * 1024;
    let cut = &payload[..payload.len().min(MAX)];
    match std::str::from_utf8(cut) {
        Ok(text) => text.to_owned(),
        Err(_) => format!(
            "base64:{}",
            base64::engine::general_purpose::STANDARD.encode(cut)
        ),
    }
}

/// Count, log and acknowledge an event whose transaction committed (or that the inbox had
/// already seen).
async fn acknowledge_applied(
    consumer: &str,
    message: &Message,
    event: &IncomingEvent,
    duplicate: bool,
) {
    if duplicate {
        count(consumer, "duplicate");
        tracing::info!(event_type = %event.envelope.event_type, "event already applied; acknowledging the redelivery");
    } else {
        count(consumer, "applied");
        tracing::info!(event_type = %event.envelope.event_type, "event applied");
    }
    ack(message, AckKind::Ack).await;
}

async fn ack(message: &Message, kind: AckKind) {
    if let Err(error) = message.ack_with(kind).await {
        // The server will redeliver; the inbox makes that harmless.
        tracing::warn!(%error, "acknowledgement could not be sent");
    }
}

fn count(consumer: &str, outcome: &'static str) {
    metrics::counter!("hotline_consumer_messages_total", "consumer" => consumer.to_owned(), "outcome" => outcome)
        .increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_of_a_key_is_stable_and_in_range() {
        let a = lane_index("0193-order", 8);
        assert_eq!(a, lane_index("0193-order", 8));
        assert!(a < 8);
        assert_eq!(lane_index("x", 1), 0);
    }

    /// A lane's queue with `queued` already in it, and a sender for later arrivals.
    fn queue(queued: &[u32]) -> (mpsc::Sender<u32>, mpsc::Receiver<u32>) {
        let (tx, rx) = mpsc::channel(16);
        for n in queued {
            tx.try_send(*n).expect("room in the queue");
        }
        (tx, rx)
    }

    /// Sends `n` into the lane's queue `after` the test's start (paused clock).
    fn arrives(tx: &mpsc::Sender<u32>, n: u32, after: Duration) {
        let tx = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            tx.send(n).await.expect("the lane is open");
        });
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_linger_a_batch_is_what_is_queued_and_nothing_more() {
        let (tx, mut rx) = queue(&[2, 3]);
        arrives(&tx, 4, Duration::from_millis(1));
        let started = tokio::time::Instant::now();
        assert_eq!(fill_batch(1, &mut rx, 16, Duration::ZERO).await, [1, 2, 3]);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_linger_takes_what_arrives_within_it_and_no_later() {
        let (tx, mut rx) = queue(&[2]);
        arrives(&tx, 3, Duration::from_millis(5));
        arrives(&tx, 4, Duration::from_millis(19));
        arrives(&tx, 5, Duration::from_millis(21));
        let started = tokio::time::Instant::now();
        let batch = fill_batch(1, &mut rx, 16, Duration::from_millis(20)).await;
        assert_eq!(batch, [1, 2, 3, 4]);
        assert_eq!(started.elapsed(), Duration::from_millis(20));
        // The late one opens the next batch.
        assert_eq!(rx.recv().await, Some(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_or_a_closed_lane_ends_the_linger() {
        let (tx, mut rx) = queue(&[2, 3]);
        arrives(&tx, 4, Duration::from_millis(3));
        let started = tokio::time::Instant::now();
        let batch = fill_batch(1, &mut rx, 4, Duration::from_secs(60)).await;
        assert_eq!(
            (batch, started.elapsed()),
            (vec![1, 2, 3, 4], Duration::from_millis(3))
        );

        let (tx, mut rx) = queue(&[2]);
        drop(tx);
        let started = tokio::time::Instant::now();
        let batch = fill_batch(1, &mut rx, 16, Duration::from_secs(60)).await;
        assert_eq!((batch, started.elapsed()), (vec![1, 2], Duration::ZERO));
    }

    #[test]
    fn binary_payloads_are_base64_in_dead_letters() {
        assert_eq!(payload_text(b"not json"), "not json");
        assert!(payload_text(&[0xff, 0xfe]).starts_with("base64:"));
    }
}
