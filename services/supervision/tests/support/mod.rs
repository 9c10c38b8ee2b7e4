//! The harness of supervision's integration tests: the service against a real nats-server
//! and Postgres, with helpers for the desk's requests and the events it consumes. Not every
//! test file uses every helper.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use hotline_contract::events::{
    DispatchBasis, OrderDispatched, OrderResultSubmitted, ResultChecklist,
};
use hotline_contract::rpc::{FieldError, RpcErrorCode, verbs};
use hotline_contract::supervision_desk::*;
use hotline_contract::vocabulary::{RequestKind, Urgency};
use hotline_messaging::CallError;
use hotline_service_kit::running::Running;
use hotline_service_test::{PATIENCE, TestEnv};
use hotline_supervision::SupervisionConfig;
use hotline_supervision::notify::{NotificationChannel, NotifyError, UnitNotice};
use hotline_telemetry::TraceContext;
use hotline_test_support::wait_for;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const UNIT: &str = "unit-yunyan-market";

/// A notification channel that remembers what it was asked to send.
#[derive(Debug, Clone, Default)]
pub struct RecordingChannel {
    pub notices: Arc<Mutex<Vec<UnitNotice>>>,
}

impl RecordingChannel {
    pub fn sent(&self) -> Vec<UnitNotice> {
        self.notices.lock().unwrap().clone()
    }
}

impl NotificationChannel for RecordingChannel {
    async fn notify(&self, notice: &UnitNotice) -> Result<(), NotifyError> {
        self.notices.lock().unwrap().push(notice.clone());
        Ok(())
    }
}

pub struct Supervision {
    pub env: TestEnv,
    pub pool: PgPool,
    pub channel: RecordingChannel,
    shutdown: CancellationToken,
    running: Running,
}

impl Supervision {
    pub async fn start() -> Self {
        Self::start_with(true).await
    }

    pub async fn start_with(auto_accept_complete: bool) -> Self {
        let env = TestEnv::new().await;
        let mut config = SupervisionConfig {
            common: env.common_config(),
            ..SupervisionConfig::default()
        };
        config.supervision.auto_accept_complete = auto_accept_complete;
        let shutdown = CancellationToken::new();
        let channel = RecordingChannel::default();
        let running =
            hotline_supervision::start_with_channel(config, shutdown.clone(), channel.clone())
                .await
                .unwrap();
        let pool = env.pool().await;
        Self {
            env,
            pool,
            channel,
            shutdown,
            running,
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.running.wait())
            .await
            .expect("the service stops within its patience");
        self.pool.close().await;
        self.env.db.drop_database().await;
    }

    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        verb: (&str, &str),
        request: &Req,
    ) -> Result<Resp, CallError> {
        hotline_messaging::call(
            &self.env.client,
            &self.env.ns,
            verb,
            request,
            &TraceContext::new_root(),
            Duration::from_secs(5),
        )
        .await
    }

    /// The router dispatched the order (supervision learns its number and kind); waits
    /// until supervision knows it.
    pub async fn dispatched(&self, order_id: Uuid, number: &str) {
        self.env
            .publish(
                "router",
                OrderDispatched {
                    order_id,
                    number: number.to_owned(),
                    unit_id: UNIT.to_owned(),
                    basis: DispatchBasis::Rule,
                    rule_id: Some("520102:market".to_owned()),
                    kind: RequestKind::Complaint,
                    urgency: Urgency::Normal,
                    dispatched_at: Utc::now(),
                },
            )
            .await;
        wait_for("supervision to know the order", PATIENCE, || async {
            let known: Option<String> =
                sqlx::query_scalar("SELECT number FROM supervision.orders WHERE order_id = $1")
                    .bind(order_id)
                    .fetch_optional(&self.pool)
                    .await
                    .unwrap();
            known.map(|_| ())
        })
        .await;
    }

    /// Submit an incomplete result and wait until it waits for a reviewer.
    pub async fn pending_result(&self, order_id: Uuid) -> Uuid {
        self.result(order_id, false).await
    }

    /// Submit a result (complete or missing the reply) and wait until it waits for a
    /// reviewer.
    pub async fn result(&self, order_id: Uuid, reply_given: bool) -> Uuid {
        let result_id = Uuid::now_v7();
        self.env
            .publish(
                "router",
                OrderResultSubmitted {
                    order_id,
                    unit_id: UNIT.to_owned(),
                    result_id,
                    submitted_by: "staff-4".to_owned(),
                    submitted_at: Utc::now(),
                    checklist: ResultChecklist {
                        reply_given,
                        ..ResultChecklist::complete()
                    },
                },
            )
            .await;
        wait_for("the result waits for a reviewer", PATIENCE, || async {
            let decision: Option<String> = sqlx::query_scalar(
                "SELECT decision FROM supervision.reviews WHERE order_id = $1 AND result_id = $2",
            )
            .bind(order_id)
            .bind(result_id)
            .fetch_optional(&self.pool)
            .await
            .unwrap();
            (decision.as_deref() == Some("pending_review")).then_some(())
        })
        .await;
        result_id
    }

    /// Record the reviewer's checklist: every item, the `failing` ones failed.
    pub async fn checklist(
        &self,
        order_id: Uuid,
        failing: &[ReviewItem],
        poor_handling: Option<bool>,
    ) -> Result<ReviewChecklist, CallError> {
        self.call(
            verbs::SUPERVISION_RECORD_CHECKLIST,
            &RecordChecklistCommand {
                order_id,
                items: ReviewItem::ALL
                    .into_iter()
                    .map(|item| CheckEntry {
                        item,
                        passed: !failing.contains(&item),
                        note: failing.contains(&item).then(|| "答复未回应诉求".to_owned()),
                    })
                    .collect(),
                poor_handling,
                recorded_by: "reviewer-1".into(),
                role: CenterRole::Reviewer,
            },
        )
        .await
    }

    /// The reviewer checks the result (the reply does not answer the matter) and proposes
    /// a send-back citing it.
    pub async fn propose(&self, order_id: Uuid, by: &str) -> SendBackProposal {
        self.checklist(order_id, &[ReviewItem::ReplyAnswersMatter], None)
            .await
            .unwrap();
        self.call(
            verbs::SUPERVISION_PROPOSE_SEND_BACK,
            &ProposeSendBackCommand {
                order_id,
                reason_code: "reply_incomplete".into(),
                reasons: "答复缺失".into(),
                failed_items: vec![ReviewItem::ReplyAnswersMatter],
                proposed_by: by.into(),
                role: CenterRole::Reviewer,
            },
        )
        .await
        .unwrap()
    }

    pub async fn approve(
        &self,
        proposal_id: Uuid,
        by: &str,
        role: CenterRole,
    ) -> Result<SendBackApproval, CallError> {
        self.call(
            verbs::SUPERVISION_APPROVE_SEND_BACK,
            &ApproveSendBackCommand {
                proposal_id,
                approved_by: by.into(),
                role,
            },
        )
        .await
    }

    pub async fn accept(&self, order_id: Uuid, by: &str) -> Result<ResultAcceptance, CallError> {
        self.call(
            verbs::SUPERVISION_ACCEPT_RESULT,
            &AcceptResultCommand {
                order_id,
                accepted_by: by.into(),
                role: CenterRole::Reviewer,
            },
        )
        .await
    }
}

pub fn code(error: CallError) -> RpcErrorCode {
    match error {
        CallError::Rpc(e) => e.code,
        other => panic!("expected a typed refusal, got {other}"),
    }
}

/// The (field, code) pairs of an `invalid_request` refusal.
pub fn field_errors(error: CallError) -> Vec<(String, String)> {
    match error {
        CallError::Rpc(e) if e.code == RpcErrorCode::InvalidRequest => e
            .fields
            .into_iter()
            .map(|FieldError { field, code, .. }| (field, code))
            .collect(),
        other => panic!("expected invalid_request, got {other}"),
    }
}
