//! The archive (A16: a result that checks out is closed and archived).
//!
//! Accepting a result, by a reviewer or by the automatic completeness check, writes one
//! [`ArchiveRecord`] in the same transaction: the result's completeness checklist, the
//! reviewer's checklist, the poor-handling judgement, every call-back, the decision, who
//! decided and when, and the seq and hash of the acceptance's trail row (the chain up to
//! that point). The record is then put on the trail itself (`archived`, with the SHA-256 of
//! the record's JSON, [`digest`]), so its content is chained too.
//!
//! Immutability is enforced by the database: a trigger on `supervision.archive` raises on
//! UPDATE, DELETE and TRUNCATE (migration `20261201120000`).

use chrono::{DateTime, Utc};
use hotline_contract::supervision_desk::{ArchiveRecord, CallBack, RecordedCheck};
use hotline_contract::vocabulary::RequestKind;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::store::{self, ReviewRow};
use crate::trail::{self, Appended, Entry};

/// SHA-256 (hex) of the record's JSON: what the trail's `archived` row carries.
pub fn digest(record: &ArchiveRecord) -> Result<String, serde_json::Error> {
    Ok(hex::encode(Sha256::digest(serde_json::to_vec(record)?)))
}

/// What the archive record of an accepted result is made of, besides the review row.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The order's number and kind, if supervision saw it dispatched.
    pub order: Option<(String, Option<RequestKind>)>,
    pub review_checklist: Vec<RecordedCheck>,
    pub call_backs: Vec<CallBack>,
}

/// The record of the accepted result under review (`review`), decided by `decided_by` at
/// `decided_at`, whose acceptance is the trail row `acceptance`.
pub fn record(
    review: &ReviewRow,
    facts: Facts,
    decided_by: &str,
    decided_at: DateTime<Utc>,
    acceptance: &Appended,
) -> ArchiveRecord {
    let (number, kind) = facts.order.map_or((None, None), |(n, k)| (Some(n), k));
    ArchiveRecord {
        order_id: review.order_id,
        number,
        unit_id: review.unit_id.clone(),
        kind,
        result_id: review.result_id,
        submitted_at: review.submitted_at,
        result_checklist: review.result_checklist.as_ref().map(|c| c.0.clone()),
        review_checklist: facts.review_checklist,
        poor_handling: review.poor_handling,
        call_backs: facts.call_backs,
        decision: "accepted".to_owned(),
        decided_by: decided_by.to_owned(),
        decided_at,
        trail_strand: acceptance.strand,
        trail_seq: acceptance.seq,
        trail_hash: hex::encode(&acceptance.hash),
    }
}

/// The trail entry that chains `record`'s content: `archived`, with its [`digest`].
pub fn trail_entry(record: &ArchiveRecord) -> Result<Entry<'_>, sqlx::Error> {
    let digest = digest(record).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    Ok(Entry {
        order_id: record.order_id,
        kind: "archived",
        subject_id: record.result_id.to_string(),
        actor: &record.decided_by,
        what: format!("record_sha256={digest}"),
    })
}

/// Archive the accepted result under review (`review`), decided by `decided_by` at
/// `decided_at`, whose acceptance is the trail row `acceptance`; in the caller's
/// transaction.
pub async fn write(
    tx: &mut PgConnection,
    review: &ReviewRow,
    decided_by: &str,
    decided_at: DateTime<Utc>,
    acceptance: &Appended,
) -> Result<ArchiveRecord, sqlx::Error> {
    let facts = Facts {
        order: store::order_ref(tx, review.order_id).await?,
        review_checklist: store::checks(tx, review.result_id).await?,
        call_backs: store::call_backs(tx, review.result_id).await?,
    };
    let record = record(review, facts, decided_by, decided_at, acceptance);
    let archived = (record, acceptance.hash.clone());
    store::insert_archives(tx, std::slice::from_ref(&archived), decided_at).await?;
    let (record, _) = archived;
    trail::append(tx, &trail_entry(&record)?, decided_at).await?;
    Ok(record)
}
