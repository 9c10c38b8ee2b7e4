//! Intake's request/reply endpoints.

use hotline_contract::rpc::{ProgressQuery, ProgressView, RpcError};
use sqlx::PgPool;

use crate::store::{self, Lookup};

/// `rpc.intake.progress`: the public progress query (A11).
pub async fn progress(
    pool: &PgPool,
    hasher: &crate::domain::phone::PhoneHasher,
    query: ProgressQuery,
) -> Result<ProgressView, RpcError> {
    let number = query.number.trim();
    let code = query.check_code.trim();
    if number.is_empty() || number.len() > 32 || code.is_empty() || code.len() > 16 {
        return Err(RpcError::not_found("未找到该工单，请核对工单编号和查询码"));
    }
    match store::progress(pool, hasher, number, code).await {
        Ok(Lookup::Found(view)) => Ok(*view),
        Ok(Lookup::NotFound) => Err(RpcError::not_found("未找到该工单，请核对工单编号和查询码")),
        Err(error) => {
            tracing::error!(%error, "progress query failed");
            Err(RpcError::new(
                hotline_contract::rpc::RpcErrorCode::Unavailable,
                "暂时无法查询，请稍后重试",
            ))
        }
    }
}
