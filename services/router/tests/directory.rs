//! The directory desk against a real nats-server and PostgreSQL: the seeded standard
//! directory, import and export (CSV and JSON, all or nothing), the catalogue, and rule
//! edits with versions, optimistic concurrency and per-kind rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hotline_contract::directory::*;
use support::*;

async fn export(h: &Harness, format: TransferFormat, region: Option<&str>) -> ExportData {
    h.call(
        verbs::ROUTER_EXPORT_UNITS,
        &ExportUnits {
            format,
            region_code: region.map(str::to_owned),
            unit_type: None,
            include_inactive: true,
        },
    )
    .await
    .unwrap()
}

async fn import(
    h: &Harness,
    format: TransferFormat,
    data: &str,
) -> Result<UnitImportReport, CallError> {
    h.call(
        verbs::ROUTER_IMPORT_UNITS,
        &ImportUnits {
            format,
            data: data.to_owned(),
            imported_by: "center-admin".to_owned(),
        },
    )
    .await
}

fn save(
    rule_id: &str,
    category: &str,
    region: &str,
    unit: &str,
    expected: Option<i32>,
) -> SaveRuleCommand {
    SaveRuleCommand {
        rule_id: rule_id.to_owned(),
        category: category.to_owned(),
        region_code: region.to_owned(),
        kind: None,
        unit_id: unit.to_owned(),
        priority: 0,
        active: true,
        reason: None,
        expected_version: expected,
        edited_by: "center-admin".to_owned(),
    }
}

#[tokio::test]
async fn the_standard_directory_is_seeded_once_and_exports_by_territory() {
    let h = Harness::start().await;
    let count = |sql: &'static str| {
        let pool = h.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let units = count("SELECT count(*) FROM router.units").await;
    let rules = count("SELECT count(*) FROM router.dispatch_rules").await;
    let history = count("SELECT count(*) FROM router.dispatch_rule_versions").await;
    assert!(units > 1_600, "{units}");
    assert!(rules > 6_000, "{rules}");
    assert_eq!(history, rules, "every seeded rule has its first version");

    // Nanming (520102): its government and line departments, each with duties.
    let nanming = export(&h, TransferFormat::Json, Some("520102")).await;
    let records: Vec<UnitRecord> = serde_json::from_str(&nanming.data).unwrap();
    assert_eq!(records.len() as u32, nanming.count);
    let market = records
        .iter()
        .find(|u| u.unit_id == "520102-market")
        .unwrap();
    assert_eq!(market.name, "南明区市场监督管理局");
    assert_eq!(market.level, "county");
    assert!(market.duties.contains(&"market.consumer".to_owned()));
    assert!(records.iter().all(|u| u.region_code.starts_with("520102")));
    // Guiyang (520100) contains Nanming; the province contains everything.
    let guiyang = export(&h, TransferFormat::Csv, Some("520100")).await;
    assert!(guiyang.count > nanming.count);
    assert!(
        guiyang
            .data
            .starts_with("unit_id,name,unit_type,level,region_code,")
    );
    let all = export(&h, TransferFormat::Json, None).await;
    assert_eq!(i64::from(all.count), units);

    // A second start changes nothing (rows belong to the operators once they exist).
    sqlx::query(
        "UPDATE router.units SET name = '南明区市场监管局（改）' WHERE unit_id = '520102-market'",
    )
    .execute(&h.pool)
    .await
    .unwrap();
    let seeded = hotline_router::seed::run(
        &h.pool,
        &hotline_reference::Regions::bundled().unwrap(),
        true,
    )
    .await
    .unwrap();
    assert_eq!((seeded.units_created, seeded.rules_created), (0, 0));
    let name: String =
        sqlx::query_scalar("SELECT name FROM router.units WHERE unit_id = '520102-market'")
            .fetch_one(&h.pool)
            .await
            .unwrap();
    assert_eq!(name, "南明区市场监管局（改）");

    let catalogue: Catalogue = h
        .call(verbs::ROUTER_CATALOGUE, &CatalogueQuery {})
        .await
        .unwrap();
    let fund = catalogue
        .entries
        .iter()
        .find(|e| e.category == "housing_fund.withdrawal")
        .unwrap();
    assert_eq!(
        (
            fund.line.as_str(),
            fund.level.as_str(),
            fund.unit_type.as_str()
        ),
        ("housing_fund", "prefecture", "authorised_org")
    );
    h.stop().await;
}

#[tokio::test]
async fn an_import_is_all_or_nothing_and_an_export_reimports_unchanged() {
    let h = Harness::start().await;
    let header =
        "unit_id,name,unit_type,level,region_code,parent_unit_id,line,duties,contacts,active";
    let good = format!(
        "{header}\n\
         520102016-office,新华路街道办事处,street_office,township,520102016,gov-520102,,civil_affairs.grassroots,值班电话:0851-00000001,true\n\
         520102-market,南明区市场监督管理局,department,county,520102,gov-520102,market,market.consumer|market.food,值班电话:0851-00000002|地址:南明区某路1号,true\n"
    );
    let report = import(&h, TransferFormat::Csv, &good).await.unwrap();
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (1, 1, 0)
    );
    // The same file again: nothing to change.
    let report = import(&h, TransferFormat::Csv, &good).await.unwrap();
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, 2)
    );

    // One good record and several bad ones: every fault named, nothing written.
    let bad = format!(
        "{header}\n\
         520102-new,南明区新单位,department,county,520102,gov-520102,,,,true\n\
         520102-x,,palace,county,999999,nobody,,roads.nowhere,电话,maybe\n"
    );
    let (code, fields) = error_code(import(&h, TransferFormat::Csv, &bad).await);
    assert_eq!(code, RpcErrorCode::InvalidRequest);
    assert_eq!(fields, ["records[1].contacts[0]", "records[1].active"]);
    let bad = format!(
        "{header}\n\
         520102-new,南明区新单位,department,county,520102,gov-520102,,,,true\n\
         520102-x,,palace,county,999999,nobody,,roads.nowhere,,true\n"
    );
    let (code, fields) = error_code(import(&h, TransferFormat::Csv, &bad).await);
    assert_eq!(code, RpcErrorCode::InvalidRequest);
    for field in [
        "records[1].name",
        "records[1].unit_type",
        "records[1].region_code",
        "records[1].duties[0]",
        "records[1].parent_unit_id",
    ] {
        assert!(
            fields.contains(&field.to_owned()),
            "{field} missing from {fields:?}"
        );
    }
    let written: i64 =
        sqlx::query_scalar("SELECT count(*) FROM router.units WHERE unit_id = '520102-new'")
            .fetch_one(&h.pool)
            .await
            .unwrap();
    assert_eq!(written, 0);

    // Export Nanming as JSON and as CSV; each re-imports without a change.
    for format in [TransferFormat::Json, TransferFormat::Csv] {
        let exported = export(&h, format, Some("520102")).await;
        let report = import(&h, format, &exported.data).await.unwrap();
        assert_eq!((report.created, report.updated), (0, 0), "{format:?}");
        assert_eq!(report.unchanged, exported.count);
    }
    let office = export(&h, TransferFormat::Json, Some("520102016")).await;
    let records: Vec<UnitRecord> = serde_json::from_str(&office.data).unwrap();
    assert_eq!(records[0].contacts[0].value, "0851-00000001");
    assert_eq!(records[0].level, "township");
    h.stop().await;
}

#[tokio::test]
async fn rules_are_versioned_guarded_and_kind_specific() {
    let h = Harness::start().await;
    // A new rule for complaints about consumer matters in Nanming only.
    let mut complaints = save(
        "520102:market.consumer:complaint",
        "market.consumer",
        "520102",
        "gov-520102",
        None,
    );
    complaints.kind = Some(RequestKind::Complaint);
    complaints.reason = Some("投诉由区政府牵头".to_owned());
    let created: RuleView = h.call(verbs::ROUTER_SAVE_RULE, &complaints).await.unwrap();
    assert_eq!(created.version, 1);
    // Saving it again as new is a conflict; so is an edit from a stale version.
    let (code, _) = error_code(
        h.call::<_, RuleView>(verbs::ROUTER_SAVE_RULE, &complaints)
            .await,
    );
    assert_eq!(code, RpcErrorCode::Conflict);
    let mut stale = complaints.clone();
    stale.expected_version = Some(7);
    let (code, _) = error_code(h.call::<_, RuleView>(verbs::ROUTER_SAVE_RULE, &stale).await);
    assert_eq!(code, RpcErrorCode::Conflict);
    // Bad edits are refused field by field.
    let bad = save("bad id!", "Market", "999999", "nobody", None);
    let (code, fields) = error_code(h.call::<_, RuleView>(verbs::ROUTER_SAVE_RULE, &bad).await);
    assert_eq!(code, RpcErrorCode::InvalidRequest);
    assert_eq!(fields, ["rule_id", "category", "region_code"]);
    let unknown = save("r1", "roads.nowhere", "520102", "nobody", None);
    let (_, fields) = error_code(
        h.call::<_, RuleView>(verbs::ROUTER_SAVE_RULE, &unknown)
            .await,
    );
    assert_eq!(fields, ["category", "unit_id"]);

    // A complaint goes by the new rule, a consultation by the catalogue's.
    let mut complaint = registered("5201022612010001", Some("market.consumer"), "520102");
    complaint.kind = RequestKind::Complaint;
    let mut question = registered("5201022612010002", Some("market.consumer"), "520102");
    question.kind = RequestKind::Consultation;
    let complaint = h.register(complaint).await.data;
    let question = h.register(question).await.data;
    let d: OrderDispatched = h
        .wait_for_event(event::ORDER_DISPATCHED, complaint.order_id)
        .await;
    assert_eq!(
        (d.unit_id.as_str(), d.rule_id.as_deref()),
        ("gov-520102", Some("520102:market.consumer:complaint"))
    );
    let d: OrderDispatched = h
        .wait_for_event(event::ORDER_DISPATCHED, question.order_id)
        .await;
    assert_eq!(d.unit_id, "520102-market");

    // Deactivating it (version 2) sends the next complaint back to the catalogue's rule.
    let mut off = complaints.clone();
    off.active = false;
    off.expected_version = Some(1);
    off.reason = Some("试点结束".to_owned());
    let saved: RuleView = h.call(verbs::ROUTER_SAVE_RULE, &off).await.unwrap();
    assert_eq!((saved.version, saved.active), (2, false));
    let mut later = registered("5201022612010003", Some("market.consumer"), "520102");
    later.kind = RequestKind::Complaint;
    let later = h.register(later).await.data;
    let d: OrderDispatched = h
        .wait_for_event(event::ORDER_DISPATCHED, later.order_id)
        .await;
    assert_eq!(d.unit_id, "520102-market");

    let history: RuleHistory = h
        .call(
            verbs::ROUTER_RULE_HISTORY,
            &RuleHistoryQuery {
                rule_id: complaints.rule_id.clone(),
            },
        )
        .await
        .unwrap();
    let summary: Vec<(i32, bool, Option<&str>)> = history
        .versions
        .iter()
        .map(|v| (v.version, v.active, v.reason.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, true, Some("投诉由区政府牵头")),
            (2, false, Some("试点结束"))
        ]
    );
    let listed: Rules = h
        .call(
            verbs::ROUTER_RULES,
            &RulesQuery {
                category: Some("market.consumer".to_owned()),
                region_code: Some("520102".to_owned()),
                ..RulesQuery::default()
            },
        )
        .await
        .unwrap();
    let ids: Vec<&str> = listed.rules.iter().map(|r| r.rule_id.as_str()).collect();
    assert_eq!(
        ids,
        ["520102:market.consumer", "520102:market.consumer:complaint"]
    );
    h.stop().await;
}
