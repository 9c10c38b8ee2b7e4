//! Every service as its own OS process (`hotlinectl serve <service>`), for the fault
//! harness: a process can be killed with SIGKILL and started again on the same ports, as
//! a crashed pod is, while the others go on.
//!
//! The services are configured as in a deployment, through `HOTLINE_*` environment
//! variables: one NATS, one database (each service its own schema), a random namespace.
//! Ports are fixed at start so a restarted service comes back where the others expect it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hotline_test_support::{NatsServer, TestDatabase, free_port, unique_namespace};

use crate::load::{LoadConfig, Target};

/// The services, in start order.
pub const SERVICES: &[&str] = &[
    "intake",
    "router",
    "deadline-watcher",
    "supervision",
    "analytics",
    "knowledge",
    "emergency-bridge",
    "gateway",
];

/// The bootstrap administrator's password in these stacks.
const ADMIN_PASSWORD: &str = "process-stack-admin-1";

/// The system as processes.
#[derive(Debug)]
pub struct ProcessStack {
    pub nats: NatsServer,
    pub db: TestDatabase,
    pub namespace: String,
    binary: PathBuf,
    ops: HashMap<&'static str, u16>,
    intake_http: u16,
    gateway_http: u16,
    /// Supervision leaves complete results to a reviewer (no automatic acceptance).
    people_review: bool,
    children: HashMap<&'static str, Child>,
    logs: tempfile::TempDir,
}

impl ProcessStack {
    /// Starts NATS, a database and every service (`binary` is `hotlinectl`) for the load
    /// `config` (results wait for the tool's reviewer when it sends some back,
    /// [`LoadConfig::people_review`], as in [`crate::Stack::start_for_load`]), and waits
    /// until all are ready.
    pub async fn start(binary: PathBuf, config: &LoadConfig) -> ProcessStack {
        let nats = NatsServer::start().await;
        let db = TestDatabase::create().await;
        let mut stack = ProcessStack {
            nats,
            db,
            namespace: unique_namespace(),
            binary,
            ops: HashMap::new(),
            intake_http: 0,
            gateway_http: 0,
            people_review: config.people_review(),
            children: HashMap::new(),
            logs: tempfile::tempdir().expect("a log dir"),
        };
        // Ten distinct ports (free_port may hand out one twice if asked in a row).
        let mut ports = std::collections::BTreeSet::new();
        while ports.len() < SERVICES.len() + 2 {
            ports.insert(free_port());
        }
        let mut ports = ports.into_iter();
        for service in SERVICES {
            stack.ops.insert(service, ports.next().expect("a port"));
        }
        stack.intake_http = ports.next().expect("a port");
        stack.gateway_http = ports.next().expect("a port");
        for service in SERVICES {
            stack.spawn(service);
            // Intake's schema and sequences first, as in the in-process stack.
            stack.wait_ready(service).await;
        }
        stack
    }

    /// `http://<gateway>`
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.gateway_http)
    }

    fn env(&self, service: &str) -> Vec<(String, String)> {
        let mut env = vec![
            ("HOTLINE_NAMESPACE", self.namespace.clone()),
            ("HOTLINE_NATS__URL", self.nats.url()),
            ("HOTLINE_DATABASE__URL", self.db.url()),
            ("HOTLINE_DATABASE__MAX_CONNECTIONS", "5".to_owned()),
            (
                "HOTLINE_OPS__LISTEN",
                format!("127.0.0.1:{}", self.ops[service]),
            ),
            ("HOTLINE_TELEMETRY__LOG_FILTER", "warn".to_owned()),
        ];
        match service {
            "intake" => env.push((
                "HOTLINE_HTTP__LISTEN",
                format!("127.0.0.1:{}", self.intake_http),
            )),
            "gateway" => {
                env.push((
                    "HOTLINE_HTTP__LISTEN",
                    format!("127.0.0.1:{}", self.gateway_http),
                ));
                env.push((
                    "HOTLINE_GATEWAY__INTAKE_URL",
                    format!("http://127.0.0.1:{}", self.intake_http),
                ));
                env.push((
                    "HOTLINE_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD",
                    ADMIN_PASSWORD.to_owned(),
                ));
                env.push(("HOTLINE_GATEWAY__SUBMIT_PER_MINUTE", "0".to_owned()));
                env.push(("HOTLINE_GATEWAY__QUERY_PER_MINUTE", "0".to_owned()));
            }
            "supervision" if self.people_review => env.push((
                "HOTLINE_SUPERVISION__AUTO_ACCEPT_COMPLETE",
                "false".to_owned(),
            )),
            _ => {}
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    fn spawn(&mut self, service: &'static str) {
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(self.logs.path().join(format!("{service}.log")))
            .expect("a log file");
        let err = log.try_clone().expect("a log file");
        let child = Command::new(&self.binary)
            .args(["serve", service])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env(service))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {service}: {e}"));
        self.children.insert(service, child);
    }

    /// Waits until `service` answers `/readyz` with 200 (and, for the gateway and intake,
    /// until their HTTP API accepts connections); fails with the tail of its log.
    pub async fn wait_ready(&self, service: &str) {
        let ready = format!("http://127.0.0.1:{}/readyz", self.ops[service]);
        let api = match service {
            "gateway" => Some(format!("{}/api/openapi.json", self.base())),
            "intake" => Some(format!("http://127.0.0.1:{}/", self.intake_http)),
            _ => None,
        };
        let http = reqwest::Client::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let ops_ready = matches!(http.get(&ready).send().await, Ok(r) if r.status() == 200);
            let api_up = match &api {
                Some(url) => http.get(url).send().await.is_ok(),
                None => true,
            };
            if ops_ready && api_up {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{service} not ready after 60 s; its log ends: {}",
                self.log_tail(service)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_tail(&self, service: &str) -> String {
        let text = std::fs::read_to_string(self.logs.path().join(format!("{service}.log")))
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }

    /// SIGKILL, as a crash: no shutdown, no draining, no last words.
    pub fn kill(&mut self, service: &str) {
        if let Some(mut child) = self.children.remove(service) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The runbook's `replay-outbox` of `service` (docs/operations.md: after a lost
    /// JetStream store): run as its own command with the service's environment; returns
    /// once it exited, with what it printed.
    pub async fn replay_outbox(&self, service: &str) -> String {
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .args(["replay-outbox", service])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env(service))
            .stdin(Stdio::null());
        let out = command
            .output()
            .await
            .unwrap_or_else(|e| panic!("cannot run replay-outbox of {service}: {e}"));
        assert!(
            out.status.success(),
            "replay-outbox of {service} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `service` again (after [`kill`](Self::kill)) and waits until it is ready.
    pub async fn restart(&mut self, service: &'static str) {
        self.kill(service);
        self.spawn(service);
        self.wait_ready(service).await;
    }

    /// The bootstrap administrator's API token.
    pub async fn admin_token(&self) -> String {
        let gateway: SocketAddr = format!("127.0.0.1:{}", self.gateway_http)
            .parse()
            .expect("address");
        crate::admin_token_with(gateway, ADMIN_PASSWORD).await
    }

    /// This system as a load target.
    pub async fn target(&self) -> Target {
        Target {
            base: self.base(),
            admin_token: self.admin_token().await,
            namespace: self.namespace.clone(),
            bus: async_nats::connect(self.nats.url()).await.expect("connect"),
            db_url: self.db.url(),
            relisten: std::sync::Arc::default(),
        }
    }

    /// Stops every service (SIGTERM would be kinder; the test is over).
    pub fn stop(mut self) {
        for service in SERVICES {
            self.kill(service);
        }
    }
}

impl Drop for ProcessStack {
    fn drop(&mut self) {
        for (_, mut child) in self.children.drain() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
