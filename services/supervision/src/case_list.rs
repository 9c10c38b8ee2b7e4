//! `rpc.supervision.cases` (A17, A18): the supervision cases not closed yet, each with its
//! current level and how often it was escalated, for the supervision board. The most
//! recently opened first; optionally one unit's. No personal data: order numbers, units,
//! reason codes and levels only.

use chrono::{DateTime, Utc};
use hotline_contract::events::SupervisionLevel;
use hotline_contract::rpc::{FieldError, RpcError};
use hotline_contract::supervision_desk::{
    CASES_DEFAULT_LIMIT, CASES_MAX_LIMIT, CaseList, CaseSummary, CasesQuery,
};
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use uuid::Uuid;

use crate::desk::{Desk, into_reply};

/// The page size a query asks for, or the field error (pure).
pub fn limit(query: &CasesQuery) -> Result<u32, FieldError> {
    match query.limit {
        None => Ok(CASES_DEFAULT_LIMIT),
        Some(n) if (1..=CASES_MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(FieldError {
            field: "limit".to_owned(),
            code: "out_of_range".to_owned(),
            message: format!("应为 1 到 {CASES_MAX_LIMIT}"),
        }),
    }
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    case_id: Uuid,
    order_id: Uuid,
    number: Option<String>,
    unit_id: String,
    reason_code: String,
    level: String,
    status: String,
    opened_at: DateTime<Utc>,
    escalations: i64,
    last_escalated_at: Option<DateTime<Utc>>,
}

/// The open cases, newest first.
async fn open_cases(
    pool: &PgPool,
    unit_id: Option<&str>,
    limit: u32,
) -> Result<Vec<CaseSummary>, sqlx::Error> {
    let rows: Vec<CaseRow> = sqlx::query_as(
        "SELECT c.case_id, c.order_id, o.number, c.unit_id, c.reason_code, c.level, c.status, \
           c.opened_at, \
           (SELECT count(*) FROM supervision.case_steps s \
             WHERE s.case_id = c.case_id AND s.kind = 'escalated') AS escalations, \
           (SELECT max(s.at) FROM supervision.case_steps s \
             WHERE s.case_id = c.case_id AND s.kind = 'escalated') AS last_escalated_at \
         FROM supervision.cases c LEFT JOIN supervision.orders o USING (order_id) \
         WHERE c.status <> 'closed' AND ($1::text IS NULL OR c.unit_id = $1) \
         ORDER BY c.opened_at DESC, c.case_id LIMIT $2",
    )
    .bind(unit_id)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CaseSummary {
            case_id: r.case_id,
            order_id: r.order_id,
            number: r.number,
            unit_id: r.unit_id,
            reason_code: r.reason_code,
            level: SupervisionLevel::from_code(&r.level).unwrap_or(SupervisionLevel::Notice),
            status: r.status,
            opened_at: r.opened_at,
            escalations: u32::try_from(r.escalations).unwrap_or(u32::MAX),
            last_escalated_at: r.last_escalated_at,
        })
        .collect())
}

impl Desk {
    /// `rpc.supervision.cases`: the cases not closed yet.
    pub async fn cases(
        &self,
        query: CasesQuery,
        _trace: &TraceContext,
    ) -> Result<CaseList, RpcError> {
        let limit = limit(&query).map_err(|e| RpcError::invalid(vec![e]))?;
        let unit = query
            .unit_id
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let items = open_cases(&self.pool, unit, limit)
            .await
            .map_err(|e| into_reply(e.into(), "cases"))?;
        Ok(CaseList { items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_defaults_and_is_bounded() {
        let q = |limit| CasesQuery {
            unit_id: None,
            limit,
        };
        assert_eq!(limit(&q(None)), Ok(CASES_DEFAULT_LIMIT));
        assert_eq!(limit(&q(Some(CASES_MAX_LIMIT))), Ok(CASES_MAX_LIMIT));
        assert_eq!(limit(&q(Some(0))).unwrap_err().code, "out_of_range");
        assert!(limit(&q(Some(CASES_MAX_LIMIT + 1))).is_err());
    }
}
