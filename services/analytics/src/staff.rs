//! The staff assessment (`rpc.analytics.staff_assessment`, A19): one SQL pass counts each
//! agent's parts (registrations from the fact rows, direct answers from `staff_acts` with
//! whether each held), another each reviewer's (acceptances, send-backs, approvals, and
//! the time from the result reviewed to the review); the measures follow in
//! [`crate::domain::staff`]. Definitions: `docs/kpis.md`, "Staff assessment (A19)".

use hotline_contract::analytics::{
    AgentCounts, ReviewerCounts, StaffAssessment, StaffAssessmentQuery,
};
use hotline_contract::rpc::RpcError;
use sqlx::PgPool;

use crate::domain::staff::{agent, is_person, reviewer};
use crate::kpis::{invalid, unavailable};

/// Longest period an assessment covers (a year and a day, for leap years).
const MAX_PERIOD_DAYS: i64 = 367;

/// Per agent: registrations in the period (with request-to-registration seconds where the
/// request time is known and not later), and direct answers given in the period with
/// whether each did not hold (dispatched anyway, or followed up or repeated by a later
/// order).
const AGENTS: &str = "\
SELECT staff, sum(registered)::bigint, sum(answered)::bigint, sum(not_holding)::bigint, \
       sum(timed)::bigint, sum(seconds)::bigint \
FROM ( \
  SELECT f.registered_by AS staff, 1 AS registered, 0 AS answered, 0 AS not_holding, \
         (f.requested_at <= f.registered_at)::int AS timed, \
         CASE WHEN f.requested_at <= f.registered_at \
              THEN round(extract(epoch FROM f.registered_at - f.requested_at)) ELSE 0 END AS seconds \
  FROM analytics.order_facts f \
  WHERE f.registered_at >= $1 AND f.registered_at < $2 AND f.registered_by IS NOT NULL \
  UNION ALL \
  SELECT a.staff_id, 0, 1, \
         (f.dispatched_at IS NOT NULL \
          OR EXISTS (SELECT 1 FROM analytics.order_facts g WHERE g.follow_up_of = a.order_id) \
          OR EXISTS (SELECT 1 FROM analytics.order_facts g WHERE g.repeat_of = a.order_id))::int, \
         0, 0 \
  FROM analytics.staff_acts a LEFT JOIN analytics.order_facts f ON f.order_id = a.order_id \
  WHERE a.act = 'answered_directly' AND a.at >= $1 AND a.at < $2 \
) x GROUP BY staff ORDER BY staff";

/// Per reviewer: acceptances, send-backs and approvals in the period; for each review,
/// the seconds since the result reviewed was submitted (a send-back's own result; for an
/// acceptance the order's latest result before it).
const REVIEWERS: &str = "\
SELECT a.staff_id, \
       count(*) FILTER (WHERE a.act = 'accepted'), \
       count(*) FILTER (WHERE a.act = 'sent_back'), \
       count(*) FILTER (WHERE a.act IN ('extension_approved', 'suspension_approved')), \
       count(r.submitted_at), \
       coalesce(sum(round(extract(epoch FROM a.at - r.submitted_at))), 0)::bigint \
FROM analytics.staff_acts a \
LEFT JOIN LATERAL ( \
  SELECT max(s.at) AS submitted_at FROM analytics.staff_acts s \
  WHERE s.act = 'result_submitted' AND s.at <= a.at \
    AND ((a.act = 'sent_back' AND s.subject_id = a.subject_id) \
      OR (a.act = 'accepted' AND s.order_id = a.order_id)) \
) r ON a.act IN ('accepted', 'sent_back') \
WHERE a.act IN ('accepted', 'sent_back', 'extension_approved', 'suspension_approved') \
  AND a.at >= $1 AND a.at < $2 \
GROUP BY 1 ORDER BY 1";

type Parts = (String, i64, i64, i64, i64, i64);

/// Answer `rpc.analytics.staff_assessment`.
pub async fn assessment(
    pool: &PgPool,
    query: StaffAssessmentQuery,
) -> Result<StaffAssessment, RpcError> {
    if query.to <= query.from {
        return Err(invalid("to", "结束时间须晚于开始时间"));
    }
    if (query.to - query.from).num_days() > MAX_PERIOD_DAYS {
        return Err(invalid("to", "统计期间最长一年"));
    }
    let fetch = |sql: &'static str| async move {
        sqlx::query_as::<_, Parts>(sql)
            .bind(query.from)
            .bind(query.to)
            .fetch_all(pool)
            .await
            .map_err(|error| unavailable("staff_assessment", &error))
    };
    let agents = fetch(AGENTS)
        .await?
        .into_iter()
        .filter(|p| is_person(&p.0))
        .map(|(id, registered, answered, not_holding, timed, seconds)| {
            let counts = AgentCounts {
                registered,
                answered_directly: answered,
                answers_not_holding: not_holding,
                timed,
                handling_seconds_sum: seconds,
            };
            agent(id, counts)
        })
        .collect();
    let reviewers = fetch(REVIEWERS)
        .await?
        .into_iter()
        .filter(|p| is_person(&p.0))
        .map(|(id, accepted, sent_back, approvals, timed, seconds)| {
            let counts = ReviewerCounts {
                accepted,
                sent_back,
                approvals,
                timed,
                review_seconds_sum: seconds,
            };
            reviewer(id, counts)
        })
        .collect();
    Ok(StaffAssessment {
        from: query.from,
        to: query.to,
        agents,
        reviewers,
    })
}
