//! Request and reply bodies of the router's directory (issue 5): the units that handle
//! orders (A5), the dispatch catalogue (派单目录, A9/A12) and the dispatch rules, which
//! the center edits at run time (A12: every edit is a new version; every dispatch names
//! the rule and version that decided it).
//!
//! Bulk files of units travel as text in a [`TransferFormat`] (JSON array of
//! [`UnitRecord`], or CSV with a header), like the knowledge base's; the router parses and
//! validates them and imports all records or none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::knowledge::{ExportData, TransferFormat};
use crate::vocabulary::RequestKind;

/// One official contact point of a unit (值班电话, 办公地址): the unit's, never a citizen's.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitContact {
    /// What it is: `值班电话`, `办公电话`, `地址`.
    pub label: String,
    pub value: String,
}

/// One unit of the directory, as imported and exported (A5).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitRecord {
    pub unit_id: String,
    pub name: String,
    /// `department`, `township_government`, `street_office`, `authorised_org`,
    /// `public_enterprise`, `sub_center` or `government`.
    pub unit_type: String,
    /// `province`, `prefecture`, `county` or `township`: the level of `region_code`.
    pub level: String,
    /// GB/T 2260 code of the territory the unit serves.
    pub region_code: String,
    #[serde(default)]
    pub parent_unit_id: Option<String>,
    /// The line of work of a department (`market`, `hrss`, ...), as in the catalogue.
    #[serde(default)]
    pub line: Option<String>,
    /// Catalogue categories the unit handles.
    #[serde(default)]
    pub duties: Vec<String>,
    #[serde(default)]
    pub contacts: Vec<UnitContact>,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

/// `rpc.router.export_units`: the directory, or the part of it in a region or of a type.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportUnits {
    pub format: TransferFormat,
    /// Units whose region is this one or inside it.
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub unit_type: Option<String>,
    /// Deactivated units too.
    #[serde(default)]
    pub include_inactive: bool,
}

/// `rpc.router.import_units`: create or update units from a bulk file; all or none.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportUnits {
    pub format: TransferFormat,
    pub data: String,
    pub imported_by: String,
}

/// Reply to [`ImportUnits`]. Nothing is imported when any record is invalid: the error
/// names each (field `records[<n>].<field>`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitImportReport {
    pub created: u32,
    pub updated: u32,
    /// Records identical to the unit as stored, skipped.
    pub unchanged: u32,
}

/// `rpc.router.catalogue` (body `{}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueQuery {}

/// One category of the dispatch catalogue and who is responsible for it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub category: String,
    pub name: String,
    /// The line of work responsible (`hrss`, `market`, ...).
    pub line: String,
    /// The level at which that line handles it: `province`, `prefecture` or `county`.
    pub level: String,
    /// The type of the responsible unit (`department`, `public_enterprise`, ...).
    pub unit_type: String,
}

/// Reply to [`CatalogueQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub entries: Vec<CatalogueEntry>,
}

/// `rpc.router.rules`: the rules for a category and/or a territory.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesQuery {
    #[serde(default)]
    pub category: Option<String>,
    /// Rules covering exactly this territory.
    #[serde(default)]
    pub region_code: Option<String>,
    #[serde(default)]
    pub unit_id: Option<String>,
    /// At most this many (default 200, at most 1000), by rule id.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Rules after this id (paging).
    #[serde(default)]
    pub after: Option<String>,
}

/// A dispatch rule as it stands (its latest version).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleView {
    pub rule_id: String,
    pub category: String,
    pub region_code: String,
    /// The kind of request it applies to; none: every kind.
    pub kind: Option<RequestKind>,
    pub unit_id: String,
    pub priority: i32,
    pub active: bool,
    pub version: i32,
    pub updated_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Reply to [`RulesQuery`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub rules: Vec<RuleView>,
}

/// `rpc.router.save_rule`: create a rule or write its next version (A12). Takes effect
/// for the next order dispatched, without a restart.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveRuleCommand {
    pub rule_id: String,
    pub category: String,
    pub region_code: String,
    #[serde(default)]
    pub kind: Option<RequestKind>,
    pub unit_id: String,
    #[serde(default)]
    pub priority: i32,
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// Why the rule changes (kept with the version).
    #[serde(default)]
    pub reason: Option<String>,
    /// The version the editor saw: a rule changed meanwhile is refused (409). None: the
    /// rule must not exist yet.
    #[serde(default)]
    pub expected_version: Option<i32>,
    pub edited_by: String,
}

/// `rpc.router.rule_history`: every version of a rule.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleHistoryQuery {
    pub rule_id: String,
}

/// One version of a rule, as written.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleVersion {
    pub version: i32,
    pub category: String,
    pub region_code: String,
    pub kind: Option<RequestKind>,
    pub unit_id: String,
    pub priority: i32,
    pub active: bool,
    pub reason: Option<String>,
    pub edited_by: String,
    pub edited_at: DateTime<Utc>,
}

/// Reply to [`RuleHistoryQuery`], oldest version first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleHistory {
    pub rule_id: String,
    pub versions: Vec<RuleVersion>,
}
