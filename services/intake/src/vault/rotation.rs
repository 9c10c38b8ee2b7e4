//! Key rotation: re-encrypt every requester row that is not yet under the active key.
//!
//! To rotate: add the new key to `[intake.vault] keys`, make it `active_key` and restart
//! (new values now use it, old ones still decrypt with their own key id); run [`rotate`];
//! once it reports no rows left, the old key may be removed from the ring.
//!
//! Rows are claimed in batches with `FOR UPDATE SKIP LOCKED` (several rotators, or a
//! rotator next to live traffic, never block each other or touch a row twice), and each
//! batch commits on its own, so an interrupted rotation simply resumes. The plaintext
//! exists only inside the vault while a value is re-sealed; rotation discloses nothing, so
//! it writes no audit records (it is logged with counts). A row that cannot be decrypted
//! (its key left the ring too early, or it was tampered with) stops the rotation with
//! that error rather than being skipped silently.

use sqlx::PgPool;

use super::{Field, Vault, VaultError, sealed};
use crate::store;

/// What a rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Requester rows re-encrypted under the active key.
    pub rows: u64,
    /// Batches committed.
    pub batches: u64,
}

/// Re-encrypt, in batches of `batch_size` rows (at least 1), every requester row whose
/// values are under another key than the active one.
pub async fn rotate(
    pool: &PgPool,
    vault: &Vault,
    batch_size: u32,
) -> Result<RotationReport, VaultError> {
    let ring = vault.key_ring();
    let active = ring.active_id();
    let limit = i64::from(batch_size.max(1));
    let mut report = RotationReport::default();
    loop {
        let mut tx = pool.begin().await?;
        let rows = store::requesters_to_rotate(&mut tx, active, limit).await?;
        if rows.is_empty() {
            tx.rollback().await?;
            break;
        }
        let count = rows.len();
        for mut row in rows {
            let order_id = row.order_id;
            for field in Field::ALL {
                if let Some(value) = row.value_mut(field) {
                    *value = sealed::reseal(ring, order_id, field, value).inspect_err(|error| {
                        tracing::error!(%order_id, %error, "key rotation stopped");
                    })?;
                }
            }
            row.key_id = active.to_owned();
            store::reseal_requester(&mut tx, &row).await?;
        }
        tx.commit().await?;
        report.rows += u64::try_from(count).unwrap_or(u64::MAX);
        report.batches += 1;
        tracing::info!(
            rows = count,
            total = report.rows,
            key_id = active,
            "vault rotation batch committed"
        );
    }
    Ok(report)
}
