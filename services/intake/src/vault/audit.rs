//! The vault's audit trail: one record per disclosure of a personal-data field, chained by
//! hashes so that editing or removing a record is detectable (A21).
//!
//! * **Record**: `(seq, order_id, field, actor, purpose, at, prev_hash, hash)` in
//!   `intake.vault_audit`. `seq` counts from 1 without gaps; `prev_hash` is the previous
//!   record's `hash` (32 zero bytes for the first); `hash = SHA-256(prev_hash ‖ canonical
//!   record)`.
//! * **Canonical record**: `"hotline.intake.vault_audit.v1"`, `seq` (i64, big endian), the
//!   order id (16 bytes), `field`, `actor` and `purpose` (each a u32 big-endian byte length
//!   then UTF-8), `at` (microseconds since the Unix epoch, i64 big endian; Postgres keeps
//!   microseconds, so the stored value hashes the same).
//! * **Head**: `intake.vault_audit_head` holds the last `seq` and `hash`. An append locks it
//!   (`SELECT … FOR UPDATE`), so concurrent disclosures queue up and form one chain; the
//!   lock is held until the caller's transaction ends, so reveal late in a transaction.
//!   The head also makes a removed *last* record detectable.
//! * **Defence in depth**: a trigger refuses `UPDATE`, `DELETE` and `TRUNCATE` on the
//!   table; the chain catches whoever disables it. Someone able to rewrite every later
//!   record and the head can forge a consistent chain; publishing the head hash outside
//!   the database from time to time would close that gap (not built yet).
//!
//! [`verify_audit_chain`] re-computes the whole chain in one read-only snapshot and reports
//! the first record where it breaks.

use chrono::{DateTime, Utc};
use hotline_service_kit::hash_chain::{ChainHasher, truncate_to_micros};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::Field;

/// Domain separation for the canonical record.
const RECORD_CONTEXT: &[u8] = b"hotline.intake.vault_audit.v1";
/// `prev_hash` of the first record.
pub const GENESIS_HASH: [u8; 32] = [0; 32];
/// Records read per query while verifying.
const VERIFY_PAGE: i64 = 1000;

/// One disclosure, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// Whose data was disclosed.
    pub order_id: Uuid,
    /// Which field ([`Field::code`]).
    pub field: String,
    /// Who saw it ([`super::Actor::audit_name`]).
    pub actor: String,
    /// Why, as the caller stated it.
    pub purpose: String,
    /// When (microsecond precision).
    pub at: DateTime<Utc>,
    /// The previous record's hash.
    pub prev_hash: Vec<u8>,
    /// SHA-256 of `prev_hash` and the canonical record.
    pub hash: Vec<u8>,
}

impl AuditRecord {
    /// The hash this record should carry, from its own content and `prev_hash`.
    pub fn expected_hash(&self) -> [u8; 32] {
        chain_hash(
            &self.prev_hash,
            self.seq,
            self.order_id,
            &self.field,
            &self.actor,
            &self.purpose,
            self.at,
        )
    }
}

/// The end of a verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Number of records (the last `seq`; 0 for an empty chain).
    pub seq: i64,
    /// Hash of the last record (the genesis hash for an empty chain).
    pub hash: [u8; 32],
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the vault audit chain breaks at record {seq}: {kind}")]
pub struct AuditBreak {
    /// The first record (by sequence number) that is missing or does not verify.
    pub seq: i64,
    /// What is wrong there.
    pub kind: BreakKind,
}

/// What is wrong at an [`AuditBreak`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// The record is missing (a gap in the sequence, or removed from the end).
    Missing,
    /// Its `prev_hash` is not the previous record's hash (a record before it was replaced).
    Link,
    /// Its content does not match its hash (the record was edited).
    Hash,
    /// The head disagrees with the records (head edited or removed, or records appended
    /// behind the vault's back).
    Head,
}

impl std::fmt::Display for BreakKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => "record missing",
            Self::Link => "previous-hash link broken",
            Self::Hash => "content does not match its hash",
            Self::Head => "chain head does not match the records",
        })
    }
}

/// Why the audit trail could not be written or verified.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The chain does not verify.
    #[error(transparent)]
    Broken(#[from] AuditBreak),
    /// The head row is gone: nothing can be appended until an operator has looked.
    #[error("the vault audit chain head is missing")]
    HeadMissing,
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Append a record in the caller's transaction, extending the chain under the head's row
/// lock (see the module docs).
pub(crate) async fn append(
    tx: &mut PgConnection,
    order_id: Uuid,
    field: Field,
    actor: &str,
    purpose: &str,
) -> Result<AuditRecord, AuditError> {
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM intake.vault_audit_head WHERE singleton FOR UPDATE")
            .fetch_optional(&mut *tx)
            .await?;
    let (last_seq, prev_hash) = head.ok_or(AuditError::HeadMissing)?;
    let seq = last_seq + 1;
    let at = truncate_to_micros(Utc::now());
    let hash = chain_hash(&prev_hash, seq, order_id, field.code(), actor, purpose, at);
    sqlx::query(
        "INSERT INTO intake.vault_audit (seq, order_id, field, actor, purpose, at, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(order_id)
    .bind(field.code())
    .bind(actor)
    .bind(purpose)
    .bind(at)
    .bind(&prev_hash)
    .bind(hash.as_slice())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE intake.vault_audit_head SET seq = $1, hash = $2 WHERE singleton")
        .bind(seq)
        .bind(hash.as_slice())
        .execute(&mut *tx)
        .await?;
    Ok(AuditRecord {
        seq,
        order_id,
        field: field.code().to_owned(),
        actor: actor.to_owned(),
        purpose: purpose.to_owned(),
        at,
        prev_hash,
        hash: hash.to_vec(),
    })
}

/// Re-compute the whole chain in one consistent snapshot and compare it with the head.
/// Returns the verified head, or the first break.
pub async fn verify_audit_chain(pool: &PgPool) -> Result<ChainHead, AuditError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM intake.vault_audit_head WHERE singleton")
            .fetch_optional(&mut *tx)
            .await?;

    let mut last = ChainHead {
        seq: 0,
        hash: GENESIS_HASH,
    };
    loop {
        let page: Vec<AuditRecord> = sqlx::query_as(
            "SELECT seq, order_id, field, actor, purpose, at, prev_hash, hash \
             FROM intake.vault_audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(last.seq)
        .bind(VERIFY_PAGE)
        .fetch_all(&mut *tx)
        .await?;
        if page.is_empty() {
            break;
        }
        for record in page {
            last = check_next(&last, &record)?;
        }
    }
    tx.commit().await?;

    let Some((head_seq, head_hash)) = head else {
        return Err(AuditBreak {
            seq: last.seq + 1,
            kind: BreakKind::Head,
        }
        .into());
    };
    if head_seq > last.seq {
        // Records after the last one we saw were removed.
        return Err(AuditBreak {
            seq: last.seq + 1,
            kind: BreakKind::Missing,
        }
        .into());
    }
    if head_seq < last.seq {
        return Err(AuditBreak {
            seq: head_seq + 1,
            kind: BreakKind::Head,
        }
        .into());
    }
    if head_hash.as_slice() != last.hash.as_slice() {
        return Err(AuditBreak {
            seq: head_seq,
            kind: BreakKind::Head,
        }
        .into());
    }
    Ok(last)
}

/// Check `record` as the successor of `last`; the new end of the chain if it fits.
fn check_next(last: &ChainHead, record: &AuditRecord) -> Result<ChainHead, AuditBreak> {
    let seq = last.seq + 1;
    if record.seq != seq {
        return Err(AuditBreak {
            seq,
            kind: BreakKind::Missing,
        });
    }
    if record.prev_hash.as_slice() != last.hash.as_slice() {
        return Err(AuditBreak {
            seq,
            kind: BreakKind::Link,
        });
    }
    let expected = record.expected_hash();
    if record.hash.as_slice() != expected.as_slice() {
        return Err(AuditBreak {
            seq,
            kind: BreakKind::Hash,
        });
    }
    Ok(ChainHead {
        seq,
        hash: expected,
    })
}

/// `SHA-256(prev_hash ‖ canonical record)` (see the module docs), framed by the shared
/// [`ChainHasher`] (supervision's trail uses the same scheme).
fn chain_hash(
    prev_hash: &[u8],
    seq: i64,
    order_id: Uuid,
    field: &str,
    actor: &str,
    purpose: &str,
    at: DateTime<Utc>,
) -> [u8; 32] {
    ChainHasher::new(prev_hash, RECORD_CONTEXT, seq)
        .fixed(order_id.as_bytes())
        .text(field)
        .text(actor)
        .text(purpose)
        .instant(at)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(prev: &ChainHead, actor: &str) -> AuditRecord {
        let mut r = AuditRecord {
            seq: prev.seq + 1,
            order_id: Uuid::nil(),
            field: "phone".into(),
            actor: actor.into(),
            purpose: "callback".into(),
            at: truncate_to_micros(Utc::now()),
            prev_hash: prev.hash.to_vec(),
            hash: Vec::new(),
        };
        r.hash = r.expected_hash().to_vec();
        r
    }

    #[test]
    fn a_well_formed_chain_verifies_and_edits_are_located() {
        let genesis = ChainHead {
            seq: 0,
            hash: GENESIS_HASH,
        };
        let first = record(&genesis, "agent:1");
        let after_first = check_next(&genesis, &first).unwrap();
        let second = record(&after_first, "agent:2");
        assert_eq!(check_next(&after_first, &second).unwrap().seq, 2);

        let mut edited = second.clone();
        edited.actor = "agent:3".into();
        assert_eq!(
            check_next(&after_first, &edited).unwrap_err(),
            AuditBreak {
                seq: 2,
                kind: BreakKind::Hash
            }
        );
        // Fields are length-prefixed: moving a character between them changes the hash.
        let mut shifted = second.clone();
        shifted.field = "phonea".into();
        shifted.actor = "gent:2".into();
        assert_eq!(
            check_next(&after_first, &shifted).unwrap_err().kind,
            BreakKind::Hash
        );
        assert_eq!(
            check_next(&genesis, &second).unwrap_err(),
            AuditBreak {
                seq: 1,
                kind: BreakKind::Missing
            }
        );
    }

    #[test]
    fn timestamps_hash_at_microsecond_precision() {
        let at = DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap();
        assert_eq!(truncate_to_micros(at).timestamp_subsec_nanos(), 123_456_000);
    }
}
