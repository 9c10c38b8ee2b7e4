//! A partner hotline simulator (issue 8 partner kit): subscribes to
//! `hotline.transfer.<code>.requested` as a partner would and answers each transfer as
//! told: accept, reject, accept after a delay, or stay silent. Used by the tests and the
//! demo (`hotline-emergency-bridge simulate-partner --code 110 --mode accept`).
//!
//! It also asks where an order stands ([`ask_status`]) and reports a joint-handling step
//! ([`send_joint_step`]) on demand (`partner-ask-status`, `partner-joint-step` commands).
//!
//! With `--joint ack` it acknowledges each joint-handling request with a step (A8).
//!
//! Given the partner's secret key (`--key-file <path>` or `HOTLINE_PARTNER_SECRET_KEY`,
//! base64), it opens the sealed caller contact of each emergency (A21) and logs only
//! that it did.
//!
//! It speaks plain NATS (publish/subscribe), which is all a partner's NATS user may do
//! under deploy/nats/auth.conf; the bridge's `PARTNER` stream captures what it sends.

use std::str::FromStr;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use hotline_contract::envelope::Envelope;
use hotline_contract::joint::{JointHandlingRequested, PartnerJointStep};
use hotline_contract::transfer::{
    PartnerAccepted, PartnerMessageRejected, PartnerRejected, PartnerStatusRequested,
    PartnerTransferRequested, SealedContact, TransferStatus, TransferToPartnerRequested, subject,
};
use hotline_contract::{Event, Namespace, RawEnvelope};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How the simulated partner answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Accept,
    Reject,
    /// Accept after this long.
    Delay(Duration),
    Silent,
}

/// `--mode` that is none of `accept`, `reject`, `delay:<secs>`, `silent`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("mode must be accept, reject, delay:<secs> or silent (got {0:?})")]
pub struct BadMode(pub String);

impl FromStr for Mode {
    type Err = BadMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "accept" => Ok(Self::Accept),
            "reject" => Ok(Self::Reject),
            "silent" => Ok(Self::Silent),
            _ => s
                .strip_prefix("delay:")
                .and_then(|n| n.parse::<f64>().ok())
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(|n| Self::Delay(Duration::from_secs_f64(n)))
                .ok_or_else(|| BadMode(s.to_owned())),
        }
    }
}

/// The reason the simulator gives when it rejects.
pub const REJECT_REASON: &str = "非本单位受理范围（模拟）";

/// Publish an event as partner `code` would: a CloudEvents envelope on its subject.
pub async fn publish<E: Event>(
    client: &async_nats::Client,
    ns: &Namespace,
    code: &str,
    data: E,
) -> Result<(), async_nats::Error> {
    let subject = ns.subject(&data.subject());
    let envelope = Envelope::new(&format!("partner-{code}"), data.aggregate_id(), data);
    client.publish(subject, envelope.to_bytes()?.into()).await?;
    client.flush().await?;
    Ok(())
}

/// Hand us a matter as partner `code` (A8).
pub async fn send_transfer(
    client: &async_nats::Client,
    ns: &Namespace,
    request: PartnerTransferRequested,
) -> Result<(), async_nats::Error> {
    let code = request.partner_code.clone();
    publish(client, ns, &code, request).await
}

/// Report a step on a jointly handled order as partner `step.partner_code` (A8).
pub async fn send_joint_step(
    client: &async_nats::Client,
    ns: &Namespace,
    step: PartnerJointStep,
) -> Result<(), async_nats::Error> {
    let code = step.partner_code.clone();
    publish(client, ns, &code, step).await
}

/// Ask where an order stands as partner `request.partner_code` and wait for the answer
/// with its `request_id` (a [`TransferStatus`] or a [`PartnerMessageRejected`], as raw
/// CloudEvents data with its type). `None` when nothing came within `wait`.
pub async fn ask_status(
    client: &async_nats::Client,
    ns: &Namespace,
    request: PartnerStatusRequested,
    wait: Duration,
) -> Result<Option<(String, serde_json::Value)>, async_nats::Error> {
    let code = request.partner_code.clone();
    let request_id = request.request_id.clone();
    let mut sub = client
        .subscribe(ns.subject(&subject::for_partner(&code)))
        .await?;
    client.flush().await?;
    publish(client, ns, &code, request).await?;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let Ok(Some(message)) = tokio::time::timeout_at(deadline, sub.next()).await else {
            return Ok(None);
        };
        let Ok(raw) = RawEnvelope::parse(&message.payload) else {
            continue;
        };
        let answers = [TransferStatus::TYPE, PartnerMessageRejected::TYPE];
        let id = if raw.event_type == TransferStatus::TYPE {
            raw.data.get("request_id")
        } else {
            raw.data.get("message_id")
        };
        if answers.contains(&raw.event_type.as_str())
            && id.and_then(|v| v.as_str()) == Some(request_id.as_str())
        {
            return Ok(Some((raw.event_type.clone(), raw.data.clone())));
        }
    }
}

/// Run the simulated partner `code` until `shutdown`; every transfer received is also
/// sent on `seen` (for tests). Returns once subscribed, with the task's handle.
pub async fn start(
    client: async_nats::Client,
    ns: Namespace,
    code: String,
    mode: Mode,
    seen: Option<mpsc::UnboundedSender<TransferToPartnerRequested>>,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, async_nats::Error> {
    let options = Options {
        mode,
        seen,
        ..Options::default()
    };
    start_with(client, ns, code, options, shutdown).await
}

/// How the simulated partner behaves beyond answering.
#[derive(Default)]
pub struct Options {
    pub mode: Mode,
    /// Every transfer received, for tests.
    pub seen: Option<mpsc::UnboundedSender<TransferToPartnerRequested>>,
    /// The partner's secret key: sealed contacts are opened with it (A21).
    pub secret_key: Option<crypto_box::SecretKey>,
    /// Every contact opened, with its transfer id, for tests. Never logged.
    pub opened: Option<mpsc::UnboundedSender<(uuid::Uuid, SealedContact)>>,
    /// `--joint ack`: answer each joint-handling request with a step (A8); else ignore it.
    pub joint_ack: bool,
    /// `--send-every SECS`: hand us a (made-up) matter this often (A8).
    pub send_every: Option<Duration>,
}

/// `--send-every`: hand over a made-up matter every `every` until `shutdown`; each has a
/// new partner id `SIM-<code>-<uuid>` and a made-up caller number (not a real person's).
fn send_periodically(
    client: async_nats::Client,
    ns: Namespace,
    code: String,
    every: Duration,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(100)));
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.cancelled() => return,
            }
            let request = PartnerTransferRequested {
                partner_transfer_id: format!("SIM-{code}-{}", uuid::Uuid::now_v7().simple()),
                partner_code: code.clone(),
                kind: hotline_contract::vocabulary::RequestKind::Complaint,
                matter: "小区路灯损坏多日无人维修（模拟转办）".to_owned(),
                region_code: "520102".to_owned(),
                address: None,
                caller_phone: "13800000000".to_owned(),
                caller_name: None,
                urgency: hotline_contract::vocabulary::Urgency::Normal,
                requested_at: Utc::now(),
            };
            match send_transfer(&client, &ns, request).await {
                Ok(()) => tracing::info!(%code, "simulator: matter handed over"),
                Err(error) => tracing::warn!(%error, "simulator: hand-over not sent"),
            }
        }
    });
}

/// The step the simulator reports when it acknowledges a joint-handling request.
pub const JOINT_ACK_TEXT: &str = "已收到联动请求，正在处置（模拟）";

/// `--joint ack`: acknowledge every `hotline.transfer.<code>.joint_requested` with a
/// `partner.<code>.joint.step` quoting the order (A8).
async fn acknowledge_joint_requests(
    client: async_nats::Client,
    ns: Namespace,
    code: String,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, async_nats::Error> {
    let mut sub = client
        .subscribe(ns.subject(&subject::to_partner_joint_requested(&code)))
        .await?;
    client.flush().await?;
    Ok(tokio::spawn(async move {
        loop {
            let message = tokio::select! {
                m = sub.next() => match m { Some(m) => m, None => return },
                _ = shutdown.cancelled() => return,
            };
            let Ok(request) = RawEnvelope::parse(&message.payload)
                .and_then(|raw| raw.decode::<JointHandlingRequested>())
                .map(|env| env.data)
            else {
                continue;
            };
            let step = PartnerJointStep {
                step_id: format!("SIM-{code}-ACK-{}", request.joint_id.simple()),
                partner_code: code.clone(),
                order_number: request.order_number,
                text: JOINT_ACK_TEXT.to_owned(),
                actor: format!("{code} 值班员（模拟）"),
                at: Utc::now(),
            };
            if let Err(error) = send_joint_step(&client, &ns, step).await {
                tracing::warn!(%error, "simulator: joint step not sent");
            }
        }
    }))
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("mode", &self.mode)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<secret>"))
            .finish_non_exhaustive()
    }
}

/// Open the sealed contact of `request` with `key`, as the partner does; logs only
/// whether it opened (never the contact).
fn open_contact(
    key: &crypto_box::SecretKey,
    request: &TransferToPartnerRequested,
) -> Option<SealedContact> {
    let caller = request.caller.as_ref()?;
    let Some(sealed) = caller.sealed.as_deref() else {
        tracing::info!(transfer_id = %request.transfer_id, withheld = ?caller.withheld, "simulator: no sealed contact");
        return None;
    };
    match crate::disclosure::open(key, sealed) {
        Ok(contact) => {
            tracing::info!(transfer_id = %request.transfer_id, "simulator: sealed contact opened");
            Some(contact)
        }
        Err(error) => {
            tracing::warn!(transfer_id = %request.transfer_id, %error, "simulator: sealed contact not opened");
            None
        }
    }
}

/// [`start`] with all the [`Options`].
pub async fn start_with(
    client: async_nats::Client,
    ns: Namespace,
    code: String,
    options: Options,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, async_nats::Error> {
    let Options {
        mode,
        seen,
        secret_key,
        opened,
        joint_ack,
        send_every,
    } = options;
    if let Some(every) = send_every {
        send_periodically(
            client.clone(),
            ns.clone(),
            code.clone(),
            every,
            shutdown.clone(),
        );
    }
    if joint_ack {
        acknowledge_joint_requests(client.clone(), ns.clone(), code.clone(), shutdown.clone())
            .await?;
    }
    let mut sub = client
        .subscribe(ns.subject(&subject::to_partner_requested(&code)))
        .await?;
    client.flush().await?;
    Ok(tokio::spawn(async move {
        loop {
            let message = tokio::select! {
                m = sub.next() => match m { Some(m) => m, None => return },
                _ = shutdown.cancelled() => return,
            };
            let Ok(request) = RawEnvelope::parse(&message.payload)
                .and_then(|raw| raw.decode::<TransferToPartnerRequested>())
                .map(|env| env.data)
            else {
                tracing::warn!("simulator: not a transfer request; ignored");
                continue;
            };
            tracing::info!(transfer_id = %request.transfer_id, attempt = request.attempt, ?mode, "simulator: transfer received");
            if let Some(key) = &secret_key
                && let Some(contact) = open_contact(key, &request)
                && let Some(opened) = &opened
            {
                let _ = opened.send((request.transfer_id, contact));
            }
            if let Some(seen) = &seen {
                let _ = seen.send(request.clone());
            }
            let (client, ns, code) = (client.clone(), ns.clone(), code.clone());
            tokio::spawn(async move {
                let result = match mode {
                    Mode::Silent => return,
                    Mode::Reject => {
                        publish(
                            &client,
                            &ns,
                            &code,
                            PartnerRejected {
                                transfer_id: request.transfer_id,
                                partner_code: code.clone(),
                                reason: REJECT_REASON.to_owned(),
                                rejected_at: Utc::now(),
                            },
                        )
                        .await
                    }
                    Mode::Accept | Mode::Delay(_) => {
                        if let Mode::Delay(d) = mode {
                            tokio::time::sleep(d).await;
                        }
                        publish(
                            &client,
                            &ns,
                            &code,
                            PartnerAccepted {
                                transfer_id: request.transfer_id,
                                partner_code: code.clone(),
                                partner_reference: Some(format!(
                                    "SIM-{code}-{}",
                                    request.transfer_id.simple()
                                )),
                                accepted_at: Utc::now(),
                            },
                        )
                        .await
                    }
                };
                if let Err(error) = result {
                    tracing::warn!(%error, "simulator: answer not sent");
                }
            });
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse() {
        assert_eq!("accept".parse(), Ok(Mode::Accept));
        assert_eq!("silent".parse(), Ok(Mode::Silent));
        assert_eq!(
            "delay:1.5".parse(),
            Ok(Mode::Delay(Duration::from_millis(1500)))
        );
        assert_eq!("delay:x".parse::<Mode>(), Err(BadMode("delay:x".into())));
        assert!("shout".parse::<Mode>().is_err());
    }
}
