//! The hot-spot scan against a real PostgreSQL (A17.4): a cluster of similar complaints from
//! different requesters in one county becomes one `hotspot.detected` in the outbox; a second
//! scan publishes nothing; a grown cluster updates the same hot spot (version 2); orders
//! outside the window, of other dispositions and unrelated ones stay out; and a name or a
//! phone number in one order's matter never reaches the event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use hotline_contract::Namespace;
use hotline_contract::RawEnvelope;
use hotline_contract::events::{HotspotDetected, HotspotLevel};
use hotline_contract::subjects::event;
use hotline_intake::domain::hotspot::{HotspotParams, Townships};
use hotline_intake::hotspots::HotspotScanner;
use hotline_messaging::Outbox;
use hotline_reference::Regions;
use hotline_test_support::TestDatabase;
use sqlx::PgPool;
use uuid::Uuid;

use hotline_test_support::hotspot_matters as samples;

const NANMING: &str = "520102";

struct Fixture {
    _db: TestDatabase,
    pool: PgPool,
    ns: Namespace,
    scanner: HotspotScanner,
    now: DateTime<Utc>,
    seq: u32,
}

impl Fixture {
    async fn start() -> Self {
        let db = TestDatabase::create().await;
        let pool = hotline_service_test::migrated_pool(
            &db,
            hotline_intake::SCHEMA,
            &hotline_intake::MIGRATOR,
            4,
        )
        .await;
        let ns = Namespace::new("thotspot").unwrap();
        let scanner = HotspotScanner {
            pool: pool.clone(),
            outbox: Outbox::new(hotline_intake::SERVICE, hotline_intake::SCHEMA, ns.clone()),
            townships: Arc::new(Townships::from_regions(&Regions::bundled().unwrap())),
            params: HotspotParams::default(),
            window: Duration::days(7),
        };
        Self {
            _db: db,
            pool,
            ns,
            scanner,
            now: Utc::now(),
            seq: 0,
        }
    }

    /// Insert an order as registration stores it, `hours_ago` before `now`.
    async fn insert(
        &mut self,
        requester: &str,
        matter: &str,
        hours_ago: i64,
        disposition: &str,
    ) -> Uuid {
        self.seq += 1;
        let order_id = Uuid::now_v7();
        let at = self.now - Duration::hours(hours_ago);
        let mut tx = self.pool.begin().await.unwrap();
        sqlx::query(
            "INSERT INTO intake.orders (order_id, number, check_code, channel, kind, region_code, \
             urgency, confidential, matter, requested_at, registered_at) \
             VALUES ($1, $2, '000000', 'web_message', 'complaint', $3, 'normal', FALSE, $4, $5, $5)",
        )
        .bind(order_id)
        .bind(format!("{NANMING}261201{:04}", self.seq))
        .bind(NANMING)
        .bind(matter)
        .bind(at)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO intake.requesters (order_id, requester_type, key_id, phone_hash) \
             VALUES ($1, 'person', 'k1', $2)",
        )
        .bind(order_id)
        .bind(requester)
        .execute(&mut *tx)
        .await
        .unwrap();
        let (article, version, partner, reason) = match disposition {
            "answer" => (Some("kb-1"), Some(1), None, None),
            _ => (None, None, None::<&str>, None::<&str>),
        };
        sqlx::query(
            "INSERT INTO intake.triage (order_id, disposition, reason_code, decided_by, article_id, \
             article_version, partner_code, decided_at) VALUES ($1, $2, $3, 'agent-1', $4, $5, $6, $7)",
        )
        .bind(order_id)
        .bind(disposition)
        .bind(reason)
        .bind(article)
        .bind(version)
        .bind(partner)
        .bind(at)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        order_id
    }

    /// Every `hotspot.detected` queued so far, oldest first, with its raw payload text.
    async fn published(&self) -> Vec<(HotspotDetected, String)> {
        let rows: Vec<(Vec<u8>,)> =
            sqlx::query_as("SELECT payload FROM intake.outbox WHERE subject = $1 ORDER BY seq")
                .bind(self.ns.subject(event::HOTSPOT_DETECTED))
                .fetch_all(&self.pool)
                .await
                .unwrap();
        rows.into_iter()
            .map(|(payload,)| {
                let raw = RawEnvelope::parse(&payload).unwrap();
                let data = raw.decode::<HotspotDetected>().unwrap().data;
                (data, String::from_utf8(payload).unwrap())
            })
            .collect()
    }
}

#[tokio::test]
async fn a_cluster_is_published_once_and_updated_when_it_grows() {
    let mut f = Fixture::start().await;
    let street = samples("street");
    let mut cluster = Vec::new();
    // Twelve neighbours over the last days; one writes their name and phone number.
    for (i, matter) in street[..12].iter().enumerate() {
        let matter = if i == 3 {
            format!("我叫张三，电话13812345678，{matter}")
        } else {
            (*matter).to_owned()
        };
        let hours = i64::try_from(i).unwrap() * 6;
        cluster.push(
            f.insert(&format!("neighbour-{i}"), &matter, hours, "dispatch")
                .await,
        );
    }
    // Unrelated orders, a similar one answered directly and one older than the window.
    for (i, matter) in samples("unrelated").iter().enumerate() {
        f.insert(&format!("other-{i}"), matter, 2, "dispatch").await;
    }
    let answered = f.insert("asker", street[12], 1, "answer").await;
    let old = f
        .insert("old-neighbour", street[13], 24 * 8, "dispatch")
        .await;

    let outcome = f.scanner.scan(f.now).await.unwrap();
    assert_eq!((outcome.clusters, outcome.published), (1, 1), "{outcome:?}");
    let published = f.published().await;
    assert_eq!(published.len(), 1);
    let (first, payload) = &published[0];
    assert_eq!(first.version, 1);
    assert_eq!(first.region_code, "520102016");
    assert_eq!(first.region_level, HotspotLevel::Township);
    assert_eq!(first.requesters, 12);
    assert_eq!(first.window_days, 7);
    let mut ids: Vec<Uuid> = first.orders.iter().map(|o| o.order_id).collect();
    ids.sort_unstable();
    let mut expected = cluster.clone();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(!ids.contains(&answered) && !ids.contains(&old));
    assert_eq!(first.trend.iter().map(|d| d.orders).sum::<u32>(), 12);
    assert!(
        first.keywords.iter().any(|k| k == "清运"),
        "{:?}",
        first.keywords
    );
    // A21: neither the name nor the phone number (nor its tail) reaches the event; a shorter
    // fragment such as "138" could turn up by chance inside a random id.
    for private in ["张三", "13812345678", "12345678"] {
        assert!(!payload.contains(private), "{private} in {payload}");
    }

    // Nothing new: nothing published.
    let again = f.scanner.scan(f.now).await.unwrap();
    assert_eq!((again.clusters, again.published), (1, 0));
    assert_eq!(f.published().await.len(), 1);

    // Three more neighbours: the same hot spot, version 2, fifteen orders.
    for (i, matter) in street[14..17].iter().enumerate() {
        f.insert(&format!("late-{i}"), matter, 0, "dispatch").await;
    }
    let grown = f.scanner.scan(f.now).await.unwrap();
    assert_eq!(grown.published, 1);
    let published = f.published().await;
    assert_eq!(published.len(), 2);
    let second = &published[1].0;
    assert_eq!(second.hotspot_id, first.hotspot_id);
    assert_eq!(second.version, 2);
    assert_eq!(second.orders.len(), 15);
    assert_eq!(second.requesters, 15);

    // A week later the first orders left the window, but the hot spot keeps them.
    f.scanner.window = Duration::hours(20);
    let narrow = f.scanner.scan(f.now).await.unwrap();
    assert_eq!(narrow.published, 0);
}

#[tokio::test]
async fn unrelated_orders_and_one_persons_many_messages_are_no_hot_spot() {
    let mut f = Fixture::start().await;
    for (i, matter) in samples("unrelated").iter().enumerate() {
        f.insert(&format!("other-{i}"), matter, 1, "dispatch").await;
    }
    // One requester posts the street's complaint twenty times.
    for matter in samples("street") {
        f.insert("the-same-phone-hash", matter, 1, "dispatch").await;
    }
    let outcome = f.scanner.scan(f.now).await.unwrap();
    assert_eq!(outcome.orders, 40);
    assert_eq!((outcome.clusters, outcome.published), (0, 0));
    assert!(f.published().await.is_empty());
}
