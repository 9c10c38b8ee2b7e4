//! Bulletins against a real nats-server, Postgres and Chromium (issue 9 acceptance: "a
//! bulletin for that month renders; the HTML opens in a real browser and the charts are
//! present"). The generated month of `kpis.rs` (`month/mod.rs`) is replayed, with a
//! hot-spot report and a unit directory answering on `rpc.router.export_units`; the
//! bulletin of March 2026 is made on demand and checked against the month's known
//! outcomes; its HTML is opened in headless Chromium (`/usr/bin/chromium`, installed by
//! `scripts/install-tools`), which takes a screenshot and dumps the rendered DOM, where the
//! SVG charts and their bars must be. The HTML and PNG are kept under
//! `<target>/test-artifacts/bulletins/`. The schedule makes the month's bulletin once
//! however many replicas ask, and a stored bulletin cannot be changed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod month;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use hotline_analytics::AnalyticsConfig;
use hotline_analytics::bulletins::{Bulletins, Schedule};
use hotline_analytics::config::BulletinsSection;
use hotline_contract::bulletin::{
    Bulletin, BulletinDocument, BulletinFormat, BulletinList, BulletinPublished, BulletinQuery,
    BulletinSummary, BulletinTrigger, BulletinsQuery, GenerateBulletin, PeriodKind, TieringSource,
};
use hotline_contract::directory::{ExportData, ExportUnits, TransferFormat, UnitRecord};
use hotline_contract::events::{
    DayCount, HotspotLevel, HotspotReportOrder, HotspotUnit, SupervisionHotspotReported,
};
use hotline_contract::rpc::{RpcErrorCode, verbs};
use hotline_messaging::{CallError, RpcServer};
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_telemetry::TraceContext;
use month::{Ev, Truth, UNITS, expected_counts, generate, split, wait_applied};
use uuid::Uuid;

const CHROMIUM: &str = "/usr/bin/chromium";

async fn call<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
    env: &TestEnv,
    verb: (&str, &str),
    request: &Req,
) -> Result<Resp, CallError> {
    hotline_messaging::call(
        &env.client,
        &env.ns,
        verb,
        request,
        &TraceContext::new_root(),
        Duration::from_secs(30),
    )
    .await
}

async fn document(env: &TestEnv, id: Uuid, format: BulletinFormat) -> String {
    let doc: BulletinDocument = call(
        env,
        verbs::ANALYTICS_BULLETIN,
        &BulletinQuery {
            bulletin_id: id,
            format,
        },
    )
    .await
    .unwrap();
    doc.body
}

/// The unit directory as the router would export it: two of the month's units are county
/// departments, the third a public enterprise (so there are two tiers).
fn directory() -> Vec<UnitRecord> {
    let unit = |id: &str, unit_type: &str| UnitRecord {
        unit_id: id.to_owned(),
        name: id.to_owned(),
        unit_type: unit_type.to_owned(),
        level: "county".to_owned(),
        region_code: id[..6].to_owned(),
        parent_unit_id: None,
        line: None,
        duties: vec![],
        contacts: vec![],
        active: true,
    };
    vec![
        unit(UNITS[0], "department"),
        unit(UNITS[1], "public_enterprise"),
        unit(UNITS[2], "department"),
    ]
}

/// Answer `rpc.router.export_units` on the test's namespace, as the router does.
async fn serve_directory(env: &TestEnv, shutdown: tokio_util::sync::CancellationToken) {
    let mut rpc = RpcServer::start(&env.client, "router", &env.ns, shutdown)
        .await
        .unwrap();
    rpc.endpoint(
        verbs::ROUTER_EXPORT_UNITS.1,
        4,
        |_request: ExportUnits, _trace| async move {
            let units = directory();
            Ok(ExportData {
                format: TransferFormat::Json,
                count: units.len() as u32,
                data: serde_json::to_string(&units).unwrap(),
            })
        },
    )
    .await
    .unwrap();
    tokio::spawn(rpc.wait());
}

/// A hot spot of five of the month's orders in Nanming (and one of February).
fn hotspot(events: &[Ev]) -> SupervisionHotspotReported {
    let mut orders: Vec<HotspotReportOrder> = events
        .iter()
        .filter_map(|e| match e {
            Ev::Registered(r) if r.region_code == "520102" => Some(HotspotReportOrder {
                order_id: r.order_id,
                number: r.number.clone(),
                registered_at: r.registered_at,
                unit_id: None,
                unclear: false,
            }),
            _ => None,
        })
        .take(5)
        .collect();
    orders.push(HotspotReportOrder {
        order_id: Uuid::now_v7(),
        number: "5201022602000001".to_owned(),
        registered_at: Utc.with_ymd_and_hms(2026, 2, 27, 2, 0, 0).unwrap(),
        unit_id: None,
        unclear: true,
    });
    SupervisionHotspotReported {
        hotspot_id: Uuid::now_v7(),
        version: 2,
        detected_version: 2,
        addressed_to: "gov-520102".to_owned(),
        region_code: "520102".to_owned(),
        region_level: HotspotLevel::County,
        keywords: vec!["噪音".to_owned(), "施工".to_owned()],
        order_count: 6,
        requesters: 6,
        unclear_orders: 1,
        unclear_share: 0.167,
        units: vec![HotspotUnit {
            unit_id: UNITS[0].to_owned(),
            orders: 5,
        }],
        trend: vec![DayCount {
            day: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            orders: 5,
        }],
        orders,
        reported_at: Utc.with_ymd_and_hms(2026, 3, 20, 2, 0, 0).unwrap(),
    }
}

/// Where the HTML and the screenshot are kept: `<target>/test-artifacts/bulletins/`.
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-artifacts/bulletins");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run headless Chromium on `html`: a 1280×2000 screenshot into `png`, and the DOM as the
/// browser built it. Fails, never skips, without Chromium.
fn chromium(html: &Path, png: &Path) -> String {
    let bin = std::env::var("HOTLINE_CHROMIUM_BIN").unwrap_or_else(|_| CHROMIUM.to_owned());
    assert!(
        Path::new(&bin).exists(),
        "{bin} is missing: run scripts/install-tools (it installs Debian's chromium) to run the \
         bulletin's browser test"
    );
    let profile = tempdir("chromium-profile");
    let url = format!("file://{}", html.display());
    let run = |extra: &[&str]| {
        let output = std::process::Command::new(&bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--window-size=1280,2000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs");
        assert!(
            output.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let _ = std::fs::remove_file(png);
    run(&[&format!("--screenshot={}", png.display())]);
    let dom = run(&["--dump-dom"]);
    let _ = std::fs::remove_dir_all(&profile);
    String::from_utf8(dom.stdout).unwrap()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Checks the stored JSON against the month's known outcomes.
fn check_content(bulletin: &Bulletin, truths: &[Truth], hotspot_id: Uuid) {
    assert_eq!(bulletin.kind, PeriodKind::Month);
    assert_eq!(
        (bulletin.period_start, bulletin.period_end),
        (
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
        )
    );
    assert!(bulletin.complete);
    assert_eq!(bulletin.totals.counts, expected_counts(truths.iter()));
    // The trend: every day of March, adding up to the month.
    assert_eq!(bulletin.trend.len(), 31);
    assert_eq!(bulletin.trend[0].key, "2026-03-01");
    assert_eq!(
        bulletin
            .trend
            .iter()
            .map(|r| r.counts.registered)
            .sum::<i64>(),
        truths.len() as i64
    );
    // Tiers from the directory: the two departments ranked together, the enterprise alone.
    assert_eq!(bulletin.tiering, TieringSource::Directory);
    let tiers: Vec<(&str, Vec<&str>)> = bulletin
        .tiers
        .iter()
        .map(|t| {
            (
                t.key.as_str(),
                t.units.iter().map(|u| u.kpis.key.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(tiers.len(), 2, "{tiers:?}");
    assert_eq!(tiers[0].0, "county.department");
    assert_eq!(tiers[1], ("county.public_enterprise", vec![UNITS[1]]));
    let mut departments = tiers[0].1.clone();
    departments.sort_unstable();
    assert_eq!(departments, [UNITS[0], UNITS[2]]);
    for tier in &bulletin.tiers {
        for (i, unit) in tier.units.iter().enumerate() {
            let of_unit = truths
                .iter()
                .filter(|t| t.unit == Some(unit.kpis.key.as_str()));
            assert_eq!(
                unit.kpis.counts,
                expected_counts(of_unit),
                "{}",
                unit.kpis.key
            );
            assert_eq!(unit.rank, Some(i as u32 + 1));
            if i > 0 {
                assert!(tier.units[i - 1].score >= unit.score, "ranked by score");
            }
        }
    }
    // Supervision: every case of the month, and how many were rectified.
    let cases: i64 = truths.iter().map(|t| t.cases).sum();
    let closed: i64 = truths.iter().map(|t| t.cases_closed).sum();
    assert!(cases > 0);
    assert_eq!(
        (bulletin.supervision.cases, bulletin.supervision.rectified),
        (cases, closed)
    );
    assert_eq!(bulletin.supervision.list.len() as i64, cases);
    // The hot spot: five of its six orders in March.
    assert_eq!(bulletin.hotspots.len(), 1);
    let h = &bulletin.hotspots[0];
    assert_eq!(
        (h.hotspot_id, h.orders_in_period, h.order_count),
        (hotspot_id, 5, 6)
    );
}

#[tokio::test]
async fn a_month_bulletin_renders_with_its_charts_in_a_real_browser() {
    let env = TestEnv::new().await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    serve_directory(&env, shutdown.clone()).await;
    let running = hotline_analytics::start(
        AnalyticsConfig {
            common: env.common_config(),
            // The schedule is exercised below at a chosen instant.
            bulletins: BulletinsSection {
                kinds: vec![],
                ..BulletinsSection::default()
            },
            ..Default::default()
        },
        shutdown.clone(),
    )
    .await
    .unwrap();
    let pool = env.pool().await;

    let (truths, events) = generate(300);
    let (facts, signals) = split(&events);
    for event in &events {
        event.publish(&env).await;
    }
    let spot = hotspot(&events);
    let hotspot_id = spot.hotspot_id;
    env.publish("supervision", spot.clone()).await;
    // An older version of the same hot spot changes nothing.
    env.publish(
        "supervision",
        SupervisionHotspotReported {
            version: 1,
            orders: vec![],
            order_count: 1,
            ..spot
        },
    )
    .await;
    wait_applied(&env, &pool, facts, signals).await;
    hotline_test_support::wait_for("the hot-spot reports applied", PATIENCE, || async {
        (env.inbox_count(&pool, "analytics", "analytics-hotspots")
            .await
            >= 2)
            .then_some(())
    })
    .await;

    // On demand: the March bulletin.
    let march = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let summary: BulletinSummary = call(
        &env,
        verbs::ANALYTICS_GENERATE_BULLETIN,
        &GenerateBulletin {
            kind: PeriodKind::Month,
            period_start: march,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.edition, summary.trigger, summary.registered),
        (1, BulletinTrigger::Demand, 300)
    );
    let published = env
        .wait_for_event::<BulletinPublished>(
            hotline_contract::subjects::event::ANALYTICS_BULLETIN_PUBLISHED,
            |e| e.summary.bulletin_id == summary.bulletin_id,
        )
        .await;
    assert_eq!(published.data.summary, summary);
    assert_eq!(published.data.totals.counts, expected_counts(truths.iter()));

    let json = document(&env, summary.bulletin_id, BulletinFormat::Json).await;
    let bulletin: Bulletin = serde_json::from_str(&json).unwrap();
    check_content(&bulletin, &truths, hotspot_id);
    let units = bulletin.tiers.iter().map(|t| t.units.len()).sum::<usize>();

    // CSV: a BOM'd header, a line per unit, the totals.
    let csv = document(&env, summary.bulletin_id, BulletinFormat::Csv).await;
    assert!(csv.starts_with("\u{feff}档次,名次,单位,综合得分"));
    assert_eq!(csv.lines().count(), 1 + units + 1);
    assert!(csv.lines().last().unwrap().starts_with("合计,,all,,300,"));

    // HTML, opened in Chromium.
    let html = document(&env, summary.bulletin_id, BulletinFormat::Html).await;
    assert!(html.contains("2026年3月月报"));
    assert!(!html.contains("<script"));
    let dir = artifacts();
    let html_path = dir.join("2026-03-month.html");
    let png_path = dir.join("2026-03-month.png");
    std::fs::write(&html_path, &html).unwrap();
    let dom = chromium(&html_path, &png_path);
    let png = std::fs::read(&png_path).expect("chromium wrote the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1280, 2000));
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
    // The browser's DOM has the charts: a score chart per tier with a bar per unit, and
    // the two trend charts with their lines.
    assert_eq!(
        dom.matches("<svg class=\"chart scores\"").count(),
        bulletin.tiers.len()
    );
    assert_eq!(dom.matches("<rect class=\"bar\"").count(), units);
    assert_eq!(dom.matches("<svg class=\"chart trend\"").count(), 2);
    assert!(dom.matches("<polyline class=\"line\"").count() >= 2);
    assert!(dom.contains("承办单位分档排名"));

    // Bad requests are typed errors.
    let error = call::<_, BulletinSummary>(
        &env,
        verbs::ANALYTICS_GENERATE_BULLETIN,
        &GenerateBulletin {
            kind: PeriodKind::Month,
            period_start: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        },
    )
    .await
    .unwrap_err();
    let CallError::Rpc(error) = error else {
        panic!("{error:?}")
    };
    assert_eq!(error.code, RpcErrorCode::InvalidRequest);
    assert_eq!(error.fields[0].field, "period_start");
    let error = call::<_, BulletinDocument>(
        &env,
        verbs::ANALYTICS_BULLETIN,
        &BulletinQuery {
            bulletin_id: Uuid::now_v7(),
            format: BulletinFormat::Html,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(error, CallError::Rpc(e) if e.code == RpcErrorCode::NotFound));

    // Published means immutable.
    let update = sqlx::query("UPDATE analytics.bulletins SET html = '' WHERE bulletin_id = $1")
        .bind(summary.bulletin_id)
        .execute(&pool)
        .await;
    assert!(update.is_err(), "a bulletin was changed");
    let delete = sqlx::query("DELETE FROM analytics.bulletins")
        .execute(&pool)
        .await;
    assert!(delete.is_err(), "a bulletin was deleted");

    // The schedule, on 2 April (after the grace), from two replicas at once: March's
    // scheduled bulletin is made once, as edition 2.
    let replica = || Bulletins {
        pool: pool.clone(),
        outbox: hotline_messaging::Outbox::new("analytics", "analytics", env.ns.clone()),
        nats: env.client.clone(),
        namespace: env.ns.clone(),
        directory_timeout: Duration::from_secs(5),
    };
    let schedule = Schedule {
        kinds: vec![PeriodKind::Month],
        grace: chrono::Duration::hours(24),
        interval: Duration::from_secs(60),
    };
    let now = Shanghai
        .with_ymd_and_hms(2026, 4, 2, 1, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let (a, b) = (replica(), replica());
    let (x, y) = tokio::join!(
        a.take_scheduled(&schedule, now),
        b.take_scheduled(&schedule, now)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    assert_eq!(replica().take_scheduled(&schedule, now).await.unwrap(), 0);
    // Within the grace (1 April, 08:00 in Beijing) February was owed, not March.
    let early = Shanghai
        .with_ymd_and_hms(2026, 4, 1, 8, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(replica().take_scheduled(&schedule, early).await.unwrap(), 1);

    let list: BulletinList = call(
        &env,
        verbs::ANALYTICS_BULLETINS,
        &BulletinsQuery {
            kind: Some(PeriodKind::Month),
            limit: None,
        },
    )
    .await
    .unwrap();
    let listed: Vec<(NaiveDate, i32, BulletinTrigger)> = list
        .bulletins
        .iter()
        .map(|b| (b.period_start, b.edition, b.trigger))
        .collect();
    assert_eq!(
        listed,
        [
            (march, 2, BulletinTrigger::Schedule),
            (march, 1, BulletinTrigger::Demand),
            (
                NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
                1,
                BulletinTrigger::Schedule
            ),
        ]
    );

    shutdown.cancel();
    tokio::time::timeout(PATIENCE, running.wait())
        .await
        .unwrap();
    pool.close().await;
    env.db.drop_database().await;
}
