//! Direct answers from the knowledge base (A9.2): a web-message consultation that the
//! knowledge base answers with enough confidence is answered at once, recorded as the
//! `answer` disposition with the article id and version (`rule:knowledge-auto-answer`).
//!
//! Intake asks `rpc.knowledge.suggest` with the matter and the region; the knowledge
//! service decides whether its first suggestion reaches the configured threshold
//! (`docs/knowledge.md`). The call is advice with a short timeout: if the knowledge base is
//! down, slow or unsure, the message is dispatched as before (A4: registration never
//! waits on it for long).

use std::time::Duration;

use hotline_contract::Namespace;
use hotline_contract::knowledge::{SuggestQuery, Suggestions};
use hotline_contract::rpc::verbs;
use hotline_telemetry::TraceContext;

/// The rule recorded when the knowledge base answers a web message.
pub const KNOWLEDGE_RULE: &str = "rule:knowledge-auto-answer";

/// Longest matter sent to the knowledge base (its limit for a suggestion text).
const MAX_TEXT_CHARS: usize = 2_000;

/// Asks the knowledge base for an automatic answer.
#[derive(Debug, Clone)]
pub struct KnowledgeAdvisor {
    pub nats: async_nats::Client,
    pub namespace: Namespace,
    pub timeout: Duration,
}

impl KnowledgeAdvisor {
    /// The article (id, version) that answers `matter` asked about `region_code`, when the
    /// knowledge base is confident enough; `None` otherwise, or when it cannot be asked.
    pub async fn auto_answer(
        &self,
        matter: &str,
        region_code: &str,
        trace: &TraceContext,
    ) -> Option<(String, u32)> {
        let query = SuggestQuery {
            text: matter.chars().take(MAX_TEXT_CHARS).collect(),
            region_code: region_code.to_owned(),
            category: None,
            limit: Some(3),
        };
        let answer = hotline_messaging::call::<_, Suggestions>(
            &self.nats,
            &self.namespace,
            verbs::KNOWLEDGE_SUGGEST,
            &query,
            trace,
            self.timeout,
        )
        .await;
        match answer {
            Ok(suggestions) if suggestions.auto_answer => suggestions
                .suggestions
                .into_iter()
                .next()
                .map(|s| (s.article_id, s.version)),
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(%error, "knowledge base not asked; dispatching");
                None
            }
        }
    }
}
