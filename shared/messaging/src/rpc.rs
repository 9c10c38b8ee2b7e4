//! Request/reply over NATS: `rpc.<service>.<verb>` endpoints on the async-nats `service`
//! API (so `nats micro ls` / `info` / `stats` discover them), and a typed client call.
//!
//! Replies are always a JSON [`RpcReply`]: `{"ok": ...}` or `{"error": {code, message,
//! fields}}`. A body that does not decode gets an `invalid_request` error naming the
//! problem, never silence. Each request runs in its own task, within a concurrency limit.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::service::{Service, ServiceExt};
use futures::StreamExt;
use hotline_contract::Namespace;
use hotline_contract::rpc::{FieldError, RpcError, RpcReply};
use hotline_telemetry::{TraceContext, extract_nats, inject_nats};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Starting the service or an endpoint failed.
#[derive(Debug, thiserror::Error)]
#[error("rpc service {service}: {reason}")]
pub struct RpcServeError {
    pub service: String,
    pub reason: String,
}

/// A service's request/reply endpoints.
#[derive(Debug)]
pub struct RpcServer {
    client: async_nats::Client,
    service_name: &'static str,
    namespace: Namespace,
    service: Service,
    tasks: JoinSet<()>,
    shutdown: CancellationToken,
}

impl RpcServer {
    /// Register the service with the NATS service API as `hotline-<service>`.
    pub async fn start(
        client: &async_nats::Client,
        service: &'static str,
        namespace: &Namespace,
        shutdown: CancellationToken,
    ) -> Result<Self, RpcServeError> {
        let name = namespace.service_name(service);
        let started = client
            .service_builder()
            .description(format!("12345 hotline {service}"))
            .start(&name, env!("CARGO_PKG_VERSION"))
            .await
            .map_err(|e| RpcServeError {
                service: name.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            client: client.clone(),
            service_name: service,
            namespace: namespace.clone(),
            service: started,
            tasks: JoinSet::new(),
            shutdown,
        })
    }

    /// Serve `rpc.<service>.<verb>` with `handler`, at most `concurrency` requests at once.
    pub async fn endpoint<Req, Resp, F, Fut>(
        &mut self,
        verb: &str,
        concurrency: usize,
        handler: F,
    ) -> Result<(), RpcServeError>
    where
        Req: DeserializeOwned + Send + 'static,
        Resp: Serialize + Send + 'static,
        F: Fn(Req, TraceContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, RpcError>> + Send + 'static,
    {
        let subject = self
            .namespace
            .subject(&hotline_contract::rpc::subject(self.service_name, verb));
        let mut endpoint =
            self.service
                .endpoint(subject.clone())
                .await
                .map_err(|e| RpcServeError {
                    service: self.service_name.to_owned(),
                    reason: format!("endpoint {subject}: {e}"),
                })?;
        // The subscription may still be in the client's buffer: wait for a round trip, so
        // that a request sent (from any connection) once this returns finds the endpoint
        // there instead of "no responders" (`flush` alone does not wait for the server).
        crate::server_barrier(&self.client)
            .await
            .map_err(|e| RpcServeError {
                service: self.service_name.to_owned(),
                reason: format!("endpoint {subject}: {e}"),
            })?;
        let handler = Arc::new(handler);
        let limit = Arc::new(Semaphore::new(concurrency.max(1)));
        let shutdown = self.shutdown.clone();
        let service = self.service_name;
        let verb = verb.to_owned();
        self.tasks.spawn(async move {
            let mut inflight = JoinSet::new();
            loop {
                let request = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    r = endpoint.next() => match r { Some(r) => r, None => break },
                };
                let Ok(permit) = limit.clone().acquire_owned().await else {
                    break;
                };
                let handler = handler.clone();
                let verb = verb.clone();
                inflight.spawn(async move {
                    let trace = extract_nats(request.message.headers.as_ref())
                        .unwrap_or_else(TraceContext::new_root);
                    let span = hotline_telemetry::event_span(service, &verb, &trace, None);
                    let reply: RpcReply<Resp> = async {
                        match serde_json::from_slice::<Req>(&request.message.payload) {
                            Ok(req) => handler(req, trace).await.into(),
                            Err(e) => {
                                tracing::info!(error = %e, "rejected an undecodable request");
                                RpcReply::Error(RpcError::invalid(vec![FieldError {
                                    field: "body".to_owned(),
                                    code: "invalid_json".to_owned(),
                                    message: format!("请求体无法解析：{e}"),
                                }]))
                            }
                        }
                    }
                    .instrument(span)
                    .await;
                    let body = serde_json::to_vec(&reply).unwrap_or_else(|_| {
                        br#"{"error":{"code":"internal","message":"reply could not be encoded"}}"#.to_vec()
                    });
                    if let Err(error) = request.respond(Ok(body.into())).await {
                        tracing::warn!(%error, "reply could not be sent");
                    }
                    drop(permit);
                });
                // Reap finished requests so the set does not grow.
                while inflight.try_join_next().is_some() {}
            }
            // Finish in-flight requests before going away.
            while inflight.join_next().await.is_some() {}
        });
        Ok(())
    }

    /// Wait until every endpoint stopped (after shutdown) and unregister the service.
    pub async fn wait(mut self) {
        while self.tasks.join_next().await.is_some() {}
        if let Err(error) = self.service.stop().await {
            tracing::debug!(%error, "service stop");
        }
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The service answered with a typed error.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// Nobody serves the subject (service down) or it did not answer in time.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The reply was not a valid reply body.
    #[error("reply could not be decoded: {0}")]
    Decode(String),
}

/// Call `rpc.<service>.<verb>` with a JSON request and decode the typed reply.
pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
    client: &async_nats::Client,
    namespace: &Namespace,
    (service, verb): (&str, &str),
    request: &Req,
    trace: &TraceContext,
    timeout: Duration,
) -> Result<Resp, CallError> {
    let subject = namespace.subject(&hotline_contract::rpc::subject(service, verb));
    let body = serde_json::to_vec(request).map_err(|e| CallError::Decode(e.to_string()))?;
    let mut headers = HeaderMap::new();
    inject_nats(&mut headers, &trace.child());
    let request = async_nats::Request::new()
        .payload(body.into())
        .headers(headers)
        .timeout(Some(timeout));
    let reply = client
        .send_request(subject, request)
        .await
        .map_err(|e| CallError::Unavailable(e.to_string()))?;
    let reply: RpcReply<Resp> =
        serde_json::from_slice(&reply.payload).map_err(|e| CallError::Decode(e.to_string()))?;
    Result::from(reply).map_err(CallError::Rpc)
}
