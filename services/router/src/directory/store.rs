//! The directory's SQL (`router.units`, `router.catalogue`, `router.dispatch_rules`,
//! `router.dispatch_rule_versions`). Bulk writes are single set-based statements over
//! arrays (`unnest`), so seeding the province's ~1,690 units and ~6,600 rules, or
//! importing a file of thousands of units, costs a few round trips. Foreign keys between
//! rows of one statement hold because PostgreSQL checks them at the statement's end.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hotline_contract::directory::{
    CatalogueEntry as CatalogueView, RuleVersion, RuleView, UnitRecord,
};
use hotline_contract::vocabulary::RequestKind;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::domain::catalogue::{CatalogueEntry, DirectoryUnit};
use crate::domain::dispatch::DispatchRule;

/// How a seeded unit meets an existing row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// Reference data derived from a source of truth (the divisions file): refresh the
    /// descriptive columns, keep what an operator decided (`active`, contacts, duties).
    Refresh,
    /// Seeded directory rows: create when missing, never touch afterwards.
    KeepExisting,
}

/// Write `units` (parents may be among them); the number of rows created or refreshed.
pub async fn upsert_units(
    tx: &mut PgConnection,
    units: &[DirectoryUnit],
    mode: Upsert,
) -> Result<u64, sqlx::Error> {
    if units.is_empty() {
        return Ok(0);
    }
    let conflict = match mode {
        Upsert::Refresh => {
            "DO UPDATE SET name = EXCLUDED.name, unit_type = EXCLUDED.unit_type, \
             level = EXCLUDED.level, region_code = EXCLUDED.region_code, \
             parent_unit_id = EXCLUDED.parent_unit_id \
             WHERE (units.name, units.unit_type, units.level, units.region_code, units.parent_unit_id) \
             IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.unit_type, EXCLUDED.level, \
             EXCLUDED.region_code, EXCLUDED.parent_unit_id)"
        }
        Upsert::KeepExisting => "DO NOTHING",
    };
    let col = |f: fn(&DirectoryUnit) -> String| units.iter().map(f).collect::<Vec<String>>();
    let sql = format!(
        "INSERT INTO router.units (unit_id, name, unit_type, level, region_code, parent_unit_id, line, duties) \
         SELECT u.id, u.name, u.ty, u.lvl, u.region, u.parent, u.line, string_to_array(u.duties, '|') \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) \
              AS u(id, name, ty, lvl, region, parent, line, duties) \
         ON CONFLICT (unit_id) {conflict}"
    );
    let parents: Vec<Option<String>> = units.iter().map(|u| u.parent_unit_id.clone()).collect();
    let lines: Vec<Option<String>> = units.iter().map(|u| u.line.clone()).collect();
    let done = sqlx::query(&sql)
        .bind(col(|u| u.unit_id.clone()))
        .bind(col(|u| u.name.clone()))
        .bind(col(|u| u.unit_type.clone()))
        .bind(col(|u| u.level.code().to_owned()))
        .bind(col(|u| u.region_code.clone()))
        .bind(parents)
        .bind(lines)
        .bind(col(|u| u.duties.join("|")))
        .execute(tx)
        .await?;
    Ok(done.rows_affected())
}

/// Replace the catalogue's rows with the bundled file's (categories dropped from the file
/// stay: old orders name them).
pub async fn refresh_catalogue(
    tx: &mut PgConnection,
    rows: &[(CatalogueEntry, String)],
) -> Result<(), sqlx::Error> {
    let col =
        |f: fn(&(CatalogueEntry, String)) -> String| rows.iter().map(f).collect::<Vec<String>>();
    sqlx::query(
        "INSERT INTO router.catalogue (category, name, line, level) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) \
         ON CONFLICT (category) DO UPDATE SET name = EXCLUDED.name, line = EXCLUDED.line, \
         level = EXCLUDED.level",
    )
    .bind(col(|r| r.0.category.clone()))
    .bind(col(|r| r.0.name.clone()))
    .bind(col(|r| r.0.line.clone()))
    .bind(col(|r| r.0.level.code().to_owned()))
    .execute(tx)
    .await?;
    Ok(())
}

/// Create the rules that are missing (existing ones belong to the operators), each with
/// its first history row; the number created.
pub async fn insert_rules_if_missing(
    tx: &mut PgConnection,
    rules: &[DispatchRule],
    edited_by: &str,
) -> Result<u64, sqlx::Error> {
    if rules.is_empty() {
        return Ok(0);
    }
    let col = |f: fn(&DispatchRule) -> String| rules.iter().map(f).collect::<Vec<String>>();
    let kinds: Vec<Option<String>> = rules.iter().map(|r| r.kind.clone()).collect();
    let priorities: Vec<i32> = rules.iter().map(|r| r.priority).collect();
    let created: i64 = sqlx::query_scalar(
        "WITH created AS ( \
           INSERT INTO router.dispatch_rules \
             (rule_id, category, region_code, kind, unit_id, priority, version, updated_by) \
           SELECT r.id, r.category, r.region, r.kind, r.unit, r.priority, 1, $7 \
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) \
                AS r(id, category, region, kind, unit, priority) \
           ON CONFLICT (rule_id) DO NOTHING \
           RETURNING rule_id, category, region_code, kind, unit_id, priority, updated_at), \
         history AS ( \
           INSERT INTO router.dispatch_rule_versions \
             (rule_id, version, category, region_code, kind, unit_id, priority, active, reason, edited_by, edited_at) \
           SELECT rule_id, 1, category, region_code, kind, unit_id, priority, TRUE, 'seeded from the catalogue', $7, updated_at \
           FROM created RETURNING 1) \
         SELECT count(*) FROM history",
    )
    .bind(col(|r| r.rule_id.clone()))
    .bind(col(|r| r.category.clone()))
    .bind(col(|r| r.region_code.clone()))
    .bind(kinds)
    .bind(col(|r| r.unit_id.clone()))
    .bind(priorities)
    .bind(edited_by)
    .fetch_one(tx)
    .await?;
    Ok(u64::try_from(created).unwrap_or_default())
}

/// Every unit and its parent (the import's cycle check).
pub async fn unit_parents(pool: &PgPool) -> Result<HashMap<String, Option<String>>, sqlx::Error> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT unit_id, parent_unit_id FROM router.units")
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().collect())
}

/// The catalogue's categories.
pub async fn categories(pool: &PgPool) -> Result<HashSet<String>, sqlx::Error> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT category FROM router.catalogue")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().collect())
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Imported {
    pub created: u64,
    pub updated: u64,
}

/// Create or update `records` in one statement; rows equal to the stored unit are left
/// alone (and not counted).
pub async fn import_units(
    tx: &mut PgConnection,
    records: &[UnitRecord],
    imported_by: &str,
) -> Result<Imported, sqlx::Error> {
    if records.is_empty() {
        return Ok(Imported::default());
    }
    let col = |f: fn(&UnitRecord) -> String| records.iter().map(f).collect::<Vec<String>>();
    let opt = |f: fn(&UnitRecord) -> Option<String>| {
        records.iter().map(f).collect::<Vec<Option<String>>>()
    };
    let contacts: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(&r.contacts).unwrap_or_else(|_| "[]".to_owned()))
        .collect();
    let active: Vec<bool> = records.iter().map(|r| r.active).collect();
    let inserted: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO router.units AS t (unit_id, name, unit_type, level, region_code, \
           parent_unit_id, line, duties, contacts, active, updated_at, updated_by) \
         SELECT u.id, u.name, u.ty, u.lvl, u.region, u.parent, u.line, \
                string_to_array(u.duties, '|'), u.contacts::jsonb, u.active, now(), $11 \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                     $7::text[], $8::text[], $9::text[], $10::bool[]) \
              AS u(id, name, ty, lvl, region, parent, line, duties, contacts, active) \
         ON CONFLICT (unit_id) DO UPDATE SET name = EXCLUDED.name, unit_type = EXCLUDED.unit_type, \
           level = EXCLUDED.level, region_code = EXCLUDED.region_code, \
           parent_unit_id = EXCLUDED.parent_unit_id, line = EXCLUDED.line, \
           duties = EXCLUDED.duties, contacts = EXCLUDED.contacts, active = EXCLUDED.active, \
           updated_at = now(), updated_by = EXCLUDED.updated_by \
         WHERE (t.name, t.unit_type, t.level, t.region_code, t.parent_unit_id, t.line, \
                t.duties, t.contacts, t.active) IS DISTINCT FROM \
               (EXCLUDED.name, EXCLUDED.unit_type, EXCLUDED.level, EXCLUDED.region_code, \
                EXCLUDED.parent_unit_id, EXCLUDED.line, EXCLUDED.duties, EXCLUDED.contacts, \
                EXCLUDED.active) \
         RETURNING (xmax = 0)",
    )
    .bind(col(|r| r.unit_id.clone()))
    .bind(col(|r| r.name.clone()))
    .bind(col(|r| r.unit_type.clone()))
    .bind(col(|r| r.level.clone()))
    .bind(col(|r| r.region_code.clone()))
    .bind(opt(|r| r.parent_unit_id.clone()))
    .bind(opt(|r| r.line.clone()))
    .bind(col(|r| r.duties.join("|")))
    .bind(contacts)
    .bind(active)
    .bind(imported_by)
    .fetch_all(tx)
    .await?;
    let created = inserted.iter().filter(|i| **i).count() as u64;
    Ok(Imported {
        created,
        updated: inserted.len() as u64 - created,
    })
}

type UnitRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Vec<String>,
    Json<Vec<hotline_contract::directory::UnitContact>>,
    bool,
);

/// Units whose region starts with `prefix` (all with `""`), of a type, by id.
pub async fn export_units(
    pool: &PgPool,
    prefix: &str,
    unit_type: Option<&str>,
    include_inactive: bool,
) -> Result<Vec<UnitRecord>, sqlx::Error> {
    let rows: Vec<UnitRow> = sqlx::query_as(
        "SELECT unit_id, name, unit_type, level, region_code, parent_unit_id, line, duties, \
                contacts, active \
         FROM router.units \
         WHERE region_code LIKE $1 || '%' AND ($2::text IS NULL OR unit_type = $2) \
           AND (active OR $3) \
         ORDER BY unit_id",
    )
    .bind(prefix)
    .bind(unit_type)
    .bind(include_inactive)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                unit_id,
                name,
                unit_type,
                level,
                region_code,
                parent_unit_id,
                line,
                duties,
                contacts,
                active,
            )| {
                UnitRecord {
                    unit_id,
                    name,
                    unit_type,
                    level,
                    region_code,
                    parent_unit_id,
                    line,
                    duties,
                    contacts: contacts.0,
                    active,
                }
            },
        )
        .collect())
}

/// The catalogue with the type of the unit responsible (from the line's units).
pub async fn catalogue(pool: &PgPool) -> Result<Vec<CatalogueView>, sqlx::Error> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT category, name, line, level FROM router.catalogue ORDER BY category",
    )
    .fetch_all(pool)
    .await?;
    let types: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (line) line, unit_type FROM router.units WHERE line IS NOT NULL \
         ORDER BY line, unit_id",
    )
    .fetch_all(pool)
    .await?;
    let types: HashMap<String, String> = types.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|(category, name, line, level)| CatalogueView {
            unit_type: types
                .get(&line)
                .cloned()
                .unwrap_or_else(|| "department".to_owned()),
            category,
            name,
            line,
            level,
        })
        .collect())
}

fn kind_of(code: Option<String>) -> Option<RequestKind> {
    code.and_then(|c| serde_json::from_value(serde_json::Value::String(c)).ok())
}

type RuleRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    i32,
    bool,
    i32,
    Option<String>,
    DateTime<Utc>,
);

fn rule_view(row: RuleRow) -> RuleView {
    let (
        rule_id,
        category,
        region_code,
        kind,
        unit_id,
        priority,
        active,
        version,
        updated_by,
        updated_at,
    ) = row;
    RuleView {
        rule_id,
        category,
        region_code,
        kind: kind_of(kind),
        unit_id,
        priority,
        active,
        version,
        updated_by,
        updated_at,
    }
}

const RULE_COLUMNS: &str = "rule_id, category, region_code, kind, unit_id, priority, active, version, updated_by, updated_at";

/// Rules matching the filters, by id, after `after`.
pub async fn rules(
    pool: &PgPool,
    category: Option<&str>,
    region_code: Option<&str>,
    unit_id: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<RuleView>, sqlx::Error> {
    let rows: Vec<RuleRow> = sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM router.dispatch_rules \
         WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR region_code = $2) \
           AND ($3::text IS NULL OR unit_id = $3) AND rule_id > $4 \
         ORDER BY rule_id LIMIT $5"
    ))
    .bind(category)
    .bind(region_code)
    .bind(unit_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(rule_view).collect())
}

/// The rule, locked for an edit.
pub async fn lock_rule(
    tx: &mut PgConnection,
    rule_id: &str,
) -> Result<Option<RuleView>, sqlx::Error> {
    let row: Option<RuleRow> = sqlx::query_as(&format!(
        "SELECT {RULE_COLUMNS} FROM router.dispatch_rules WHERE rule_id = $1 FOR UPDATE"
    ))
    .bind(rule_id)
    .fetch_optional(tx)
    .await?;
    Ok(row.map(rule_view))
}

/// A rule version to write.
#[derive(Debug, Clone)]
pub struct RuleEdit<'a> {
    pub rule_id: &'a str,
    pub version: i32,
    pub category: &'a str,
    pub region_code: &'a str,
    pub kind: Option<&'a str>,
    pub unit_id: &'a str,
    pub priority: i32,
    pub active: bool,
    pub reason: Option<&'a str>,
    pub edited_by: &'a str,
}

/// Write the live row and its history row; the rule as it now stands.
pub async fn write_rule(tx: &mut PgConnection, e: &RuleEdit<'_>) -> Result<RuleView, sqlx::Error> {
    let row: RuleRow = sqlx::query_as(&format!(
        "INSERT INTO router.dispatch_rules \
           (rule_id, category, region_code, kind, unit_id, priority, active, version, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now()) \
         ON CONFLICT (rule_id) DO UPDATE SET category = EXCLUDED.category, \
           region_code = EXCLUDED.region_code, kind = EXCLUDED.kind, unit_id = EXCLUDED.unit_id, \
           priority = EXCLUDED.priority, active = EXCLUDED.active, version = EXCLUDED.version, \
           updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at \
         RETURNING {RULE_COLUMNS}"
    ))
    .bind(e.rule_id)
    .bind(e.category)
    .bind(e.region_code)
    .bind(e.kind)
    .bind(e.unit_id)
    .bind(e.priority)
    .bind(e.active)
    .bind(e.version)
    .bind(e.edited_by)
    .fetch_one(&mut *tx)
    .await?;
    let view = rule_view(row);
    sqlx::query(
        "INSERT INTO router.dispatch_rule_versions \
           (rule_id, version, category, region_code, kind, unit_id, priority, active, reason, edited_by, edited_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(e.rule_id)
    .bind(e.version)
    .bind(e.category)
    .bind(e.region_code)
    .bind(e.kind)
    .bind(e.unit_id)
    .bind(e.priority)
    .bind(e.active)
    .bind(e.reason)
    .bind(e.edited_by)
    .bind(view.updated_at)
    .execute(tx)
    .await?;
    Ok(view)
}

/// Whether a unit exists and is active.
pub async fn unit_state(tx: &mut PgConnection, unit_id: &str) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar("SELECT active FROM router.units WHERE unit_id = $1")
        .bind(unit_id)
        .fetch_optional(tx)
        .await
}

/// Whether the catalogue lists a category.
pub async fn in_catalogue(tx: &mut PgConnection, category: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM router.catalogue WHERE category = $1)")
        .bind(category)
        .fetch_one(tx)
        .await
}

type VersionRow = (
    i32,
    String,
    String,
    Option<String>,
    String,
    i32,
    bool,
    Option<String>,
    String,
    DateTime<Utc>,
);

/// Every version of a rule, oldest first.
pub async fn rule_history(pool: &PgPool, rule_id: &str) -> Result<Vec<RuleVersion>, sqlx::Error> {
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT version, category, region_code, kind, unit_id, priority, active, reason, \
                edited_by, edited_at \
         FROM router.dispatch_rule_versions WHERE rule_id = $1 ORDER BY version",
    )
    .bind(rule_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                version,
                category,
                region_code,
                kind,
                unit_id,
                priority,
                active,
                reason,
                edited_by,
                edited_at,
            )| {
                RuleVersion {
                    version,
                    category,
                    region_code,
                    kind: kind_of(kind),
                    unit_id,
                    priority,
                    active,
                    reason,
                    edited_by,
                    edited_at,
                }
            },
        )
        .collect())
}
