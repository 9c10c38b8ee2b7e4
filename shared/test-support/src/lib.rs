//! Test helpers shared by every crate of the hotline workspace.
//!
//! * [`NatsServer`]: a real, pinned `nats-server` (JetStream enabled) on a free
//!   loopback port, with its own temporary store directory. It can be stopped
//!   and restarted on the same port with the same store, so JetStream state
//!   survives a restart.
//! * [`TestDatabase`]: a fresh, empty PostgreSQL database for one test.
//! * [`unique_namespace`], [`wait_for`], [`free_port`]: small utilities.
//! * [`hotspot_matters`]: the hot-spot sample matters (`docs/data/hotspot-samples.csv`).
//!
//! The nats-server binary is installed by `scripts/install-tools` into
//! `<workspace>/.tools/bin/nats-server`; `scripts/test` exports
//! `HOTLINE_NATS_SERVER_BIN` pointing at it. PostgreSQL is reached through
//! `HOTLINE_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! ```no_run
//! # async fn demo() {
//! use hotline_test_support::{NatsServer, TestDatabase, unique_namespace};
//!
//! let nats = NatsServer::start().await;
//! let db = TestDatabase::create().await;
//! let ns = unique_namespace();
//! println!("{} {} {ns}", nats.url(), db.url());
//! db.drop_database().await;
//! # }
//! ```

pub mod nats_users;
pub mod xorshift;

use std::fmt;
use std::fs::File;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Environment variable naming the nats-server binary to run.
pub const NATS_SERVER_BIN_ENV: &str = "HOTLINE_NATS_SERVER_BIN";
/// Environment variable naming the PostgreSQL admin URL used to create test databases.
pub const TEST_DATABASE_URL_ENV: &str = "HOTLINE_TEST_DATABASE_URL";
/// Admin URL used when [`TEST_DATABASE_URL_ENV`] is not set.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Prefix of every database created by [`TestDatabase::create`].
pub const TEST_DATABASE_PREFIX: &str = "hotline_test_";

/// How long [`NatsServer::start`] / [`NatsServer::restart`] wait for readiness.
const NATS_READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times [`NatsServer::start`] retries on another port when the
/// chosen port was taken between [`free_port`] and the server's bind.
const NATS_START_ATTEMPTS: usize = 5;
/// Test databases whose embedded creation time is older than this are dropped
/// by [`TestDatabase::create`] (leftovers of earlier runs).
const STALE_DATABASE_AGE: Duration = Duration::from_secs(24 * 60 * 60);

// ---------------------------------------------------------------------------
// small utilities
// ---------------------------------------------------------------------------

/// A free TCP port on 127.0.0.1: binds port 0, reads the port the OS picked,
/// and releases it. Another process may take it before you bind it: retry on
/// "address in use".
/// The hot-spot sample matters of `group` (`street`: twenty ways residents of one street
/// describe the same uncollected rubbish; `unrelated`: twenty unrelated matters of one
/// county), from `docs/data/hotspot-samples.csv` (A17.4 tests).
pub fn hotspot_matters(group: &str) -> Vec<&'static str> {
    const SAMPLES: &str = include_str!("../../../docs/data/hotspot-samples.csv");
    SAMPLES
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(','))
        .filter(|(g, _)| *g == group)
        .map(|(_, matter)| matter)
        .collect()
}

pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap_or_else(|e| panic!("free_port: cannot bind 127.0.0.1:0: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("free_port: cannot read the bound address: {e}"))
        .port()
}

/// A short random namespace such as `t3f9a1c2`: a lowercase letter followed by
/// 7 lowercase hex digits. Valid as a NATS subject token, as a JetStream
/// stream/consumer name prefix and inside SQL identifiers.
pub fn unique_namespace() -> String {
    let n: u32 = rand::rng().random_range(0..(1u32 << 28));
    format!("t{n:07x}")
}

/// Polls `check` every 25 ms until it returns `Some`, and returns that value.
/// Panics with a message naming `what` once `timeout` has passed.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if start.elapsed() >= timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn random_hex(digits: usize) -> String {
    let mut rng = rand::rng();
    (0..digits)
        .map(|_| char::from_digit(rng.random_range(0..16u32), 16).unwrap_or('0'))
        .collect()
}

/// The workspace root: two levels above this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

// ---------------------------------------------------------------------------
// NatsServer
// ---------------------------------------------------------------------------

/// A real nats-server (the pinned binary) on a free loopback port with
/// JetStream and a temporary store directory.
///
/// Dropping it kills the server process and removes the store directory.
#[derive(Debug)]
pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    name: String,
    /// Holds `store/` (the JetStream store dir) and `nats-server.log`.
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// A server config file (`-c`) and the environment its `$VARIABLES` come from; the
    /// command-line address, port, JetStream store and log still apply on top of it.
    config: Option<(PathBuf, Vec<(String, String)>)>,
}

impl NatsServer {
    /// Starts the pinned nats-server on a free 127.0.0.1 port with JetStream
    /// enabled, and waits (up to 10 s) until it accepts client connections.
    ///
    /// The binary is taken from `HOTLINE_NATS_SERVER_BIN`, else
    /// `<workspace>/.tools/bin/nats-server` (installed by `scripts/install-tools`).
    pub async fn start() -> NatsServer {
        Self::launch(None).await
    }

    /// As [`start`](Self::start), with the server reading `config` (e.g. the deployment's
    /// accounts and permissions, `deploy/nats/`) and `env` set for its `$VARIABLES`
    /// (passwords). Clients must then authenticate as the config says.
    pub async fn start_with_config<K, V>(
        config: &Path,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> NatsServer
    where
        K: Into<String>,
        V: Into<String>,
    {
        let env = env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Self::launch(Some((config.to_path_buf(), env))).await
    }

    async fn launch(config: Option<(PathBuf, Vec<(String, String)>)>) -> NatsServer {
        let binary = nats_server_binary();
        let dir = tempfile::Builder::new()
            .prefix("hotline-nats-")
            .tempdir()
            .unwrap_or_else(|e| panic!("NatsServer: cannot create a temp dir: {e}"));
        let store = dir.path().join("store");
        std::fs::create_dir_all(&store)
            .unwrap_or_else(|e| panic!("NatsServer: cannot create {}: {e}", store.display()));

        let mut server = NatsServer {
            binary,
            port: 0,
            name: String::new(),
            dir,
            child: None,
            config,
        };
        let mut last_error = String::new();
        for _ in 0..NATS_START_ATTEMPTS {
            // Most likely failure: the port was taken between `free_port()`
            // and the server's bind. Try another one.
            server.port = free_port();
            server.name = format!("hotline-test-{}", server.port);
            match server.spawn_and_wait().await {
                Ok(()) => return server,
                Err(e) => {
                    server.stop();
                    last_error = e;
                }
            }
        }
        panic!(
            "NatsServer: could not start {}: {last_error}",
            server.binary.display()
        );
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory (kept across [`stop`](Self::stop) /
    /// [`restart`](Self::restart)).
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.path().join("nats-server.log")
    }

    /// Whether the server process is running (started and not stopped).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Kills the server (SIGKILL, like a crash) and waits for it to exit.
    /// The store directory is kept. Does nothing if it is not running.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Errors here mean the process already exited: nothing to do.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same store dir
    /// (JetStream state survives) and waits until it is ready. Stops it first
    /// if it is still running.
    pub async fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + NATS_READY_TIMEOUT;
        loop {
            match self.spawn_and_wait().await {
                Ok(()) => return,
                Err(e) => {
                    self.stop();
                    // The port can stay busy for a moment after a kill; retry
                    // until the deadline.
                    if Instant::now() >= deadline {
                        panic!("NatsServer: restart on port {} failed: {e}", self.port);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    async fn spawn_and_wait(&mut self) -> Result<(), String> {
        let log = self.log_file();
        // The server appends to the log itself (-l); stdout/stderr catch
        // anything printed before logging is set up.
        let console = File::options()
            .create(true)
            .append(true)
            .open(self.dir.path().join("console.log"))
            .map_err(|e| format!("cannot open console log: {e}"))?;
        let console_err = console
            .try_clone()
            .map_err(|e| format!("cannot clone console log handle: {e}"))?;
        let mut command = Command::new(&self.binary);
        if let Some((config, env)) = &self.config {
            command.arg("-c").arg(config);
            command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        let child = command
            .arg("-a")
            .arg("127.0.0.1")
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-n")
            .arg(&self.name)
            .arg("-js")
            .arg("-sd")
            .arg(self.store_dir())
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::from(console))
            .stderr(Stdio::from(console_err))
            .spawn()
            .map_err(|e| format!("cannot spawn {}: {e}", self.binary.display()))?;
        self.child = Some(child);

        let deadline = Instant::now() + NATS_READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!(
                    "nats-server exited early ({status}); log tail:\n{}",
                    self.log_tail()
                ));
            }
            match probe_nats(self.port).await {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!(
                        "not ready on 127.0.0.1:{} after {NATS_READY_TIMEOUT:?} ({e}); \
                             log tail:\n{}",
                        self.port,
                        self.log_tail()
                    ));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        for file in [self.dir.path().join("console.log"), self.log_file()] {
            if let Ok(content) = std::fs::read_to_string(&file) {
                text.push_str(&content);
            }
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn nats_server_binary() -> PathBuf {
    let (binary, origin) = match std::env::var_os(NATS_SERVER_BIN_ENV) {
        Some(path) if !path.is_empty() => (PathBuf::from(path), NATS_SERVER_BIN_ENV),
        _ => (
            workspace_root()
                .join(".tools")
                .join("bin")
                .join("nats-server"),
            "the default location",
        ),
    };
    if !binary.is_file() {
        panic!(
            "nats-server not found at {} (from {origin}). Run `scripts/install-tools` \
             from the workspace root to install the pinned nats-server, or set \
             {NATS_SERVER_BIN_ENV} to its path.",
            binary.display()
        );
    }
    binary
}

/// Connects, reads the server's INFO line (which must announce JetStream),
/// and checks that a PING gets a PONG.
async fn probe_nats(port: u16) -> Result<(), String> {
    let probe = async {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .await
            .map_err(|e| format!("read INFO: {e}"))?;
        if !line.starts_with("INFO ") {
            return Err(format!("unexpected greeting: {line:?}"));
        }
        if !line.contains("\"jetstream\":true") {
            return Err("server does not announce JetStream".to_owned());
        }
        reader
            .get_mut()
            .write_all(b"CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n")
            .await
            .map_err(|e| format!("write PING: {e}"))?;
        loop {
            line.clear();
            let n = reader
                .read_line(&mut line)
                .await
                .map_err(|e| format!("read PONG: {e}"))?;
            if n == 0 {
                return Err("connection closed before PONG".to_owned());
            }
            if line.starts_with("PONG") {
                return Ok(());
            }
            // A server configured with accounts refuses this anonymous probe: it is up.
            if line.starts_with("-ERR 'Authorization Violation'") {
                return Ok(());
            }
            if line.starts_with("-ERR") {
                return Err(format!("server error: {}", line.trim_end()));
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(2), probe)
        .await
        .map_err(|_| "probe timed out".to_owned())?
}

// ---------------------------------------------------------------------------
// TestDatabase
// ---------------------------------------------------------------------------

/// A fresh, empty PostgreSQL database for one test.
///
/// Dropping the value leaves the database in place (so a failing test can be
/// inspected); call [`drop_database`](Self::drop_database) to remove it.
/// Leftovers older than a day are removed by later calls to
/// [`create`](Self::create).
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .field("url", &redact_password(&self.url))
            .finish()
    }
}

impl TestDatabase {
    /// Creates a new database `hotline_test_<unix time>_<random hex>` on the
    /// server named by `HOTLINE_TEST_DATABASE_URL` (default
    /// `postgres://postgres@127.0.0.1:5432/postgres`).
    ///
    /// Panics with a clear message if PostgreSQL cannot be reached.
    pub async fn create() -> TestDatabase {
        let admin_url = std::env::var(TEST_DATABASE_URL_ENV)
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_TEST_DATABASE_URL.to_owned());
        let mut admin = connect_admin(&admin_url).await;

        drop_stale_databases(&mut admin).await;

        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let name = format!("{TEST_DATABASE_PREFIX}{now}_{}", random_hex(12));
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "TestDatabase: CREATE DATABASE {name} failed on {}: {e}",
                    redact_password(&admin_url)
                )
            });
        let _ = admin.close().await;

        let url = with_database(&admin_url, &name);
        TestDatabase {
            admin_url,
            name,
            url,
        }
    }

    /// The URL of the new database.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The name of the new database.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A small connection pool (at most 5 connections) to the new database.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(5)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "TestDatabase: cannot connect to {}: {e}",
                    redact_password(&self.url)
                )
            })
    }

    /// Drops the database, closing any connections still open to it
    /// (`DROP DATABASE ... WITH (FORCE)`).
    pub async fn drop_database(self) {
        let mut admin = connect_admin(&self.admin_url).await;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("TestDatabase: DROP DATABASE {} failed: {e}", self.name));
        let _ = admin.close().await;
    }
}

async fn connect_admin(admin_url: &str) -> PgConnection {
    let shown = redact_password(admin_url);
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(admin_url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "TestDatabase: cannot connect to PostgreSQL at {shown}: {e}. Is PostgreSQL running? \
             Run `scripts/install-tools` (it starts the local cluster), or set \
             {TEST_DATABASE_URL_ENV} to an admin URL of a reachable server."
        ),
        Err(_) => panic!(
            "TestDatabase: connecting to PostgreSQL at {shown} timed out after 10 s. Is \
             PostgreSQL running? Run `scripts/install-tools`, or set {TEST_DATABASE_URL_ENV}."
        ),
    }
}

/// Best effort: drops `hotline_test_<unix time>_*` databases created more
/// than [`STALE_DATABASE_AGE`] ago. Errors are ignored.
async fn drop_stale_databases(admin: &mut PgConnection) {
    let names: Vec<String> = match sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'hotline\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    {
        Ok(names) => names,
        Err(_) => return,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for name in names {
        let Some(created) = database_created_at(&name) else {
            continue;
        };
        if now.saturating_sub(created) > STALE_DATABASE_AGE.as_secs() {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut *admin)
                .await;
        }
    }
}

/// The creation time embedded in a test database name, if it has one.
fn database_created_at(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(TEST_DATABASE_PREFIX)?;
    let (secs, suffix) = rest.split_once('_')?;
    if suffix.is_empty() || !suffix.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    secs.parse().ok()
}

/// Replaces the database (path) part of a `postgres://` URL, keeping the
/// user, password, host, port and query parameters.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let prefix = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}

/// Hides the password of a URL (`user:***@host`) for messages.
fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _)) => format!(
                "{}{user}:***{}",
                &url[..scheme_end],
                &url[scheme_end + at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_shape() {
        for _ in 0..100 {
            let ns = unique_namespace();
            assert_eq!(ns.len(), 8, "{ns}");
            assert!(ns.starts_with('t'), "{ns}");
            assert!(
                ns[1..].chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
                "{ns}"
            );
        }
        assert_ne!(unique_namespace(), unique_namespace());
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn database_url_rewriting() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1/db?sslmode=disable", "x"),
            "postgres://u:p@h:1/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(with_database("postgres://h?a=b", "x"), "postgres://h/x?a=b");
        assert_eq!(with_database("postgres://h/", "x"), "postgres://h/x");
    }

    #[test]
    fn password_redaction() {
        assert_eq!(
            redact_password("postgres://u:secret@h:1/db"),
            "postgres://u:***@h:1/db"
        );
        assert_eq!(
            redact_password("postgres://u@h:1/db"),
            "postgres://u@h:1/db"
        );
        assert_eq!(redact_password("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn stale_database_names() {
        assert_eq!(
            database_created_at("hotline_test_1700000000_0a1b2c3d4e5f"),
            Some(1_700_000_000)
        );
        assert_eq!(database_created_at("hotline_test_abc"), None);
        assert_eq!(database_created_at("hotline_test_12_"), None);
        assert_eq!(database_created_at("other_1700000000_ab"), None);
    }

    #[tokio::test]
    async fn wait_for_returns_value() {
        let mut calls = 0;
        let v = wait_for("third call", Duration::from_secs(5), || {
            calls += 1;
            let c = calls;
            async move { (c >= 3).then_some(c) }
        })
        .await;
        assert_eq!(v, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "waiting for never")]
    async fn wait_for_times_out() {
        wait_for("never", Duration::from_millis(100), || async { None::<()> }).await;
    }
}
