//! Repeat detection against the stored orders (A10.3): find the earlier orders a new request
//! may repeat, and rank them.
//!
//! A10.3: a repeat of a request in progress or done, with no new facts or reasons, is not
//! handled again; the requester is told the earlier order's progress and the new order is
//! linked to it. The agent picks the original from [`candidates`]; a web message is linked
//! by rule ([`auto_link_original`]), and only to the same requester's order, so that lookup
//! reads the requester's orders alone.
//!
//! How candidates are found, fast:
//!
//! - Only orders registered in the window before `now` (default 30 days; the caller's
//!   configuration decides) of the **same requester** (keyed phone hash, index
//!   `requesters_phone_hash`) or of the **same county** (`region_code`) count. The
//!   requester's orders are looked up one by one by key (`OFFSET 0` keeps the planner from
//!   scanning every order of the window instead, which it did on a fast-growing table
//!   whose statistics lagged: 3 ms instead of a few µs), and the query is planned for its
//!   values on every call (see [`candidates`]).
//! - A county gets hundreds of orders a day, too many to segment on every registration. So
//!   registration stores each matter's content words ([`record_matter_words`]): the row in
//!   `intake.matter_words`, and one posting per word in `intake.matter_postings`, keyed by
//!   (county, word, time). The county side reads, for each word of the new matter, the
//!   [`PER_WORD_LIMIT`] newest orders of the county in the window that have it (one index
//!   range scan per word), and keeps the [`POOL_LIMIT`] that share most of those words. A
//!   rare word (a building, a village, a firm) brings all its orders; a common one (小区,
//!   编号) only its newest, so the work is bounded by the new matter's length, not by how busy
//!   the county is. On the labelled pairs every true repeat shares at least one word with
//!   its original (`docs/repeat-detection.md`).
//! - The pool (at most twice [`POOL_LIMIT`] orders) is scored in Rust
//!   ([`crate::domain::similarity::score`]) on the blocking thread pool, since segmenting
//!   is CPU work (about 12 µs a matter in a release build); orders under
//!   [`CANDIDATE_THRESHOLD`] are dropped.
//!
//! Orders that are themselves linked repeats are not offered: their original is.

use chrono::{DateTime, Duration, Utc};
use hotline_contract::vocabulary::OrderStatus;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub use crate::domain::similarity::{
    AUTO_LINK_THRESHOLD, CANDIDATE_THRESHOLD, DEFAULT_WINDOW_DAYS, RepeatScore,
};
use crate::domain::similarity::{MatterFeatures, RequestFacts, score};

/// Most orders read from each side (the requester's, the county's) before scoring. The
/// agent is shown the best few; 50 a side leaves a wide margin while keeping a
/// registration's lookup (fetch and scoring) near a millisecond.
pub const POOL_LIMIT: i64 = 50;

/// Most orders read per word of the new matter on the county side, newest first. Bounds the
/// county side's work however busy the county is: at most this many postings per word, read
/// by one index range scan. A rare word's orders all fit; of a common word's, only the
/// newest are read, and an order that shares only common words with the new matter must be
/// among their newest to be found.
pub const PER_WORD_LIMIT: i64 = 50;

/// An earlier order that the new request may repeat.
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatCandidate {
    pub order_id: Uuid,
    pub number: String,
    pub registered_at: DateTime<Utc>,
    /// Its public status (`None` if the status projection has no row for it).
    pub status: Option<OrderStatus>,
    pub score: RepeatScore,
}

/// Repeat detection failed.
#[derive(Debug, thiserror::Error)]
pub enum RepeatError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The scoring task panicked or was cancelled.
    #[error("scoring the candidates failed")]
    Scoring,
}

/// Store the content words of an order's matter, so that later requests in its county can
/// find it. Call it in the transaction that inserts the order; idempotent.
pub async fn record_matter_words(
    conn: &mut PgConnection,
    order_id: Uuid,
    region_code: &str,
    registered_at: DateTime<Utc>,
    matter: &str,
) -> Result<(), sqlx::Error> {
    let words = MatterFeatures::new(matter).words().to_vec();
    insert_words(conn, order_id, region_code, registered_at, &words).await
}

/// A new request, as repeat detection sees it.
#[derive(Debug, Clone, Copy)]
pub struct RepeatQuery<'a> {
    /// Keyed hash of the requester's phone (A21: never the number).
    pub phone_hash: &'a str,
    /// County-level region code (GB/T 2260).
    pub region_code: &'a str,
    pub matter: &'a str,
    /// When the request is made: earlier orders are those registered before it.
    pub now: DateTime<Utc>,
    /// How far back an order counts (the configured window, default
    /// [`DEFAULT_WINDOW_DAYS`]).
    pub window: Duration,
}

/// The earlier orders that `request` may repeat (A10.3): registered within its window
/// before it, scoring at least [`CANDIDATE_THRESHOLD`], best first, at most `limit`. What
/// agents are shown: the requester's own orders and the county's.
pub async fn candidates(
    pool: &PgPool,
    request: &RepeatQuery<'_>,
    limit: usize,
) -> Result<Vec<RepeatCandidate>, RepeatError> {
    let mut ranked = ranked(pool, Reach::RequesterAndCounty, request).await?;
    ranked.truncate(limit);
    Ok(ranked)
}

/// The earlier order a web message (`request`) is linked to without an agent (A10.3), if
/// any: [`auto_link_target`] of the requester's own orders in the window.
///
/// Only the requester's orders are read. Another requester's order never links
/// automatically ([`RepeatScore::auto_links`]), so the county side, the larger part of
/// [`candidates`]' work, is not needed on the registration path of a web message. Reading
/// the requester's orders alone also keeps another requester's high-scoring orders from
/// crowding the requester's own out of a truncated list.
pub async fn auto_link_original(
    pool: &PgPool,
    request: &RepeatQuery<'_>,
) -> Result<Option<RepeatCandidate>, RepeatError> {
    let ranked = ranked(pool, Reach::Requester, request).await?;
    Ok(auto_link_target(&ranked).cloned())
}

/// The order a web message is linked to without an agent (A10.3): the best candidate, if it
/// is the same requester's and scores at least [`AUTO_LINK_THRESHOLD`]
/// ([`RepeatScore::auto_links`]). `candidates` must be ranked as [`candidates`] returns them.
pub fn auto_link_target(candidates: &[RepeatCandidate]) -> Option<&RepeatCandidate> {
    candidates.iter().find(|c| c.score.auto_links())
}

/// Store the matter words of up to `batch` orders registered since `since` that have none
/// (orders registered before registration wrote them); returns how many were stored. Call
/// it until it returns 0, e.g. at start-up with `since` one window back.
pub async fn index_missing(
    pool: &PgPool,
    since: DateTime<Utc>,
    batch: i64,
) -> Result<u64, RepeatError> {
    let orders: Vec<(Uuid, String, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT o.order_id, o.region_code, o.registered_at, o.matter FROM intake.orders o \
         WHERE o.registered_at >= $1 \
           AND NOT EXISTS (SELECT 1 FROM intake.matter_words w WHERE w.order_id = o.order_id) \
         ORDER BY o.registered_at LIMIT $2",
    )
    .bind(since)
    .bind(batch)
    .fetch_all(pool)
    .await?;
    let words = tokio::task::spawn_blocking(move || {
        orders
            .into_iter()
            .map(|(order_id, region_code, registered_at, matter)| {
                let words = MatterFeatures::new(&matter).words().to_vec();
                (order_id, region_code, registered_at, words)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|_| RepeatError::Scoring)?;
    let mut tx = pool.begin().await?;
    for (order_id, region_code, registered_at, words) in &words {
        insert_words(&mut tx, *order_id, region_code, *registered_at, words).await?;
    }
    tx.commit().await?;
    Ok(u64::try_from(words.len()).unwrap_or(u64::MAX))
}

/// Which earlier orders a lookup reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The requester's orders and the county's (the agents' list).
    RequesterAndCounty,
    /// The requester's orders only (automatic links).
    Requester,
}

/// The requester's orders: read one by one by key (`OFFSET 0`, see the module docs).
const REQUESTER_POOL: &str = "SELECT o.order_id, o.number, o.region_code, o.matter, o.registered_at, \
         r.phone_hash, s.status \
    FROM intake.requesters r \
    CROSS JOIN LATERAL \
    (SELECT o.order_id, o.number, o.region_code, o.matter, o.registered_at FROM intake.orders o \
      WHERE o.order_id = r.order_id OFFSET 0) o \
    LEFT JOIN intake.order_status s ON s.order_id = o.order_id \
   WHERE r.phone_hash = $1 AND o.registered_at >= $2 AND o.registered_at < $3 \
     AND s.status IS DISTINCT FROM $4 \
   ORDER BY o.registered_at DESC LIMIT $5";

/// The requester's orders and the county's, by posting list (see the module docs).
const REQUESTER_AND_COUNTY_POOL: &str = "WITH pool AS ( \
       (SELECT r.order_id FROM intake.requesters r \
          CROSS JOIN LATERAL \
          (SELECT o.registered_at FROM intake.orders o \
            WHERE o.order_id = r.order_id OFFSET 0) o \
         WHERE r.phone_hash = $1 AND o.registered_at >= $2 AND o.registered_at < $3 \
         ORDER BY o.registered_at DESC LIMIT $5) \
       UNION \
       (SELECT p.order_id FROM unnest($6::text[]) AS q(word) \
          CROSS JOIN LATERAL \
          (SELECT p.order_id, p.registered_at FROM intake.matter_postings p \
            WHERE p.region_code = $7 AND p.word = q.word \
              AND p.registered_at >= $2 AND p.registered_at < $3 \
            ORDER BY p.registered_at DESC LIMIT $8) p \
         GROUP BY p.order_id \
         ORDER BY count(*) DESC, max(p.registered_at) DESC \
         LIMIT $5)) \
     SELECT o.order_id, o.number, o.region_code, o.matter, o.registered_at, r.phone_hash, s.status \
       FROM pool JOIN intake.orders o USING (order_id) \
       LEFT JOIN intake.requesters r USING (order_id) \
       LEFT JOIN intake.order_status s USING (order_id) \
      WHERE s.status IS DISTINCT FROM $4";

/// Every earlier order in `reach` that scores at least [`CANDIDATE_THRESHOLD`] against the
/// request, best first (the more recent first on equal scores).
async fn ranked(
    pool: &PgPool,
    reach: Reach,
    request: &RepeatQuery<'_>,
) -> Result<Vec<RepeatCandidate>, RepeatError> {
    let matter = request.matter.to_owned();
    let features = tokio::task::spawn_blocking(move || MatterFeatures::new(&matter))
        .await
        .map_err(|_| RepeatError::Scoring)?;
    let since = request
        .now
        .checked_sub_signed(request.window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let sql = match reach {
        Reach::Requester => REQUESTER_POOL,
        Reach::RequesterAndCounty => REQUESTER_AND_COUNTY_POOL,
    };
    let query = sqlx::query_as::<_, PoolRow>(sql)
        .bind(request.phone_hash)
        .bind(since)
        .bind(request.now)
        .bind(OrderStatus::RepeatLinked.code())
        .bind(POOL_LIMIT);
    let query = match reach {
        Reach::Requester => query,
        Reach::RequesterAndCounty => query
            .bind(features.words())
            .bind(request.region_code)
            .bind(PER_WORD_LIMIT),
    };
    let rows = query
        // Planned for these values every time (an unnamed statement), not once for all: the
        // best plan depends on them (how many orders the requester and the words have), and
        // a connection's cached generic plan, made while the tables were small, kept
        // scanning `orders` and `requesters` whole as they grew (2.3 ms a call under the load
        // benchmark, 0.5 ms planned afresh).
        .persistent(false)
        .fetch_all(pool)
        .await?;

    let (phone_hash, region_code) = (
        request.phone_hash.to_owned(),
        request.region_code.to_owned(),
    );
    let (now, window) = (request.now, request.window);
    tokio::task::spawn_blocking(move || {
        let new = RequestFacts {
            features: &features,
            phone_hash: Some(&phone_hash),
            region_code: &region_code,
            registered_at: now,
        };
        let mut ranked: Vec<RepeatCandidate> = rows
            .into_iter()
            .filter_map(|row| {
                let earlier_features = MatterFeatures::new(&row.matter);
                let earlier = RequestFacts {
                    features: &earlier_features,
                    phone_hash: row.phone_hash.as_deref(),
                    region_code: &row.region_code,
                    registered_at: row.registered_at,
                };
                let score = score(&new, &earlier, window);
                score.is_candidate().then(|| RepeatCandidate {
                    order_id: row.order_id,
                    number: row.number,
                    registered_at: row.registered_at,
                    status: row.status.as_deref().and_then(OrderStatus::from_code),
                    score,
                })
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.score
                .score
                .total_cmp(&a.score.score)
                .then(b.registered_at.cmp(&a.registered_at))
        });
        ranked
    })
    .await
    .map_err(|_| RepeatError::Scoring)
}

#[derive(sqlx::FromRow)]
struct PoolRow {
    order_id: Uuid,
    number: String,
    region_code: String,
    matter: String,
    registered_at: DateTime<Utc>,
    phone_hash: Option<String>,
    status: Option<String>,
}

async fn insert_words(
    conn: &mut PgConnection,
    order_id: Uuid,
    region_code: &str,
    registered_at: DateTime<Utc>,
    words: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH recorded AS ( \
           INSERT INTO intake.matter_words (order_id, region_code, registered_at, words) \
           VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING \
           RETURNING order_id, region_code, registered_at, words) \
         INSERT INTO intake.matter_postings (region_code, word, registered_at, order_id) \
         SELECT DISTINCT r.region_code, word, r.registered_at, r.order_id \
           FROM recorded r, unnest(r.words) AS word",
    )
    .bind(order_id)
    .bind(region_code)
    .bind(registered_at)
    .bind(words)
    .execute(conn)
    .await
    .map(|_| ())
}
