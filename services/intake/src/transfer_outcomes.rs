//! A transferred order's partner outcome in its public status (issue 8, A10.1).
//!
//! The emergency bridge publishes `order.transfer_accepted`, `…_rejected` and
//! `…_timed_out`; intake's status projection (its existing `hotline.order.>` consumer,
//! idempotent through its inbox) stores the latest per order in
//! `intake.transfer_outcomes` ([`record`]); the progress query and the Open311 status
//! show [`note`], a Chinese sentence. An order triaged as a transfer with no outcome yet
//! reads "等待对方确认".

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The partner's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Rejected,
    TimedOut,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::TimedOut => "timed_out",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "accepted" => Some(Outcome::Accepted),
            "rejected" => Some(Outcome::Rejected),
            "timed_out" => Some(Outcome::TimedOut),
            _ => None,
        }
    }
}

/// The requester's note for an order transferred to `partner`, given its outcome so far.
pub fn note(partner: &str, outcome: Option<Outcome>, reason: Option<&str>) -> String {
    match outcome {
        None => format!("已转 {partner}，等待对方确认"),
        Some(Outcome::Accepted) => format!("已转 {partner} 并被受理"),
        Some(Outcome::Rejected) => match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(reason) => format!("{partner} 未受理：{reason}"),
            None => format!("{partner} 未受理"),
        },
        // The agent on duty phones the partner (A10.1); the requester is told it is in hand.
        Some(Outcome::TimedOut) => {
            format!("{partner} 未及时确认，值班话务员正在电话联系")
        }
    }
}

/// The note for a row of `triage.partner_code` and the outcome columns, if transferred.
pub fn note_for_row(
    transferred_to: Option<&str>,
    outcome: Option<&str>,
    reason: Option<&str>,
) -> Option<String> {
    transferred_to.map(|p| note(p, outcome.and_then(Outcome::from_code), reason))
}

/// Store the latest outcome of the order's transfer (an older event never overwrites a
/// newer one; a redelivered event writes the same row again).
pub async fn record(
    tx: &mut PgConnection,
    order_id: Uuid,
    partner_code: &str,
    outcome: Outcome,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO intake.transfer_outcomes (order_id, partner_code, outcome, reason, at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (order_id) DO UPDATE SET partner_code = EXCLUDED.partner_code, \
         outcome = EXCLUDED.outcome, reason = EXCLUDED.reason, at = EXCLUDED.at \
         WHERE intake.transfer_outcomes.at <= EXCLUDED.at",
    )
    .bind(order_id)
    .bind(partner_code)
    .bind(outcome.code())
    .bind(reason)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_read_as_the_requester_is_told() {
        assert_eq!(
            note("110", Some(Outcome::Accepted), None),
            "已转 110 并被受理"
        );
        assert_eq!(
            note("110", Some(Outcome::Rejected), Some("非警情")),
            "110 未受理：非警情"
        );
        assert_eq!(
            note("110", Some(Outcome::Rejected), Some(" ")),
            "110 未受理"
        );
        assert_eq!(note("120", None, None), "已转 120，等待对方确认");
        assert!(note("119", Some(Outcome::TimedOut), None).starts_with("119 未及时确认"));
        assert_eq!(note_for_row(None, Some("accepted"), None), None);
        assert_eq!(
            note_for_row(Some("110"), Some("accepted"), None).as_deref(),
            Some("已转 110 并被受理")
        );
    }
}
