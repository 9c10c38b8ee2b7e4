//! Importing units on the administration page (系统管理 → 导入承办单位, A5): the administrator
//! pastes (or picks, `console.js` reads the file into the box) a CSV or JSON file in the
//! directory's transfer format, the same file `POST /api/v1/units/import` takes and
//! `GET /api/v1/units?format=csv` gives. The router checks every record and imports all or
//! none (`rpc.router.import_units`); a refusal comes back as a page naming each bad record
//! and field (`records[n].字段`), and nothing is changed.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::directory::{ImportUnits, UnitImportReport};
use hotline_contract::knowledge::TransferFormat;
use hotline_contract::rpc::verbs;
use serde::Deserialize;

use super::{bad_form, document, html, problem_page};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::routes::{AppState, call, call_problem, trace_of};

/// The import form, for the administration page of those who may manage the directory.
pub fn form(csrf_field: &str) -> String {
    format!(
        r#"<details id="unit-import"><summary>导入承办单位（CSV 或 JSON，全部导入或全部不导入）</summary>
<form id="unit-import-form" method="post" action="/console/admin/units/import">{csrf_field}
<label>格式<select name="format"><option value="csv">CSV</option><option value="json">JSON</option></select></label>
<label>文件<input type="file" accept=".csv,.json,text/csv,application/json" data-fills="unit-import-data"></label>
<label>内容<textarea id="unit-import-data" name="data" rows="6" required placeholder="与 /api/v1/units?format=csv 导出的格式相同"></textarea></label>
<button type="submit" id="import-units">导入</button></form></details>"#
    )
}

/// The posted form.
#[derive(Debug, Clone, Deserialize)]
pub struct UnitImportForm {
    pub format: TransferFormat,
    pub data: String,
}

/// `POST /console/admin/units/import`: import the file; a page with the counts, or the
/// router's refusal with every bad record named.
pub async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
    form: Result<Form<UnitImportForm>, FormRejection>,
) -> Response {
    let who = Some((&principal, &csrf));
    let Ok(Form(form)) = form else {
        return bad_form(who);
    };
    let command = ImportUnits {
        format: form.format,
        data: form.data,
        imported_by: principal.principal_id.clone(),
    };
    let reply: Result<UnitImportReport, _> = call(
        &state,
        verbs::ROUTER_IMPORT_UNITS,
        &command,
        &trace_of(&headers),
    )
    .await;
    match reply {
        Ok(report) => html(
            StatusCode::OK,
            document("承办单位已导入", who, &report_box(&report)),
        ),
        Err(e) => problem_page(&call_problem(e), who),
    }
}

/// What the import did.
fn report_box(report: &UnitImportReport) -> String {
    format!(
        r#"<p id="unit-import-done" class="notice">导入完成：新增 {} 个，更新 {} 个，未变 {} 个。</p><p><a href="/console/admin">返回系统管理</a></p>"#,
        report.created, report.updated, report.unchanged
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_counts_what_changed() {
        let page = report_box(&UnitImportReport {
            created: 2,
            updated: 1,
            unchanged: 7,
        });
        assert!(page.contains("新增 2 个，更新 1 个，未变 7 个"), "{page}");
    }

    #[test]
    fn the_form_posts_format_and_content_with_the_csrf_field() {
        let form = form(r#"<input type="hidden" name="csrf" value="t">"#);
        assert!(form.contains(r#"action="/console/admin/units/import""#));
        assert!(form.contains(r#"name="format""#) && form.contains(r#"name="data""#));
        assert!(form.contains(r#"name="csrf""#));
    }
}
