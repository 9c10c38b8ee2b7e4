//! What the bridge does on each message it consumes.
//!
//! - [`TransferRequests`]: intake's `order.transfer_requested` → a transfer row and
//!   `hotline.transfer.<code>.requested`. Two durable consumers run it, one per lane: the
//!   emergency lane (110/119/120/122, on `hotline.order.transfer_requested.emergency`) and
//!   the ordinary lane (utilities, sub-centers), each on its own subject, so a backlog of
//!   ordinary transfers never sits in front of an emergency; emergency rows also go through
//!   their own outbox and relay.
//! - [`PartnerAnswers`]: `partner.<code>.transfer.accepted|rejected` → the outcome.
//! - [`InboundTransfers`]: `partner.<code>.transfer.requested` → validate, deduplicate,
//!   register through intake, answer.
//!
//! Every handler writes through the consumer's transaction (inbox + state + outbox).

use std::time::Duration;

use chrono::Utc;
use hotline_contract::Event;
use hotline_contract::Namespace;
use hotline_contract::events::OrderTransferRequested;
use hotline_contract::rpc::{RegisterOrder, RequesterInput, RpcErrorCode, verbs};
use hotline_contract::transfer::{
    InboundTransferAccepted, InboundTransferRejected, OrderTransferAccepted, OrderTransferRejected,
    PartnerAccepted, PartnerRejected, RegisterTransfer, TransferRegistered,
    TransferToPartnerRequested, subject,
};
use hotline_contract::vocabulary::{Channel, OrderStatus, RequesterType};
use hotline_messaging::{CallError, EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_telemetry::TraceContext;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::disclosure::{self, ForTransfer, Revealer};
use crate::domain::{self, Refusal};
use crate::store::{self, NewStage, NewTransfer};

/// The bridge's two outboxes: emergencies are published by their own relay.
#[derive(Debug, Clone)]
pub struct Outboxes {
    pub main: Outbox,
    pub emergency: Outbox,
}

impl Outboxes {
    pub fn for_transfer(&self, emergency: bool) -> &Outbox {
        if emergency {
            &self.emergency
        } else {
            &self.main
        }
    }
}

/// Which transfers a consumer handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Emergency,
    Ordinary,
}

/// Intake's `order.transfer_requested` → the partner (A10.1).
#[derive(Debug, Clone)]
pub struct TransferRequests {
    pub lane: Lane,
    pub outboxes: Outboxes,
    /// Asks intake for an emergency caller's contact ([`disclosure`]).
    pub revealer: Revealer,
}

impl EventHandler for TransferRequests {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        if event.envelope.event_type != OrderTransferRequested::TYPE {
            return Ok(());
        }
        let e = event.envelope.decode::<OrderTransferRequested>()?.data;
        if e.emergency != (self.lane == Lane::Emergency) {
            return Ok(()); // the other lane's
        }
        let order_id = e.registration.order_id;
        let outbox = self.outboxes.for_transfer(e.emergency);
        let now = Utc::now();
        let Some(partner) = store::partner(tx, &e.partner_code).await? else {
            // The agent picked a partner the registry does not know: tell them at once.
            tracing::warn!(%order_id, partner = %e.partner_code, "transfer to an unknown partner");
            outbox
                .append(
                    tx,
                    &event.trace,
                    OrderTransferRejected {
                        order_id,
                        transfer_id: Uuid::nil(),
                        partner_code: e.partner_code.clone(),
                        reason: format!("未登记的合作热线：{}", e.partner_code),
                        rejected_at: now,
                    },
                )
                .await?;
            return Ok(());
        };
        let transfer_id = Uuid::now_v7();
        let answer_by = now + chrono::Duration::seconds(partner.ack_timeout_secs.into());
        let reg = &e.registration;
        // A10.1, A21: only emergencies share how to reach the caller: the masked phone,
        // and the full contact sealed to the partner's key when intake reveals it in
        // time (never waiting longer than the reveal timeout).
        let caller = if e.emergency {
            let transfer = ForTransfer {
                order_id,
                transfer_id,
                partner_code: &partner.code,
                public_key: partner.public_key.as_deref(),
            };
            let masked = reg.requester.phone_masked.clone();
            Some(disclosure::contact_for(&self.revealer, transfer, masked, &event.trace).await)
        } else {
            None
        };
        let request = TransferToPartnerRequested {
            transfer_id,
            partner_code: partner.code.clone(),
            order_number: reg.number.clone(),
            emergency: e.emergency,
            attempt: 1,
            kind: reg.kind,
            category: reg.category.clone(),
            region_code: reg.region_code.clone(),
            urgency: reg.urgency,
            caller,
            requested_at: reg.requested_at,
            answer_by,
        };
        let inserted = store::insert_transfer(
            tx,
            &NewTransfer {
                transfer_id,
                order_id,
                order_number: &reg.number,
                partner_code: &partner.code,
                emergency: e.emergency,
                answer_by,
                requested_at: reg.requested_at,
                request: &request,
            },
        )
        .await?;
        if !inserted {
            return Ok(()); // this order is already with this partner
        }
        // Its status, for the partner asking about it later (A8).
        store::insert_stage(
            tx,
            &NewStage {
                order_id,
                order_number: &reg.number,
                kind: reg.kind,
                region_code: &reg.region_code,
                urgency: reg.urgency,
                status: OrderStatus::TransferRequested,
                at: e.requested_at,
            },
        )
        .await?;
        if e.emergency {
            let row = store::lock_transfer(tx, transfer_id)
                .await?
                .ok_or_else(|| HandlerError::transient("transfer row vanished"))?;
            let fields = disclosure::fields(row.request.0.caller.as_ref());
            store::record_disclosure(tx, &row, 1, &fields, "A10.1 紧急转警").await?;
        }
        outbox.append(tx, &event.trace, request).await?;
        metrics::counter!("hotline_transfers_sent_total", "lane" => lane_label(e.emergency))
            .increment(1);
        tracing::info!(%order_id, %transfer_id, partner = %partner.code, emergency = e.emergency, "transfer sent to partner");
        Ok(())
    }
}

fn lane_label(emergency: bool) -> &'static str {
    if emergency { "emergency" } else { "ordinary" }
}

/// `partner.<code>.transfer.accepted|rejected` → the outcome of our transfer.
#[derive(Debug, Clone)]
pub struct PartnerAnswers {
    pub outboxes: Outboxes,
}

impl EventHandler for PartnerAnswers {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let Some((code, verb)) = subject::parse_from_partner(&event.subject) else {
            return Err(HandlerError::permanent(format!(
                "not a partner subject: {}",
                event.subject
            )));
        };
        let env = &event.envelope;
        let (transfer_id, claimed_code, outcome) = match verb {
            "accepted" => {
                let a = env.decode::<PartnerAccepted>()?.data;
                (a.transfer_id, a.partner_code.clone(), Ok(a))
            }
            "rejected" => {
                let r = env.decode::<PartnerRejected>()?.data;
                (r.transfer_id, r.partner_code.clone(), Err(r))
            }
            other => {
                return Err(HandlerError::permanent(format!(
                    "unexpected partner verb {other:?}"
                )));
            }
        };
        let Some(transfer) = store::lock_transfer(tx, transfer_id).await? else {
            return Err(HandlerError::permanent(format!(
                "answer for unknown transfer {transfer_id}"
            )));
        };
        // The subject proves the sender (NATS permissions); only that partner may answer.
        if transfer.partner_code != code || claimed_code != code {
            return Err(HandlerError::permanent(format!(
                "partner {code} answered transfer {transfer_id} addressed to {}",
                transfer.partner_code
            )));
        }
        if transfer.status != "awaiting" {
            tracing::info!(%transfer_id, status = %transfer.status, "late or repeated partner answer ignored");
            return Ok(());
        }
        let outbox = self.outboxes.for_transfer(transfer.emergency);
        let now = Utc::now();
        match outcome {
            Ok(a) => {
                store::decide(
                    tx,
                    transfer_id,
                    "accepted",
                    a.partner_reference.as_deref(),
                    None,
                    now,
                )
                .await?;
                outbox
                    .append(
                        tx,
                        &event.trace,
                        OrderTransferAccepted {
                            order_id: transfer.order_id,
                            transfer_id,
                            partner_code: transfer.partner_code.clone(),
                            partner_reference: a.partner_reference,
                            attempts: u32::try_from(transfer.attempts).unwrap_or(0),
                            accepted_at: a.accepted_at,
                        },
                    )
                    .await?;
            }
            Err(r) => {
                let reason: String = r.reason.chars().take(500).collect();
                store::decide(tx, transfer_id, "rejected", None, Some(&reason), now).await?;
                outbox
                    .append(
                        tx,
                        &event.trace,
                        OrderTransferRejected {
                            order_id: transfer.order_id,
                            transfer_id,
                            partner_code: transfer.partner_code.clone(),
                            reason,
                            rejected_at: r.rejected_at,
                        },
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

/// `partner.<code>.transfer.requested` → our order (A8).
#[derive(Debug, Clone)]
pub struct InboundTransfers {
    pub outbox: Outbox,
    pub nats: async_nats::Client,
    pub namespace: Namespace,
    pub intake_timeout: Duration,
}

impl InboundTransfers {
    async fn refuse(
        &self,
        tx: &mut PgConnection,
        trace: &TraceContext,
        code: &str,
        refusal: Refusal,
    ) -> Result<(), HandlerError> {
        tracing::info!(partner = %code, reason_code = refusal.reason_code, "inbound transfer refused");
        self.outbox
            .append(
                tx,
                trace,
                InboundTransferRejected {
                    partner_transfer_id: refusal.partner_transfer_id,
                    partner_code: code.to_owned(),
                    reason_code: refusal.reason_code.to_owned(),
                    reason: refusal.reason,
                    fields: refusal.fields,
                    rejected_at: Utc::now(),
                },
            )
            .await?;
        Ok(())
    }

    async fn accept(
        &self,
        tx: &mut PgConnection,
        trace: &TraceContext,
        code: &str,
        id: &str,
        number: String,
    ) -> Result<(), HandlerError> {
        self.outbox
            .append(
                tx,
                trace,
                InboundTransferAccepted {
                    partner_transfer_id: id.to_owned(),
                    partner_code: code.to_owned(),
                    order_number: number,
                    accepted_at: Utc::now(),
                },
            )
            .await?;
        Ok(())
    }
}

impl EventHandler for InboundTransfers {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        let Some((code, _)) = subject::parse_from_partner(&event.subject) else {
            return Err(HandlerError::permanent(format!(
                "not a partner subject: {}",
                event.subject
            )));
        };
        let trace = &event.trace;
        if store::partner(tx, code).await?.is_none() {
            let refusal = Refusal {
                partner_transfer_id: None,
                reason_code: "unknown_partner",
                reason: format!("partner {code} is not registered"),
                fields: Vec::new(),
            };
            return self.refuse(tx, trace, code, refusal).await;
        }
        let request = match domain::validate_inbound(code, &event.envelope) {
            Ok(r) => r,
            Err(refusal) => return self.refuse(tx, trace, code, refusal).await,
        };
        let id = request.partner_transfer_id.trim().to_owned();
        // A repeat of a transfer we took: the same answer, no second order.
        if let Some(number) = store::inbound(tx, code, &id).await? {
            tracing::info!(partner = %code, "duplicate inbound transfer answered again");
            return self.accept(tx, trace, code, &id, number).await;
        }
        let region_code = request.region_code.clone();
        let body = RegisterTransfer {
            partner_code: code.to_owned(),
            partner_transfer_id: id.clone(),
            order: RegisterOrder {
                channel: Channel::Phone,
                kind: request.kind,
                requester: RequesterInput {
                    requester_type: RequesterType::Person,
                    name: request.caller_name,
                    phone: Some(request.caller_phone),
                    id_number: None,
                },
                matter: request.matter,
                category: None,
                region_code: region_code.clone(),
                address: request.address,
                confidential: false,
                urgency: request.urgency,
                requested_at: Some(request.requested_at),
                // The partner stands in for the registering agent.
                agent_id: Some(format!("partner:{code}")),
                triage: None,
            },
        };
        let registered: Result<TransferRegistered, CallError> = hotline_messaging::call(
            &self.nats,
            &self.namespace,
            verbs::INTAKE_REGISTER_TRANSFER,
            &body,
            trace,
            self.intake_timeout,
        )
        .await;
        match registered {
            Ok(receipt) => {
                store::insert_inbound(tx, code, &id, receipt.order_id, &receipt.number).await?;
                // Known from now on, even if `order.registered` has not reached us yet.
                store::insert_stage(
                    tx,
                    &NewStage {
                        order_id: receipt.order_id,
                        order_number: &receipt.number,
                        kind: request.kind,
                        region_code: &region_code,
                        urgency: request.urgency,
                        status: OrderStatus::Registered,
                        at: Utc::now(),
                    },
                )
                .await?;
                tracing::info!(partner = %code, order_id = %receipt.order_id, "inbound transfer registered");
                self.accept(tx, trace, code, &id, receipt.number).await
            }
            Err(CallError::Rpc(error)) if error.code == RpcErrorCode::InvalidRequest => {
                let refusal = if error.fields.is_empty() {
                    Refusal {
                        partner_transfer_id: Some(id),
                        reason_code: "invalid_fields",
                        reason: error.message,
                        fields: Vec::new(),
                    }
                } else {
                    Refusal::fields(Some(id), error.fields)
                };
                self.refuse(tx, trace, code, refusal).await
            }
            // Intake down or busy: retried; the partner's id makes the retry safe.
            Err(other) => Err(HandlerError::transient(format!(
                "register at intake: {other}"
            ))),
        }
    }
}
