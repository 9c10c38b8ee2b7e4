//! A started service: its background tasks and the addresses it listens on.
//!
//! `start()` of every service returns a [`Running`]; `main` waits on it, tests read its
//! addresses (services bind port 0 in tests). Tasks stop on the shutdown token they were
//! given; [`Running::wait`] returns once every task has finished, the NATS connection is
//! drained and the ops server has stopped: the "finish in-flight work, drain, exit" half of
//! graceful shutdown (the caller then flushes telemetry).

use std::future::Future;
use std::net::SocketAddr;

use tokio::task::JoinSet;

use crate::ops::{OpsServer, ReadinessWarnings};

/// A running service.
#[derive(Debug)]
pub struct Running {
    service: &'static str,
    ops: OpsServer,
    ops_addr: SocketAddr,
    http_addr: Option<SocketAddr>,
    tasks: JoinSet<()>,
    nats: Option<async_nats::Client>,
}

impl Running {
    pub fn new(service: &'static str, ops: OpsServer) -> Self {
        Self {
            service,
            ops_addr: ops.local_addr,
            ops,
            http_addr: None,
            tasks: JoinSet::new(),
            nats: None,
        }
    }

    /// Drain this NATS connection when the service stops: pending publishes and acks are
    /// flushed, subscriptions closed, then the connection.
    pub fn drain_on_exit(&mut self, nats: async_nats::Client) {
        self.nats = Some(nats);
    }

    /// Run `task` in the background; its end is logged with `name`.
    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let service = self.service;
        self.tasks.spawn(async move {
            task.await;
            tracing::debug!(service, task = name, "task finished");
        });
    }

    pub fn set_http_addr(&mut self, addr: SocketAddr) {
        self.http_addr = Some(addr);
    }

    /// Where `/healthz`, `/readyz` and `/metrics` answer.
    pub fn ops_addr(&self) -> SocketAddr {
        self.ops_addr
    }

    /// Where the service posts non-fatal warnings shown by `/readyz`.
    pub fn readiness_warnings(&self) -> ReadinessWarnings {
        self.ops.warnings()
    }

    /// The service's own HTTP API, if it has one.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// Wait until every task and the ops server have stopped.
    pub async fn wait(mut self) {
        while let Some(result) = self.tasks.join_next().await {
            if let Err(error) = result {
                tracing::error!(service = self.service, %error, "a task ended abnormally");
            }
        }
        if let Some(nats) = self.nats.take()
            && let Err(error) = nats.drain().await
        {
            tracing::warn!(service = self.service, %error, "NATS connection could not be drained");
        }
        self.ops.wait().await;
        tracing::info!(service = self.service, "stopped");
    }
}
