//! The time-limit policies as the console administers them (A15, issue 10):
//! `rpc.deadline-watcher.policies` lists the active version of every policy, and
//! `rpc.deadline-watcher.save_policy` writes a policy's next version.
//!
//! An edit is checked by [`crate::domain::policy_edit`], then, in one transaction, the
//! active version is locked, compared with the version the editor saw (another edit in
//! between is a `conflict`, never overwritten), deactivated, and version N+1 is written
//! with who made the edit and why (A23). The handlers read the active policies for each
//! clock they start, so the new limit applies to the next clock started, without a
//! restart; running clocks keep the due instant and the version they were started under.
//!
//! Who may edit is the gateway's check (the administrator); `edited_by` is the signed-in
//! principal, bound by the gateway.

use hotline_contract::events::{LimitUnit, TimeLimit};
use hotline_contract::policies::{Policies, PolicyView, SavePolicyCommand};
use hotline_contract::rpc::{RpcError, RpcErrorCode};
use sqlx::PgPool;

use crate::domain::deadline::Limit;
use crate::domain::policy_edit::{PolicyEdit, next_version, problems};
use crate::store::{self, PolicyRecord};

/// Every active policy, by clock and policy id.
pub async fn list(pool: &PgPool) -> Result<Policies, RpcError> {
    let records = async {
        let mut conn = pool.acquire().await?;
        store::active_policy_records(&mut conn).await
    }
    .await
    .map_err(|error| unavailable(&error))?;
    Ok(Policies {
        policies: records.iter().map(view).collect(),
    })
}

/// Write the next version of `command.policy_id` with the new limit.
pub async fn save(pool: &PgPool, command: SavePolicyCommand) -> Result<PolicyView, RpcError> {
    let mut tx = pool.begin().await.map_err(|e| unavailable(&e))?;
    let current = store::lock_active_policy(&mut tx, &command.policy_id)
        .await
        .map_err(|e| unavailable(&e))?;
    let Some(current) = current else {
        let exists = store::policy_exists(&mut tx, &command.policy_id)
            .await
            .map_err(|e| unavailable(&e))?;
        return Err(if exists {
            changed_meanwhile()
        } else {
            RpcError::not_found(format!("时限规则 {} 不存在", command.policy_id))
        });
    };
    let edit = PolicyEdit {
        limit: Limit::from(command.limit),
        basis: command.basis.as_deref(),
        stops_when_suspended: command.stops_when_suspended,
        reason: &command.reason,
        edited_by: &command.edited_by,
    };
    let errors = problems(&current, &edit);
    if !errors.is_empty() {
        return Err(RpcError::invalid(errors));
    }
    if current.version != command.expected_version {
        return Err(changed_meanwhile());
    }
    let next = next_version(&current, &edit);
    let record = store::replace_policy_version(
        &mut tx,
        current.version,
        &next,
        command.edited_by.trim(),
        command.reason.trim(),
    )
    .await
    .map_err(|e| unavailable(&e))?;
    tx.commit().await.map_err(|e| unavailable(&e))?;
    tracing::info!(
        policy = %next.label(),
        previous_version = current.version,
        "time-limit policy changed; applies to clocks started from now on"
    );
    Ok(view(&record))
}

fn changed_meanwhile() -> RpcError {
    RpcError::conflict("该时限规则已被他人修改，请刷新后重试")
}

fn unavailable(error: &sqlx::Error) -> RpcError {
    tracing::error!(%error, "cannot read or write the time-limit policies");
    RpcError::new(
        RpcErrorCode::Unavailable,
        "暂时无法查询或修改时限规则，请稍后重试",
    )
}

/// The reply for a stored version.
fn view(record: &PolicyRecord) -> PolicyView {
    let p = &record.policy;
    let limit = match p.limit {
        Limit::WorkingDays(value) => TimeLimit {
            unit: LimitUnit::WorkingDays,
            value,
        },
        Limit::Hours(value) => TimeLimit {
            unit: LimitUnit::Hours,
            value,
        },
    };
    PolicyView {
        policy_id: p.id.clone(),
        version: p.version,
        clock: p.clock,
        kind: p.kind,
        urgency: p.urgency,
        limit,
        basis: p.basis.clone(),
        stops_when_suspended: p.stops_when_suspended,
        created_at: record.created_at,
        created_by: record.created_by.clone(),
        reason: record.reason.clone(),
    }
}
