//! Paging the reviewers' queue (A16): oldest submission first, keyset pagination on
//! (submitted_at, order_id). The cursor (`after`) is opaque to callers:
//! `<submitted_at as microseconds since the epoch>_<order id>`.

use chrono::{DateTime, Utc};
use hotline_contract::rpc::FieldError;
use hotline_contract::supervision_desk::{REVIEW_QUEUE_DEFAULT_LIMIT, REVIEW_QUEUE_MAX_LIMIT};
use uuid::Uuid;

/// Where a page starts: after this (submitted_at, order_id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCursor {
    pub submitted_at: DateTime<Utc>,
    pub order_id: Uuid,
}

impl QueueCursor {
    /// The cursor's wire form.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.submitted_at.timestamp_micros(), self.order_id)
    }

    /// A cursor from its wire form.
    pub fn decode(text: &str) -> Option<Self> {
        let (micros, order_id) = text.split_once('_')?;
        Some(Self {
            submitted_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            order_id: order_id.parse().ok()?,
        })
    }
}

/// The page size and the cursor a query asks for, or why they are invalid.
pub fn page(
    limit: Option<u32>,
    after: Option<&str>,
) -> Result<(u32, Option<QueueCursor>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let limit = limit.unwrap_or(REVIEW_QUEUE_DEFAULT_LIMIT);
    if !(1..=REVIEW_QUEUE_MAX_LIMIT).contains(&limit) {
        errors.push(FieldError {
            field: "limit".to_owned(),
            code: "out_of_range".to_owned(),
            message: format!("每页条数须在1到{REVIEW_QUEUE_MAX_LIMIT}之间"),
        });
    }
    let cursor = match after {
        None => None,
        Some(text) => {
            let cursor = QueueCursor::decode(text);
            if cursor.is_none() {
                errors.push(FieldError {
                    field: "after".to_owned(),
                    code: "invalid_format".to_owned(),
                    message: "翻页位置无法识别，请从第一页重新查询".to_owned(),
                });
            }
            cursor
        }
    };
    if errors.is_empty() {
        Ok((limit, cursor))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips() {
        let cursor = QueueCursor {
            submitted_at: DateTime::from_timestamp_micros(1_796_036_400_123_456).unwrap(),
            order_id: Uuid::now_v7(),
        };
        assert_eq!(QueueCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(QueueCursor::decode("yesterday"), None);
        assert_eq!(QueueCursor::decode("12_not-a-uuid"), None);
    }

    #[test]
    fn the_page_size_is_bounded_and_a_bad_cursor_named() {
        assert_eq!(page(None, None), Ok((REVIEW_QUEUE_DEFAULT_LIMIT, None)));
        assert_eq!(page(Some(1), None), Ok((1, None)));
        let errors = page(Some(0), Some("x")).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["limit", "after"]);
        assert!(page(Some(REVIEW_QUEUE_MAX_LIMIT + 1), None).is_err());
    }
}
