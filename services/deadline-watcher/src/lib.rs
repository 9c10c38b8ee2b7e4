//! Deadline-watcher: keeps the clocks of every work order on the official working-day
//! calendar (A15) and flags the ones that run out (A17).
//!
//! Flow: the [`handlers::Clocks`] consumer (`deadline-watcher-clocks`) follows
//! `order.dispatched` (start the sign clock, due at the end of the next working day, and
//! announce `deadline.scheduled`), `order.signed` (sign clock met; the handling clock starts,
//! its limit from the time-limit policy for the order's kind and urgency, A15),
//! `order.result_submitted` (handling clock met), `order.sent_back` (A16.2: a new handling
//! clock for the redo), `order.extension_granted` (A14: the
//! handling deadline moves, `deadline.rescheduled`), `order.suspended` / `order.resumed`
//! (clocks that stop while suspended pause and restart with the time left),
//! `order.co_handling_*` (a co-unit's report clock, A14), `supervision.*` (a case's
//! rectification clock, A17, started again at each escalation) and `order.closed`
//! (cancelled); under load a batch's dispatches, signs, results and closes are applied
//! set-based (`clock_batch`). The [`reminders::ReminderScan`] task sends
//! `deadline.reminder` at the configured points before a due instant (A17), reading only
//! the timers whose stored next reminder instant has passed; the
//! [`overdue::OverdueScan`] task claims running timers past due every `scan_interval_secs`,
//! marks them overdue and announces `deadline.overdue`, which supervision turns into a
//! case. Everything they announce goes through the outbox, in the same transaction as the
//! timer change. [`queries`] answers `rpc.deadline-watcher.due` and
//! `rpc.deadline-watcher.calendar` (the gateway's public calendar endpoints), and
//! `rpc.deadline-watcher.deadlines` (an order's clocks and their history), and through
//! [`policy_desk`] `rpc.deadline-watcher.policies` / `save_policy` (the console's list and
//! edit of the time-limit policies), and [`near_due`] `rpc.deadline-watcher.near_due` (the
//! clocks running out by the end of the next working day, for the supervision board).
//! [`calendar::watch`] warns operators (log, metric, `/readyz` warning) when next year's
//! holiday schedule is not loaded yet.
//!
//! Time limits are data (`deadline_watcher.policies`, documented in `docs/deadlines.md`);
//! policy selection, deadline arithmetic, reminder points and timer transitions are pure
//! rules in [`domain`].

pub mod calendar;
mod clock_batch;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod near_due;
pub mod order_view;
pub mod overdue;
pub mod periodic;
pub mod policy_desk;
pub mod queries;
pub mod reminders;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hotline_contract::subjects::event;
use hotline_service_kit::bootstrap;
use hotline_service_kit::running::Running;
use tokio_util::sync::CancellationToken;

pub use config::DeadlineWatcherConfig;

/// The service's name (NATS client, durable consumer prefix, event source).
pub const SERVICE: &str = "deadline-watcher";
/// The service's Postgres schema.
pub const SCHEMA: &str = "deadline_watcher";
/// The service's own migrations (the messaging tables come from `hotline-messaging`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start the deadline-watcher; it runs until `shutdown` is cancelled.
pub async fn start(
    config: DeadlineWatcherConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    let settings = &config.deadline_watcher;
    let reminder_points = domain::reminder::reminder_points(&settings.reminder_fractions)
        .context("deadline_watcher.reminder_fractions")?;
    let calendar = calendar::load(settings.calendar_file.as_deref())
        .context("load the working-day calendar")?;
    tracing::info!(years = ?calendar.covered_years(), "working-day calendar loaded");
    let calendar = Arc::new(calendar);

    let (ctx, ops) = bootstrap::start(
        SERVICE,
        SCHEMA,
        &config.common,
        &[&MIGRATOR],
        shutdown.clone(),
    )
    .await
    .context("bootstrap")?;
    ctx.provision_hotline_stream()
        .await
        .context("provision the HOTLINE stream")?;
    // The points the `next_reminder_at` trigger counts with are this configuration's.
    let recomputed = store::sync_reminder_schedule(&ctx.db, &reminder_points)
        .await
        .context("store the reminder points")?;
    if recomputed > 0 {
        tracing::info!(
            timers = recomputed,
            "reminder points changed; next reminder instants recomputed"
        );
    }
    let mut running = Running::for_context(&ctx, ops);

    let outbox = ctx.outbox();
    running.spawn_outbox_relay(&ctx);

    running.spawn_consumer(
        &ctx,
        ctx.consumer(
            "clocks",
            &[
                event::ORDER_DISPATCHED,
                event::ORDER_REDISPATCHED,
                event::ORDER_SIGNED,
                event::ORDER_RESULT_SUBMITTED,
                event::ORDER_SENT_BACK,
                event::ORDER_CLOSED,
                event::ORDER_EXTENSION_GRANTED,
                event::ORDER_SUSPENDED,
                event::ORDER_RESUMED,
                event::ORDER_CO_HANDLING_ASSIGNED,
                event::ORDER_CO_HANDLING_REPORTED,
                event::SUPERVISION_CASE_OPENED,
                event::SUPERVISION_CASE_ESCALATED,
                event::SUPERVISION_RECTIFICATION_REPORTED,
                event::SUPERVISION_CASE_CLOSED,
            ],
        ),
        handlers::Clocks::new(calendar.clone(), outbox.clone()),
    );

    let reminders = reminders::ReminderScan::new(
        ctx.db.clone(),
        outbox.clone(),
        reminder_points,
        settings.scan_batch_size,
    );
    running.spawn(
        "reminder-scan",
        reminders.run(
            Duration::from_secs(settings.scan_interval_secs),
            shutdown.clone(),
        ),
    );
    let scan = overdue::OverdueScan::new(ctx.db.clone(), outbox, settings.scan_batch_size);
    running.spawn(
        "overdue-scan",
        scan.run(
            Duration::from_secs(settings.scan_interval_secs),
            shutdown.clone(),
        ),
    );
    let rpc = queries::serve(&ctx, calendar.clone())
        .await
        .context("serve the calendar queries")?;
    running.spawn("rpc", rpc.wait());
    let readiness_warnings = running.readiness_warnings();
    running.spawn(
        "calendar-watch",
        calendar::watch(
            calendar,
            readiness_warnings,
            Duration::from_secs(settings.calendar_check_interval_secs),
            shutdown.clone(),
        ),
    );

    tracing::info!(ops = %running.ops_addr(), "deadline-watcher ready");
    Ok(running)
}
