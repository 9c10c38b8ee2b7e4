//! Search: Chinese text analysis ([`analysis`]), the editors' synonym table
//! ([`synonyms`]), the full-text index ([`index`], a tantivy projection of the published
//! articles) and the confidence of a direct answer ([`confidence`]).
//!
//! Postgres is the truth; the index is rebuilt from it at start and on demand, and kept
//! current on each publish and unpublish.

pub mod analysis;
pub mod confidence;
pub mod index;
pub mod synonyms;

pub use index::{IndexError, IndexedArticle, SearchFilter, SearchIndex, StoredHit};
pub use synonyms::Synonyms;
