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
use hotline_contract::supervision_desk::ArchiveRecord;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::store::{self, ReviewRow};
use crate::trail::{self, Appended, Entry};

/// SHA-256 (hex) of the record's JSON: what the trail's `archived` row carries.
pub fn digest(record: &ArchiveRecord) -> Result<String, serde_json::Error> {
    Ok(hex::encode(Sha256::digest(serde_json::to_vec(record)?)))
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
    let order = store::order_ref(tx, review.order_id).await?;
    let (number, kind) = order.map_or((None, None), |(n, k)| (Some(n), k));
    let record = ArchiveRecord {
        order_id: review.order_id,
        number,
        unit_id: review.unit_id.clone(),
        kind,
        result_id: review.result_id,
        submitted_at: review.submitted_at,
        result_checklist: review.result_checklist.as_ref().map(|c| c.0.clone()),
        review_checklist: store::checks(tx, review.result_id).await?,
        poor_handling: review.poor_handling,
        call_backs: store::call_backs(tx, review.result_id).await?,
        decision: "accepted".to_owned(),
        decided_by: decided_by.to_owned(),
        decided_at,
        trail_strand: acceptance.strand,
        trail_seq: acceptance.seq,
        trail_hash: hex::encode(&acceptance.hash),
    };
    store::insert_archive(tx, &record, &acceptance.hash, decided_at).await?;
    let digest = digest(&record).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    trail::append(
        tx,
        &Entry {
            order_id: review.order_id,
            kind: "archived",
            subject_id: review.result_id.to_string(),
            actor: decided_by,
            what: format!("record_sha256={digest}"),
        },
        decided_at,
    )
    .await?;
    Ok(record)
}
