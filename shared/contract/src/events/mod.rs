//! Typed, versioned event payloads.
//!
//! Each payload names its CloudEvents `type` (with the version) and its subject. Additive
//! changes (a new optional field) keep the version; anything else is a new `...v2` type,
//! and consumers accept both during a migration. No payload carries personal data in clear:
//! phone numbers travel masked plus a keyed hash, names and addresses never leave intake,
//! free text (the matter, the reply) is fetched from its owner by request/reply.

use serde::{Serialize, de::DeserializeOwned};

pub mod dead_letter;
pub mod deadline;
pub mod dispatch;
pub mod hotspot;
pub mod order;
pub mod supervision;

pub use dead_letter::DeadLetterRecorded;
pub use deadline::{
    DeadlineClock, DeadlineOverdue, DeadlinePaused, DeadlineReminder, DeadlineRescheduled,
    DeadlineScheduled, LimitUnit, RescheduleCause, TimeLimit,
};
pub use dispatch::{
    DisputeDecider, DisputeOutcome, DisputeReason, EscalationCause, OrderConsultationOpened,
    OrderDisputeEscalated, OrderDisputeMarkedImproper, OrderDisputeResolved, OrderDisputed,
    OrderExtensionRefused, OrderExtensionRequested, OrderProgressReported, OrderRedispatched,
    OrderSentBack,
};
pub use hotspot::{
    DayCount, HotspotDetected, HotspotLevel, HotspotOrder, HotspotReportOrder, HotspotUnit,
    SupervisionHotspotReported,
};
pub use order::{
    Closure, DispatchBasis, OrderAnswered, OrderClosed, OrderCoHandlingAssigned,
    OrderCoHandlingReported, OrderDispatched, OrderExtensionGranted, OrderRedirected,
    OrderRegistered, OrderRepeatLinked, OrderResultSubmitted, OrderResumed,
    OrderSatisfactionRecorded, OrderSigned, OrderSuspended, OrderTransferRequested, RequesterRef,
    ResultChecklist, SuspensionReason, VisitChannel,
};
pub use supervision::{
    SupervisionCaseClosed, SupervisionCaseEscalated, SupervisionCaseOpened, SupervisionLevel,
    SupervisionMeasure, SupervisionRectificationReported, SupervisionUnitReminded,
};

/// Every event type this contract defines, with the subject it is published on (dead
/// letters: the subject pattern). Docs and tests check themselves against this list.
pub const CATALOGUE: &[(&str, &str)] = &[
    (
        OrderRegistered::TYPE,
        crate::subjects::event::ORDER_REGISTERED,
    ),
    (
        OrderDispatched::TYPE,
        crate::subjects::event::ORDER_DISPATCHED,
    ),
    (OrderSigned::TYPE, crate::subjects::event::ORDER_SIGNED),
    (
        OrderResultSubmitted::TYPE,
        crate::subjects::event::ORDER_RESULT_SUBMITTED,
    ),
    (OrderClosed::TYPE, crate::subjects::event::ORDER_CLOSED),
    (OrderAnswered::TYPE, crate::subjects::event::ORDER_ANSWERED),
    (
        OrderRedirected::TYPE,
        crate::subjects::event::ORDER_REDIRECTED,
    ),
    (
        OrderRepeatLinked::TYPE,
        crate::subjects::event::ORDER_REPEAT_LINKED,
    ),
    (
        OrderTransferRequested::TYPE,
        crate::subjects::event::ORDER_TRANSFER_REQUESTED,
    ),
    (
        OrderTransferRequested::TYPE,
        crate::subjects::event::ORDER_TRANSFER_REQUESTED_EMERGENCY,
    ),
    (
        OrderSatisfactionRecorded::TYPE,
        crate::subjects::event::ORDER_SATISFACTION_RECORDED,
    ),
    (
        OrderExtensionGranted::TYPE,
        crate::subjects::event::ORDER_EXTENSION_GRANTED,
    ),
    (
        OrderSuspended::TYPE,
        crate::subjects::event::ORDER_SUSPENDED,
    ),
    (OrderResumed::TYPE, crate::subjects::event::ORDER_RESUMED),
    (
        OrderCoHandlingAssigned::TYPE,
        crate::subjects::event::ORDER_CO_HANDLING_ASSIGNED,
    ),
    (
        OrderCoHandlingReported::TYPE,
        crate::subjects::event::ORDER_CO_HANDLING_REPORTED,
    ),
    (OrderDisputed::TYPE, crate::subjects::event::ORDER_DISPUTED),
    (
        OrderDisputeEscalated::TYPE,
        crate::subjects::event::ORDER_DISPUTE_ESCALATED,
    ),
    (
        OrderDisputeResolved::TYPE,
        crate::subjects::event::ORDER_DISPUTE_RESOLVED,
    ),
    (
        OrderDisputeMarkedImproper::TYPE,
        crate::subjects::event::ORDER_DISPUTE_MARKED_IMPROPER,
    ),
    (
        OrderRedispatched::TYPE,
        crate::subjects::event::ORDER_REDISPATCHED,
    ),
    (
        OrderConsultationOpened::TYPE,
        crate::subjects::event::ORDER_CONSULTATION_OPENED,
    ),
    (
        OrderProgressReported::TYPE,
        crate::subjects::event::ORDER_PROGRESS_REPORTED,
    ),
    (
        OrderExtensionRequested::TYPE,
        crate::subjects::event::ORDER_EXTENSION_REQUESTED,
    ),
    (
        OrderExtensionRefused::TYPE,
        crate::subjects::event::ORDER_EXTENSION_REFUSED,
    ),
    (OrderSentBack::TYPE, crate::subjects::event::ORDER_SENT_BACK),
    (
        SupervisionCaseOpened::TYPE,
        crate::subjects::event::SUPERVISION_CASE_OPENED,
    ),
    (
        SupervisionRectificationReported::TYPE,
        crate::subjects::event::SUPERVISION_RECTIFICATION_REPORTED,
    ),
    (
        SupervisionCaseClosed::TYPE,
        crate::subjects::event::SUPERVISION_CASE_CLOSED,
    ),
    (
        SupervisionCaseEscalated::TYPE,
        crate::subjects::event::SUPERVISION_CASE_ESCALATED,
    ),
    (
        SupervisionUnitReminded::TYPE,
        crate::subjects::event::SUPERVISION_UNIT_REMINDED,
    ),
    (
        SupervisionHotspotReported::TYPE,
        crate::subjects::event::SUPERVISION_HOTSPOT_REPORTED,
    ),
    (
        HotspotDetected::TYPE,
        crate::subjects::event::HOTSPOT_DETECTED,
    ),
    (
        DeadlineScheduled::TYPE,
        crate::subjects::event::DEADLINE_SCHEDULED,
    ),
    (
        DeadlineRescheduled::TYPE,
        crate::subjects::event::DEADLINE_RESCHEDULED,
    ),
    (
        DeadlinePaused::TYPE,
        crate::subjects::event::DEADLINE_PAUSED,
    ),
    (
        DeadlineReminder::TYPE,
        crate::subjects::event::DEADLINE_REMINDER,
    ),
    (
        DeadlineOverdue::TYPE,
        crate::subjects::event::DEADLINE_OVERDUE,
    ),
    (
        crate::knowledge::ArticlePublished::TYPE,
        crate::subjects::event::KNOWLEDGE_ARTICLE_PUBLISHED,
    ),
    (
        crate::knowledge::ArticleUnpublished::TYPE,
        crate::subjects::event::KNOWLEDGE_ARTICLE_UNPUBLISHED,
    ),
    (
        crate::knowledge::ArticleExpiring::TYPE,
        crate::subjects::event::KNOWLEDGE_ARTICLE_EXPIRING,
    ),
    (
        crate::knowledge::FeedbackRecorded::TYPE,
        crate::subjects::event::KNOWLEDGE_FEEDBACK_RECORDED,
    ),
    (
        crate::transfer::TransferToPartnerRequested::TYPE,
        crate::transfer::subject::TO_PARTNER_REQUESTED,
    ),
    (
        crate::transfer::PartnerAccepted::TYPE,
        crate::transfer::subject::FROM_PARTNER_ACCEPTED,
    ),
    (
        crate::transfer::PartnerRejected::TYPE,
        crate::transfer::subject::FROM_PARTNER_REJECTED,
    ),
    (
        crate::transfer::PartnerTransferRequested::TYPE,
        crate::transfer::subject::FROM_PARTNER_REQUESTED,
    ),
    (
        crate::transfer::InboundTransferAccepted::TYPE,
        crate::transfer::subject::TO_PARTNER_ACCEPTED,
    ),
    (
        crate::transfer::InboundTransferRejected::TYPE,
        crate::transfer::subject::TO_PARTNER_REJECTED,
    ),
    (
        crate::transfer::PartnerStatusRequested::TYPE,
        crate::transfer::subject::FROM_PARTNER_STATUS_REQUESTED,
    ),
    (
        crate::transfer::TransferStatus::TYPE,
        crate::transfer::subject::TO_PARTNER_STATUS,
    ),
    (
        crate::transfer::PartnerMessageRejected::TYPE,
        crate::transfer::subject::TO_PARTNER_MESSAGE_REJECTED,
    ),
    (
        crate::joint::JointHandlingRequested::TYPE,
        crate::transfer::subject::TO_PARTNER_JOINT_REQUESTED,
    ),
    (
        crate::joint::PartnerJointStep::TYPE,
        crate::transfer::subject::FROM_PARTNER_JOINT_STEP,
    ),
    (
        crate::joint::JointStep::TYPE,
        crate::transfer::subject::TO_PARTNER_JOINT_STEP,
    ),
    (
        crate::transfer::OrderTransferAccepted::TYPE,
        crate::transfer::subject::ORDER_TRANSFER_ACCEPTED,
    ),
    (
        crate::transfer::OrderTransferRejected::TYPE,
        crate::transfer::subject::ORDER_TRANSFER_REJECTED,
    ),
    (
        crate::transfer::OrderTransferTimedOut::TYPE,
        crate::transfer::subject::ORDER_TRANSFER_TIMED_OUT,
    ),
    (
        crate::analytics::AnalyticsKpiSnapshot::TYPE,
        crate::subjects::event::ANALYTICS_KPI_SNAPSHOT,
    ),
    (
        crate::bulletin::BulletinPublished::TYPE,
        crate::subjects::event::ANALYTICS_BULLETIN_PUBLISHED,
    ),
    (DeadLetterRecorded::TYPE, "hotline.deadletter.{service}"),
];

/// A fact that travels on the bus.
pub trait Event: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// CloudEvents `type`, versioned: `cn.gov.12345.<aggregate>.<event>.v<N>`.
    const TYPE: &'static str;

    /// The subject it is published on, without the namespace prefix.
    fn subject(&self) -> String;

    /// The aggregate it is about (the CloudEvent `subject`): the order's UUID for order
    /// events. Consumers keep events with the same aggregate in order.
    fn aggregate_id(&self) -> String;
}
