//! The KPI report (`rpc.analytics.kpis`): one SQL pass over the cohort's fact rows counts
//! every part of every KPI per slice ([`crate::domain::kpi::Counts`]); the rates follow in
//! Rust. Definitions: `docs/kpis.md`. The pass reads the fact rows only: the send-backs
//! and cases are counted on them by the projection (`send_backs`, `cases`,
//! `cases_closed`), so no order costs a probe of another table.

use chrono::{DateTime, Utc};
use hotline_contract::analytics::{KpiQuery, KpiReport, KpiRow, KpiSlice};
use hotline_contract::rpc::{FieldError, RpcError, RpcErrorCode};
use sqlx::PgPool;

use crate::domain::kpi::{Counts, kpis};

/// Longest period a report covers (a year and a day, for leap years).
const MAX_PERIOD_DAYS: i64 = 367;

/// The SQL expression of a slice's key over `analytics.order_facts f`.
fn key_expression(slice: KpiSlice) -> &'static str {
    match slice {
        KpiSlice::All => "'all'",
        KpiSlice::Unit => "coalesce(f.unit_id, '(未派单)')",
        KpiSlice::Province => "left(f.region_code, 2) || '0000'",
        KpiSlice::Prefecture => "left(f.region_code, 4) || '00'",
        KpiSlice::County => "left(f.region_code, 6)",
        KpiSlice::Kind => "coalesce(f.kind, '')",
        KpiSlice::Channel => "coalesce(f.channel, '')",
        KpiSlice::Category => "coalesce(f.category, '(未分类)')",
    }
}

/// The code prefix of the divisions inside `code` (`52` for the province, `5201` for a
/// prefecture, the county's own code).
fn region_prefix(code: &str) -> Option<&str> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if code.ends_with("0000") {
        &code[..2]
    } else if code.ends_with("00") {
        &code[..4]
    } else {
        code
    })
}

pub(crate) fn invalid(field: &str, message: &str) -> RpcError {
    RpcError::invalid(vec![FieldError {
        field: field.to_owned(),
        code: "invalid".to_owned(),
        message: message.to_owned(),
    }])
}

/// The code prefix a `region_code` parameter restricts a query to (empty: no restriction),
/// or the field error.
pub(crate) fn region_filter(code: Option<&str>) -> Result<String, RpcError> {
    match code {
        None => Ok(String::new()),
        Some(code) => region_prefix(code)
            .map(str::to_owned)
            .ok_or_else(|| invalid("region_code", "行政区划代码须为6位数字")),
    }
}

/// A failed query: logged, answered as unavailable (the reason stays in the log).
pub(crate) fn unavailable(what: &str, error: &sqlx::Error) -> RpcError {
    tracing::error!(%error, query = what, "analytics query failed");
    RpcError::new(RpcErrorCode::Unavailable, "暂时无法统计，请稍后重试")
}

/// A slice's key and its counted parts, in the order of [`row`].
type CountsRow = (String, Vec<i64>);

/// Answer `rpc.analytics.kpis`.
pub async fn report(pool: &PgPool, query: KpiQuery) -> Result<KpiReport, RpcError> {
    if query.to <= query.from {
        return Err(invalid("to", "结束时间须晚于开始时间"));
    }
    if (query.to - query.from).num_days() > MAX_PERIOD_DAYS {
        return Err(invalid("to", "统计期间最长一年"));
    }
    let prefix = region_filter(query.region_code.as_deref())?;
    let rows = rows(pool, query.from, query.to, query.slice, &prefix)
        .await
        .map_err(|error| unavailable("kpi", &error))?;
    Ok(KpiReport {
        from: query.from,
        to: query.to,
        slice: query.slice,
        rows,
    })
}

/// The KPI rows of the orders registered in `[from, to)` within the division `prefix`
/// (empty: everywhere), one per key of `slice`. Also the KPI snapshot's source.
pub async fn rows(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    slice: KpiSlice,
    prefix: &str,
) -> Result<Vec<KpiRow>, sqlx::Error> {
    rows_keyed(pool, from, to, key_expression(slice), prefix).await
}

/// The KPI rows of the orders registered in `[from, to)` within `prefix`, one per value of
/// `key`, an SQL expression over `analytics.order_facts f` (`$1` is `from`); `key` is
/// always this crate's own text, never input. Also the bulletins' trend.
pub(crate) async fn rows_keyed(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    key: &str,
    prefix: &str,
) -> Result<Vec<KpiRow>, sqlx::Error> {
    let sql = query_text(key);
    let rows: Vec<CountsRow> = sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(prefix)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|(key, c)| row(key, &c)).collect())
}

/// The SQL of a KPI report keyed by `key` (see [`rows_keyed`]); binds `$1` from, `$2` to,
/// `$3` the region prefix. Public for the benchmark's EXPLAIN.
pub fn query_text(key: &str) -> String {
    format!(
        "SELECT {key} AS key, ARRAY[ \
           count(*), \
           count(*) FILTER (WHERE f.disposition = 'answered_directly'), \
           count(*) FILTER (WHERE f.disposition = 'repeat_linked' OR f.follow_up_of IS NOT NULL), \
           count(*) FILTER (WHERE f.dispatched_at IS NOT NULL), \
           count(*) FILTER (WHERE f.dispatched_at IS NOT NULL AND f.signed_at IS NOT NULL), \
           count(*) FILTER (WHERE f.dispatched_at IS NOT NULL AND (f.signed_at IS NOT NULL OR f.sign_overdue)), \
           count(*) FILTER (WHERE f.dispatched_at IS NOT NULL AND f.signed_at IS NOT NULL AND NOT f.sign_overdue), \
           count(*) FILTER (WHERE f.dispatched_at IS NOT NULL AND (f.result_submitted_at IS NOT NULL OR f.handling_overdue)), \
           count(*) FILTER (WHERE f.dispatched_at IS NOT NULL AND f.result_submitted_at IS NOT NULL AND NOT f.handling_overdue), \
           count(*) FILTER (WHERE f.result_submitted_at IS NOT NULL), \
           count(*) FILTER (WHERE f.result_submitted_at IS NOT NULL AND f.send_backs > 0), \
           count(*) FILTER (WHERE f.dispatched_at IS NOT NULL AND f.disputed), \
           count(*) FILTER (WHERE f.dispatched_at IS NOT NULL AND f.redispatched), \
           count(*) FILTER (WHERE f.satisfaction IS NOT NULL), \
           count(*) FILTER (WHERE f.satisfaction IN ('satisfied', 'basically_satisfied')), \
           count(*) FILTER (WHERE f.satisfaction IS NOT NULL AND f.resolved), \
           coalesce(sum(f.cases), 0)::bigint, \
           coalesce(sum(f.cases_closed), 0)::bigint, \
           count(f.handling_working_days), \
           coalesce(sum(f.handling_working_days), 0)::bigint \
         ] AS counts \
         FROM analytics.order_facts f \
         WHERE f.registered_at >= $1 AND f.registered_at < $2 \
           AND ($3 = '' OR f.region_code LIKE $3 || '%') \
         GROUP BY 1 ORDER BY 1"
    )
}

/// The SQL of a KPI report by `slice` (see [`query_text`]).
pub fn slice_query_text(slice: KpiSlice) -> String {
    query_text(key_expression(slice))
}

fn row(key: String, c: &[i64]) -> KpiRow {
    let at = |i: usize| c.get(i).copied().unwrap_or_default();
    // The order of the ARRAY in the query above.
    let counts = Counts {
        registered: at(0),
        answered_directly: at(1),
        repeats: at(2),
        dispatched: at(3),
        signed: at(4),
        sign_decided: at(5),
        signed_on_time: at(6),
        completion_decided: at(7),
        completed_on_time: at(8),
        with_result: at(9),
        redone: at(10),
        disputed: at(11),
        redispatched: at(12),
        visited: at(13),
        satisfied: at(14),
        resolved: at(15),
        cases: at(16),
        cases_closed: at(17),
        timed: at(18),
        working_days_sum: at(19),
    };
    kpis(key, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_prefixes_roll_up() {
        assert_eq!(region_prefix("520000"), Some("52"));
        assert_eq!(region_prefix("520100"), Some("5201"));
        assert_eq!(region_prefix("520102"), Some("520102"));
        assert_eq!(region_prefix("52010"), None);
        assert_eq!(region_prefix("52a102"), None);
    }
}
