//! Shared set-up of the bridge's integration tests: a real nats-server and Postgres, the
//! bridge (and intake, for inbound transfers), and the partner simulator.

#![allow(dead_code)]

use std::time::Duration;

use chrono::Utc;
use hotline_contract::events::{OrderRegistered, OrderTransferRequested, RequesterRef};
use hotline_contract::transfer::TransferToPartnerRequested;
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType, Urgency};
use hotline_emergency_bridge::EmergencyBridgeConfig;
use hotline_emergency_bridge::simulator::{self, Mode};
use hotline_service_kit::running::Running;
use hotline_service_test::TestEnv;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub struct Bridge {
    pub env: TestEnv,
    pub shutdown: CancellationToken,
    pub running: Vec<Running>,
}

impl Bridge {
    pub async fn start(with_intake: bool) -> Self {
        Self::start_with(with_intake, false).await
    }

    /// The bridge with intake and the router (orders are registered and dispatched).
    pub async fn start_full() -> Self {
        Self::start_with(true, true).await
    }

    async fn start_with(with_intake: bool, with_router: bool) -> Self {
        let env = TestEnv::new().await;
        let shutdown = CancellationToken::new();
        let mut running = Vec::new();
        if with_router {
            let router = hotline_router::start(
                hotline_router::RouterConfig {
                    common: env.common_config(),
                    ..Default::default()
                },
                shutdown.clone(),
            )
            .await
            .expect("router starts");
            running.push(router);
        }
        if with_intake {
            let intake = hotline_intake::start(
                hotline_intake::IntakeConfig {
                    common: env.common_config(),
                    http: hotline_intake::config::HttpConfig {
                        listen: "127.0.0.1:0".parse().unwrap(),
                    },
                    ..Default::default()
                },
                shutdown.clone(),
            )
            .await
            .expect("intake starts");
            running.push(intake);
        }
        let mut config = EmergencyBridgeConfig {
            common: env.common_config(),
            ..Default::default()
        };
        config.bridge.timer_interval_ms = 100;
        let bridge = hotline_emergency_bridge::start(config, shutdown.clone())
            .await
            .expect("bridge starts");
        running.push(bridge);
        Self {
            env,
            shutdown,
            running,
        }
    }

    /// Intake's internal registration URL (started `with_intake`, without the router).
    pub fn intake_orders_url(&self) -> String {
        let addr = self
            .running
            .iter()
            .find_map(|r| r.http_addr())
            .expect("intake runs");
        format!("http://{addr}/internal/v1/orders")
    }

    /// Register partner `code`'s public key (as `partner-set-key` does).
    pub async fn set_key(&self, code: &str, public_key: &str) {
        let pool = self.env.pool().await;
        assert!(
            hotline_emergency_bridge::store::set_partner_key(&pool, code, public_key)
                .await
                .unwrap()
        );
        pool.close().await;
    }

    /// Make partner `code` answer within `secs` seconds and retry `retries` times.
    pub async fn set_limits(&self, code: &str, secs: i32, retries: i32) {
        let pool = self.env.pool().await;
        sqlx::query(
            "UPDATE emergency_bridge.partners SET ack_timeout_secs = $2, retry_count = $3 WHERE code = $1",
        )
        .bind(code)
        .bind(secs)
        .bind(retries)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }

    /// Start the partner simulator; transfers it receives arrive on the receiver.
    pub async fn partner(
        &self,
        code: &str,
        mode: Mode,
    ) -> mpsc::UnboundedReceiver<TransferToPartnerRequested> {
        let (tx, rx) = mpsc::unbounded_channel();
        let client = async_nats::connect(self.env.nats.url()).await.unwrap();
        simulator::start(
            client,
            self.env.ns.clone(),
            code.to_owned(),
            mode,
            Some(tx),
            self.shutdown.clone(),
        )
        .await
        .unwrap();
        rx
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        for r in self.running {
            tokio::time::timeout(Duration::from_secs(20), r.wait())
                .await
                .expect("service stops");
        }
    }
}

/// Intake's event for an order transferred to `code`.
pub fn transfer_requested(code: &str, emergency: bool) -> OrderTransferRequested {
    let now = Utc::now();
    OrderTransferRequested {
        registration: OrderRegistered {
            order_id: Uuid::now_v7(),
            number: format!("5201022026120{}", rand_digits()),
            channel: Channel::Phone,
            kind: RequestKind::Help,
            category: None,
            region_code: "520102".to_owned(),
            urgency: Urgency::Critical,
            requester: RequesterRef {
                requester_type: RequesterType::Person,
                phone_masked: Some("138****5678".to_owned()),
                phone_hash: Some("ab".repeat(32)),
                confidential: false,
            },
            requested_at: now,
            registered_at: now,
            registered_by: Some("agent-7".to_owned()),
            follow_up_of: None,
        },
        partner_code: code.to_owned(),
        emergency,
        requested_by: "agent-7".to_owned(),
        requested_at: now,
    }
}

fn rand_digits() -> String {
    format!("{:07}", Uuid::now_v7().as_u128() % 10_000_000)
}

pub async fn next(
    rx: &mut mpsc::UnboundedReceiver<TransferToPartnerRequested>,
) -> TransferToPartnerRequested {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the partner receives a transfer in time")
        .expect("simulator running")
}
