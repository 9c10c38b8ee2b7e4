//! The directory desk (issue 5; A5, A9, A12): the center maintains the unit directory
//! (import and export as CSV or JSON), reads the dispatch catalogue, and edits dispatch
//! rules at run time.
//!
//! - **Import** is all or nothing: the file is parsed ([`transfer`]), every record checked
//!   against the divisions, the catalogue and the directory as it stands
//!   ([`crate::domain::directory::check`]), and only a clean file is written, in one
//!   statement. Every fault comes back at once as a field error
//!   (`records[3].region_code`).
//! - **Rules**: [`Directory::save_rule`] creates a rule or writes its next version, with
//!   optimistic concurrency (`expected_version`), into the live row and the history.
//!   The dispatcher reads the live rows for every order, so an edit takes effect for the
//!   next order without a restart; each dispatch records the rule id and version.

pub mod store;
pub mod transfer;

use std::sync::Arc;

use hotline_contract::directory::*;
use hotline_contract::rpc::{FieldError, RpcError};
use hotline_reference::Regions;
use sqlx::PgPool;

use crate::api::StepError;
use crate::domain::catalogue::is_category_code;
use crate::domain::directory::{self, DirectoryState, is_unit_id, territory_prefix};

/// Default and largest page of [`Directory::rules`].
const RULES_PAGE: u32 = 200;
const RULES_PAGE_MAX: u32 = 1_000;
/// Longest reason kept with a rule version, and longest staff id.
const MAX_REASON_CHARS: usize = 500;

/// Serves `rpc.router.{export_units, import_units, catalogue, rules, save_rule,
/// rule_history}`.
#[derive(Debug, Clone)]
pub struct Directory {
    pub pool: PgPool,
    pub regions: Arc<Regions>,
}

fn invalid(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.into(),
    }
}

fn staff_id(field: &str, id: &str, faults: &mut Vec<FieldError>) {
    if !is_unit_id(id.trim()) {
        faults.push(invalid(
            field,
            "invalid_format",
            "须填写经办人编号（字母、数字、- 或 _）",
        ));
    }
}

fn refuse(faults: Vec<FieldError>) -> Result<(), StepError> {
    if faults.is_empty() {
        Ok(())
    } else {
        Err(StepError::Refused(RpcError::invalid(faults)))
    }
}

impl Directory {
    async fn step<T>(
        name: &'static str,
        result: impl Future<Output = Result<T, StepError>>,
    ) -> Result<T, RpcError> {
        result.await.map_err(|error| error.into_reply(name))
    }

    /// `rpc.router.export_units`.
    pub async fn export_units(&self, query: ExportUnits) -> Result<ExportData, RpcError> {
        Self::step("export_units", async {
            let prefix = match query.region_code.as_deref() {
                Some(code) if self.regions.get(code).is_none() => {
                    return Err(StepError::Refused(RpcError::invalid(vec![invalid(
                        "region_code",
                        "unknown_region",
                        format!("未知的行政区划代码 {code}"),
                    )])));
                }
                Some(code) => territory_prefix(code).to_owned(),
                None => String::new(),
            };
            let units = store::export_units(
                &self.pool,
                &prefix,
                query.unit_type.as_deref(),
                query.include_inactive,
            )
            .await?;
            let data = transfer::write(query.format, &units).map_err(|e| {
                StepError::Refused(RpcError::new(
                    hotline_contract::rpc::RpcErrorCode::Internal,
                    e,
                ))
            })?;
            Ok(ExportData {
                format: query.format,
                count: u32::try_from(units.len()).unwrap_or(u32::MAX),
                data,
            })
        })
        .await
    }

    /// `rpc.router.import_units`: all records or none.
    pub async fn import_units(&self, command: ImportUnits) -> Result<UnitImportReport, RpcError> {
        Self::step("import_units", async {
            let mut faults = Vec::new();
            staff_id("imported_by", &command.imported_by, &mut faults);
            refuse(faults)?;
            let records = transfer::parse(command.format, &command.data)
                .map_err(|faults| StepError::Refused(RpcError::invalid(faults)))?;
            let parents = store::unit_parents(&self.pool).await?;
            let categories = store::categories(&self.pool).await?;
            let state = DirectoryState {
                regions: &self.regions,
                categories: &categories,
                parents: &parents,
            };
            let records = directory::check(&records, &state)
                .map_err(|faults| StepError::Refused(RpcError::invalid(faults)))?;
            let mut tx = self.pool.begin().await?;
            let done = store::import_units(&mut tx, &records, command.imported_by.trim()).await?;
            tx.commit().await?;
            let total = records.len() as u64;
            tracing::info!(
                created = done.created,
                updated = done.updated,
                total,
                "unit directory imported"
            );
            let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
            Ok(UnitImportReport {
                created: count(done.created),
                updated: count(done.updated),
                unchanged: count(total - done.created - done.updated),
            })
        })
        .await
    }

    /// `rpc.router.catalogue`.
    pub async fn catalogue(&self, _query: CatalogueQuery) -> Result<Catalogue, RpcError> {
        Self::step("catalogue", async {
            Ok(Catalogue {
                entries: store::catalogue(&self.pool).await?,
            })
        })
        .await
    }

    /// `rpc.router.rules`.
    pub async fn rules(&self, query: RulesQuery) -> Result<Rules, RpcError> {
        Self::step("rules", async {
            let limit = query.limit.unwrap_or(RULES_PAGE);
            if limit == 0 || limit > RULES_PAGE_MAX {
                refuse(vec![invalid(
                    "limit",
                    "out_of_range",
                    format!("limit 须在 1–{RULES_PAGE_MAX} 之间"),
                )])?;
            }
            let rules = store::rules(
                &self.pool,
                query.category.as_deref(),
                query.region_code.as_deref(),
                query.unit_id.as_deref(),
                query.after.as_deref().unwrap_or_default(),
                i64::from(limit),
            )
            .await?;
            Ok(Rules { rules })
        })
        .await
    }

    /// `rpc.router.save_rule` (A12): create a rule or write its next version.
    pub async fn save_rule(&self, command: SaveRuleCommand) -> Result<RuleView, RpcError> {
        Self::step("save_rule", async {
            let c = &command;
            let mut faults = Vec::new();
            if !is_rule_id(&c.rule_id) {
                faults.push(invalid(
                    "rule_id",
                    "invalid_format",
                    "规则编号须为 1–100 位字母、数字或 - _ : .",
                ));
            }
            if !is_category_code(&c.category) {
                faults.push(invalid(
                    "category",
                    "invalid_format",
                    "类别代码形如 market.consumer",
                ));
            }
            if self.regions.get(&c.region_code).is_none() {
                faults.push(invalid(
                    "region_code",
                    "unknown_region",
                    format!("未知的行政区划代码 {}", c.region_code),
                ));
            }
            if !is_unit_id(&c.unit_id) {
                faults.push(invalid("unit_id", "invalid_format", "承办单位编码格式有误"));
            }
            if !(-1000..=1000).contains(&c.priority) {
                faults.push(invalid(
                    "priority",
                    "out_of_range",
                    "优先级须在 -1000–1000 之间",
                ));
            }
            if c.reason.as_deref().is_some_and(|r| {
                r.chars().count() > MAX_REASON_CHARS || r.chars().any(char::is_control)
            }) {
                faults.push(invalid(
                    "reason",
                    "invalid_format",
                    format!("修改理由不超过 {MAX_REASON_CHARS} 字且不含控制字符"),
                ));
            }
            staff_id("edited_by", &c.edited_by, &mut faults);
            refuse(faults)?;

            let mut tx = self.pool.begin().await?;
            let mut faults = Vec::new();
            if !store::in_catalogue(&mut tx, &c.category).await? {
                faults.push(invalid(
                    "category",
                    "unknown_category",
                    format!("{} 不在派单目录中", c.category),
                ));
            }
            match store::unit_state(&mut tx, &c.unit_id).await? {
                None => faults.push(invalid(
                    "unit_id",
                    "unknown_unit",
                    format!("承办单位 {} 不存在", c.unit_id),
                )),
                Some(false) if c.active => {
                    faults.push(invalid(
                        "unit_id",
                        "inactive_unit",
                        format!("承办单位 {} 已停用", c.unit_id),
                    ));
                }
                Some(_) => {}
            }
            refuse(faults)?;
            let current = store::lock_rule(&mut tx, &c.rule_id).await?;
            let version = match (&current, c.expected_version) {
                (None, None) => 1,
                (Some(rule), Some(expected)) if rule.version == expected => rule.version + 1,
                (Some(rule), _) => {
                    return Err(StepError::Refused(RpcError::conflict(format!(
                        "规则 {} 已是第 {} 版，请刷新后再修改",
                        c.rule_id, rule.version
                    ))));
                }
                (None, Some(_)) => {
                    return Err(StepError::Refused(RpcError::not_found(format!(
                        "规则 {} 不存在",
                        c.rule_id
                    ))));
                }
            };
            let kind = c.kind.map(|k| k.code());
            let view = store::write_rule(
                &mut tx,
                &store::RuleEdit {
                    rule_id: &c.rule_id,
                    version,
                    category: &c.category,
                    region_code: &c.region_code,
                    kind,
                    unit_id: &c.unit_id,
                    priority: c.priority,
                    active: c.active,
                    reason: c.reason.as_deref(),
                    edited_by: c.edited_by.trim(),
                },
            )
            .await?;
            tx.commit().await?;
            tracing::info!(rule_id = %view.rule_id, version = view.version, "dispatch rule saved");
            Ok(view)
        })
        .await
    }

    /// `rpc.router.rule_history`.
    pub async fn rule_history(&self, query: RuleHistoryQuery) -> Result<RuleHistory, RpcError> {
        Self::step("rule_history", async {
            let versions = store::rule_history(&self.pool, &query.rule_id).await?;
            if versions.is_empty() {
                return Err(StepError::Refused(RpcError::not_found(format!(
                    "规则 {} 不存在",
                    query.rule_id
                ))));
            }
            Ok(RuleHistory {
                rule_id: query.rule_id,
                versions,
            })
        })
        .await
    }
}

/// A rule id: ASCII letters, digits and `-_:.`, at most 100 (`520102:market.consumer`).
fn is_rule_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
}
