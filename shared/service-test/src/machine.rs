//! What a benchmark ran on: CPUs, memory, kernel, PostgreSQL, nats-server and rustc
//! versions, and the build profile, printed at the head of every benchmark report so its
//! numbers can be compared with `docs/performance.md`.

use sqlx::PgPool;

/// Print `title` and the machine and versions the numbers come from.
pub async fn print_machine(
    title: &str,
    pool: &PgPool,
    nats_version: &str,
) -> Result<(), sqlx::Error> {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("?", |(_, m)| m.trim())
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let postgres: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(pool)
        .await?;
    let synchronous_commit: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(pool)
        .await?;
    let rustc = command_output("rustc", "--version");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("{title}");
    println!(
        "machine: {cpus} CPUs ({model}), {memory_gib:.1} GiB RAM, Linux {}",
        kernel.trim()
    );
    println!(
        "versions: PostgreSQL {postgres} (synchronous_commit {synchronous_commit}), nats-server {nats_version}, {rustc}, {profile} build"
    );
    Ok(())
}

fn command_output(program: &str, arg: &str) -> String {
    std::process::Command::new(program)
        .arg(arg)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{program} (version unknown)"))
}

/// The `p`-th percentile (0–100) of sorted samples (nearest rank); 0 when empty.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
