//! Registering a request as a work order (A11): validate, triage (A9, A10), number, store,
//! and queue the event that announces the order in the same transaction. The requester
//! gets their number only after the commit, so an acknowledged order is never lost,
//! whatever happens to NATS.

use chrono::Utc;
use hotline_contract::events::{OrderRegistered, RequesterRef};
use hotline_contract::rpc::{RegisterOrder, RegistrationReceipt, RpcError, TriageInput};
use hotline_messaging::Outbox;
use hotline_reference::Regions;
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::number::{local_day, new_check_code};
use crate::domain::phone::PhoneHasher;
use crate::domain::registration::{ValidRegistration, validate};
use crate::domain::triage::{Decision, EarlierOrder, Triage, decide};

/// The rule recorded when a web message is linked to an earlier order automatically.
pub const AUTO_LINK_RULE: &str = "rule:repeat-auto-link";
use crate::store::{self, NewOrder};
use crate::vault::Vault;

/// Everything registration needs.
#[derive(Debug, Clone)]
pub struct Registrar {
    pub pool: PgPool,
    pub outbox: Outbox,
    pub regions: std::sync::Arc<Regions>,
    pub hasher: PhoneHasher,
    /// Encrypts the requester's personal data before it is stored (A21).
    pub vault: Vault,
    /// How far back repeat detection looks (A10.3).
    pub repeat_window: chrono::Duration,
    /// Answers web-message consultations from the knowledge base (A9.2); `None`: never.
    pub knowledge: Option<crate::knowledge::KnowledgeAdvisor>,
}

impl Registrar {
    pub async fn register(
        &self,
        input: RegisterOrder,
        trace: &TraceContext,
    ) -> Result<RegistrationReceipt, RpcError> {
        self.register_from(input, trace, None).await
    }

    /// As [`Registrar::register`]; `partner` (code, transfer id) marks an order a partner
    /// hotline handed over (A8), recorded in the same transaction so one transfer id can
    /// never become two orders.
    pub async fn register_from(
        &self,
        mut input: RegisterOrder,
        trace: &TraceContext,
        partner: Option<(&str, &str)>,
    ) -> Result<RegistrationReceipt, RpcError> {
        let now = Utc::now();
        let triage_input = input.triage.take();
        let valid = validate(input, &self.regions, now).map_err(RpcError::invalid)?;
        let phone_hash = self.hasher.hash(&valid.phone);
        let triage = self
            .triage(&valid, triage_input, &phone_hash, now, trace)
            .await?;
        let notice = crate::triage::notice(&triage.decision);
        let order_id = Uuid::now_v7();
        let check_code = new_check_code();
        // A21: the requester's personal data is encrypted before it reaches the database.
        let requester = self
            .vault
            .seal_requester(order_id, &valid)
            .map_err(|error| {
                tracing::error!(%error, "sealing the requester's data failed");
                RpcError::new(
                    hotline_contract::rpc::RpcErrorCode::Unavailable,
                    "暂时无法受理，请稍后重试",
                )
            })?;

        let result: Result<_, RegisterError> = async {
            let mut tx = self.pool.begin().await?;
            // The order's number is taken last (below): the day's sequence row stays locked
            // until the commit, so the less that follows it, the more registrations of one
            // district go through per second. Until then the row carries a placeholder that
            // no other transaction can see.
            let placeholder = format!("pending:{order_id}");
            store::insert_order(
                &mut tx,
                &NewOrder {
                    order_id,
                    number: &placeholder,
                    check_code: &check_code,
                    phone_check: &self.hasher.last4_check(order_id, valid.phone.last4()),
                    registered_at: now,
                    registration: &valid,
                    phone_hash: &phone_hash,
                    requester: &requester,
                    triage: &triage,
                    notice: notice.as_deref(),
                },
            )
            .await?;
            if let Some((code, transfer_id)) = partner {
                store::insert_partner_transfer(&mut tx, code, transfer_id, order_id).await?;
            }
            // A10.3: every order's words, so later requests can find it as a repeat.
            crate::repeats::record_matter_words(
                &mut tx,
                order_id,
                &valid.region_code,
                now,
                &valid.matter,
            )
            .await?;
            if let Some(status) = crate::triage::initial_status(&triage.decision) {
                store::advance_status(&mut tx, order_id, status, now).await?;
            }
            let number =
                store::number_order(&mut tx, order_id, &valid.region_code, local_day(now)).await?;
            crate::triage::announce(
                &self.outbox,
                &mut tx,
                trace,
                OrderRegistered {
                    order_id,
                    number: number.clone(),
                    channel: valid.channel,
                    kind: valid.kind,
                    category: valid.category.clone(),
                    region_code: valid.region_code.clone(),
                    urgency: valid.urgency,
                    requester: RequesterRef {
                        requester_type: valid.requester_type,
                        phone_masked: Some(valid.phone.masked()),
                        phone_hash: Some(phone_hash.clone()),
                        confidential: valid.confidential,
                    },
                    requested_at: valid.requested_at,
                    registered_at: now,
                    registered_by: valid.agent_id.clone(),
                    follow_up_of: None,
                },
                &triage,
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(number)
        }
        .await;

        match result {
            Ok(number) => {
                metrics::counter!("hotline_orders_registered_total", "channel" => valid.channel.code())
                    .increment(1);
                tracing::info!(%order_id, %number, channel = valid.channel.code(), kind = valid.kind.code(), disposition = triage.decision.code(), decided_by = %triage.decided_by, "order registered");
                Ok(RegistrationReceipt {
                    order_id,
                    number,
                    check_code,
                    registered_at: now,
                    disposition: crate::triage::disposition(&triage.decision),
                    notice,
                })
            }
            Err(error) => {
                tracing::error!(%error, "registration failed");
                Err(RpcError::new(
                    hotline_contract::rpc::RpcErrorCode::Unavailable,
                    "暂时无法受理，请稍后重试",
                ))
            }
        }
    }
}

impl Registrar {
    /// Triage the request (A9, A10); a repeat's earlier order is looked up by number. A web
    /// message that would be dispatched is first checked for a near-verbatim repeat by the
    /// same requester (A10.3), which is linked without an agent; else a consultation the
    /// knowledge base answers confidently is answered at once (A9.2).
    async fn triage(
        &self,
        valid: &ValidRegistration,
        input: Option<TriageInput>,
        phone_hash: &str,
        now: chrono::DateTime<Utc>,
        trace: &TraceContext,
    ) -> Result<Triage, RpcError> {
        let earlier = match &input {
            Some(TriageInput::Repeat { earlier_number, .. }) => {
                store::find_order_by_number(&self.pool, earlier_number)
                    .await
                    .map_err(|error| {
                        tracing::error!(%error, "earlier order lookup failed");
                        RpcError::new(
                            hotline_contract::rpc::RpcErrorCode::Unavailable,
                            "暂时无法受理，请稍后重试",
                        )
                    })?
            }
            _ => None,
        };
        let triage = decide(
            valid.channel,
            valid.kind,
            &valid.matter,
            valid.agent_id.as_deref(),
            input,
            earlier,
        )
        .map_err(RpcError::invalid)?;
        let web_dispatch = valid.channel == hotline_contract::vocabulary::Channel::WebMessage
            && triage.decision == (Decision::Dispatch { follow_up_of: None });
        if !web_dispatch {
            return Ok(triage);
        }
        let request = crate::repeats::RepeatQuery {
            phone_hash,
            region_code: &valid.region_code,
            matter: &valid.matter,
            now,
            window: self.repeat_window,
        };
        let found = crate::repeats::auto_link_original(&self.pool, &request).await;
        match found {
            Ok(Some(earlier)) => {
                return Ok(Triage {
                    decision: Decision::RepeatLink {
                        earlier: EarlierOrder {
                            order_id: earlier.order_id,
                            number: earlier.number,
                        },
                    },
                    decided_by: AUTO_LINK_RULE.to_owned(),
                });
            }
            Ok(None) => {}
            // Repeat detection is advice: without it the message is simply dispatched.
            Err(error) => tracing::warn!(%error, "repeat detection failed; dispatching"),
        }
        if valid.kind == hotline_contract::vocabulary::RequestKind::Consultation
            && let Some(knowledge) = &self.knowledge
            && let Some((article_id, article_version)) = knowledge
                .auto_answer(&valid.matter, &valid.region_code, trace)
                .await
        {
            return Ok(Triage {
                decision: Decision::Answer {
                    article_id,
                    article_version,
                },
                decided_by: crate::knowledge::KNOWLEDGE_RULE.to_owned(),
            });
        }
        Ok(triage)
    }
}

#[derive(Debug, thiserror::Error)]
enum RegisterError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] hotline_messaging::OutboxError),
}
