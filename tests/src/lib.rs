#![allow(clippy::expect_used, clippy::unwrap_used)] // test harness: failing loudly is the point
//! The end-to-end harness: every service started in one process, as its `main` would
//! start it, against one real nats-server (the pinned binary) and one fresh PostgreSQL
//! database (one schema per service), under a random namespace. Logs of all services are
//! captured so tests can follow one order's trace through them.

pub mod faults;
pub mod load;
pub mod processes;
pub mod rest;

use std::net::SocketAddr;
use std::time::Duration;

use hotline_service_kit::config::CommonConfig;
use hotline_service_kit::running::Running;
use hotline_telemetry::{LogCapture, TelemetryConfig};
use hotline_test_support::{NatsServer, TestDatabase, unique_namespace};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

/// An account of the harness: (id, role, unit).
type UserKey = (String, Role, Option<String>);

/// All eight services, running.
#[derive(Debug)]
pub struct Stack {
    pub nats: NatsServer,
    pub db: TestDatabase,
    pub namespace: String,
    /// The user and password the harness itself uses on the bus (`ops`) when the server
    /// runs the deployment's permissions (see [`Adjust::secured`]).
    pub bus_user: Option<(String, String)>,
    /// The prefix of the services' PostgreSQL roles when each has its own
    /// (`deploy/postgres/roles.sql`, [`Adjust::secured`]).
    pub db_roles: Option<String>,
    pub logs: LogCapture,
    pub gateway: SocketAddr,
    pub services: Vec<(&'static str, SocketAddr)>,
    /// The bootstrap administrator's API token (accounts and tokens for the test's users).
    pub admin_token: String,
    /// Clients of the accounts created so far, by (id, role, unit).
    users: tokio::sync::Mutex<std::collections::HashMap<UserKey, reqwest::Client>>,
    shutdown: CancellationToken,
    running: Vec<Running>,
}

impl Stack {
    /// Start NATS, a database and every service; return when all are started.
    pub async fn start() -> Stack {
        Self::start_with(|_| {}).await
    }

    /// As [`Stack::start`], with the gateway's config adjusted first (benchmarks turn the
    /// per-client rate limits off).
    pub async fn start_with(
        adjust_gateway: impl FnOnce(&mut hotline_gateway::GatewayConfig) + Send,
    ) -> Stack {
        Self::start_configured(adjust_gateway, |_| {}).await
    }

    /// As [`Stack::start_with`], with supervision's config adjusted too (the review tests
    /// turn its automatic acceptance of complete results off).
    pub async fn start_configured(
        adjust_gateway: impl FnOnce(&mut hotline_gateway::GatewayConfig) + Send,
        adjust_supervision: impl FnOnce(&mut hotline_supervision::SupervisionConfig) + Send,
    ) -> Stack {
        Self::start_adjusted(
            Adjust::default()
                .gateway(adjust_gateway)
                .supervision(adjust_supervision),
        )
        .await
    }

    /// Start every service with the configs `adjust` changes (any service a test tunes).
    pub async fn start_adjusted(adjust: Adjust<'_>) -> Stack {
        let Adjust {
            gateway: adjust_gateway,
            supervision: adjust_supervision,
            intake: adjust_intake,
            secured,
        } = adjust;
        let logs = LogCapture::new();
        let telemetry = TelemetryConfig {
            log_filter: "info".to_owned(),
            ..TelemetryConfig::default()
        };
        // One subscriber for the whole process (services share it, as in one pod each).
        let _ = hotline_telemetry::init_with_writer("e2e", &telemetry, logs.clone());
        let (nats, namespace, bus_user) = if secured {
            // The deployment's accounts and permissions; subjects as in production (no
            // namespace), since the permissions name them.
            let nats =
                NatsServer::start_with_config(&secured::server_config(), secured::env()).await;
            let bus_user = Some(("ops".to_owned(), secured::password("ops")));
            (nats, String::new(), bus_user)
        } else {
            (NatsServer::start().await, unique_namespace(), None)
        };
        let db = TestDatabase::create().await;
        // Each service gets its own PostgreSQL role, owning its schema only.
        let db_roles = if secured {
            Some(secured::create_roles(&db).await)
        } else {
            None
        };
        let mut common = CommonConfig {
            namespace: namespace.clone(),
            telemetry,
            ..CommonConfig::default()
        };
        common.nats.url = nats.url();
        // Each service connects as its own user when the server enforces permissions.
        let as_service = |common: &CommonConfig, service: &str| {
            let mut common = common.clone();
            if secured {
                common.nats.user = Some(service.to_owned());
                common.nats.password = Some(SecretString::from(secured::password(service)));
            }
            if let Some(prefix) = &db_roles {
                common.database.url =
                    SecretString::from(secured::role_url(&db.url(), prefix, service));
            }
            common
        };
        common.database.url = SecretString::from(db.url());
        common.database.max_connections = std::env::var("HOTLINE_DATABASE__MAX_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5);
        // The services' own default unless the environment says otherwise, as a service
        // process would read it (for A/B runs of the load tool, docs/performance.md).
        if let Some(lanes) = std::env::var("HOTLINE_CONSUMER_LANES")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            common.consumer_lanes = lanes;
        }
        if let Some(linger) = std::env::var("HOTLINE_CONSUMER_LINGER_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            common.consumer_linger_ms = linger;
        }
        if let Some(batch) = std::env::var("HOTLINE_CONSUMER_BATCH_MAX")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            common.consumer_batch_max = batch;
        }
        common.ops.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let shutdown = CancellationToken::new();
        let mut running = Vec::new();
        let mut services = Vec::new();

        let mut intake_config = hotline_intake::IntakeConfig {
            common: as_service(&common, hotline_intake::SERVICE),
            http: hotline_intake::config::HttpConfig { listen: any_port },
            ..Default::default()
        };
        if let Some(adjust) = adjust_intake {
            adjust(&mut intake_config);
        }
        let intake = hotline_intake::start(intake_config, shutdown.clone())
            .await
            .expect("intake starts");
        let intake_url = format!("http://{}", intake.http_addr().expect("intake listens"));
        services.push((hotline_intake::SERVICE, intake.ops_addr()));
        running.push(intake);

        macro_rules! start {
            ($krate:ident, $config:ident) => {{
                let mut config = $krate::$config::default();
                config.common = as_service(&common, $krate::SERVICE);
                let r = $krate::start(config, shutdown.clone())
                    .await
                    .expect(concat!(stringify!($krate), " starts"));
                services.push(($krate::SERVICE, r.ops_addr()));
                running.push(r);
            }};
        }
        start!(hotline_router, RouterConfig);
        start!(hotline_deadline_watcher, DeadlineWatcherConfig);
        {
            let mut config = hotline_supervision::SupervisionConfig {
                common: as_service(&common, hotline_supervision::SERVICE),
                ..Default::default()
            };
            if let Some(adjust) = adjust_supervision {
                adjust(&mut config);
            }
            let r = hotline_supervision::start(config, shutdown.clone())
                .await
                .expect("hotline_supervision starts");
            services.push((hotline_supervision::SERVICE, r.ops_addr()));
            running.push(r);
        }
        start!(hotline_analytics, AnalyticsConfig);
        start!(hotline_knowledge, KnowledgeConfig);
        start!(hotline_emergency_bridge, EmergencyBridgeConfig);

        let mut gateway_config = hotline_gateway::GatewayConfig {
            common: as_service(&common, hotline_gateway::SERVICE),
            ..Default::default()
        };
        gateway_config.http.listen = any_port;
        gateway_config.gateway.intake_url = intake_url;
        gateway_config.gateway.bootstrap_admin_password =
            Some(SecretString::from(ADMIN_PASSWORD.to_owned()));
        if let Some(adjust) = adjust_gateway {
            adjust(&mut gateway_config);
        }
        let gateway = hotline_gateway::start(gateway_config, shutdown.clone())
            .await
            .expect("gateway starts");
        let gateway_addr = gateway.http_addr().expect("gateway listens");
        services.push((hotline_gateway::SERVICE, gateway.ops_addr()));
        running.push(gateway);
        let admin_token = admin_token(gateway_addr).await;

        Stack {
            nats,
            db,
            namespace,
            bus_user,
            db_roles,
            logs,
            gateway: gateway_addr,
            services,
            admin_token,
            users: Default::default(),
            shutdown,
            running,
        }
    }

    /// An HTTP client signed in (by API token) as the account `id` with `role` (and, for
    /// unit staff, `unit`); the account is created on first use. The account's id is the
    /// name the gateway puts in (and checks against) the bodies' actor fields.
    pub async fn user(&self, id: &str, role: Role, unit: Option<&str>) -> reqwest::Client {
        let key = (id.to_owned(), role, unit.map(str::to_owned));
        let mut users = self.users.lock().await;
        if let Some(client) = users.get(&key) {
            return client.clone();
        }
        let client = self.create_user(id, role, unit).await;
        users.insert(key, client.clone());
        client
    }

    /// A person's account `id` with `role` (and, for unit staff, `unit`) who signs in with
    /// `password` (the browser tests sign in through the console's login form).
    pub async fn person(&self, id: &str, role: Role, unit: Option<&str>, password: &str) {
        let r = reqwest::Client::new()
            .post(self.url("/api/v1/accounts"))
            .bearer_auth(&self.admin_token)
            .json(&serde_json::json!({
                "principal_id": id, "display_name": id, "role": role, "unit_id": unit,
                "password": password,
            }))
            .send()
            .await
            .expect("create account");
        assert_eq!(
            r.status(),
            201,
            "account {id}: {}",
            r.text().await.unwrap_or_default()
        );
    }

    /// The client of whoever `body` says acts (see [`actor_of`]); anonymous when nobody.
    /// For tests that speak for one desk at a time in JSON bodies.
    pub async fn acting(&self, body: &serde_json::Value) -> reqwest::Client {
        match actor_of(body) {
            Some((id, role, unit)) => self.user(&id, role, unit.as_deref()).await,
            None => reqwest::Client::new(),
        }
    }

    async fn create_user(&self, id: &str, role: Role, unit: Option<&str>) -> reqwest::Client {
        make_user(&self.url(""), &self.admin_token, id, role, unit).await
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

    /// The public progress view of an order (A11), by number and check code; `None` unless
    /// the gateway answers 200 with JSON.
    pub async fn public_view(&self, number: &str, check: &str) -> Option<serde_json::Value> {
        let url = self.url(&format!("/api/v1/orders/{number}?check_code={check}"));
        let r = reqwest::get(url).await.ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }

    /// Publish `data` on the bus as `producer` would (through its outbox relay: in an
    /// envelope whose id is the `Nats-Msg-Id`), for facts whose producing API is not built
    /// yet. Returns the envelope id.
    pub async fn publish_as<E: hotline_contract::Event>(
        &self,
        producer: &str,
        data: E,
    ) -> uuid::Uuid {
        let client = self.bus().await;
        let js = async_nats::jetstream::new(client);
        let ns = hotline_contract::Namespace::new(self.namespace.clone()).expect("namespace");
        let subject = ns.subject(&data.subject());
        let envelope =
            hotline_contract::envelope::Envelope::new(producer, data.aggregate_id(), data);
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            hotline_contract::headers::NATS_MSG_ID,
            envelope.id.to_string().as_str(),
        );
        js.publish_with_headers(
            subject,
            headers,
            envelope.to_bytes().expect("encode").into(),
        )
        .await
        .expect("publish")
        .await
        .expect("stream ack");
        envelope.id
    }

    /// Every message in the `HOTLINE` stream so far, as (subject, payload text).
    pub async fn all_events(&self) -> Vec<(String, String)> {
        use futures::StreamExt;
        let client = self.bus().await;
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

    /// Fail if personal data of requesters appears in clear in any captured log line or
    /// any event on the stream (A21): an 11-digit mobile number standing alone, or a name
    /// from [`SEEDED_NAMES`]. Called by [`Stack::stop`], so every end-to-end test checks it.
    pub async fn assert_no_personal_data(&self) {
        let logs = self.logs.contents();
        let events = self.all_events().await;
        let texts = std::iter::once(("logs".to_owned(), logs)).chain(
            events
                .into_iter()
                .map(|(subject, payload)| (format!("event on {subject}"), payload)),
        );
        for (place, text) in texts {
            if let Some(phone) = find_mobile_number(&text) {
                panic!(
                    "a phone number ({}****) appeared in clear in {place}",
                    &phone[..3]
                );
            }
            for name in SEEDED_NAMES {
                assert!(
                    !text.contains(name),
                    "the name {name:?} appeared in clear in {place}"
                );
            }
        }
    }

    /// The unit's part of the happy path, through the API as its staff member `staff`: sign
    /// the order, then submit a complete result (which supervision accepts unless a test
    /// turned that off). Fails the test on any answer but 200.
    pub async fn sign_and_answer(&self, number: &str, unit: &str, staff: &str) {
        let client = self.user(staff, Role::UnitHandler, Some(unit)).await;
        let steps = [
            (
                "sign",
                serde_json::json!({"unit_id": unit, "signed_by": staff}),
            ),
            (
                "result",
                serde_json::json!({
                    "unit_id": unit, "submitted_by": staff,
                    "basis": "《中华人民共和国噪声污染防治法》第四十三条",
                    "findings": "经现场核查，噪声来自夜间违规施工。",
                    "reply": "已责令施工单位停止夜间施工，并将加强巡查。",
                }),
            ),
        ];
        for (step, body) in steps {
            let r = client
                .post(self.url(&format!("/api/v1/orders/{number}/{step}")))
                .json(&body)
                .send()
                .await
                .expect("the gateway answers");
            assert_eq!(
                r.status(),
                200,
                "{step}: {}",
                r.text().await.unwrap_or_default()
            );
        }
    }

    /// A NATS client for the harness (as `ops` on a secured server).
    pub async fn bus(&self) -> async_nats::Client {
        let options = match &self.bus_user {
            Some((user, password)) => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
            None => async_nats::ConnectOptions::new(),
        };
        options.connect(self.nats.url()).await.expect("connect")
    }

    /// Graceful shutdown of every service, after checking that no personal data leaked.
    pub async fn stop(self) {
        self.assert_no_personal_data().await;
        self.shutdown.cancel();
        for r in self.running {
            r.wait().await;
        }
    }
}

/// Who a request body says acts, as (account id, role, unit): the staff member of a unit
/// (`unit_id` with a `*_by` field), a reviewer or the head (`role`), the authority or the
/// center deciding a dispute (`decider`), an agent (`agent_id`), otherwise a dispatcher
/// for the center's other `*_by` fields and the administrator for `edited_by`.
pub fn actor_of(body: &serde_json::Value) -> Option<(String, Role, Option<String>)> {
    let text = |k: &str| body.get(k).and_then(serde_json::Value::as_str);
    let by = body.as_object()?.iter().find_map(|(k, v)| {
        (k.ends_with("_by") && k != "promised_by")
            .then(|| v.as_str())
            .flatten()
            .map(|v| (k.as_str(), v.to_owned()))
    });
    if let Some((field, id)) = by {
        let role = match (text("role"), text("decider"), field) {
            (Some("reviewer"), _, _) => Role::Reviewer,
            (Some("head"), _, _) => Role::CenterHead,
            (_, Some("authority"), _) => Role::Authority,
            (_, Some("center"), _) => Role::Dispatcher,
            (_, _, "edited_by" | "imported_by") => Role::Administrator,
            _ if text("unit_id").is_some() => Role::UnitHandler,
            _ => Role::Dispatcher,
        };
        let unit = (role == Role::UnitHandler)
            .then(|| text("unit_id").map(str::to_owned))
            .flatten();
        return Some((id, role, unit));
    }
    text("agent_id").map(|id| (id.to_owned(), Role::Agent, None))
}

/// The bootstrap administrator's password in the end-to-end stack.
pub const ADMIN_PASSWORD: &str = "E2e-Admin-Passw0rd";

pub use hotline_gateway::auth::roles::Role;

/// Sign in as the bootstrap administrator (session + CSRF, as the console does) and
/// issue the administrator an API token for the harness.
async fn admin_token(gateway: SocketAddr) -> String {
    admin_token_with(gateway, ADMIN_PASSWORD).await
}

/// Signs in as the bootstrap administrator (`password`) and issues an API token.
pub async fn admin_token_with(gateway: SocketAddr, password: &str) -> String {
    let http = reqwest::Client::new();
    let base = format!("http://{gateway}");
    let r = http
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"principal_id": "admin", "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200, "the bootstrap administrator signs in");
    let cookie = r
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hotline_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    let session: serde_json::Value = r.json().await.expect("session json");
    let csrf = session["csrf_token"].as_str().expect("csrf").to_owned();
    let r = http
        .post(format!("{base}/api/v1/tokens"))
        .header(reqwest::header::COOKIE, cookie)
        .header("x-csrf-token", csrf)
        .json(&serde_json::json!({"principal_id": "admin", "name": "e2e harness"}))
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 201, "the administrator gets a token");
    let token: serde_json::Value = r.json().await.expect("token json");
    token["token"].as_str().expect("token").to_owned()
}

/// A client that sends `Authorization: Bearer <token>` on every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value =
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("token header");
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

/// A config change of one service, for [`Stack::start_adjusted`].
type Adjustment<'a, C> = Option<Box<dyn FnOnce(&mut C) + Send + 'a>>;

/// Config changes for [`Stack::start_adjusted`]: at most one per service, each applied to
/// the service's config after the harness set it up (common sections, ports) and before
/// the service starts.
#[derive(Default)]
pub struct Adjust<'a> {
    gateway: Adjustment<'a, hotline_gateway::GatewayConfig>,
    supervision: Adjustment<'a, hotline_supervision::SupervisionConfig>,
    intake: Adjustment<'a, hotline_intake::IntakeConfig>,
    secured: bool,
}

impl<'a> Adjust<'a> {
    /// Change the gateway's config.
    pub fn gateway(
        mut self,
        f: impl FnOnce(&mut hotline_gateway::GatewayConfig) + Send + 'a,
    ) -> Self {
        self.gateway = Some(Box::new(f));
        self
    }

    /// Change supervision's config.
    pub fn supervision(
        mut self,
        f: impl FnOnce(&mut hotline_supervision::SupervisionConfig) + Send + 'a,
    ) -> Self {
        self.supervision = Some(Box::new(f));
        self
    }

    /// Change intake's config.
    pub fn intake(mut self, f: impl FnOnce(&mut hotline_intake::IntakeConfig) + Send + 'a) -> Self {
        self.intake = Some(Box::new(f));
        self
    }

    /// Run NATS with the deployment's accounts and permissions (`deploy/nats/server.conf`),
    /// each service connected as its own user, subjects un-namespaced as in production; and
    /// PostgreSQL with the deployment's roles (`deploy/postgres/roles.sql`), each service
    /// connected as the role owning its schema.
    pub fn secured(mut self) -> Self {
        self.secured = true;
        self
    }
}

impl std::fmt::Debug for Adjust<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adjust")
            .field("gateway", &self.gateway.is_some())
            .field("supervision", &self.supervision.is_some())
            .field("intake", &self.intake.is_some())
            .field("secured", &self.secured)
            .finish()
    }
}

/// The deployment's NATS configuration, as the secured stack runs it.
pub mod secured {
    use std::path::PathBuf;

    use hotline_test_support::TestDatabase;

    /// Every user of `deploy/nats/auth.conf` (services, partners, analyst, ops).
    pub const USERS: &[&str] = &[
        "intake",
        "router",
        "deadline-watcher",
        "supervision",
        "analytics",
        "knowledge",
        "emergency-bridge",
        "gateway",
        "partner-110",
        "partner-119",
        "partner-120",
        "partner-122",
        "partner-95598",
        "partner-12315",
        "partner-12366",
        "analyst",
        "ops",
    ];

    /// `deploy/nats/server.conf` (it includes `auth.conf`).
    pub fn server_config() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/nats/server.conf")
    }

    /// Applies `deploy/postgres/roles.sql` to `db` with a fresh role-name prefix (roles are
    /// cluster-wide; tests must not share them) and returns the prefix.
    pub async fn create_roles(db: &TestDatabase) -> String {
        let prefix = format!("t{}_", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/postgres/roles.sql");
        let script = std::fs::read_to_string(&path).expect("deploy/postgres/roles.sql");
        let default = "prefix CONSTANT text := 'hotline_';";
        assert!(script.contains(default), "roles.sql declares its prefix");
        let script = script.replace(default, &format!("prefix CONSTANT text := '{prefix}';"));
        let pool = db.pool().await;
        sqlx::raw_sql(&script)
            .execute(&pool)
            .await
            .expect("roles.sql applies");
        pool.close().await;
        prefix
    }

    /// Drops the roles [`create_roles`] made, and everything they own in the database at
    /// `db_url` (a superuser's URL): roles outlive databases, so tests clean up after them.
    pub async fn drop_roles(db_url: &str, prefix: &str) {
        let pool = sqlx::PgPool::connect(db_url)
            .await
            .expect("connect as admin");
        let roles: Vec<String> =
            sqlx::query_scalar("SELECT rolname::text FROM pg_roles WHERE starts_with(rolname, $1)")
                .bind(prefix)
                .fetch_all(&pool)
                .await
                .expect("list the test's roles");
        for role in roles {
            sqlx::raw_sql(&format!(
                "DROP OWNED BY \"{role}\" CASCADE; DROP ROLE \"{role}\""
            ))
            .execute(&pool)
            .await
            .expect("drop a test role");
        }
        pool.close().await;
    }

    /// `db_url` as the role of `service` (trust authentication in tests: no password).
    pub fn role_url(db_url: &str, prefix: &str, service: &str) -> String {
        let mut url = reqwest::Url::parse(db_url).expect("database URL");
        url.set_username(&format!("{prefix}{}", service.replace('-', "_")))
            .expect("a URL with a user");
        url.set_password(None).expect("a URL with a password");
        url.to_string()
    }

    /// The test password of `user`.
    pub fn password(user: &str) -> String {
        format!("test-{user}")
    }

    /// The password variables the config reads: `NATS_<USER>_PASSWORD`, upper case, `-`
    /// as `_` (`NATS_DEADLINE_WATCHER_PASSWORD`, `NATS_PARTNER_110_PASSWORD`).
    pub fn variable(user: &str) -> String {
        format!("NATS_{}_PASSWORD", user.to_uppercase().replace('-', "_"))
    }

    /// The environment for the server: one password per user.
    pub fn env() -> Vec<(String, String)> {
        USERS.iter().map(|u| (variable(u), password(u))).collect()
    }
}

/// Creates (or reuses) the account `id` through the gateway at `base` with the
/// administrator's token and returns a client signed in with a fresh API token of it.
pub async fn make_user(
    base: &str,
    admin_token: &str,
    id: &str,
    role: Role,
    unit: Option<&str>,
) -> reqwest::Client {
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/v1/accounts"))
        .bearer_auth(admin_token)
        .json(&serde_json::json!({
            "principal_id": id, "display_name": id, "role": role, "unit_id": unit,
        }))
        .send()
        .await
        .expect("create account");
    assert!(
        r.status() == 201 || r.status() == 409,
        "account {id}: {}",
        r.text().await.unwrap_or_default()
    );
    let r = http
        .post(format!("{base}/api/v1/tokens"))
        .bearer_auth(admin_token)
        .json(&serde_json::json!({"principal_id": id, "name": "e2e"}))
        .send()
        .await
        .expect("issue token");
    assert_eq!(r.status(), 201, "token for {id}");
    let token: serde_json::Value = r.json().await.expect("token json");
    bearer_client(token["token"].as_str().expect("token"))
}

/// `(field, code)` of each error a problem+json body lists (empty when it lists none).
pub fn problem_fields(problem: &serde_json::Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Requester names the end-to-end tests use; none may appear in logs or events.
pub const SEEDED_NAMES: &[&str] = &["张三", "李四", "王五", "演示用户"];

/// An 11-digit mainland mobile number standing alone (not part of a longer run of digits
/// or letters, such as an order number, a hash or a UUID).
pub fn find_mobile_number(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|b| bytes[b]);
            let after = bytes.get(i).copied();
            let alone = |c: Option<u8>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
            let run = &text[start..i];
            if run.len() == 11
                && run.starts_with('1')
                && (b'3'..=b'9').contains(&bytes[start + 1])
                && alone(before)
                && alone(after)
            {
                return Some(run);
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find_mobile_number;

    #[test]
    fn mobile_numbers_are_found_but_order_numbers_and_hashes_are_not() {
        assert_eq!(
            find_mobile_number("call 13812345678 now"),
            Some("13812345678")
        );
        assert_eq!(
            find_mobile_number(r#"{"phone":"13812345678"}"#),
            Some("13812345678")
        );
        assert_eq!(find_mobile_number("5201022611280003"), None);
        assert_eq!(find_mobile_number("138****5678"), None);
        assert_eq!(find_mobile_number("a13812345678b"), None);
        assert_eq!(find_mobile_number("12812345678"), None);
    }
}
