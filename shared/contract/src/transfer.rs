//! Transfers between 12345 and partner hotlines (A8, A10.1): the subjects, the payloads a
//! partner sees and sends, the outcome events other services see, and the intake request
//! the bridge uses to register an order a partner hands over.
//!
//! Two directions, one naming rule: what *we* say to partner `<code>` is under
//! `hotline.transfer.<code>.>` (in the `HOTLINE` stream, published through the bridge's
//! outbox); what partner `<code>` says to us is under `partner.<code>.>` (captured by the
//! `PARTNER` stream). NATS permissions (deploy/nats/auth.conf) let a partner publish
//! only under its own `partner.<code>.>` and read only its own `hotline.transfer.<code>.>`,
//! so the subject, not the payload, proves who sent a message.
//!
//! Outcomes of a transfer out are order events (`hotline.order.transfer_accepted`,
//! `…_rejected`, `…_timed_out`), so intake's status projection and analytics, which follow
//! `hotline.order.>`, see them without a new subscription.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::Event;
use crate::rpc::{FieldError, RegisterOrder};
use crate::vocabulary::{OrderStatus, RequestKind, Urgency};

/// Subjects of the partner exchange (un-namespaced; apply [`crate::Namespace::subject`]).
pub mod subject {
    /// We ask partner `code` to take an order: `hotline.transfer.<code>.requested`.
    pub fn to_partner_requested(code: &str) -> String {
        format!("hotline.transfer.{code}.requested")
    }
    /// We took partner `code`'s order: `hotline.transfer.<code>.accepted`.
    pub fn to_partner_accepted(code: &str) -> String {
        format!("hotline.transfer.{code}.accepted")
    }
    /// We refused partner `code`'s order: `hotline.transfer.<code>.rejected`.
    pub fn to_partner_rejected(code: &str) -> String {
        format!("hotline.transfer.{code}.rejected")
    }
    /// Partner `code` takes our order: `partner.<code>.transfer.accepted`.
    pub fn from_partner_accepted(code: &str) -> String {
        format!("partner.{code}.transfer.accepted")
    }
    /// Partner `code` refuses our order: `partner.<code>.transfer.rejected`.
    pub fn from_partner_rejected(code: &str) -> String {
        format!("partner.{code}.transfer.rejected")
    }
    /// Partner `code` hands us an order: `partner.<code>.transfer.requested`.
    pub fn from_partner_requested(code: &str) -> String {
        format!("partner.{code}.transfer.requested")
    }
    /// Partner `code` asks where an order stands: `partner.<code>.transfer.status_requested`.
    pub fn from_partner_status_requested(code: &str) -> String {
        format!("partner.{code}.transfer.status_requested")
    }
    /// Where the order stands, for partner `code`: `hotline.transfer.<code>.status`.
    pub fn to_partner_status(code: &str) -> String {
        format!("hotline.transfer.{code}.status")
    }
    /// We could not act on partner `code`'s status request or joint-handling step:
    /// `hotline.transfer.<code>.message_rejected`.
    pub fn to_partner_message_rejected(code: &str) -> String {
        format!("hotline.transfer.{code}.message_rejected")
    }
    /// We ask partner `code` to handle an order with us (A8):
    /// `hotline.transfer.<code>.joint_requested`.
    pub fn to_partner_joint_requested(code: &str) -> String {
        format!("hotline.transfer.{code}.joint_requested")
    }
    /// One of our steps on a jointly handled order: `hotline.transfer.<code>.joint.step`.
    pub fn to_partner_joint_step(code: &str) -> String {
        format!("hotline.transfer.{code}.joint.step")
    }
    /// One of partner `code`'s steps on a jointly handled order: `partner.<code>.joint.step`.
    pub fn from_partner_joint_step(code: &str) -> String {
        format!("partner.{code}.joint.step")
    }
    /// Everything partners publish about transfers (a `PARTNER` stream filter).
    pub const FROM_PARTNERS: &str = "partner.*.transfer.>";
    /// Everything partners publish about joint handling (a `PARTNER` stream filter).
    pub const JOINT_FROM_PARTNERS: &str = "partner.*.joint.>";
    /// Everything for partner `code` (what its NATS user may subscribe to).
    pub fn for_partner(code: &str) -> String {
        format!("hotline.transfer.{code}.>")
    }
    /// Catalogue patterns (docs/asyncapi.yaml channels).
    pub const TO_PARTNER_REQUESTED: &str = "hotline.transfer.{code}.requested";
    pub const TO_PARTNER_ACCEPTED: &str = "hotline.transfer.{code}.accepted";
    pub const TO_PARTNER_REJECTED: &str = "hotline.transfer.{code}.rejected";
    pub const FROM_PARTNER_ACCEPTED: &str = "partner.{code}.transfer.accepted";
    pub const FROM_PARTNER_REJECTED: &str = "partner.{code}.transfer.rejected";
    pub const FROM_PARTNER_REQUESTED: &str = "partner.{code}.transfer.requested";
    pub const FROM_PARTNER_STATUS_REQUESTED: &str = "partner.{code}.transfer.status_requested";
    pub const TO_PARTNER_STATUS: &str = "hotline.transfer.{code}.status";
    pub const TO_PARTNER_MESSAGE_REJECTED: &str = "hotline.transfer.{code}.message_rejected";
    pub const TO_PARTNER_JOINT_REQUESTED: &str = "hotline.transfer.{code}.joint_requested";
    pub const TO_PARTNER_JOINT_STEP: &str = "hotline.transfer.{code}.joint.step";
    pub const FROM_PARTNER_JOINT_STEP: &str = "partner.{code}.joint.step";
    pub const ORDER_TRANSFER_ACCEPTED: &str = "hotline.order.transfer_accepted";
    pub const ORDER_TRANSFER_REJECTED: &str = "hotline.order.transfer_rejected";
    pub const ORDER_TRANSFER_TIMED_OUT: &str = "hotline.order.transfer_timed_out";

    /// The partner code and the last tokens of a partner subject
    /// (`partner.110.transfer.accepted` → `("110", "accepted")`).
    pub fn parse_from_partner(subject: &str) -> Option<(&str, &str)> {
        let mut parts = subject.split('.');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("partner"), Some(code), Some("transfer"), Some(verb))
                if parts.next().is_none() =>
            {
                Some((code, verb))
            }
            _ => None,
        }
    }

    /// The partner code of any partner subject (`partner.<code>.…` → `<code>`).
    pub fn partner_of(subject: &str) -> Option<&str> {
        let mut parts = subject.split('.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("partner"), Some(code), Some(_)) if !code.is_empty() => Some(code),
            _ => None,
        }
    }
}

/// The name of the stream that captures what partners publish.
pub const PARTNER_STREAM: &str = "PARTNER";

/// The `PARTNER` stream: every `partner.*.transfer.>` and `partner.*.joint.>` message,
/// file storage, a 10-minute de-duplication window (a partner may set `Nats-Msg-Id` to its
/// transfer id).
pub fn partner_stream(ns: &crate::Namespace, replicas: usize) -> crate::subjects::StreamSpec {
    crate::subjects::StreamSpec {
        name: ns.stream(PARTNER_STREAM),
        subjects: vec![
            ns.subject(subject::FROM_PARTNERS),
            ns.subject(subject::JOINT_FROM_PARTNERS),
        ],
        description:
            "partner hotlines' transfer messages (110/119/120/122, utilities, sub-centers)"
                .to_owned(),
        duplicate_window: std::time::Duration::from_secs(600),
        replicas: replicas.max(1),
    }
}

/// What the caller shared, for emergencies only (A10.1: transfer at once). Never in the
/// clear on the bus: the full contact travels as a sealed box that only the partner's
/// secret key opens (A21; docs/partners.md "What is disclosed").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerContact {
    /// `138****1234`: enough for the partner to match the three-way call.
    pub phone_masked: Option<String>,
    /// A [`SealedContact`] as JSON, sealed (X25519 + XSalsa20-Poly1305 sealed box) to the
    /// partner's registered public key, base64 (standard alphabet, padded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    /// Why the full contact is not in this message (the transfer is never delayed for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Withheld>,
}

/// Why an emergency transfer went out without the sealed contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// The partner has no public key in the registry.
    NoKey,
    /// Intake did not answer the reveal in time.
    IntakeTimeout,
    /// Intake could not be reached or failed.
    IntakeUnavailable,
    /// Intake refused the reveal (unknown order, not an emergency transfer, wrong partner).
    IntakeRefused,
}

impl Withheld {
    /// The reason's wire code (`no_key` ...), as recorded in the disclosure audit.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoKey => "no_key",
            Self::IntakeTimeout => "intake_timeout",
            Self::IntakeUnavailable => "intake_unavailable",
            Self::IntakeRefused => "intake_refused",
        }
    }
}

/// The plain text inside [`CallerContact::sealed`]: how to reach the caller. Its `Debug`
/// prints nothing personal.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedContact {
    /// The caller's phone number, digits.
    pub phone: String,
    /// The address the caller gave, if any.
    #[serde(default)]
    pub address: Option<String>,
}

impl std::fmt::Debug for SealedContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedContact(<redacted>)")
    }
}

/// `rpc.intake.reveal_for_transfer` (A21, audited): the caller's contact of an order whose
/// transfer to `partner_code` was requested as an emergency (A10.1). Called by the
/// emergency bridge only; intake records the reveal in the vault's audit chain as
/// `partner:<code>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealForTransfer {
    pub order_id: Uuid,
    pub partner_code: String,
    /// The bridge's transfer id, quoted in the audit record's purpose.
    pub transfer_id: Uuid,
}

/// Reply to [`RevealForTransfer`]. Typed refusals: `not_found` (unknown order), or
/// `forbidden` with one field error whose code is [`REVEAL_NOT_EMERGENCY`] or
/// [`REVEAL_WRONG_PARTNER`].
pub type RevealedContact = SealedContact;

/// Field-error code: the order was not transferred to a partner as an emergency.
pub const REVEAL_NOT_EMERGENCY: &str = "not_emergency_transfer";
/// Field-error code: the order was transferred as an emergency, to another partner.
pub const REVEAL_WRONG_PARTNER: &str = "wrong_partner";

/// `hotline.transfer.<code>.requested`: please take this order (A10.1, A8). Sent again
/// (same `transfer_id`, next `attempt`) when the partner does not answer in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferToPartnerRequested {
    /// Our id of this transfer; the partner's answer must quote it.
    pub transfer_id: Uuid,
    pub partner_code: String,
    /// Our order number (the partner may quote it to the caller).
    pub order_number: String,
    pub emergency: bool,
    /// 1 on the first try.
    pub attempt: u32,
    pub kind: RequestKind,
    pub category: Option<String>,
    /// GB/T 2260 code of the matter's place.
    pub region_code: String,
    pub urgency: Urgency,
    /// Emergencies only: what the partner needs to call the caller back.
    pub caller: Option<CallerContact>,
    /// When the caller called us.
    pub requested_at: DateTime<Utc>,
    /// Answer by then, or we try again and finally phone you.
    pub answer_by: DateTime<Utc>,
}

impl Event for TransferToPartnerRequested {
    const TYPE: &'static str = "cn.gov.12345.transfer.requested.v1";
    fn subject(&self) -> String {
        subject::to_partner_requested(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.transfer_id.to_string()
    }
}

/// `partner.<code>.transfer.accepted`: the partner took our order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerAccepted {
    pub transfer_id: Uuid,
    pub partner_code: String,
    /// The partner's own case number, if it has one.
    #[serde(default)]
    pub partner_reference: Option<String>,
    pub accepted_at: DateTime<Utc>,
}

impl Event for PartnerAccepted {
    const TYPE: &'static str = "cn.gov.12345.partner.transfer_accepted.v1";
    fn subject(&self) -> String {
        subject::from_partner_accepted(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.transfer_id.to_string()
    }
}

/// `partner.<code>.transfer.rejected`: the partner refused our order, saying why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerRejected {
    pub transfer_id: Uuid,
    pub partner_code: String,
    /// Why, in the partner's words (shown to the agent).
    pub reason: String,
    pub rejected_at: DateTime<Utc>,
}

impl Event for PartnerRejected {
    const TYPE: &'static str = "cn.gov.12345.partner.transfer_rejected.v1";
    fn subject(&self) -> String {
        subject::from_partner_rejected(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.transfer_id.to_string()
    }
}

/// `partner.<code>.transfer.requested`: a partner hands us a matter (A8: e.g. 110 passing
/// on a non-police matter, a sub-center a matter outside its domain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerTransferRequested {
    /// The partner's id of this transfer: a repeat with the same id is the same transfer.
    pub partner_transfer_id: String,
    pub partner_code: String,
    pub kind: RequestKind,
    /// The matter, in the caller's words as the partner recorded them.
    pub matter: String,
    pub region_code: String,
    #[serde(default)]
    pub address: Option<String>,
    /// The caller's phone number (needed to call back and for the progress check).
    pub caller_phone: String,
    #[serde(default)]
    pub caller_name: Option<String>,
    #[serde(default)]
    pub urgency: Urgency,
    /// When the caller called the partner.
    pub requested_at: DateTime<Utc>,
}

impl Event for PartnerTransferRequested {
    const TYPE: &'static str = "cn.gov.12345.partner.transfer_requested.v1";
    fn subject(&self) -> String {
        subject::from_partner_requested(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.partner_transfer_id.clone()
    }
}

/// `hotline.transfer.<code>.accepted`: we registered the partner's matter as our order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundTransferAccepted {
    pub partner_transfer_id: String,
    pub partner_code: String,
    /// Our order number, for the partner's records and the caller.
    pub order_number: String,
    pub accepted_at: DateTime<Utc>,
}

impl Event for InboundTransferAccepted {
    const TYPE: &'static str = "cn.gov.12345.transfer.inbound_accepted.v1";
    fn subject(&self) -> String {
        subject::to_partner_accepted(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.partner_transfer_id.clone()
    }
}

/// `hotline.transfer.<code>.rejected`: we could not take the partner's message; `reason`
/// names the problem, `fields` the fields at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundTransferRejected {
    /// Absent when the message was too broken to carry one.
    pub partner_transfer_id: Option<String>,
    pub partner_code: String,
    /// `invalid_message`, `invalid_fields`, `partner_mismatch`, `unknown_partner`.
    pub reason_code: String,
    pub reason: String,
    #[serde(default)]
    pub fields: Vec<FieldError>,
    pub rejected_at: DateTime<Utc>,
}

impl Event for InboundTransferRejected {
    const TYPE: &'static str = "cn.gov.12345.transfer.inbound_rejected.v1";
    fn subject(&self) -> String {
        subject::to_partner_rejected(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.partner_transfer_id
            .clone()
            .unwrap_or_else(|| self.partner_code.clone())
    }
}

/// `partner.<code>.transfer.status_requested`: a partner asks where an order stands (A8:
/// results flow back to the partner that asks). It names the order by its own transfer id
/// (a matter it handed us), by our order number (an order we sent it), or both; at least
/// one is required. Answered on `hotline.transfer.<code>.status` or, when it cannot be
/// answered, `hotline.transfer.<code>.message_rejected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerStatusRequested {
    /// The partner's id of this request, quoted in the answer.
    pub request_id: String,
    pub partner_code: String,
    #[serde(default)]
    pub partner_transfer_id: Option<String>,
    #[serde(default)]
    pub order_number: Option<String>,
    pub requested_at: DateTime<Utc>,
}

impl Event for PartnerStatusRequested {
    const TYPE: &'static str = "cn.gov.12345.partner.status_requested.v1";
    fn subject(&self) -> String {
        subject::from_partner_status_requested(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.request_id.clone()
    }
}

/// How the partner is linked to the order it asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerLink {
    /// The partner handed the matter to us (`partner.<code>.transfer.requested`).
    FromPartner,
    /// We transferred the order to the partner (`hotline.transfer.<code>.requested`).
    ToPartner,
    /// We handle the order jointly with the partner (A8).
    JointHandling,
}

/// The outcome of an order, once it is closed after the center's review (A16): what the
/// handling unit answered. The unit's official reply, never anything about the requester
/// beyond what the unit wrote to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderOutcome {
    /// The handling unit (承办单位) that gave the result.
    pub unit_name: Option<String>,
    /// 答复内容: the unit's reply.
    pub reply: String,
    pub submitted_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
}

/// `hotline.transfer.<code>.status`: where the order the partner asked about stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferStatus {
    /// The partner's `request_id`.
    pub request_id: String,
    pub partner_code: String,
    pub order_number: String,
    /// The partner's transfer id, for a matter it handed us.
    pub partner_transfer_id: Option<String>,
    pub link: PartnerLink,
    pub status: OrderStatus,
    /// Chinese label of `status`.
    pub status_label: String,
    /// When the order reached `status`.
    pub status_at: DateTime<Utc>,
    /// Once the order is closed: the handling unit and its reply.
    pub outcome: Option<OrderOutcome>,
    pub answered_at: DateTime<Utc>,
}

impl Event for TransferStatus {
    const TYPE: &'static str = "cn.gov.12345.transfer.status.v1";
    fn subject(&self) -> String {
        subject::to_partner_status(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.request_id.clone()
    }
}

/// `hotline.transfer.<code>.message_rejected`: we could not act on a partner's status
/// request or joint-handling step; `reason_code` and `reason` name the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerMessageRejected {
    /// The CloudEvents type of the message refused, as received.
    pub message_type: String,
    /// The partner's id of it (`request_id`, `step_id`), when readable.
    pub message_id: Option<String>,
    pub partner_code: String,
    /// `invalid_message`, `invalid_fields`, `partner_mismatch`, `unknown_partner`,
    /// `unknown_transfer` (no such transfer or order for this partner), `not_yours` (the
    /// order is not linked to this partner), `not_joint` (no joint handling of the order
    /// with this partner).
    pub reason_code: String,
    pub reason: String,
    #[serde(default)]
    pub fields: Vec<FieldError>,
    pub rejected_at: DateTime<Utc>,
}

impl Event for PartnerMessageRejected {
    const TYPE: &'static str = "cn.gov.12345.transfer.message_rejected.v1";
    fn subject(&self) -> String {
        subject::to_partner_message_rejected(&self.partner_code)
    }
    fn aggregate_id(&self) -> String {
        self.message_id
            .clone()
            .unwrap_or_else(|| self.partner_code.clone())
    }
}

/// `hotline.order.transfer_accepted`: the partner took the order (A10.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransferAccepted {
    pub order_id: Uuid,
    pub transfer_id: Uuid,
    pub partner_code: String,
    pub partner_reference: Option<String>,
    pub attempts: u32,
    pub accepted_at: DateTime<Utc>,
}

impl Event for OrderTransferAccepted {
    const TYPE: &'static str = "cn.gov.12345.order.transfer_accepted.v1";
    fn subject(&self) -> String {
        subject::ORDER_TRANSFER_ACCEPTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.transfer_rejected`: the partner refused the order; the agent decides
/// what next (another partner, or dispatch as an ordinary order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransferRejected {
    pub order_id: Uuid,
    pub transfer_id: Uuid,
    pub partner_code: String,
    pub reason: String,
    pub rejected_at: DateTime<Utc>,
}

impl Event for OrderTransferRejected {
    const TYPE: &'static str = "cn.gov.12345.order.transfer_rejected.v1";
    fn subject(&self) -> String {
        subject::ORDER_TRANSFER_REJECTED.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `hotline.order.transfer_timed_out`: the partner never answered, after every retry. The
/// agent on duty must phone the partner now (`fallback_phone`, a three-way call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransferTimedOut {
    pub order_id: Uuid,
    pub order_number: String,
    pub transfer_id: Uuid,
    pub partner_code: String,
    pub emergency: bool,
    pub attempts: u32,
    /// The number the agent calls (a three-way call with the caller).
    pub fallback_phone: String,
    /// What the agent on duty must do, in Chinese.
    pub instructions: String,
    pub timed_out_at: DateTime<Utc>,
}

impl Event for OrderTransferTimedOut {
    const TYPE: &'static str = "cn.gov.12345.order.transfer_timed_out.v1";
    fn subject(&self) -> String {
        subject::ORDER_TRANSFER_TIMED_OUT.to_owned()
    }
    fn aggregate_id(&self) -> String {
        self.order_id.to_string()
    }
}

/// `rpc.intake.register_transfer`: register a matter a partner handed over (A8). At most
/// one order per (`partner_code`, `partner_transfer_id`): asked again, intake answers with
/// the order it registered the first time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterTransfer {
    pub partner_code: String,
    pub partner_transfer_id: String,
    pub order: RegisterOrder,
}

/// Reply to [`RegisterTransfer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRegistered {
    pub order_id: Uuid,
    pub number: String,
    /// True when the transfer had been registered before (no new order).
    pub already_registered: bool,
}

#[cfg(test)]
mod tests {
    use super::subject::*;

    #[test]
    fn partner_subjects_parse_back_to_code_and_verb() {
        assert_eq!(
            parse_from_partner(&from_partner_accepted("110")),
            Some(("110", "accepted"))
        );
        assert_eq!(
            parse_from_partner(&from_partner_requested("12366")),
            Some(("12366", "requested"))
        );
        assert_eq!(parse_from_partner("hotline.transfer.110.requested"), None);
        assert_eq!(parse_from_partner("partner.110.transfer.a.b"), None);
        assert_eq!(
            parse_from_partner(&from_partner_status_requested("110")),
            Some(("110", "status_requested"))
        );
        assert_eq!(partner_of(&from_partner_joint_step("12315")), Some("12315"));
        assert_eq!(partner_of("hotline.transfer.110.status"), None);
    }
}
