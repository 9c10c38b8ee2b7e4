//! Where orders stand, for the partners that ask (A8: results of transferred orders flow
//! back to the partner when it asks for them).
//!
//! - [`OrderStages`]: the bridge's projection of the order lifecycle
//!   (`emergency_bridge.order_stages`), fed by `order.registered`, `dispatched`,
//!   `redispatched`, `signed`, `progress_reported`, `result_submitted` and `closed`; it also
//!   forwards our steps of jointly handled orders to the partner ([`crate::joint`]), those
//!   made since the joint handling started.
//! - [`StatusRequests`]: `partner.<code>.transfer.status_requested` → the order's status on
//!   `hotline.transfer.<code>.status`, or a rejection naming the problem on
//!   `hotline.transfer.<code>.message_rejected`, both through the outbox.
//!
//! **Why a projection, not a request to the owning service per question.** The bridge
//! needs the lifecycle events anyway (our side of joint handling is made of them), and a
//! projection answers a partner from the bridge's own tables: no load on intake or the
//! router per question, and answers keep flowing while they are down. Intake's status
//! query needs the requester's check code, which a partner must not hold. The projection
//! keeps one row per order (number, kind, region, urgency, status, unit; no personal
//! data), for every order, not only the ones already linked to a partner: joint handling
//! can be started on any order, and an order a partner hands us is known the moment
//! `order.registered` arrives, however fast the router dispatches it. The one thing not in
//! any event is the unit's reply (A21: free text stays with its owner): for a closed order
//! it is asked from the router (`rpc.router.result_reply`) when the partner asks; the
//! router down → the request is retried (transient), never answered wrongly.
//!
//! The result goes back once the order is **closed**: a result under review may still be
//! sent back to the unit (A16), so before that the partner sees the status only.
//! The projection consumer runs two lanes (two connections at most), so a burst of order
//! events cannot take the pool from the emergency lane.

use std::time::Duration;

use chrono::Utc;
use hotline_contract::events::{
    OrderClosed, OrderDispatched, OrderProgressReported, OrderRedispatched, OrderRegistered,
    OrderResultSubmitted, OrderSigned,
};
use hotline_contract::joint::{JointSide, JointStep};
use hotline_contract::rpc::{ResultReply, ResultReplyQuery, RpcErrorCode, verbs};
use hotline_contract::transfer::{
    OrderOutcome, PartnerMessageRejected, PartnerStatusRequested, TransferStatus, subject,
};
use hotline_contract::vocabulary::OrderStatus;
use hotline_contract::{Event, Namespace};
use hotline_messaging::{CallError, EventHandler, HandlerError, IncomingEvent, Outbox};
use hotline_telemetry::TraceContext;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{self, Refusal};
use crate::store::{self, NewStage, NewStep, StageAdvance, StageChange};

/// The lifecycle subjects the projection follows.
pub const LIFECYCLE: &[&str] = &[
    hotline_contract::subjects::event::ORDER_REGISTERED,
    hotline_contract::subjects::event::ORDER_DISPATCHED,
    hotline_contract::subjects::event::ORDER_REDISPATCHED,
    hotline_contract::subjects::event::ORDER_SIGNED,
    hotline_contract::subjects::event::ORDER_PROGRESS_REPORTED,
    hotline_contract::subjects::event::ORDER_RESULT_SUBMITTED,
    hotline_contract::subjects::event::ORDER_CLOSED,
];

/// Our step of an order, as a jointly handling partner is told it.
struct OurStep {
    step: &'static str,
    text: String,
    actor: String,
}

/// Order lifecycle events → `order_stages`, and our joint-handling steps.
#[derive(Debug, Clone)]
pub struct OrderStages {
    pub outbox: Outbox,
}

/// What one lifecycle event does to the projection.
enum Lifecycle {
    /// A new order: its row.
    Registered(OrderRegistered),
    /// A known order moves on: its row changes, and partners handling it with us are told.
    Advance(StageAdvance, OurStep),
    /// Not a lifecycle event the projection follows.
    Ignored,
}

fn advance(
    order_id: Uuid,
    change: StageChange,
    at: chrono::DateTime<Utc>,
    step: OurStep,
) -> Lifecycle {
    Lifecycle::Advance(
        StageAdvance {
            order_id,
            change,
            at,
        },
        step,
    )
}

fn lifecycle_of(env: &hotline_contract::RawEnvelope) -> Result<Lifecycle, HandlerError> {
    Ok(match env.event_type.as_str() {
        OrderRegistered::TYPE => Lifecycle::Registered(env.decode::<OrderRegistered>()?.data),
        OrderDispatched::TYPE => {
            let e = env.decode::<OrderDispatched>()?.data;
            let change = StageChange {
                status: Some(OrderStatus::Dispatched),
                unit_id: Some(e.unit_id.clone()),
                ..StageChange::default()
            };
            let step = OurStep {
                step: "dispatched",
                text: format!("已派单至承办单位（{}）", e.unit_id),
                actor: "12345".to_owned(),
            };
            advance(e.order_id, change, e.dispatched_at, step)
        }
        OrderRedispatched::TYPE => {
            let e = env.decode::<OrderRedispatched>()?.data;
            let change = StageChange {
                status: Some(OrderStatus::Dispatched),
                unit_id: Some(e.unit_id.clone()),
                ..StageChange::default()
            };
            let step = OurStep {
                step: "dispatched",
                text: format!("已改派承办单位（{}）", e.unit_id),
                actor: e.decided_by,
            };
            advance(e.order_id, change, e.redispatched_at, step)
        }
        OrderSigned::TYPE => {
            let e = env.decode::<OrderSigned>()?.data;
            let change = StageChange {
                status: Some(OrderStatus::Signed),
                ..StageChange::default()
            };
            let step = OurStep {
                step: "signed",
                text: format!("承办单位（{}）已签收", e.unit_id),
                actor: e.signed_by,
            };
            advance(e.order_id, change, e.signed_at, step)
        }
        OrderProgressReported::TYPE => {
            let e = env.decode::<OrderProgressReported>()?.data;
            let step = OurStep {
                step: "progress_reported",
                text: format!("承办单位（{}）报告阶段性办理情况", e.unit_id),
                actor: e.reported_by,
            };
            advance(e.order_id, StageChange::default(), e.reported_at, step)
        }
        OrderResultSubmitted::TYPE => {
            let e = env.decode::<OrderResultSubmitted>()?.data;
            let change = StageChange {
                status: Some(OrderStatus::ResultSubmitted),
                result_submitted_at: Some(e.submitted_at),
                ..StageChange::default()
            };
            let step = OurStep {
                step: "result_submitted",
                text: format!("承办单位（{}）已反馈办理结果，待中心审核", e.unit_id),
                actor: e.submitted_by,
            };
            advance(e.order_id, change, e.submitted_at, step)
        }
        OrderClosed::TYPE => {
            let e = env.decode::<OrderClosed>()?.data;
            let change = StageChange {
                status: Some(OrderStatus::Closed),
                closed_at: Some(e.closed_at),
                ..StageChange::default()
            };
            let step = OurStep {
                step: "closed",
                text: "工单已办结".to_owned(),
                actor: e.closed_by,
            };
            advance(e.order_id, change, e.closed_at, step)
        }
        _ => Lifecycle::Ignored,
    })
}

fn new_stage(e: &OrderRegistered) -> NewStage<'_> {
    NewStage {
        order_id: e.order_id,
        order_number: &e.number,
        kind: e.kind,
        region_code: &e.region_code,
        urgency: e.urgency,
        status: OrderStatus::Registered,
        at: e.registered_at,
    }
}

impl EventHandler for OrderStages {
    const BATCHED: bool = true;

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandlerError> {
        match lifecycle_of(&event.envelope)? {
            Lifecycle::Registered(e) => store::insert_stage(tx, &new_stage(&e)).await?,
            Lifecycle::Advance(advance, step) => {
                let order_id = advance.order_id;
                match store::advance_stage(tx, order_id, &advance.change, advance.at).await? {
                    store::Stage::Unknown => {
                        // Answered, redirected or repeat-linked at intake, or older than
                        // the stream.
                        tracing::debug!(%order_id, "lifecycle event for an order the bridge does not know");
                    }
                    store::Stage::Advanced => {}
                    store::Stage::AdvancedJointly => {
                        self.tell_partners(tx, event, &advance, &step).await?;
                    }
                }
            }
            Lifecycle::Ignored => {}
        }
        Ok(())
    }

    /// The batch's new orders are written by one statement and its lifecycle moves by
    /// another (`store::advance_stages`); an order's registration after a move of the same
    /// order in the batch (a stream out of order) first writes what came before it.
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        events: &[&IncomingEvent],
    ) -> Result<(), HandlerError> {
        let mut registered: Vec<OrderRegistered> = Vec::new();
        let mut moves: Vec<(&IncomingEvent, StageAdvance, OurStep)> = Vec::new();
        for event in events {
            match lifecycle_of(&event.envelope)? {
                Lifecycle::Registered(e) => {
                    if moves.iter().any(|(_, a, _)| a.order_id == e.order_id) {
                        self.flush(tx, &mut registered, &mut moves).await?;
                    }
                    registered.push(e);
                }
                Lifecycle::Advance(advance, step) => moves.push((event, advance, step)),
                Lifecycle::Ignored => {}
            }
        }
        self.flush(tx, &mut registered, &mut moves).await
    }
}

impl OrderStages {
    /// Write the gathered new orders, then the gathered moves; tell the partners of the
    /// jointly handled orders each of their steps, in order.
    async fn flush(
        &self,
        tx: &mut PgConnection,
        registered: &mut Vec<OrderRegistered>,
        moves: &mut Vec<(&IncomingEvent, StageAdvance, OurStep)>,
    ) -> Result<(), HandlerError> {
        if !registered.is_empty() {
            let stages: Vec<NewStage<'_>> = registered.iter().map(new_stage).collect();
            store::insert_stages(tx, &stages).await?;
            registered.clear();
        }
        if moves.is_empty() {
            return Ok(());
        }
        let advances: Vec<StageAdvance> = moves.iter().map(|(_, a, _)| a.clone()).collect();
        let known = store::advance_stages(tx, &advances).await?;
        for (event, advance, step) in moves.drain(..) {
            match known.iter().find(|(id, _)| *id == advance.order_id) {
                None => {
                    tracing::debug!(order_id = %advance.order_id, "lifecycle event for an order the bridge does not know");
                }
                Some((_, false)) => {}
                Some((_, true)) => self.tell_partners(tx, event, &advance, &step).await?,
            }
        }
        Ok(())
    }

    /// A8: our step goes to every partner handling the order with us, once. Only steps made
    /// since the joint handling started: a step from before it, applied late by this
    /// projection, is history the partner does not get (so what the partner is told does
    /// not depend on how fast the projection ran).
    async fn tell_partners(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        advance: &StageAdvance,
        step: &OurStep,
    ) -> Result<(), HandlerError> {
        let (order_id, at) = (advance.order_id, advance.at);
        let source_key = event.envelope.id.to_string();
        let joints = store::joints_of(tx, order_id).await?;
        for joint in joints.into_iter().filter(|j| j.started_at <= at) {
            let recorded = store::insert_step(
                tx,
                &NewStep {
                    joint_id: joint.joint_id,
                    side: JointSide::Ours,
                    source_key: &source_key,
                    step: step.step,
                    text: &step.text,
                    actor: &step.actor,
                    at,
                },
            )
            .await?;
            if recorded {
                self.outbox
                    .append(
                        tx,
                        &event.trace,
                        JointStep {
                            joint_id: joint.joint_id,
                            partner_code: joint.partner_code.clone(),
                            order_number: joint.order_number.clone(),
                            step: step.step.to_owned(),
                            text: step.text.clone(),
                            actor: step.actor.clone(),
                            at,
                        },
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

/// Refuse a partner's message on `hotline.transfer.<code>.message_rejected`.
pub async fn refuse(
    outbox: &Outbox,
    tx: &mut PgConnection,
    trace: &TraceContext,
    code: &str,
    message_type: &str,
    refusal: Refusal,
) -> Result<(), HandlerError> {
    tracing::info!(partner = %code, reason_code = refusal.reason_code, message_type, "partner message refused");
    outbox
        .append(
            tx,
            trace,
            PartnerMessageRejected {
                message_type: message_type.chars().take(200).collect(),
                message_id: refusal.partner_transfer_id,
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

/// `partner.<code>.transfer.status_requested` → where the order stands.
#[derive(Debug, Clone)]
pub struct StatusRequests {
    pub outbox: Outbox,
    pub nats: async_nats::Client,
    pub namespace: Namespace,
    pub router_timeout: Duration,
}

fn refusal(id: &str, code: &'static str, reason: String) -> Refusal {
    Refusal {
        partner_transfer_id: Some(id.to_owned()),
        reason_code: code,
        reason,
        fields: Vec::new(),
    }
}

impl StatusRequests {
    /// The order the request is about and how the partner is linked to it, or why not.
    async fn resolve(
        tx: &mut PgConnection,
        code: &str,
        request: &PartnerStatusRequested,
    ) -> Result<Result<(store::OrderStage, TransferStatusLink), Refusal>, HandlerError> {
        let id = &request.request_id;
        let by_transfer = match &request.partner_transfer_id {
            Some(transfer_id) => match store::inbound_order(tx, code, transfer_id).await? {
                Some(order_id) => Some(order_id),
                None => {
                    return Ok(Err(refusal(
                        id,
                        "unknown_transfer",
                        format!("no transfer {transfer_id:?} from partner {code}"),
                    )));
                }
            },
            None => None,
        };
        let by_number = match &request.order_number {
            Some(number) => match store::stage_by_number(tx, number).await? {
                Some(stage) => Some(stage),
                None => {
                    return Ok(Err(refusal(
                        id,
                        "unknown_transfer",
                        format!("no order {number:?} known to the bridge"),
                    )));
                }
            },
            None => None,
        };
        let order_id = match (by_transfer, &by_number) {
            (Some(a), Some(b)) if a != b.order_id => {
                return Ok(Err(Refusal::fields(
                    Some(id.clone()),
                    vec![hotline_contract::rpc::FieldError {
                        field: "order_number".to_owned(),
                        code: "mismatch".to_owned(),
                        message: "order_number 与 partner_transfer_id 不是同一工单".to_owned(),
                    }],
                )));
            }
            (Some(a), _) => a,
            (None, Some(b)) => b.order_id,
            // validate_status_request requires one of them.
            (None, None) => return Err(HandlerError::permanent("status request names no order")),
        };
        let Some((link, partner_transfer_id)) = store::link(tx, code, order_id).await? else {
            return Ok(Err(refusal(
                id,
                "not_yours",
                format!("the order was neither handed over by nor sent to partner {code}"),
            )));
        };
        let Some(stage) = store::stage(tx, order_id).await? else {
            // Rows are written with the link; absent only while a migration backfills.
            return Err(HandlerError::transient("order stage not projected yet"));
        };
        Ok(Ok((
            stage,
            TransferStatusLink {
                link,
                partner_transfer_id,
            },
        )))
    }

    /// The unit's reply of a closed order, from the router (A21: the text stays there).
    async fn outcome(
        &self,
        stage: &store::OrderStage,
        trace: &TraceContext,
    ) -> Result<Option<OrderOutcome>, HandlerError> {
        let Some(closed_at) = stage.closed_at else {
            return Ok(None);
        };
        let reply: Result<ResultReply, CallError> = hotline_messaging::call(
            &self.nats,
            &self.namespace,
            verbs::ROUTER_RESULT_REPLY,
            &ResultReplyQuery {
                order_id: stage.order_id,
            },
            trace,
            self.router_timeout,
        )
        .await;
        match reply {
            Ok(r) => Ok(Some(OrderOutcome {
                unit_name: r.unit_name,
                reply: r.reply,
                submitted_at: r.submitted_at,
                closed_at,
            })),
            // Closed without a unit's result (e.g. answered at intake).
            Err(CallError::Rpc(e)) if e.code == RpcErrorCode::NotFound => Ok(None),
            Err(other) => Err(HandlerError::transient(format!(
                "result reply from the router: {other}"
            ))),
        }
    }
}

/// How the asking partner is linked to the order.
#[derive(Debug)]
struct TransferStatusLink {
    link: hotline_contract::transfer::PartnerLink,
    partner_transfer_id: Option<String>,
}

impl EventHandler for StatusRequests {
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
        let message_type = event.envelope.event_type.as_str();
        if store::partner(tx, code).await?.is_none() {
            let refusal = Refusal {
                partner_transfer_id: None,
                reason_code: "unknown_partner",
                reason: format!("partner {code} is not registered"),
                fields: Vec::new(),
            };
            return refuse(&self.outbox, tx, trace, code, message_type, refusal).await;
        }
        let request = match domain::validate_status_request(code, &event.envelope) {
            Ok(r) => r,
            Err(r) => return refuse(&self.outbox, tx, trace, code, message_type, r).await,
        };
        let (stage, link) = match Self::resolve(tx, code, &request).await? {
            Ok(found) => found,
            Err(r) => return refuse(&self.outbox, tx, trace, code, message_type, r).await,
        };
        let outcome = self.outcome(&stage, trace).await?;
        let status = OrderStatus::from_code(&stage.status).ok_or_else(|| {
            HandlerError::permanent(format!(
                "unknown status {:?} in the projection",
                stage.status
            ))
        })?;
        tracing::info!(partner = %code, order_id = %stage.order_id, status = %stage.status, "status request answered");
        self.outbox
            .append(
                tx,
                trace,
                TransferStatus {
                    request_id: request.request_id,
                    partner_code: code.to_owned(),
                    order_number: stage.order_number,
                    partner_transfer_id: link.partner_transfer_id,
                    link: link.link,
                    status,
                    status_label: status.label_zh().to_owned(),
                    status_at: stage.status_at,
                    outcome,
                    answered_at: Utc::now(),
                },
            )
            .await?;
        Ok(())
    }
}
