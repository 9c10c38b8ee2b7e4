#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The browser journeys of issue 10: headless Chromium (Debian's package) driven by
//! `playwright-core` (`tests/browser/journeys.mjs`) against the whole stack: an agent
//! registers a call, the unit signs and submits its result, a reviewer checks and accepts
//! it, the public tracking page shows it closed; another unit's staff are refused the
//! order; a citizen writes a web message and tracks it; a unit disputes one order and
//! reports progress, asks for more time and submits a result on another, which the
//! reviewer sends back (after an unsatisfied call-back, which opens a supervision case) and
//! the center's head approves from the list of pending send-backs; the agent records the
//! call-back of the closed order; the head reads the boards (with the open cases); the
//! administrator manages accounts, reads the calendar, edits a time-limit policy and
//! creates a dispatch rule.
//! Screenshots of every page visited go to
//! `target/test-artifacts/browser/`.
//!
//! Needs `/usr/bin/chromium` (or `HOTLINE_CHROMIUM`) and `tests/browser/node_modules`
//! (`scripts/install-tools`). Without them the test is skipped on a workstation and fails
//! in CI (`CI` set).

use std::path::{Path, PathBuf};
use std::process::Command;

use hotline_e2e::{Role, Stack};

const UNIT: &str = "520102-env";
const OTHER_UNIT: &str = "520103-env";
const PASSWORD: &str = "Browser-Journey-Passw0rd";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// What is missing to run the journeys, if anything.
fn missing(chromium: &Path, browser_dir: &Path) -> Option<String> {
    if !chromium.exists() {
        return Some(format!("{} (apt-get install chromium)", chromium.display()));
    }
    if !browser_dir.join("node_modules/playwright-core").exists() {
        return Some(format!(
            "{}/node_modules (npm ci in tests/browser, or scripts/install-tools)",
            browser_dir.display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node".to_owned());
    }
    None
}

#[tokio::test]
async fn journeys_in_a_real_browser() {
    let root = repo_root();
    let browser_dir = root.join("tests/browser");
    let chromium = PathBuf::from(
        std::env::var("HOTLINE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
    );
    if let Some(what) = missing(&chromium, &browser_dir) {
        assert!(
            std::env::var_os("CI").is_none(),
            "browser tests need {what}"
        );
        eprintln!("skipped: browser tests need {what}");
        return;
    }

    // Plain HTTP on 127.0.0.1: the session cookie cannot be `Secure` here. The tracking
    // page is polled until the order closes, so its per-client limit is off, and so is the
    // login limit (all journeys sign in from one address).
    // Supervision's automatic acceptance is off: every result goes through the review
    // desk in the browser (checklist, acceptance or send-back and the head's approval).
    let stack = Stack::start_configured(
        |c| {
            c.gateway.cookie_secure = false;
            c.gateway.query_per_minute = 0;
            // Six people sign in a dozen times within a minute or two.
            c.gateway.login_per_minute = 0;
        },
        |c| c.supervision.auto_accept_complete = false,
    )
    .await;
    stack.wait_ready().await;
    stack.person("agent-web", Role::Agent, None, PASSWORD).await;
    stack
        .person("unit-web", Role::UnitHandler, Some(UNIT), PASSWORD)
        .await;
    stack
        .person("other-web", Role::UnitHandler, Some(OTHER_UNIT), PASSWORD)
        .await;
    stack
        .person("reviewer-web", Role::Reviewer, None, PASSWORD)
        .await;
    stack
        .person("head-web", Role::CenterHead, None, PASSWORD)
        .await;
    stack
        .person("admin-web", Role::Administrator, None, PASSWORD)
        .await;

    let artifacts = root.join("target/test-artifacts/browser");
    let _ = std::fs::remove_dir_all(&artifacts);
    let base = stack.url("");
    let output = tokio::task::spawn_blocking({
        let browser_dir = browser_dir.clone();
        let artifacts = artifacts.clone();
        move || {
            Command::new("node")
                .arg("journeys.mjs")
                .current_dir(&browser_dir)
                .env("HOTLINE_URL", base)
                .env("HOTLINE_AGENT", format!("agent-web:{PASSWORD}"))
                .env("HOTLINE_UNIT", format!("unit-web:{PASSWORD}"))
                .env("HOTLINE_OTHER_UNIT", format!("other-web:{PASSWORD}"))
                .env("HOTLINE_REVIEWER", format!("reviewer-web:{PASSWORD}"))
                .env("HOTLINE_HEAD", format!("head-web:{PASSWORD}"))
                .env("HOTLINE_ADMIN", format!("admin-web:{PASSWORD}"))
                .env("HOTLINE_UNIT_ID", UNIT)
                .env("HOTLINE_ARTIFACTS", &artifacts)
                .env("HOTLINE_CHROMIUM", &chromium)
                .output()
                .expect("node runs")
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "browser journeys failed:\n{stdout}\n{stderr}"
    );
    for journey in [
        "journey a",
        "journey b",
        "journey c",
        "journey d",
        "journey e",
        "journey f",
    ] {
        assert!(stdout.contains(journey), "{journey} ran:\n{stdout}");
    }
    let screenshots = std::fs::read_dir(&artifacts)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))
        })
        .count();
    assert!(
        screenshots >= 30,
        "a screenshot of each page: {screenshots}"
    );
    stack.stop().await;
}
