//! The trail (A23): an append-only, hash-chained record of every review, checklist
//! recording, call-back, archive record, proposal, approval, send-back, case step,
//! escalation, reminder and hot-spot report: who, when, what.
//!
//! Same design as intake's vault audit chain (`services/intake/src/vault/audit.rs`), with
//! the link hash from [`hotline_service_kit::hash_chain`]: `seq` counts from 1 without gaps,
//! `prev_hash` is the previous row's `hash`, `hash = SHA-256(prev_hash ‖
//! "hotline.supervision.trail.v1" ‖ seq ‖ order id ‖ kind ‖ subject ‖ actor ‖ what ‖ at)`.
//! `supervision.trail_head` holds the last seq and hash; an append locks it, so concurrent
//! decisions queue up into one chain (the lock lasts until the caller's transaction ends,
//! and the trail row commits with the decision it records). A trigger refuses UPDATE,
//! DELETE and TRUNCATE; [`verify`] catches whoever gets past it.

use chrono::{DateTime, Utc};
use hotline_service_kit::hash_chain::{ChainHasher, GENESIS_HASH, truncate_to_micros};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Domain separation for the trail's records.
const CONTEXT: &[u8] = b"hotline.supervision.trail.v1";
/// Rows read per query while verifying.
const VERIFY_PAGE: i64 = 1000;

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

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailBreak {
    #[error("trail row {0}: its hash does not match its content")]
    Hash(i64),
    #[error("trail row {0}: it does not link to the row before")]
    Link(i64),
    #[error("trail row {0} is missing")]
    Missing(i64),
    #[error("trail head does not match the last row (at {0})")]
    Head(i64),
}

/// Appending or verifying failed.
#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Broken(#[from] TrailBreak),
}

/// A row just appended: its seq and hash (the archive keeps both, A16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub seq: i64,
    pub hash: Vec<u8>,
}

/// Append `entry` in the caller's transaction.
pub async fn append(
    tx: &mut PgConnection,
    entry: &Entry<'_>,
    at: DateTime<Utc>,
) -> Result<Appended, sqlx::Error> {
    let (last_seq, last_hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM supervision.trail_head WHERE singleton FOR UPDATE")
            .fetch_one(&mut *tx)
            .await?;
    let mut row = TrailRow {
        seq: last_seq + 1,
        order_id: entry.order_id,
        kind: entry.kind.to_owned(),
        subject_id: entry.subject_id.clone(),
        actor: entry.actor.to_owned(),
        what: entry.what.clone(),
        at: truncate_to_micros(at),
        prev_hash: last_hash,
        hash: Vec::new(),
    };
    row.hash = row.expected_hash().to_vec();
    sqlx::query(
        "INSERT INTO supervision.trail (seq, order_id, kind, subject_id, actor, what, at, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(row.seq)
    .bind(row.order_id)
    .bind(&row.kind)
    .bind(&row.subject_id)
    .bind(&row.actor)
    .bind(&row.what)
    .bind(row.at)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE supervision.trail_head SET seq = $1, hash = $2 WHERE singleton")
        .bind(row.seq)
        .bind(&row.hash)
        .execute(&mut *tx)
        .await?;
    Ok(Appended {
        seq: row.seq,
        hash: row.hash,
    })
}

/// Re-compute the whole chain in one snapshot and compare it with the head. Returns the
/// number of rows verified, or the first break.
pub async fn verify(pool: &PgPool) -> Result<i64, TrailError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let (head_seq, head_hash): (i64, Vec<u8>) =
        sqlx::query_as("SELECT seq, hash FROM supervision.trail_head WHERE singleton")
            .fetch_one(&mut *tx)
            .await?;
    let mut seq = 0_i64;
    let mut hash = GENESIS_HASH.to_vec();
    loop {
        let page: Vec<TrailRow> = sqlx::query_as(
            "SELECT seq, order_id, kind, subject_id, actor, what, at, prev_hash, hash \
             FROM supervision.trail WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(VERIFY_PAGE)
        .fetch_all(&mut *tx)
        .await?;
        if page.is_empty() {
            break;
        }
        for row in page {
            hash = check_next(seq, &hash, &row)?;
            seq = row.seq;
        }
    }
    tx.commit().await?;
    if head_seq > seq {
        return Err(TrailBreak::Missing(seq + 1).into());
    }
    if head_seq < seq || head_hash != hash {
        return Err(TrailBreak::Head(head_seq).into());
    }
    Ok(seq)
}

/// Check `row` as the successor of (`last_seq`, `last_hash`); its hash if it fits.
fn check_next(last_seq: i64, last_hash: &[u8], row: &TrailRow) -> Result<Vec<u8>, TrailBreak> {
    let seq = last_seq + 1;
    if row.seq != seq {
        return Err(TrailBreak::Missing(seq));
    }
    if row.prev_hash != last_hash {
        return Err(TrailBreak::Link(seq));
    }
    let expected = row.expected_hash();
    if row.hash != expected {
        return Err(TrailBreak::Hash(seq));
    }
    Ok(expected.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, prev: &[u8], actor: &str) -> TrailRow {
        let mut r = TrailRow {
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
        let h1 = check_next(0, &GENESIS_HASH, &first).unwrap();
        let second = row(2, &h1, "head-2");
        assert!(check_next(1, &h1, &second).is_ok());
        let mut edited = second.clone();
        edited.actor = "someone-else".into();
        assert_eq!(check_next(1, &h1, &edited), Err(TrailBreak::Hash(2)));
        assert_eq!(
            check_next(0, &GENESIS_HASH, &second),
            Err(TrailBreak::Missing(1))
        );
    }
}
