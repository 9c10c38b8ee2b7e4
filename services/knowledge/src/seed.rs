//! The seed set: realistic articles written for this project (Guizhou consultations:
//! social insurance, household registration, housing provident fund, utilities,
//! transport, education, market supervision, medical insurance ...) and the default
//! synonym table, loaded once, on the first start (`knowledge.seed_state` records it, in
//! the same transaction, so replicas starting together load it once).
//!
//! The files are `data/knowledge/articles.json` (the import format) and
//! `data/knowledge/synonyms.txt` (one group a line). Tests and the search-quality
//! evaluation load the same articles ([`articles`]).

use std::path::Path;

use chrono::Utc;
use hotline_contract::knowledge::{Actor, ArticleRecord, ImportReport, TransferFormat};
use hotline_telemetry::TraceContext;
use sqlx::PgPool;

use crate::base::KnowledgeBase;
use crate::search::synonyms::parse_table;
use crate::store;
use crate::transfer;

/// The bundled seed articles (JSON, the import format).
pub const ARTICLES: &str = include_str!("../../../data/knowledge/articles.json");
/// The bundled default synonym table.
pub const SYNONYMS: &str = include_str!("../../../data/knowledge/synonyms.txt");

/// The user recorded as reviewer of the seed.
pub const SEED_USER: &str = "seed";

/// Seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("seed file {0}: {1}")]
    File(String, String),
    #[error("seed articles rejected: {0}")]
    Rejected(String),
}

/// The bundled seed articles, parsed.
pub fn articles() -> Result<Vec<ArticleRecord>, SeedError> {
    parse(ARTICLES, "bundled")
}

fn parse(text: &str, name: &str) -> Result<Vec<ArticleRecord>, SeedError> {
    transfer::parse(TransferFormat::Json, text).map_err(|errors| {
        SeedError::File(
            name.to_owned(),
            errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// On the first start: the default synonym table and, when `with_articles`, the seed
/// articles (from `file`, or the bundled set), published. `None` when already seeded.
pub async fn run(
    pool: &PgPool,
    base: &KnowledgeBase,
    center_unit_id: &str,
    with_articles: bool,
    file: Option<&Path>,
) -> Result<Option<ImportReport>, SeedError> {
    let records = match (with_articles, file) {
        (false, _) => Vec::new(),
        (true, None) => articles()?,
        (true, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SeedError::File(path.display().to_string(), e.to_string()))?;
            parse(&text, &path.display().to_string())?
        }
    };
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    if !store::claim_seed(&mut tx, now).await? {
        return Ok(None);
    }
    if store::synonym_groups(&mut *tx).await?.is_empty() {
        store::replace_synonyms(&mut tx, &parse_table(SYNONYMS), SEED_USER, now).await?;
    }
    let actor = Actor {
        user_id: SEED_USER.to_owned(),
        unit_id: center_unit_id.to_owned(),
    };
    let report = base
        .import_records(&mut tx, &actor, &records, true, &TraceContext::new_root())
        .await
        .map_err(|e| {
            SeedError::Rejected(
                e.fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
    tx.commit().await?;
    Ok(Some(report))
}
