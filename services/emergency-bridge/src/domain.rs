//! Pure rules of the bridge: what happens when a partner does not answer, what a partner's
//! inbound message must contain, and what the agent on duty is told. No I/O here; the
//! handlers and the timer feed these plain values and act on the decisions.

use hotline_contract::Event;
use hotline_contract::RawEnvelope;
use hotline_contract::joint::PartnerJointStep;
use hotline_contract::rpc::FieldError;
use hotline_contract::transfer::{PartnerStatusRequested, PartnerTransferRequested};

/// A partner hotline as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Partner {
    pub code: String,
    /// `emergency`, `utility` or `sub_center`.
    pub kind: String,
    pub name: String,
    pub ack_timeout_secs: i32,
    pub retry_count: i32,
    pub fallback_phone: String,
    /// The partner's X25519 public key (base64), for sealed contacts (A21).
    pub public_key: Option<String>,
}

/// What to do with a transfer whose answer time has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdue {
    /// Send it again; this is the attempt number.
    Retry(u32),
    /// Every retry is spent: hand it to the agent on duty.
    TimedOut,
}

/// A10.1: no answer in time → try again, `retry_count` times after the first attempt,
/// then fall back to a phone call by an agent.
pub fn on_overdue(attempts_so_far: u32, retry_count: u32) -> Overdue {
    if attempts_so_far <= retry_count {
        Overdue::Retry(attempts_so_far + 1)
    } else {
        Overdue::TimedOut
    }
}

/// What the agent on duty is told when a partner never answered (shown as is, Chinese).
pub fn fallback_instructions(partner: &Partner, order_number: &str, emergency: bool) -> String {
    let urgency = if emergency {
        "紧急警情，立即"
    } else {
        "请尽快"
    };
    format!(
        "{}未在规定时间内确认工单{order_number}的转办。{urgency}拨打{}，与来电人进行三方通话转接，并在工单中记录转接结果。",
        partner.name, partner.fallback_phone
    )
}

/// Why an inbound partner message is refused (the `reason_code` of the answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub partner_transfer_id: Option<String>,
    pub reason_code: &'static str,
    pub reason: String,
    pub fields: Vec<FieldError>,
}

impl Refusal {
    fn new(id: Option<String>, code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            partner_transfer_id: id,
            reason_code: code,
            reason: reason.into(),
            fields: Vec::new(),
        }
    }

    /// A refusal listing the fields at fault; the reason names them all.
    pub fn fields(id: Option<String>, fields: Vec<FieldError>) -> Self {
        let reason = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            partner_transfer_id: id,
            reason_code: "invalid_fields",
            reason,
            fields,
        }
    }
}

/// Longest partner transfer id we keep (it is a key, not free text).
pub const MAX_TRANSFER_ID: usize = 64;

fn field(name: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: name.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// Decode a partner's message strictly against the published schema: the right type, the
/// payload's fields exactly (`deny_unknown_fields`), and the sender's code. `id_field` is
/// the payload field holding the partner's id of the message, quoted back in a refusal.
/// `subject_code` comes from the subject, which NATS permissions tie to the sender.
pub fn decode_partner_message<T: Event>(
    subject_code: &str,
    envelope: &RawEnvelope,
    id_field: &str,
    partner_code: impl Fn(&T) -> &str,
) -> Result<T, Refusal> {
    let id_hint = envelope
        .data
        .get(id_field)
        .and_then(|v| v.as_str())
        .map(|s| s.chars().take(MAX_TRANSFER_ID).collect::<String>());
    if envelope.event_type != T::TYPE {
        return Err(Refusal::new(
            id_hint,
            "invalid_message",
            format!("type must be {} (got {:?})", T::TYPE, envelope.event_type),
        ));
    }
    let message = envelope
        .decode::<T>()
        .map_err(|e| {
            let detail = match e {
                hotline_contract::EnvelopeError::BadPayload { source, .. } => source.to_string(),
                other => other.to_string(),
            };
            Refusal::new(
                id_hint.clone(),
                "invalid_message",
                format!("data does not match the schema: {detail}"),
            )
        })?
        .data;
    let claimed = partner_code(&message);
    if claimed != subject_code {
        return Err(Refusal::new(
            id_hint,
            "partner_mismatch",
            format!("partner_code {claimed:?} differs from the sender {subject_code:?}"),
        ));
    }
    Ok(message)
}

/// A8: check an inbound `partner.<code>.transfer.requested` message against the published
/// schema. Deeper checks (region catalogue, phone format) are intake's, whose field errors
/// are passed on as they are.
pub fn validate_inbound(
    subject_code: &str,
    envelope: &RawEnvelope,
) -> Result<PartnerTransferRequested, Refusal> {
    let request = decode_partner_message::<PartnerTransferRequested>(
        subject_code,
        envelope,
        "partner_transfer_id",
        |r| &r.partner_code,
    )?;
    let id_hint = Some(
        request
            .partner_transfer_id
            .chars()
            .take(MAX_TRANSFER_ID)
            .collect::<String>(),
    );
    let mut errors = Vec::new();
    let id = request.partner_transfer_id.trim();
    if id.is_empty() || id.chars().count() > MAX_TRANSFER_ID {
        errors.push(field(
            "partner_transfer_id",
            "invalid",
            "转办编号不能为空且不超过64个字符",
        ));
    }
    if request.matter.trim().is_empty() {
        errors.push(field("matter", "required", "诉求内容不能为空"));
    }
    if request.region_code.len() != 6 || !request.region_code.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(field(
            "region_code",
            "invalid_format",
            "区划代码应为6位数字",
        ));
    }
    if request.caller_phone.trim().is_empty() {
        errors.push(field("caller_phone", "required", "来电号码不能为空"));
    }
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(Refusal::fields(id_hint, errors))
    }
}

/// An id a partner gives (transfer, request, step): not blank, at most 64 characters.
fn check_id(errors: &mut Vec<FieldError>, name: &str, value: &str) {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TRANSFER_ID {
        errors.push(field(name, "invalid", "编号不能为空且不超过64个字符"));
    }
}

/// A text a partner gives: not blank, at most `max` characters.
fn check_text(errors: &mut Vec<FieldError>, name: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(field(name, "required", "不能为空"));
    } else if value.chars().count() > max {
        errors.push(field(name, "too_long", &format!("不能超过{max}个字符")));
    }
}

fn refuse_fields<T>(id: &str, errors: Vec<FieldError>, ok: T) -> Result<T, Refusal> {
    if errors.is_empty() {
        Ok(ok)
    } else {
        let id = Some(id.chars().take(MAX_TRANSFER_ID).collect());
        Err(Refusal::fields(id, errors))
    }
}

/// A8: check a `partner.<code>.transfer.status_requested` message: the schema, a request
/// id, and at least one of the partner's transfer id and our order number.
pub fn validate_status_request(
    subject_code: &str,
    envelope: &RawEnvelope,
) -> Result<PartnerStatusRequested, Refusal> {
    let mut request = decode_partner_message::<PartnerStatusRequested>(
        subject_code,
        envelope,
        "request_id",
        |r| &r.partner_code,
    )?;
    let mut errors = Vec::new();
    check_id(&mut errors, "request_id", &request.request_id);
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    if blank(&request.partner_transfer_id) && blank(&request.order_number) {
        for name in ["partner_transfer_id", "order_number"] {
            errors.push(field(
                name,
                "required",
                "须提供 partner_transfer_id 或 order_number 之一",
            ));
        }
    }
    if let Some(id) = request
        .partner_transfer_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        check_id(&mut errors, "partner_transfer_id", id);
    }
    for id in [&mut request.partner_transfer_id, &mut request.order_number] {
        *id = id
            .take()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
    }
    let id = request.request_id.clone();
    refuse_fields(&id, errors, request)
}

/// The longest step text a partner may send.
pub const MAX_STEP_TEXT: usize = 2000;

/// A8: check a `partner.<code>.joint.step` message.
pub fn validate_joint_step(
    subject_code: &str,
    envelope: &RawEnvelope,
) -> Result<PartnerJointStep, Refusal> {
    let step =
        decode_partner_message::<PartnerJointStep>(subject_code, envelope, "step_id", |s| {
            &s.partner_code
        })?;
    let mut errors = Vec::new();
    check_id(&mut errors, "step_id", &step.step_id);
    check_text(&mut errors, "order_number", &step.order_number, 64);
    check_text(&mut errors, "text", &step.text, MAX_STEP_TEXT);
    check_text(&mut errors, "actor", &step.actor, 100);
    let id = step.step_id.clone();
    refuse_fields(&id, errors, step)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hotline_contract::envelope::Envelope;
    use hotline_contract::vocabulary::{RequestKind, Urgency};

    fn partner() -> Partner {
        Partner {
            code: "110".into(),
            kind: "emergency".into(),
            name: "110 公安报警服务台".into(),
            ack_timeout_secs: 30,
            retry_count: 2,
            fallback_phone: "110".into(),
            public_key: None,
        }
    }

    fn request() -> PartnerTransferRequested {
        PartnerTransferRequested {
            partner_transfer_id: "GY-1".into(),
            partner_code: "110".into(),
            kind: RequestKind::Complaint,
            matter: "噪音扰民".into(),
            region_code: "520102".into(),
            address: None,
            caller_phone: "13800005678".into(),
            caller_name: None,
            urgency: Urgency::Normal,
            requested_at: chrono::Utc::now(),
        }
    }

    fn raw(value: serde_json::Value, event_type: &str) -> RawEnvelope {
        let mut env = Envelope::new("partner-110", "GY-1", request());
        env.event_type = event_type.to_owned();
        let mut raw = RawEnvelope::parse(&env.to_bytes().unwrap()).unwrap();
        raw.data = value;
        raw
    }

    #[test]
    fn retries_then_times_out() {
        assert_eq!(on_overdue(1, 2), Overdue::Retry(2));
        assert_eq!(on_overdue(2, 2), Overdue::Retry(3));
        assert_eq!(on_overdue(3, 2), Overdue::TimedOut);
        assert_eq!(on_overdue(1, 0), Overdue::TimedOut);
    }

    #[test]
    fn fallback_names_the_number_and_the_order() {
        let text = fallback_instructions(&partner(), "N-1", true);
        assert!(text.contains("拨打110") && text.contains("N-1") && text.contains("立即"));
    }

    #[test]
    fn a_complete_request_passes() {
        let ok = serde_json::to_value(request()).unwrap();
        let valid = validate_inbound("110", &raw(ok, PartnerTransferRequested::TYPE)).unwrap();
        assert_eq!(
            valid,
            PartnerTransferRequested {
                requested_at: valid.requested_at,
                ..request()
            }
        );
    }

    #[test]
    fn a_missing_field_is_named() {
        let mut value = serde_json::to_value(request()).unwrap();
        value.as_object_mut().unwrap().remove("matter");
        let refusal =
            validate_inbound("110", &raw(value, PartnerTransferRequested::TYPE)).unwrap_err();
        assert_eq!(refusal.reason_code, "invalid_message");
        assert!(refusal.reason.contains("matter"), "{}", refusal.reason);
        assert_eq!(refusal.partner_transfer_id.as_deref(), Some("GY-1"));
    }

    #[test]
    fn bad_fields_are_listed() {
        let bad = PartnerTransferRequested {
            region_code: "52".into(),
            matter: " ".into(),
            ..request()
        };
        let value = serde_json::to_value(bad).unwrap();
        let refusal =
            validate_inbound("110", &raw(value, PartnerTransferRequested::TYPE)).unwrap_err();
        let names: Vec<_> = refusal.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["matter", "region_code"]);
        assert!(refusal.reason.contains("region_code"));
    }

    #[test]
    fn another_partners_code_is_refused() {
        let value = serde_json::to_value(request()).unwrap();
        let refusal =
            validate_inbound("119", &raw(value, PartnerTransferRequested::TYPE)).unwrap_err();
        assert_eq!(refusal.reason_code, "partner_mismatch");
    }

    #[test]
    fn a_wrong_type_is_refused() {
        let value = serde_json::to_value(request()).unwrap();
        let refusal = validate_inbound("110", &raw(value, "x.v1")).unwrap_err();
        assert_eq!(refusal.reason_code, "invalid_message");
    }
}
