//! Opening and escalating supervision cases (A17), shared by the consumers (overdue clocks,
//! improper disputes) and the desk (by hand, second send-back). Each function runs in the
//! caller's transaction: the case row, its step, the trail row and the event commit
//! together.

use chrono::{DateTime, Utc};
use hotline_contract::events::{
    SupervisionCaseEscalated, SupervisionCaseOpened, SupervisionLevel, SupervisionMeasure,
};
use hotline_messaging::{HandlerError, Outbox, OutboxError};
use hotline_telemetry::TraceContext;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::case::next_level;
use crate::store::{self, NewCase};
use crate::trail::{self, Entry};

/// A case or step could not be stored or published.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
}

impl From<CaseError> for HandlerError {
    fn from(error: CaseError) -> Self {
        match error {
            CaseError::Database(e) => e.into(),
            CaseError::Outbox(e) => e.into(),
        }
    }
}

/// A case to open.
#[derive(Debug, Clone)]
pub struct Opening<'a> {
    pub order_id: Uuid,
    pub unit_id: &'a str,
    pub reason_code: &'a str,
    pub measure: SupervisionMeasure,
    pub opened_by: &'a str,
    /// Rule-opened cases are opened once per key (redelivery, repeated overdue events).
    pub dedup_key: Option<String>,
}

/// Open a case and publish `supervision.case_opened`. `None` if the dedup key says it is
/// open already.
pub async fn open(
    tx: &mut PgConnection,
    outbox: &Outbox,
    trace: &TraceContext,
    opening: Opening<'_>,
    at: DateTime<Utc>,
) -> Result<Option<Uuid>, CaseError> {
    let case_id = Uuid::now_v7();
    let level = SupervisionLevel::from(opening.measure).code();
    let inserted = store::insert_case(
        tx,
        &NewCase {
            case_id,
            order_id: opening.order_id,
            unit_id: opening.unit_id,
            reason_code: opening.reason_code,
            level,
            opened_by: opening.opened_by,
            opened_at: at,
            dedup_key: opening.dedup_key,
        },
    )
    .await?;
    if !inserted {
        return Ok(None);
    }
    store::insert_step(
        tx,
        case_id,
        "opened",
        level,
        opening.opened_by,
        opening.reason_code,
        at,
    )
    .await?;
    trail::append(
        tx,
        &Entry {
            order_id: opening.order_id,
            kind: "case_opened",
            subject_id: case_id.to_string(),
            actor: opening.opened_by,
            what: format!(
                "unit={} reason={} level={level}",
                opening.unit_id, opening.reason_code
            ),
        },
        at,
    )
    .await?;
    outbox
        .append(
            tx,
            trace,
            SupervisionCaseOpened {
                case_id,
                order_id: opening.order_id,
                unit_id: opening.unit_id.to_owned(),
                measure: opening.measure,
                reason_code: opening.reason_code.to_owned(),
                opened_at: at,
            },
        )
        .await?;
    metrics::counter!("hotline_supervision_cases_opened_total", "level" => level).increment(1);
    tracing::info!(%case_id, order_id = %opening.order_id, unit_id = opening.unit_id, reason = opening.reason_code, "supervision case opened");
    Ok(Some(case_id))
}

/// What an escalation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// Moved from one rung to the next.
    Escalated {
        from: SupervisionLevel,
        to: SupervisionLevel,
    },
    /// Already at the top, closed, rectified or unknown: nothing to do.
    Stays,
}

/// A17: the unit did not rectify in time: move the case one rung up `ladder`, record the
/// step and publish `supervision.case_escalated`.
pub async fn escalate(
    tx: &mut PgConnection,
    outbox: &Outbox,
    trace: &TraceContext,
    case_id: Uuid,
    ladder: &[SupervisionLevel],
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Escalation, CaseError> {
    let Some(case) = store::lock_case(tx, case_id).await? else {
        tracing::warn!(%case_id, "rectification overdue for an unknown case");
        return Ok(Escalation::Stays);
    };
    if case.status != "open" {
        return Ok(Escalation::Stays);
    }
    let Some(from) = SupervisionLevel::from_code(&case.level) else {
        return Ok(Escalation::Stays);
    };
    let Some(to) = next_level(ladder, from) else {
        tracing::info!(%case_id, level = from.code(), "case at the top of the ladder");
        return Ok(Escalation::Stays);
    };
    store::update_case(tx, case_id, to.code(), "open").await?;
    store::insert_step(
        tx,
        case_id,
        "escalated",
        to.code(),
        actor,
        "rectification_overdue",
        at,
    )
    .await?;
    trail::append(
        tx,
        &Entry {
            order_id: case.order_id,
            kind: "case_escalated",
            subject_id: case_id.to_string(),
            actor,
            what: format!("from={} to={}", from.code(), to.code()),
        },
        at,
    )
    .await?;
    outbox
        .append(
            tx,
            trace,
            SupervisionCaseEscalated {
                case_id,
                order_id: case.order_id,
                unit_id: case.unit_id.clone(),
                from,
                to,
                reason_code: "rectification_overdue".to_owned(),
                escalated_at: at,
            },
        )
        .await?;
    metrics::counter!("hotline_supervision_escalations_total", "to" => to.code()).increment(1);
    tracing::info!(%case_id, from = from.code(), to = to.code(), "supervision case escalated");
    Ok(Escalation::Escalated { from, to })
}
