//! The trail (A23): an append-only, hash-chained record of every review, checklist
//! recording, call-back, archive record, proposal, approval, send-back, case step,
//! escalation, reminder and hot-spot report: who, when, what.
//!
//! Same design as intake's vault audit chain (`services/intake/src/vault/audit.rs`), with
//! the link hash from [`hotline_service_kit::hash_chain`], in [`STRANDS`] strands: each
//! strand is one chain, `seq` counts from 1 without gaps within it, `prev_hash` is the
//! previous row's `hash` in the strand, `hash = SHA-256(prev_hash ‖
//! "hotline.supervision.trail.v1" ‖ seq ‖ order id ‖ kind ‖ subject ‖ actor ‖ what ‖ at)`.
//! `supervision.trail_heads` holds each strand's last seq and hash; an append locks its
//! strand's head, so concurrent decisions about orders of one strand queue up into one
//! chain (the lock lasts until the caller's transaction ends, and the trail row commits
//! with the decision it records). A batch of decisions chains its rows in memory over the
//! locked heads and writes them with one statement ([`Appender`]). A trigger refuses
//! UPDATE, DELETE and TRUNCATE; [`verify`] catches whoever gets past it.
//!
//! Why strands: with one chain every decision of the platform waited for one lock, held
//! to each commit, and a consumer's batch held it from its first append to its commit; it
//! was the most waited-for lock under load (`docs/performance.md`). An order's entries all
//! go to [`strand_of`] its id, so its history is still one ordered chain, and the strand is
//! the consumers' lane of the order ([`hotline_messaging::consumer::lane_index`] with as
//! many lanes as strands: supervision's consumers run [`STRANDS`] lanes whatever the
//! service's `consumer_lanes` says, `crate::trail_consumer`): a lane's batch locks a single
//! head, and lanes never wait for each other's heads. The strand is not hashed: it only partitions, and a row moved to
//! another strand breaks both strands' links.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use hotline_service_kit::hash_chain::{ChainHasher, GENESIS_HASH, truncate_to_micros};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Domain separation for the trail's records.
const CONTEXT: &[u8] = b"hotline.supervision.trail.v1";
/// Rows read per query while verifying.
const VERIFY_PAGE: i64 = 1000;
/// Strands of the trail: as many as the consumers have lanes (see the module docs). Fixed
/// here, not taken from the lane count: the heads and the `strand` check are in the schema
/// (migration `20261229100000`), so a change is a migration; a test says when they differ.
pub const STRANDS: usize = 8;

/// The strand of the entries about `order_id` (for hot-spot reports, the hot spot's id).
pub fn strand_of(order_id: Uuid) -> i16 {
    let strand = hotline_messaging::consumer::lane_index(&order_id.to_string(), STRANDS);
    i16::try_from(strand).unwrap_or(0)
}

/// One decision to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub order_id: Uuid,
    /// `review`, `review_checklist`, `call_back`, `archived`, `send_back_proposed`,
    /// `send_back_approved`, `case_opened`, `case_escalated`, `rectification_reported`,
    /// `case_closed`, `unit_reminded`, `hotspot_reported` (whose `order_id` is the hot
    /// spot's id).
    pub kind: &'a str,
    /// What the decision is about: a result, proposal or case id.
    pub subject_id: String,
    /// Who decided: a person's id or `rule:<name>`.
    pub actor: &'a str,
    /// What was decided, in short (codes, levels).
    pub what: String,
}

/// A recorded row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrailRow {
    pub strand: i16,
    pub seq: i64,
    pub order_id: Uuid,
    pub kind: String,
    pub subject_id: String,
    pub actor: String,
    pub what: String,
    pub at: DateTime<Utc>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

impl TrailRow {
    /// The hash this row should carry.
    pub fn expected_hash(&self) -> [u8; 32] {
        ChainHasher::new(&self.prev_hash, CONTEXT, self.seq)
            .fixed(self.order_id.as_bytes())
            .text(&self.kind)
            .text(&self.subject_id)
            .text(&self.actor)
            .text(&self.what)
            .instant(self.at)
            .finish()
    }
}

/// Where a strand's chain breaks: the strand, then the seq.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailBreak {
    #[error("trail strand {0} row {1}: its hash does not match its content")]
    Hash(i16, i64),
    #[error("trail strand {0} row {1}: it does not link to the row before")]
    Link(i16, i64),
    #[error("trail strand {0} row {1} is missing")]
    Missing(i16, i64),
    #[error("trail strand {0}: its head does not match the last row (at {1})")]
    Head(i16, i64),
}

/// Appending or verifying failed.
#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Broken(#[from] TrailBreak),
}

/// A row just appended: its strand, seq and hash (the archive keeps them, A16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub strand: i16,
    pub seq: i64,
    pub hash: Vec<u8>,
}

/// Append `entry` to its order's strand, in the caller's transaction.
pub async fn append(
    tx: &mut PgConnection,
    entry: &Entry<'_>,
    at: DateTime<Utc>,
) -> Result<Appended, sqlx::Error> {
    let mut appender = Appender::lock(tx, [entry.order_id]).await?;
    let appended = appender.push(entry, at)?;
    appender.write(tx).await?;
    Ok(appended)
}

/// Appends many entries with two statements: [`Appender::lock`] locks the heads of the
/// strands they go to, [`Appender::push`] chains each entry in memory (so a later
/// entry, an archive record say, can name an earlier one's hash), and
/// [`Appender::write`] inserts every row and moves every head in one statement. The rows
/// are the ones [`append`] one by one would write: the heads stay locked from the read
/// to the commit, so nobody else chains in between.
#[derive(Debug)]
pub struct Appender {
    /// Each locked strand's last seq and hash, as the pushed rows leave them.
    heads: BTreeMap<i16, (i64, Vec<u8>)>,
    rows: Vec<TrailRow>,
}

/// An entry pushed for a strand that [`Appender::lock`] did not lock.
#[derive(Debug, thiserror::Error)]
#[error("trail strand {0} was not locked before appending to it")]
struct StrandNotLocked(i16);

impl Appender {
    /// Lock the heads of the strands of `order_ids`, in strand order (so two appenders
    /// never wait for each other's heads in opposite orders).
    pub async fn lock(
        tx: &mut PgConnection,
        order_ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Self, sqlx::Error> {
        let strands: BTreeSet<i16> = order_ids.into_iter().map(strand_of).collect();
        let strands: Vec<i16> = strands.into_iter().collect();
        let locked: Vec<(i16, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT strand, seq, hash FROM supervision.trail_heads WHERE strand = ANY($1) \
             ORDER BY strand FOR UPDATE",
        )
        .bind(&strands)
        .fetch_all(&mut *tx)
        .await?;
        if let Some(missing) = strands
            .iter()
            .find(|s| !locked.iter().any(|(strand, ..)| strand == *s))
        {
            return Err(sqlx::Error::Decode(Box::new(StrandNotLocked(*missing))));
        }
        Ok(Self {
            heads: locked
                .into_iter()
                .map(|(strand, seq, hash)| (strand, (seq, hash)))
                .collect(),
            rows: Vec::new(),
        })
    }

    /// Chain `entry` after its strand's last row (in memory until [`Appender::write`]).
    pub fn push(&mut self, entry: &Entry<'_>, at: DateTime<Utc>) -> Result<Appended, sqlx::Error> {
        let strand = strand_of(entry.order_id);
        let Some((last_seq, last_hash)) = self.heads.get_mut(&strand) else {
            return Err(sqlx::Error::Decode(Box::new(StrandNotLocked(strand))));
        };
        let mut row = TrailRow {
            strand,
            seq: *last_seq + 1,
            order_id: entry.order_id,
            kind: entry.kind.to_owned(),
            subject_id: entry.subject_id.clone(),
            actor: entry.actor.to_owned(),
            what: entry.what.clone(),
            at: truncate_to_micros(at),
            prev_hash: last_hash.clone(),
            hash: Vec::new(),
        };
        row.hash = row.expected_hash().to_vec();
        *last_seq = row.seq;
        last_hash.clone_from(&row.hash);
        let appended = Appended {
            strand,
            seq: row.seq,
            hash: row.hash.clone(),
        };
        self.rows.push(row);
        Ok(appended)
    }

    /// Insert the pushed rows and move the heads, in one statement.
    pub async fn write(self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = &self.rows;
        let column = |f: fn(&TrailRow) -> String| rows.iter().map(f).collect::<Vec<_>>();
        let (strands, seqs): (Vec<i16>, Vec<i64>) = rows.iter().map(|r| (r.strand, r.seq)).unzip();
        // Every locked head moves only if a row was pushed to its strand.
        let mut head_strands = Vec::with_capacity(self.heads.len());
        let mut head_seqs = Vec::with_capacity(self.heads.len());
        let mut head_hashes = Vec::with_capacity(self.heads.len());
        for (strand, (seq, hash)) in self.heads {
            if strands.contains(&strand) {
                head_strands.push(strand);
                head_seqs.push(seq);
                head_hashes.push(hash);
            }
        }
        sqlx::query(
            "WITH appended AS (INSERT INTO supervision.trail \
               (strand, seq, order_id, kind, subject_id, actor, what, at, prev_hash, hash) \
               SELECT * FROM unnest($1::int2[], $2::int8[], $3::uuid[], $4::text[], \
                 $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::bytea[], \
                 $10::bytea[])) \
             UPDATE supervision.trail_heads h SET seq = n.seq, hash = n.hash \
             FROM unnest($11::int2[], $12::int8[], $13::bytea[]) AS n(strand, seq, hash) \
             WHERE h.strand = n.strand",
        )
        .bind(&strands)
        .bind(&seqs)
        .bind(rows.iter().map(|r| r.order_id).collect::<Vec<_>>())
        .bind(column(|r| r.kind.clone()))
        .bind(column(|r| r.subject_id.clone()))
        .bind(column(|r| r.actor.clone()))
        .bind(column(|r| r.what.clone()))
        .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.prev_hash.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.hash.clone()).collect::<Vec<_>>())
        .bind(&head_strands)
        .bind(&head_seqs)
        .bind(&head_hashes)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// Re-compute every strand's chain in one snapshot and compare each with its head.
/// Returns the number of rows verified, or the first break.
pub async fn verify(pool: &PgPool) -> Result<i64, TrailError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let heads: Vec<(i16, i64, Vec<u8>)> =
        sqlx::query_as("SELECT strand, seq, hash FROM supervision.trail_heads ORDER BY strand")
            .fetch_all(&mut *tx)
            .await?;
    // Rows of a strand without a head would escape the check below.
    let headless: Option<i16> = sqlx::query_scalar(
        "SELECT min(strand) FROM supervision.trail t \
         WHERE NOT EXISTS (SELECT 1 FROM supervision.trail_heads h WHERE h.strand = t.strand)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(strand) = headless {
        return Err(TrailBreak::Head(strand, 0).into());
    }
    let mut verified = 0;
    for (strand, head_seq, head_hash) in heads {
        let seq = verify_strand(&mut tx, strand, head_seq, &head_hash).await?;
        verified += seq;
    }
    tx.commit().await?;
    Ok(verified)
}

/// One strand against its head; returns its last seq.
async fn verify_strand(
    tx: &mut PgConnection,
    strand: i16,
    head_seq: i64,
    head_hash: &[u8],
) -> Result<i64, TrailError> {
    let mut seq = 0_i64;
    let mut hash = GENESIS_HASH.to_vec();
    loop {
        let page: Vec<TrailRow> = sqlx::query_as(
            "SELECT strand, seq, order_id, kind, subject_id, actor, what, at, prev_hash, hash \
             FROM supervision.trail WHERE strand = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(strand)
        .bind(seq)
        .bind(VERIFY_PAGE)
        .fetch_all(&mut *tx)
        .await?;
        if page.is_empty() {
            break;
        }
        for row in page {
            hash = check_next(strand, seq, &hash, &row)?;
            seq = row.seq;
        }
    }
    if head_seq > seq {
        return Err(TrailBreak::Missing(strand, seq + 1).into());
    }
    if head_seq < seq || head_hash != hash {
        return Err(TrailBreak::Head(strand, head_seq).into());
    }
    Ok(seq)
}

/// Check `row` as the successor of (`last_seq`, `last_hash`) in `strand`; its hash if it
/// fits.
fn check_next(
    strand: i16,
    last_seq: i64,
    last_hash: &[u8],
    row: &TrailRow,
) -> Result<Vec<u8>, TrailBreak> {
    let seq = last_seq + 1;
    if row.seq != seq {
        return Err(TrailBreak::Missing(strand, seq));
    }
    if row.prev_hash != last_hash {
        return Err(TrailBreak::Link(strand, seq));
    }
    let expected = row.expected_hash();
    if row.hash != expected {
        return Err(TrailBreak::Hash(strand, seq));
    }
    Ok(expected.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, prev: &[u8], actor: &str) -> TrailRow {
        let mut r = TrailRow {
            strand: 0,
            seq,
            order_id: Uuid::nil(),
            kind: "send_back_approved".into(),
            subject_id: "p".into(),
            actor: actor.into(),
            what: "sent_back".into(),
            at: truncate_to_micros(Utc::now()),
            prev_hash: prev.to_vec(),
            hash: Vec::new(),
        };
        r.hash = r.expected_hash().to_vec();
        r
    }

    #[test]
    fn a_chain_verifies_and_an_edited_row_is_located() {
        let first = row(1, &GENESIS_HASH, "head-1");
        let h1 = check_next(0, 0, &GENESIS_HASH, &first).unwrap();
        let second = row(2, &h1, "head-2");
        assert!(check_next(0, 1, &h1, &second).is_ok());
        let mut edited = second.clone();
        edited.actor = "someone-else".into();
        assert_eq!(check_next(0, 1, &h1, &edited), Err(TrailBreak::Hash(0, 2)));
        assert_eq!(
            check_next(0, 0, &GENESIS_HASH, &second),
            Err(TrailBreak::Missing(0, 1))
        );
    }

    #[test]
    fn there_is_a_strand_for_each_consumer_lane() {
        // Otherwise a lane's batch may lock several heads (and wait for other lanes).
        assert_eq!(STRANDS, hotline_messaging::consumer::DEFAULT_LANES);
    }

    #[test]
    fn an_orders_entries_keep_to_one_strand_and_orders_spread_over_all() {
        let order = Uuid::now_v7();
        assert_eq!(strand_of(order), strand_of(order));
        let used: std::collections::BTreeSet<i16> =
            (0..200).map(|_| strand_of(Uuid::new_v4())).collect();
        assert_eq!(used, (0..8).collect());
    }
}
