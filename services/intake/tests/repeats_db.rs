//! Repeat candidates against a real PostgreSQL (A10.3): the same requester's and the same
//! county's earlier orders within the window, ranked by score; orders outside the window,
//! of other counties and other requesters, later ones and linked repeats are left out.

// Test set-up fails loudly when the environment misbehaves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use hotline_contract::vocabulary::OrderStatus;
use hotline_intake::domain::similarity::{OTHER_REQUESTER_FACTOR, matter_similarity};
use hotline_intake::repeats::{
    self, AUTO_LINK_THRESHOLD, CANDIDATE_THRESHOLD, RepeatCandidate, RepeatQuery,
    auto_link_original, auto_link_target, candidates, index_missing,
};
use hotline_test_support::TestDatabase;
use sqlx::PgPool;
use uuid::Uuid;

const NANMING: &str = "520102";
const YUNYAN: &str = "520103";
const ME: &str = "phone-hash-of-the-requester";
const NEIGHBOUR: &str = "phone-hash-of-a-neighbour";
const STRANGER: &str = "phone-hash-of-a-stranger";

/// The new request every test asks about.
const NEW_MATTER: &str = "花果园R区二期12栋到现在还是没水，已经停了两天了，什么时候能来水？";
const EARLIER_MATTER: &str =
    "南明区花果园R区二期12栋从昨天早上开始停水，没有任何通知，请尽快恢复供水。";

struct Fixture {
    db: TestDatabase,
    pool: PgPool,
    now: DateTime<Utc>,
    seq: u32,
}

struct Order<'a> {
    phone_hash: &'a str,
    region_code: &'a str,
    matter: &'a str,
    age: Duration,
    status: OrderStatus,
    index_words: bool,
}

impl<'a> Order<'a> {
    fn new(phone_hash: &'a str, region_code: &'a str, matter: &'a str, days_ago: i64) -> Self {
        Self {
            phone_hash,
            region_code,
            matter,
            age: Duration::days(days_ago),
            status: OrderStatus::Dispatched,
            index_words: true,
        }
    }
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
        Self {
            db,
            pool,
            now: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            seq: 0,
        }
    }

    /// Insert an order as registration stores it (order, requester, status, matter words).
    async fn insert(&mut self, order: Order<'_>) -> (Uuid, String) {
        self.seq += 1;
        let order_id = Uuid::now_v7();
        let number = format!("{}261120{:04}", order.region_code, self.seq);
        let registered_at = self.now - order.age;
        let mut tx = self.pool.begin().await.unwrap();
        sqlx::query(
            "INSERT INTO intake.orders (order_id, number, check_code, channel, kind, region_code, \
             urgency, confidential, matter, requested_at, registered_at) \
             VALUES ($1, $2, '000000', 'phone', 'complaint', $3, 'normal', FALSE, $4, $5, $5)",
        )
        .bind(order_id)
        .bind(&number)
        .bind(order.region_code)
        .bind(order.matter)
        .bind(registered_at)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO intake.requesters (order_id, requester_type, key_id, phone_hash) \
             VALUES ($1, 'person', 'k1', $2)",
        )
        .bind(order_id)
        .bind(order.phone_hash)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO intake.order_status (order_id, status, status_rank, updated_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(order_id)
        .bind(order.status.code())
        .bind(i16::from(order.status.rank()))
        .bind(registered_at)
        .execute(&mut *tx)
        .await
        .unwrap();
        if order.index_words {
            repeats::record_matter_words(
                &mut tx,
                order_id,
                order.region_code,
                registered_at,
                order.matter,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        (order_id, number)
    }

    /// The new request every test asks about, from the requester in Nanming.
    fn request(&self, window_days: i64) -> RepeatQuery<'static> {
        RepeatQuery {
            phone_hash: ME,
            region_code: NANMING,
            matter: NEW_MATTER,
            now: self.now,
            window: Duration::days(window_days),
        }
    }

    async fn candidates(&self, window_days: i64, limit: usize) -> Vec<RepeatCandidate> {
        candidates(&self.pool, &self.request(window_days), limit)
            .await
            .unwrap()
    }

    async fn auto_link_original(&self) -> Option<Uuid> {
        auto_link_original(&self.pool, &self.request(30))
            .await
            .unwrap()
            .map(|c| c.order_id)
    }

    async fn finish(self) {
        self.pool.close().await;
        self.db.drop_database().await;
    }
}

fn ids(found: &[RepeatCandidate]) -> Vec<Uuid> {
    found.iter().map(|c| c.order_id).collect()
}

#[tokio::test]
async fn the_requesters_own_order_ranks_first_and_unrelated_or_stale_orders_are_left_out() {
    let mut f = Fixture::start().await;
    let (mine, my_number) = f.insert(Order::new(ME, NANMING, EARLIER_MATTER, 3)).await;
    let (neighbours, _) = f
        .insert(Order::new(
            NEIGHBOUR,
            NANMING,
            "花果园R区二期这边也停水了，12栋13栋都没水，一点通知都没有。",
            1,
        ))
        .await;
    // Out of the window.
    let (stale, _) = f.insert(Order::new(ME, NANMING, EARLIER_MATTER, 40)).await;
    // The same requester, another matter: read, scored, dropped.
    let (other_matter, _) = f
        .insert(Order::new(
            ME,
            NANMING,
            "咨询贵阳市如何办理居住证，需要哪些材料。",
            5,
        ))
        .await;
    // Another county and another requester: no link at all.
    let (elsewhere, _) = f
        .insert(Order::new(STRANGER, YUNYAN, EARLIER_MATTER, 2))
        .await;
    // A linked repeat is not offered; its original is.
    let mut linked = Order::new(ME, NANMING, EARLIER_MATTER, 1);
    linked.status = OrderStatus::RepeatLinked;
    let (linked, _) = f.insert(linked).await;
    // Registered after the request: not an original.
    let (later, _) = f.insert(Order::new(ME, NANMING, EARLIER_MATTER, -1)).await;

    let found = f.candidates(30, 10).await;

    assert_eq!(ids(&found), vec![mine, neighbours], "{found:#?}");
    let first = &found[0];
    assert_eq!(first.number, my_number);
    assert_eq!(first.status, Some(OrderStatus::Dispatched));
    assert_eq!(first.registered_at, f.now - Duration::days(3));
    assert!(first.score.same_requester && first.score.same_place);
    assert!(first.score.score >= found[1].score.score);
    let second = &found[1];
    assert!(!second.score.same_requester && second.score.same_place);
    assert!(found.iter().all(|c| c.score.score >= CANDIDATE_THRESHOLD));
    for left_out in [stale, other_matter, elsewhere, linked, later] {
        assert!(!ids(&found).contains(&left_out));
    }
    // A paraphrase is for the agent to judge: no automatic link.
    assert!(first.score.score < AUTO_LINK_THRESHOLD, "{first:?}");
    assert!(auto_link_target(&found).is_none());
    f.finish().await;
}

#[tokio::test]
async fn a_reposted_web_message_is_linked_only_to_the_requesters_own_order() {
    let mut f = Fixture::start().await;
    // The neighbour wrote exactly the same words; the requester's own order is a paraphrase.
    f.insert(Order::new(NEIGHBOUR, NANMING, NEW_MATTER, 1))
        .await;
    f.insert(Order::new(ME, NANMING, EARLIER_MATTER, 2)).await;
    let found = f.candidates(30, 10).await;
    assert!(!found[0].score.same_requester && found[0].score.similarity > 0.99);
    assert!(auto_link_target(&found).is_none(), "{found:#?}");

    assert_eq!(f.auto_link_original().await, None);

    // The requester posts the same message again: linked to their own order.
    let (reposted, _) = f.insert(Order::new(ME, NANMING, NEW_MATTER, 3)).await;
    let found = f.candidates(30, 10).await;
    assert_eq!(auto_link_target(&found).map(|c| c.order_id), Some(reposted));
    assert_eq!(f.auto_link_original().await, Some(reposted));
    f.finish().await;
}

#[tokio::test]
async fn the_automatic_link_reads_the_requesters_own_orders_however_many_neighbours_wrote_alike() {
    let mut f = Fixture::start().await;
    // The requester's own order: alike enough to link, less alike than the neighbours'
    // verbatim copies score after the other-requester discount.
    const MY_EARLIER: &str = "花果园R区二期12栋停水两天，到现在还是没水";
    let mine = matter_similarity(NEW_MATTER, MY_EARLIER);
    assert!(
        (AUTO_LINK_THRESHOLD..OTHER_REQUESTER_FACTOR).contains(&mine),
        "the premise: {mine}"
    );
    let (my_order, _) = f.insert(Order::new(ME, NANMING, MY_EARLIER, 4)).await;
    for days_ago in 1..=5 {
        f.insert(Order::new(NEIGHBOUR, NANMING, NEW_MATTER, days_ago))
            .await;
    }
    // The agents' list, cut to five, shows the neighbours' orders first.
    let shown = f.candidates(30, 5).await;
    assert!(shown.iter().all(|c| !c.score.same_requester), "{shown:#?}");
    assert!(auto_link_target(&shown).is_none());
    // The automatic link looks at the requester's own orders only, and finds it.
    assert_eq!(f.auto_link_original().await, Some(my_order));
    // A linked repeat of it is not an original; neither is an order outside the window.
    let mut linked = Order::new(ME, NANMING, NEW_MATTER, 1);
    linked.status = OrderStatus::RepeatLinked;
    f.insert(linked).await;
    f.insert(Order::new(ME, NANMING, NEW_MATTER, 31)).await;
    assert_eq!(f.auto_link_original().await, Some(my_order));
    f.finish().await;
}

#[tokio::test]
async fn the_window_and_the_limit_bound_the_list() {
    let mut f = Fixture::start().await;
    let (recent, _) = f.insert(Order::new(ME, NANMING, EARLIER_MATTER, 1)).await;
    let (older, _) = f.insert(Order::new(ME, NANMING, EARLIER_MATTER, 5)).await;

    // Same score: the more recent first.
    assert_eq!(ids(&f.candidates(30, 10).await), vec![recent, older]);
    assert_eq!(ids(&f.candidates(30, 1).await), vec![recent]);
    assert_eq!(ids(&f.candidates(3, 10).await), vec![recent]);
    assert!(f.candidates(30, 0).await.is_empty());
    f.finish().await;
}

#[tokio::test]
async fn in_a_busy_county_an_original_sharing_a_rare_word_is_found_behind_many_newer_orders() {
    let mut f = Fixture::start().await;
    let (original, _) = f
        .insert(Order::new(NEIGHBOUR, NANMING, EARLIER_MATTER, 20))
        .await;
    // More newer orders than were ever ranked on the county side (1,000 before the postings),
    // each sharing one common word (二期) with the new matter and nothing else.
    let newer = 1_100;
    assert!(newer > repeats::PER_WORD_LIMIT);
    for minutes_ago in 1..=newer {
        let mut order = Order::new(STRANGER, NANMING, "幸福小区二期路灯不亮", 0);
        order.age = Duration::minutes(minutes_ago);
        f.insert(order).await;
    }
    let found = f.candidates(30, 10).await;
    assert_eq!(ids(&found), vec![original], "{found:#?}");
    f.finish().await;
}

#[tokio::test]
async fn a_county_order_without_matter_words_is_found_once_indexed() {
    let mut f = Fixture::start().await;
    let mut unindexed = Order::new(NEIGHBOUR, NANMING, EARLIER_MATTER, 2);
    unindexed.index_words = false;
    let (order_id, _) = f.insert(unindexed).await;
    // Another requester's order is found through its words only.
    assert!(f.candidates(30, 10).await.is_empty());

    let since = f.now - Duration::days(30);
    assert_eq!(index_missing(&f.pool, since, 100).await.unwrap(), 1);
    assert_eq!(index_missing(&f.pool, since, 100).await.unwrap(), 0);

    assert_eq!(ids(&f.candidates(30, 10).await), vec![order_id]);
    f.finish().await;
}

#[tokio::test]
async fn recording_matter_words_twice_keeps_the_first() {
    let mut f = Fixture::start().await;
    let (order_id, _) = f.insert(Order::new(ME, NANMING, EARLIER_MATTER, 1)).await;
    let mut conn = f.pool.acquire().await.unwrap();
    repeats::record_matter_words(&mut conn, order_id, NANMING, f.now, "完全不同的内容")
        .await
        .unwrap();
    let words: Vec<String> =
        sqlx::query_scalar("SELECT words FROM intake.matter_words WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert!(words.iter().any(|w| w == "停水"), "{words:?}");
    // The postings are the first matter's words, once each.
    let postings: Vec<String> = sqlx::query_scalar(
        "SELECT word FROM intake.matter_postings WHERE order_id = $1 ORDER BY word",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut expected = words.clone();
    expected.sort();
    assert_eq!(postings, expected);
    drop(conn);
    f.finish().await;
}
