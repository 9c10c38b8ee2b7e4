//! Subject, stream and consumer names.
//!
//! Every name is built through a [`Namespace`]: empty in production, random per test, so
//! many tests (or tenants) share one NATS server without seeing each other's traffic.
//! Subjects: `hotline.<aggregate>.<past_tense_event>` for facts, `rpc.<service>.<verb>` for
//! requests, `hotline.deadletter.<service>` for messages a consumer could not apply.

use std::fmt;
use std::time::Duration;

/// A prefix applied to every subject and stream name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Namespace(String);

/// A namespace that cannot be used as a subject token or stream-name prefix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "namespace {0:?} is invalid: use 1-32 characters a-z, 0-9, '-' or '_', starting with a letter"
)]
pub struct InvalidNamespace(pub String);

impl Namespace {
    /// The production namespace: no prefix.
    pub fn root() -> Self {
        Self(String::new())
    }

    /// A namespace, validated: it becomes a subject token and part of stream names.
    pub fn new(prefix: impl Into<String>) -> Result<Self, InvalidNamespace> {
        let prefix = prefix.into();
        if prefix.is_empty() {
            return Ok(Self(prefix));
        }
        let valid = prefix.len() <= 32
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if valid {
            Ok(Self(prefix))
        } else {
            Err(InvalidNamespace(prefix))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Prefix a subject (or a subject filter with wildcards).
    pub fn subject(&self, subject: &str) -> String {
        if self.0.is_empty() {
            subject.to_owned()
        } else {
            format!("{}.{subject}", self.0)
        }
    }

    /// Remove this namespace's prefix from a subject seen on the wire.
    pub fn strip<'a>(&self, subject: &'a str) -> &'a str {
        if self.0.is_empty() {
            return subject;
        }
        subject
            .strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(subject)
    }

    /// Prefix a stream name (`HOTLINE` → `T3F9A1C2_HOTLINE`); stream names take no dots.
    pub fn stream(&self, name: &str) -> String {
        if self.0.is_empty() {
            name.to_owned()
        } else {
            format!("{}_{name}", self.0.to_ascii_uppercase().replace('-', "_"))
        }
    }

    /// The service name used for the async-nats `service` API (discoverable with
    /// `nats micro ls`); namespaced so test tenants don't mix.
    pub fn service_name(&self, service: &str) -> String {
        if self.0.is_empty() {
            format!("hotline-{service}")
        } else {
            format!("{}-hotline-{service}", self.0)
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Un-prefixed subjects of facts (events). Use with [`Namespace::subject`].
pub mod event {
    pub const ORDER_REGISTERED: &str = "hotline.order.registered";
    pub const ORDER_DISPATCHED: &str = "hotline.order.dispatched";
    pub const ORDER_SIGNED: &str = "hotline.order.signed";
    pub const ORDER_RESULT_SUBMITTED: &str = "hotline.order.result_submitted";
    pub const ORDER_CLOSED: &str = "hotline.order.closed";
    pub const ORDER_ANSWERED: &str = "hotline.order.answered";
    pub const ORDER_REDIRECTED: &str = "hotline.order.redirected";
    pub const ORDER_REPEAT_LINKED: &str = "hotline.order.repeat_linked";
    pub const ORDER_TRANSFER_REQUESTED: &str = "hotline.order.transfer_requested";
    /// A10.1: a transfer to 110/119/120/122 travels on its own subject, so the bridge's
    /// emergency consumer reads only emergencies and a backlog of ordinary transfers can
    /// never stand in front of one (`hotline.order.>` still sees both).
    pub const ORDER_TRANSFER_REQUESTED_EMERGENCY: &str =
        "hotline.order.transfer_requested.emergency";
    pub const ORDER_SATISFACTION_RECORDED: &str = "hotline.order.satisfaction_recorded";
    pub const ORDER_EXTENSION_GRANTED: &str = "hotline.order.extension_granted";
    pub const ORDER_SUSPENDED: &str = "hotline.order.suspended";
    pub const ORDER_RESUMED: &str = "hotline.order.resumed";
    pub const ORDER_CO_HANDLING_ASSIGNED: &str = "hotline.order.co_handling_assigned";
    pub const ORDER_CO_HANDLING_REPORTED: &str = "hotline.order.co_handling_reported";
    pub const ORDER_DISPUTED: &str = "hotline.order.disputed";
    pub const ORDER_DISPUTE_ESCALATED: &str = "hotline.order.dispute_escalated";
    pub const ORDER_DISPUTE_RESOLVED: &str = "hotline.order.dispute_resolved";
    pub const ORDER_DISPUTE_MARKED_IMPROPER: &str = "hotline.order.dispute_marked_improper";
    pub const ORDER_REDISPATCHED: &str = "hotline.order.redispatched";
    pub const ORDER_CONSULTATION_OPENED: &str = "hotline.order.consultation_opened";
    pub const ORDER_PROGRESS_REPORTED: &str = "hotline.order.progress_reported";
    pub const ORDER_EXTENSION_REQUESTED: &str = "hotline.order.extension_requested";
    pub const ORDER_EXTENSION_REFUSED: &str = "hotline.order.extension_refused";
    pub const ORDER_SENT_BACK: &str = "hotline.order.sent_back";
    pub const SUPERVISION_CASE_OPENED: &str = "hotline.supervision.case_opened";
    pub const SUPERVISION_RECTIFICATION_REPORTED: &str =
        "hotline.supervision.rectification_reported";
    pub const SUPERVISION_CASE_CLOSED: &str = "hotline.supervision.case_closed";
    pub const SUPERVISION_CASE_ESCALATED: &str = "hotline.supervision.case_escalated";
    pub const SUPERVISION_UNIT_REMINDED: &str = "hotline.supervision.unit_reminded";
    pub const SUPERVISION_HOTSPOT_REPORTED: &str = "hotline.supervision.hotspot_reported";
    pub const HOTSPOT_DETECTED: &str = "hotline.hotspot.detected";
    pub const DEADLINE_SCHEDULED: &str = "hotline.deadline.scheduled";
    pub const DEADLINE_REMINDER: &str = "hotline.deadline.reminder";
    pub const DEADLINE_OVERDUE: &str = "hotline.deadline.overdue";
    pub const DEADLINE_RESCHEDULED: &str = "hotline.deadline.rescheduled";
    pub const DEADLINE_PAUSED: &str = "hotline.deadline.paused";
    pub const KNOWLEDGE_ARTICLE_PUBLISHED: &str = "hotline.knowledge.article_published";
    pub const KNOWLEDGE_ARTICLE_UNPUBLISHED: &str = "hotline.knowledge.article_unpublished";
    pub const KNOWLEDGE_ARTICLE_EXPIRING: &str = "hotline.knowledge.article_expiring";
    pub const KNOWLEDGE_FEEDBACK_RECORDED: &str = "hotline.knowledge.feedback_recorded";
    /// Analytics' KPI snapshots (A20): `hotline.analytics.kpi.<slice>`, see
    /// [`kpi_snapshot`].
    pub const ANALYTICS_KPI_SNAPSHOT: &str = "hotline.analytics.kpi.{slice}";
    /// Analytics' bulletins (A18): one published bulletin.
    pub const ANALYTICS_BULLETIN_PUBLISHED: &str = "hotline.analytics.bulletin.published";
    /// Every KPI snapshot, whatever the slice.
    pub const ALL_ANALYTICS_KPI: &str = "hotline.analytics.kpi.>";
    /// Every order event.
    pub const ALL_ORDER: &str = "hotline.order.>";
    /// Every deadline event.
    pub const ALL_DEADLINE: &str = "hotline.deadline.>";
    /// Everything on the hotline stream.
    pub const ALL: &str = "hotline.>";

    /// The subject of one slice's KPI snapshot: `hotline.analytics.kpi.<slice>`.
    pub fn kpi_snapshot(slice: &str) -> String {
        format!("hotline.analytics.kpi.{slice}")
    }

    /// Dead letters of one service: `hotline.deadletter.<service>`.
    pub fn dead_letter(service: &str) -> String {
        format!("hotline.deadletter.{service}")
    }
}

/// The one stream that holds every hotline fact. Postgres is the source of truth (outbox),
/// the stream is the durable log consumers read and analytics replays.
pub const HOTLINE_STREAM: &str = "HOTLINE";

/// What a stream must look like; `hotline-messaging` turns it into a JetStream config and
/// creates or updates the stream at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    pub name: String,
    pub subjects: Vec<String>,
    pub description: String,
    /// Window in which a re-published `Nats-Msg-Id` is dropped as a duplicate. It must
    /// outlast the outbox relay's retry of an unacknowledged publish.
    pub duplicate_window: Duration,
    /// Replicas: 1 on a laptop, 3 in production (R3).
    pub replicas: usize,
}

/// The `HOTLINE` stream: every `hotline.>` subject, file storage, limits retention (kept,
/// so projections can be rebuilt by replay), a 10-minute de-duplication window.
pub fn hotline_stream(ns: &Namespace, replicas: usize) -> StreamSpec {
    StreamSpec {
        name: ns.stream(HOTLINE_STREAM),
        subjects: vec![ns.subject(event::ALL)],
        description: "12345 hotline facts: work-order lifecycle, deadlines, supervision".to_owned(),
        duplicate_window: Duration::from_secs(600),
        replicas: replicas.max(1),
    }
}

/// A durable consumer name: `<service>-<purpose>` (the stream is already namespaced).
pub fn durable_name(service: &str, purpose: &str) -> String {
    format!("{service}-{purpose}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_namespace_leaves_names_alone() {
        let ns = Namespace::root();
        assert_eq!(
            ns.subject(event::ORDER_REGISTERED),
            "hotline.order.registered"
        );
        assert_eq!(ns.stream(HOTLINE_STREAM), "HOTLINE");
        assert_eq!(ns.strip("hotline.order.signed"), "hotline.order.signed");
    }

    #[test]
    fn test_namespace_prefixes_subjects_and_streams() {
        let ns = Namespace::new("t3f9a1c2").unwrap();
        assert_eq!(
            ns.subject(event::ORDER_REGISTERED),
            "t3f9a1c2.hotline.order.registered"
        );
        assert_eq!(ns.stream(HOTLINE_STREAM), "T3F9A1C2_HOTLINE");
        assert_eq!(
            ns.strip("t3f9a1c2.hotline.order.signed"),
            "hotline.order.signed"
        );
        assert_eq!(hotline_stream(&ns, 1).subjects, vec!["t3f9a1c2.hotline.>"]);
    }

    #[test]
    fn namespace_with_dots_or_wildcards_is_rejected() {
        for bad in ["a.b", "*", ">", "A", "1abc", "has space"] {
            assert_eq!(Namespace::new(bad), Err(InvalidNamespace(bad.to_owned())));
        }
    }
}
