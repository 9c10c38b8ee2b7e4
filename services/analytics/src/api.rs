//! Analytics' request/reply endpoints.
//!
//! `rpc.analytics.summary`: how many orders reached each lifecycle step. A first, small
//! view for dashboards and tests; the KPI reports and bulletins (A18, A20) come later.

use hotline_contract::rpc::{OrderSummary, RpcError, RpcErrorCode, SummaryQuery};
use sqlx::PgPool;

use crate::store;

/// Answer `rpc.analytics.summary`.
pub async fn summary(pool: &PgPool, _query: SummaryQuery) -> Result<OrderSummary, RpcError> {
    store::summary(pool).await.map_err(|error| {
        tracing::error!(%error, "summary query failed");
        RpcError::new(RpcErrorCode::Unavailable, "暂时无法统计，请稍后重试")
    })
}
