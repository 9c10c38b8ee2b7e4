//! Keeps every replica's search index current: each replica listens (core NATS, at most
//! once) to `knowledge.article_published` and `knowledge.article_unpublished` as the outbox
//! relay publishes them, and re-reads that article's public version from Postgres. The
//! replica that made the change has already updated its index after the commit; doing it
//! again is harmless. A message missed while disconnected leaves a replica stale until its
//! next start or `reindex` (`docs/knowledge.md`).

use futures::StreamExt;
use hotline_contract::Namespace;
use hotline_contract::RawEnvelope;
use hotline_contract::subjects::event;
use tokio_util::sync::CancellationToken;

use crate::base::KnowledgeBase;

/// Follow publish and unpublish events until `shutdown`.
pub async fn run(
    nats: async_nats::Client,
    namespace: Namespace,
    base: KnowledgeBase,
    shutdown: CancellationToken,
) {
    let mut streams = Vec::new();
    for subject in [
        event::KNOWLEDGE_ARTICLE_PUBLISHED,
        event::KNOWLEDGE_ARTICLE_UNPUBLISHED,
    ] {
        match nats.subscribe(namespace.subject(subject)).await {
            Ok(subscriber) => streams.push(subscriber),
            Err(error) => {
                tracing::warn!(%error, subject, "cannot follow knowledge events; index updates only on this replica's changes");
                return;
            }
        }
    }
    let mut messages = futures::stream::select_all(streams);
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => break,
            next = messages.next() => match next { Some(m) => m, None => break },
        };
        match RawEnvelope::parse(&message.payload) {
            Ok(envelope) => base.refresh_index(&envelope.subject).await,
            Err(error) => tracing::warn!(%error, "undecodable knowledge event ignored"),
        }
    }
}
