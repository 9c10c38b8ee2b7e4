//! The few lines every service writes to wire itself to the bus: provision the `HOTLINE`
//! stream, run the outbox relay, run its consumers. Kept here so each service's `start()`
//! reads as a list of what it consumes and serves, not as plumbing.

use std::sync::Arc;

use hotline_contract::subjects::{self, HOTLINE_STREAM};
use hotline_messaging::{
    ConsumerConfig, ConsumerSpec, EventHandler, Outbox, OutboxRelay, ProvisionError, RelayConfig,
    ensure_stream, run_consumer,
};

use crate::bootstrap::ServiceContext;
use crate::ops::OpsServer;
use crate::running::Running;

impl ServiceContext {
    /// The service's outbox (in its own schema).
    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.service, &self.schema, self.namespace.clone())
    }

    /// The namespaced name of the `HOTLINE` stream.
    pub fn hotline_stream_name(&self) -> String {
        self.namespace.stream(HOTLINE_STREAM)
    }

    /// Create the `HOTLINE` stream, or update it to the current spec.
    pub async fn provision_hotline_stream(&self) -> Result<(), ProvisionError> {
        let spec = subjects::hotline_stream(&self.namespace, self.stream_replicas);
        ensure_stream(&self.jetstream, &spec).await.map(|_| ())
    }

    /// A durable consumer `<service>-<purpose>` on the `HOTLINE` stream, filtered to
    /// `subjects` (un-prefixed; the namespace is applied here), with the service's
    /// `consumer_lanes`, `consumer_batch_max` and `consumer_linger_ms`, and otherwise the
    /// default settings.
    pub fn consumer(&self, purpose: &str, subjects: &[&str]) -> ConsumerConfig {
        let mut config = ConsumerConfig::new(
            self.service,
            &self.schema,
            self.namespace.clone(),
            self.hotline_stream_name(),
            ConsumerSpec::new(
                subjects::durable_name(self.service, purpose),
                subjects.iter().map(|s| self.namespace.subject(s)).collect(),
            ),
        );
        config.lanes = self.consumer_lanes;
        config.batch_max = self.consumer_batch_max;
        config.linger = self.consumer_linger;
        config
    }

    /// As [`ServiceContext::consumer`], for a consumer whose events someone is waiting on
    /// (an order to be dispatched, an emergency to be handed to a partner hotline): its
    /// lanes never wait for a batch to fill.
    pub fn prompt_consumer(&self, purpose: &str, subjects: &[&str]) -> ConsumerConfig {
        let mut config = self.consumer(purpose, subjects);
        config.linger = std::time::Duration::ZERO;
        config
    }
}

impl Running {
    /// The running service of `ctx`: its NATS connection is drained when it stops.
    pub fn for_context(ctx: &ServiceContext, ops: OpsServer) -> Self {
        let mut running = Running::new(ctx.service, ops);
        running.drain_on_exit(ctx.nats.clone());
        running
    }

    /// Run the outbox relay of `ctx`'s schema until shutdown.
    pub fn spawn_outbox_relay(&mut self, ctx: &ServiceContext) {
        let relay = OutboxRelay::new(
            ctx.db.clone(),
            ctx.jetstream.clone(),
            &ctx.schema,
            RelayConfig::default(),
        );
        self.spawn("outbox-relay", relay.run(ctx.shutdown.clone()));
    }

    /// Run a consumer loop with `handler` until shutdown.
    pub fn spawn_consumer<H: EventHandler>(
        &mut self,
        ctx: &ServiceContext,
        config: ConsumerConfig,
        handler: H,
    ) {
        self.spawn(
            "consumer",
            run_consumer(
                ctx.jetstream.clone(),
                ctx.db.clone(),
                config,
                Arc::new(handler),
                ctx.shutdown.clone(),
            ),
        );
    }
}
