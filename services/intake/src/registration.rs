//! Registering a request as a work order (A11): validate, number, store, and queue
//! `order.registered` in the same transaction. The requester gets their number only after
//! the commit, so an acknowledged order is never lost, whatever happens to NATS.

use chrono::Utc;
use hotline_contract::events::{OrderRegistered, RequesterRef};
use hotline_contract::rpc::{RegisterOrder, RegistrationReceipt, RpcError};
use hotline_messaging::Outbox;
use hotline_reference::Regions;
use hotline_telemetry::TraceContext;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::number::{format_number, local_day, new_check_code};
use crate::domain::phone::PhoneHasher;
use crate::domain::registration::validate;
use crate::store::{self, NewOrder};

/// Everything registration needs.
#[derive(Debug, Clone)]
pub struct Registrar {
    pub pool: PgPool,
    pub outbox: Outbox,
    pub regions: std::sync::Arc<Regions>,
    pub hasher: PhoneHasher,
}

impl Registrar {
    pub async fn register(
        &self,
        input: RegisterOrder,
        trace: &TraceContext,
    ) -> Result<RegistrationReceipt, RpcError> {
        let now = Utc::now();
        let valid = validate(input, &self.regions, now).map_err(RpcError::invalid)?;
        let phone_hash = self.hasher.hash(&valid.phone);
        let order_id = Uuid::now_v7();
        let check_code = new_check_code();

        let result: Result<_, RegisterError> = async {
            let mut tx = self.pool.begin().await?;
            let day = local_day(now);
            let seq = store::next_sequence(&mut tx, &valid.region_code, day).await?;
            let number = format_number(&valid.region_code, day, u32::try_from(seq).unwrap_or(0));
            store::insert_order(
                &mut tx,
                &NewOrder {
                    order_id,
                    number: &number,
                    check_code: &check_code,
                    registered_at: now,
                    registration: &valid,
                    phone_hash: &phone_hash,
                },
            )
            .await?;
            self.outbox
                .append(
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
                    },
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
                tracing::info!(%order_id, %number, channel = valid.channel.code(), kind = valid.kind.code(), "order registered");
                Ok(RegistrationReceipt {
                    order_id,
                    number,
                    check_code,
                    registered_at: now,
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

#[derive(Debug, thiserror::Error)]
enum RegisterError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] hotline_messaging::OutboxError),
}
