//! The machine's raw limits, measured in the load run (issue 12): PostgreSQL single-row
//! commits per second on as many connections as the services use, and JetStream publishes
//! per second each awaiting its acknowledgement.

use std::time::{Duration, Instant};

/// Single-row INSERT commits per second on as many connections as the services use.
pub async fn pg_commit_rate(db_url: &str, duration: Duration) -> f64 {
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
pub async fn js_publish_rate(bus: &async_nats::Client, duration: Duration) -> f64 {
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
