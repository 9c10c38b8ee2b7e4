#![allow(clippy::expect_used, clippy::unwrap_used)] // test harness: failing loudly is the point
//! The end-to-end harness: every service started in one process, as its `main` would
//! start it, against one real nats-server (the pinned binary) and one fresh PostgreSQL
//! database (one schema per service), under a random namespace. Logs of all services are
//! captured so tests can follow one order's trace through them.

use std::net::SocketAddr;
use std::time::Duration;

use hotline_service_kit::config::CommonConfig;
use hotline_service_kit::running::Running;
use hotline_telemetry::{LogCapture, TelemetryConfig};
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

/// All eight services, running.
#[derive(Debug)]
pub struct Stack {
    pub nats: NatsServer,
    pub db: TestDatabase,
    pub namespace: String,
    pub logs: LogCapture,
    pub gateway: SocketAddr,
    pub services: Vec<(&'static str, SocketAddr)>,
    shutdown: CancellationToken,
    running: Vec<Running>,
}

impl Stack {
    /// Start NATS, a database and every service; return when all are started.
    pub async fn start() -> Stack {
        let logs = LogCapture::new();
        let telemetry = TelemetryConfig {
            log_filter: "info".to_owned(),
            ..TelemetryConfig::default()
        };
        // One subscriber for the whole process (services share it, as in one pod each).
        let _ = hotline_telemetry::init_with_writer("e2e", &telemetry, logs.clone());
        let nats = NatsServer::start().await;
        let db = TestDatabase::create().await;
        let namespace = unique_namespace();
        let mut common = CommonConfig {
            namespace: namespace.clone(),
            telemetry,
            ..CommonConfig::default()
        };
        common.nats.url = nats.url();
        common.database.url = SecretString::from(db.url());
        common.database.max_connections = 5;
        common.ops.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let shutdown = CancellationToken::new();
        let mut running = Vec::new();
        let mut services = Vec::new();

        let intake = hotline_intake::start(
            hotline_intake::IntakeConfig {
                common: common.clone(),
                http: hotline_intake::config::HttpConfig { listen: any_port },
                ..Default::default()
            },
            shutdown.clone(),
        )
        .await
        .expect("intake starts");
        let intake_url = format!("http://{}", intake.http_addr().expect("intake listens"));
        services.push((hotline_intake::SERVICE, intake.ops_addr()));
        running.push(intake);

        macro_rules! start {
            ($krate:ident, $config:ident) => {{
                let mut config = $krate::$config::default();
                config.common = common.clone();
                let r = $krate::start(config, shutdown.clone())
                    .await
                    .expect(concat!(stringify!($krate), " starts"));
                services.push(($krate::SERVICE, r.ops_addr()));
                running.push(r);
            }};
        }
        start!(hotline_router, RouterConfig);
        start!(hotline_deadline_watcher, DeadlineWatcherConfig);
        start!(hotline_supervision, SupervisionConfig);
        start!(hotline_analytics, AnalyticsConfig);
        start!(hotline_knowledge, KnowledgeConfig);
        start!(hotline_emergency_bridge, EmergencyBridgeConfig);

        let mut gateway_config = hotline_gateway::GatewayConfig {
            common: common.clone(),
            ..Default::default()
        };
        gateway_config.http.listen = any_port;
        gateway_config.gateway.intake_url = intake_url;
        let gateway = hotline_gateway::start(gateway_config, shutdown.clone())
            .await
            .expect("gateway starts");
        let gateway_addr = gateway.http_addr().expect("gateway listens");
        services.push((hotline_gateway::SERVICE, gateway.ops_addr()));
        running.push(gateway);

        Stack {
            nats,
            db,
            namespace,
            logs,
            gateway: gateway_addr,
            services,
            shutdown,
            running,
        }
    }

    /// `http://<gateway>/<path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.gateway, path)
    }

    /// Wait until every service's `/readyz` answers 200.
    pub async fn wait_ready(&self) {
        let http = reqwest::Client::new();
        for (name, ops) in &self.services {
            let url = format!("http://{ops}/readyz");
            hotline_test_support::wait_for(
                &format!("{name} to be ready"),
                Duration::from_secs(30),
                || {
                    let http = http.clone();
                    let url = url.clone();
                    async move {
                        let r = http.get(&url).send().await.ok()?;
                        r.status().is_success().then_some(())
                    }
                },
            )
            .await;
        }
    }

    /// Every message in the `HOTLINE` stream so far, as (subject, payload text).
    pub async fn all_events(&self) -> Vec<(String, String)> {
        use futures::StreamExt;
        let client = async_nats::connect(self.nats.url()).await.expect("connect");
        let js = async_nats::jetstream::new(client);
        let ns = hotline_contract::Namespace::new(self.namespace.clone()).expect("namespace");
        let stream = js
            .get_stream(ns.stream(hotline_contract::subjects::HOTLINE_STREAM))
            .await
            .expect("stream");
        let consumer = stream
            .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
            .await
            .expect("ordered consumer");
        let pending = stream.cached_info().state.messages;
        let mut messages = consumer.messages().await.expect("messages");
        let mut out = Vec::new();
        while (out.len() as u64) < pending {
            let Ok(Some(Ok(m))) =
                tokio::time::timeout(Duration::from_secs(5), messages.next()).await
            else {
                break;
            };
            out.push((
                m.subject.to_string(),
                String::from_utf8_lossy(&m.payload).into_owned(),
            ));
        }
        assert_eq!(
            out.len() as u64,
            pending,
            "read every message in the stream"
        );
        out
    }

    /// Graceful shutdown of every service.
    pub async fn stop(self) {
        self.shutdown.cancel();
        for r in self.running {
            r.wait().await;
        }
    }
}
