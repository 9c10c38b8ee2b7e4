//! The knowledge service's request/reply endpoints (`rpc.knowledge.<verb>`), each a thin
//! call into [`KnowledgeBase`]. Reading (search, suggest, article) gets more concurrency
//! than editing.

use hotline_contract::knowledge::SynonymsQuery;
use hotline_contract::rpc::verbs;
use hotline_messaging::RpcServer;
use hotline_messaging::rpc::RpcServeError;
use hotline_service_kit::ServiceContext;

use crate::base::KnowledgeBase;

/// Requests answered at once per reading verb (search runs on the blocking pool).
const READ_CONCURRENCY: usize = 64;
/// Requests answered at once per editing verb.
const WRITE_CONCURRENCY: usize = 8;

macro_rules! serve {
    ($rpc:ident, $base:ident, $verb:expr, $concurrency:expr, |$b:ident, $req:ident, $trace:ident| $body:expr) => {{
        let $b = $base.clone();
        $rpc.endpoint($verb.1, $concurrency, move |$req, $trace| {
            let $b = $b.clone();
            async move {
                let _ = &$trace;
                $body
            }
        })
        .await?;
    }};
}

/// Serve every verb on the service's NATS connection until shutdown; the caller awaits
/// [`RpcServer::wait`].
pub async fn serve(ctx: &ServiceContext, base: KnowledgeBase) -> Result<RpcServer, RpcServeError> {
    let mut rpc = RpcServer::start(
        &ctx.nats,
        crate::SERVICE,
        &ctx.namespace,
        ctx.shutdown.clone(),
    )
    .await?;
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_SEARCH,
        READ_CONCURRENCY,
        |b, req, trace| b.search(req).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_SUGGEST,
        READ_CONCURRENCY,
        |b, req, trace| b.suggest(req).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_ARTICLE,
        READ_CONCURRENCY,
        |b, req, trace| b.article(req).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_HISTORY,
        WRITE_CONCURRENCY,
        |b, req, trace| b.history(req).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_DIFF,
        WRITE_CONCURRENCY,
        |b, req, trace| b.diff(req).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_DRAFT,
        WRITE_CONCURRENCY,
        |b, req, trace| b.draft(req).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_SUBMIT,
        WRITE_CONCURRENCY,
        |b, req, trace| b.submit(req).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_REVIEW,
        WRITE_CONCURRENCY,
        |b, req, trace| b.review(req).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_PUBLISH,
        WRITE_CONCURRENCY,
        |b, req, trace| b.publish(req, &trace).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_UNPUBLISH,
        WRITE_CONCURRENCY,
        |b, req, trace| b.unpublish(req, &trace).await
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_FEEDBACK,
        READ_CONCURRENCY,
        |b, req, trace| b.feedback(req, &trace).await
    );
    serve!(rpc, base, verbs::KNOWLEDGE_IMPORT, 1, |b, req, trace| b
        .import(req, &trace)
        .await);
    serve!(rpc, base, verbs::KNOWLEDGE_EXPORT, 2, |b, req, trace| b
        .export(req)
        .await);
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_SYNONYMS,
        WRITE_CONCURRENCY,
        |b, req, trace| {
            let SynonymsQuery {} = req;
            Ok(b.synonyms())
        }
    );
    serve!(
        rpc,
        base,
        verbs::KNOWLEDGE_SET_SYNONYMS,
        1,
        |b, req, trace| b.set_synonyms(req).await
    );
    serve!(rpc, base, verbs::KNOWLEDGE_REINDEX, 1, |b, req, trace| {
        let hotline_contract::knowledge::Reindex { actor } = req;
        if !b.is_center(&actor) {
            return Err(hotline_contract::rpc::RpcError::new(
                hotline_contract::rpc::RpcErrorCode::Forbidden,
                "重建索引由热线中心进行",
            ));
        }
        b.reindex().await
    });
    Ok(rpc)
}
