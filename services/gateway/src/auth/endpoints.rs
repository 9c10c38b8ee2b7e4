//! Every endpoint of the API and what it takes to call it (issue 10): the access rule
//! (public, or the permission it needs) and how the caller's identity binds the request.
//!
//! The table is the single place access is declared. The guard (`super::guard`) looks the
//! matched route up here on every request and fails closed: a route missing from the
//! table is refused for everyone (and the role-matrix test fails, because it walks the
//! OpenAPI document and this table against each other).
//!
//! **Bindings.** Request bodies name who acts (`signed_by`, `approved_by` …), for which
//! unit (`unit_id`) and in which capacity (`role`, `decider`). Once there are accounts
//! these are no longer the caller's word: the guard fills each declared field from the
//! signed-in principal when it is missing, and refuses the request (403, naming the field)
//! when it says someone else. So the proposer of a send-back cannot approve it by writing
//! another name (A16), and a unit cannot act for another unit (A15).

use axum::http::Method;

use super::roles::Permission;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (citizens, Open311 clients).
    Public,
    /// Callers holding this permission.
    Requires(Permission),
    /// Callers holding any of these permissions.
    AnyOf(&'static [Permission]),
}

impl Access {
    /// The permissions of which one is needed (empty for public endpoints).
    pub fn needed(self) -> Vec<Permission> {
        match self {
            Access::Public => Vec::new(),
            Access::Requires(p) => vec![p],
            Access::AnyOf(ps) => ps.to_vec(),
        }
    }
}

/// How the caller's identity fills or checks a field of the JSON body or the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// A body field naming who acts: the principal's id.
    Actor(&'static str),
    /// A body field naming who acts that only callers holding the permission may use (an
    /// agent registering a call); without it the field must be absent.
    ActorIf(&'static str, Permission),
    /// A body field naming the acting unit: the principal's unit, when it has one.
    Unit(&'static str),
    /// A path parameter naming a unit: a unit-scoped principal's own unit only.
    PathUnit(&'static str),
    /// A body field with the center role (`reviewer` / `head`) the principal acts in.
    CenterRole(&'static str),
    /// A body field with who decides a dispute (`center` / `authority`).
    DisputeDecider(&'static str),
}

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    /// The route as axum matches it, e.g. `/api/v1/orders/{number}/sign`.
    pub path: &'static str,
    pub access: Access,
    pub bindings: &'static [Binding],
}

impl Endpoint {
    pub fn method(&self) -> Method {
        Method::from_bytes(self.method.as_bytes()).unwrap_or(Method::GET)
    }
}

/// The endpoint `method path` (the matched route), if declared.
pub fn lookup(method: &Method, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS
        .iter()
        .find(|e| e.path == path && e.method == method.as_str())
}

use Access::{AnyOf, Public, Requires};
use Binding::*;
use Permission as P;

const fn e(
    method: &'static str,
    path: &'static str,
    access: Access,
    bindings: &'static [Binding],
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        bindings,
    }
}

/// Acting for one's own unit, as a named staff member.
macro_rules! unit_act {
    ($by:literal) => {
        &[Unit("unit_id"), Actor($by)]
    };
}

/// Acting at the center's review desk.
macro_rules! desk_act {
    ($by:literal) => {
        &[Actor($by), CenterRole("role")]
    };
}

const OWN_OR_ANY_UNIT: Access = AnyOf(&[P::HandleOwnOrders, P::ReadAnyUnitOrders]);
const EDITOR: &[Binding] = &[Actor("user_id"), Unit("unit_id")];

/// Every endpoint of the API.
pub static ENDPOINTS: &[Endpoint] = &[
    e("GET", "/api/openapi.json", Public, &[]),
    // Accounts and sessions (this issue).
    e("POST", "/api/v1/session", Public, &[]),
    e("GET", "/api/v1/session", Requires(P::ReadOwnAccount), &[]),
    e(
        "DELETE",
        "/api/v1/session",
        Requires(P::ReadOwnAccount),
        &[],
    ),
    e("GET", "/api/v1/accounts", Requires(P::ManageAccounts), &[]),
    e("POST", "/api/v1/accounts", Requires(P::ManageAccounts), &[]),
    e(
        "POST",
        "/api/v1/accounts/{principal_id}/deactivation",
        Requires(P::ManageAccounts),
        &[],
    ),
    e(
        "POST",
        "/api/v1/accounts/{principal_id}/password",
        Requires(P::ManageAccounts),
        &[],
    ),
    e("POST", "/api/v1/tokens", Requires(P::ManageAccounts), &[]),
    e(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        Requires(P::ManageAccounts),
        &[],
    ),
    // Orders: anyone may write in (A3); agents register calls for the requester (A9).
    e(
        "POST",
        "/api/v1/orders",
        Public,
        &[ActorIf("agent_id", P::RegisterOrder)],
    ),
    e("GET", "/api/v1/orders/{number}", Public, &[]),
    e(
        "POST",
        "/api/v1/orders/{number}/sign",
        Requires(P::HandleOwnOrders),
        unit_act!("signed_by"),
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/result",
        Requires(P::HandleOwnOrders),
        unit_act!("submitted_by"),
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/satisfaction",
        Public,
        &[ActorIf("agent_id", P::RecordSatisfaction)],
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/harassment-flags",
        Requires(P::FlagHarassment),
        &[Actor("agent_id")],
    ),
    e(
        "POST",
        "/api/v1/repeat-candidates",
        Requires(P::FindRepeats),
        &[],
    ),
    e("GET", "/api/v1/calendar/due", Public, &[]),
    e("GET", "/api/v1/calendar/{year}", Public, &[]),
    // The router's desks (A12–A15).
    e(
        "POST",
        "/api/v1/orders/{number}/disputes",
        Requires(P::HandleOwnOrders),
        unit_act!("disputed_by"),
    ),
    e(
        "POST",
        "/api/v1/disputes/{dispute_id}/decision",
        AnyOf(&[P::DecideDispute, P::DecideEscalatedDispute]),
        &[Actor("decided_by"), DisputeDecider("decider")],
    ),
    e(
        "POST",
        "/api/v1/disputes/{dispute_id}/escalation",
        Requires(P::EscalateDispute),
        &[Actor("escalated_by")],
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/co-handling",
        Requires(P::AssignCoHandling),
        &[Actor("assigned_by")],
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/co-handling/report",
        Requires(P::HandleOwnOrders),
        unit_act!("reported_by"),
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/progress-reports",
        Requires(P::HandleOwnOrders),
        unit_act!("reported_by"),
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/extension-requests",
        Requires(P::HandleOwnOrders),
        unit_act!("requested_by"),
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/suspension-requests",
        Requires(P::HandleOwnOrders),
        unit_act!("requested_by"),
    ),
    e(
        "POST",
        "/api/v1/unit-requests/{request_id}/decision",
        Requires(P::DecideUnitRequest),
        &[Actor("decided_by")],
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/resumption",
        Requires(P::ResumeOrder),
        &[Actor("resumed_by")],
    ),
    e(
        "GET",
        "/api/v1/units/{unit_id}/orders",
        OWN_OR_ANY_UNIT,
        &[PathUnit("unit_id")],
    ),
    e(
        "GET",
        "/api/v1/units/{unit_id}/orders/{number}",
        OWN_OR_ANY_UNIT,
        &[PathUnit("unit_id")],
    ),
    e(
        "GET",
        "/api/v1/consultations",
        Requires(P::RunConsultation),
        &[],
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/consultation/invitations",
        Requires(P::RunConsultation),
        &[Actor("invited_by")],
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/consultation/views",
        Requires(P::HandleOwnOrders),
        unit_act!("responded_by"),
    ),
    e(
        "POST",
        "/api/v1/orders/{number}/consultation/decision",
        Requires(P::RunConsultation),
        &[Actor("decided_by")],
    ),
    e(
        "GET",
        "/api/v1/dispatch-accuracy",
        Requires(P::ReadDispatchAccuracy),
        &[],
    ),
    // Supervision's desks (A16, A17).
    e("GET", "/api/v1/review/queue", Requires(P::Review), &[]),
    e(
        "GET",
        "/api/v1/review/archive/{number}",
        Requires(P::ReadArchive),
        &[],
    ),
    e(
        "POST",
        "/api/v1/reviews/{order_id}/checklist",
        Requires(P::Review),
        desk_act!("recorded_by"),
    ),
    e(
        "POST",
        "/api/v1/reviews/{order_id}/call-backs",
        Requires(P::Review),
        desk_act!("called_by"),
    ),
    e(
        "POST",
        "/api/v1/reviews/{order_id}/acceptance",
        Requires(P::Review),
        desk_act!("accepted_by"),
    ),
    e(
        "POST",
        "/api/v1/reviews/{order_id}/send-backs",
        Requires(P::Review),
        desk_act!("proposed_by"),
    ),
    e(
        "POST",
        "/api/v1/send-backs/{proposal_id}/approval",
        Requires(P::ApproveSendBack),
        desk_act!("approved_by"),
    ),
    e(
        "POST",
        "/api/v1/supervision/cases",
        Requires(P::OpenCase),
        desk_act!("opened_by"),
    ),
    e(
        "POST",
        "/api/v1/supervision/cases/{case_id}/rectification",
        Requires(P::ReportRectification),
        unit_act!("reported_by"),
    ),
    e(
        "POST",
        "/api/v1/supervision/cases/{case_id}/closure",
        Requires(P::CloseCase),
        desk_act!("closed_by"),
    ),
    // The Open311 GeoReport v2 facade: public, as the spec has it (docs/open311.md; the
    // routes take `{file}` = `<id>.json`, documented in OpenAPI as `{id}.json`).
    e("GET", "/open311/discovery.json", Public, &[]),
    e("GET", "/open311/v2/services.json", Public, &[]),
    e("GET", "/open311/v2/services.xml", Public, &[]),
    e("GET", "/open311/v2/services/{file}", Public, &[]),
    e("GET", "/open311/v2/requests.json", Public, &[]),
    e("POST", "/open311/v2/requests.json", Public, &[]),
    e("GET", "/open311/v2/requests.xml", Public, &[]),
    e("POST", "/open311/v2/requests.xml", Public, &[]),
    e("GET", "/open311/v2/requests/{file}", Public, &[]),
    // Bulletins are published (A18); analysts and the center make one on demand.
    e("GET", "/api/v1/bulletins", Public, &[]),
    e("GET", "/api/v1/bulletins/{bulletin_id}", Public, &[]),
    e("POST", "/api/v1/bulletins", Requires(P::ReadKpis), &[]),
    // Joint handling with a partner hotline (A8).
    e(
        "POST",
        "/api/v1/orders/{number}/joint-handling",
        Requires(P::JointHandling),
        &[Actor("started_by")],
    ),
    e(
        "GET",
        "/api/v1/orders/{number}/joint-handling",
        AnyOf(&[P::JointHandling, P::ReadAnyUnitOrders]),
        &[],
    ),
    // Hot-spot reports are published (A17.4).
    e("GET", "/api/v1/hotspots", Public, &[]),
    e("GET", "/api/v1/hotspots/{hotspot_id}", Public, &[]),
    // The directory, the published catalogue and the dispatch rules (A5, A9, A12).
    e("GET", "/api/v1/units", Requires(P::ReadDirectory), &[]),
    e(
        "POST",
        "/api/v1/units/import",
        Requires(P::ManageDirectory),
        &[Actor("imported_by")],
    ),
    e("GET", "/api/v1/dispatch-catalogue", Public, &[]),
    e(
        "GET",
        "/api/v1/dispatch-rules",
        Requires(P::ReadDispatchRules),
        &[],
    ),
    e(
        "PUT",
        "/api/v1/dispatch-rules/{rule_id}",
        Requires(P::ManageDispatchRules),
        &[Actor("edited_by")],
    ),
    e(
        "GET",
        "/api/v1/dispatch-rules/{rule_id}/history",
        Requires(P::ReadDispatchRules),
        &[],
    ),
    // The time-limit policies (A15): read by the center's head, the authority and the
    // administrator; a new version by the administrator.
    e("GET", "/api/v1/policies", Requires(P::ReadTimeLimits), &[]),
    e(
        "POST",
        "/api/v1/policies/{policy_id}",
        Requires(P::ManageTimeLimits),
        &[Actor("edited_by")],
    ),
    // Analytics (A18, A20).
    e("GET", "/api/v1/kpis", Requires(P::ReadKpis), &[]),
    e("GET", "/api/v1/monitor", Requires(P::ReadMonitor), &[]),
    // The clocks about to run out (A17), for the supervision board.
    e("GET", "/api/v1/near-due", Requires(P::ReadMonitor), &[]),
    // A19: staff assessment.
    e(
        "GET",
        "/api/v1/staff-assessment",
        Requires(P::ReadStaffAssessment),
        &[],
    ),
    e(
        "POST",
        "/api/v1/category-suggestions",
        Requires(P::SuggestCategory),
        &[],
    ),
    // The knowledge base (A22): public reading, editors' workflow.
    e("GET", "/api/v1/knowledge/search", Public, &[]),
    e(
        "POST",
        "/api/v1/knowledge/suggest",
        Requires(P::SuggestKnowledge),
        &[],
    ),
    e(
        "POST",
        "/api/v1/knowledge/articles",
        Requires(P::DraftKnowledge),
        EDITOR,
    ),
    e("GET", "/api/v1/knowledge/articles/{id}", Public, &[]),
    e(
        "GET",
        "/api/v1/knowledge/articles/{id}/history",
        Requires(P::DraftKnowledge),
        &[],
    ),
    e(
        "GET",
        "/api/v1/knowledge/articles/{id}/diff",
        Requires(P::DraftKnowledge),
        &[],
    ),
    e(
        "POST",
        "/api/v1/knowledge/articles/{id}/unpublish",
        Requires(P::PublishKnowledge),
        EDITOR,
    ),
    e(
        "POST",
        "/api/v1/knowledge/articles/{id}/versions",
        Requires(P::DraftKnowledge),
        EDITOR,
    ),
    e(
        "GET",
        "/api/v1/knowledge/articles/{id}/versions/{n}",
        Requires(P::DraftKnowledge),
        &[],
    ),
    e(
        "POST",
        "/api/v1/knowledge/articles/{id}/versions/{n}/submit",
        Requires(P::DraftKnowledge),
        EDITOR,
    ),
    e(
        "POST",
        "/api/v1/knowledge/articles/{id}/versions/{n}/review",
        Requires(P::ReviewKnowledge),
        EDITOR,
    ),
    e(
        "POST",
        "/api/v1/knowledge/articles/{id}/versions/{n}/publish",
        Requires(P::PublishKnowledge),
        EDITOR,
    ),
    e(
        "POST",
        "/api/v1/knowledge/articles/{id}/versions/{n}/feedback",
        Public,
        &[ActorIf("agent_id", P::GiveKnowledgeFeedback)],
    ),
    e(
        "POST",
        "/api/v1/knowledge/import",
        Requires(P::ManageKnowledge),
        &[],
    ),
    e(
        "GET",
        "/api/v1/knowledge/export",
        Requires(P::ManageKnowledge),
        &[],
    ),
    e(
        "GET",
        "/api/v1/knowledge/synonyms",
        Requires(P::ManageKnowledge),
        &[],
    ),
    e(
        "PUT",
        "/api/v1/knowledge/synonyms",
        Requires(P::ManageKnowledge),
        &[],
    ),
    e(
        "POST",
        "/api/v1/knowledge/reindex",
        Requires(P::ManageKnowledge),
        &[],
    ),
];

/// The page `method path` (the matched route) of the console or the public site, if
/// declared.
pub fn lookup_page(method: &Method, path: &str) -> Option<&'static Endpoint> {
    PAGES
        .iter()
        .find(|e| e.path == path && e.method == method.as_str())
}

/// Every HTML page of the public site and the staff console (`crate::console`), with the
/// same access rules as the API. Pages are not API endpoints (not in the OpenAPI document),
/// so they have their own list; the guard treats them alike except that a staff page
/// without a session redirects to `/console/login`, a refusal is an HTML page, and forms
/// carry the CSRF token in the `csrf_token` field. Page handlers build the service
/// requests from the signed-in principal themselves, so pages bind only path units.
pub static PAGES: &[Endpoint] = &[
    // Public site (A3, A11, A22): anyone.
    e("GET", "/", Public, &[]),
    e("GET", "/static/console.css", Public, &[]),
    e("GET", "/static/console.js", Public, &[]),
    e("GET", "/message", Public, &[]),
    e("POST", "/message", Public, &[]),
    e("GET", "/track", Public, &[]),
    e("GET", "/knowledge", Public, &[]),
    e("GET", "/console/login", Public, &[]),
    e("POST", "/console/login", Public, &[]),
    // Staff console.
    e("GET", "/console", Requires(P::ReadOwnAccount), &[]),
    e("POST", "/console/logout", Requires(P::ReadOwnAccount), &[]),
    e("GET", "/console/intake", Requires(P::RegisterOrder), &[]),
    e("POST", "/console/intake", Requires(P::RegisterOrder), &[]),
    e(
        "GET",
        "/console/units/{unit_id}/orders",
        OWN_OR_ANY_UNIT,
        &[PathUnit("unit_id")],
    ),
    e(
        "GET",
        "/console/units/{unit_id}/orders/{number}",
        OWN_OR_ANY_UNIT,
        &[PathUnit("unit_id")],
    ),
    e(
        "POST",
        "/console/units/{unit_id}/orders/{number}/sign",
        Requires(P::HandleOwnOrders),
        &[PathUnit("unit_id")],
    ),
    e(
        "POST",
        "/console/units/{unit_id}/orders/{number}/result",
        Requires(P::HandleOwnOrders),
        &[PathUnit("unit_id")],
    ),
    e("GET", "/console/review", Requires(P::Review), &[]),
    e(
        "POST",
        "/console/review/{order_id}/acceptance",
        Requires(P::Review),
        &[],
    ),
    // Issue 10, item 3: the unit desk's further forms (A13, A14), the review desk's
    // checklist and send-back and the head's approval (A16).
    e(
        "POST",
        "/console/units/{unit_id}/orders/{number}/dispute",
        Requires(P::HandleOwnOrders),
        &[PathUnit("unit_id")],
    ),
    e(
        "POST",
        "/console/units/{unit_id}/orders/{number}/progress",
        Requires(P::HandleOwnOrders),
        &[PathUnit("unit_id")],
    ),
    e(
        "POST",
        "/console/units/{unit_id}/orders/{number}/extension",
        Requires(P::HandleOwnOrders),
        &[PathUnit("unit_id")],
    ),
    e(
        "POST",
        "/console/units/{unit_id}/orders/{number}/suspension",
        Requires(P::HandleOwnOrders),
        &[PathUnit("unit_id")],
    ),
    e(
        "POST",
        "/console/units/{unit_id}/orders/{number}/co-report",
        Requires(P::HandleOwnOrders),
        &[PathUnit("unit_id")],
    ),
    e(
        "GET",
        "/console/review/{order_id}",
        Requires(P::Review),
        &[],
    ),
    e(
        "POST",
        "/console/review/{order_id}/checklist",
        Requires(P::Review),
        &[],
    ),
    e(
        "POST",
        "/console/review/{order_id}/send-back",
        Requires(P::Review),
        &[],
    ),
    e(
        "POST",
        "/console/review/{order_id}/call-back",
        Requires(P::Review),
        &[],
    ),
    e(
        "GET",
        "/console/send-backs",
        Requires(P::ApproveSendBack),
        &[],
    ),
    e(
        "GET",
        "/console/send-backs/{proposal_id}",
        AnyOf(&[P::Review, P::ApproveSendBack]),
        &[],
    ),
    e(
        "POST",
        "/console/send-backs/{proposal_id}/approval",
        Requires(P::ApproveSendBack),
        &[],
    ),
    // The satisfaction call-back of a closed order, as the calling agent (A16).
    e(
        "GET",
        "/console/call-backs",
        Requires(P::RecordSatisfaction),
        &[],
    ),
    e(
        "POST",
        "/console/call-backs",
        Requires(P::RecordSatisfaction),
        &[],
    ),
    // The boards (A17, A18, A20): figures only.
    e("GET", "/console/supervision", Requires(P::ReadMonitor), &[]),
    e("GET", "/console/analytics", Requires(P::ReadKpis), &[]),
    // Administration (A5, A12).
    e("GET", "/console/admin", Requires(P::ReadDirectory), &[]),
    e(
        "POST",
        "/console/admin/rules/{rule_id}",
        Requires(P::ManageDispatchRules),
        &[],
    ),
    e(
        "POST",
        "/console/admin/rules",
        Requires(P::ManageDispatchRules),
        &[],
    ),
    e(
        "POST",
        "/console/admin/units/import",
        Requires(P::ManageDirectory),
        &[],
    ),
    // The official calendar as deadline-watcher holds it (A15; public on the API).
    e(
        "GET",
        "/console/admin/calendar",
        Requires(P::ReadDirectory),
        &[],
    ),
    // The time-limit policies (A15): the list, and the administrator's edit form.
    e("GET", "/console/policies", Requires(P::ReadTimeLimits), &[]),
    e(
        "POST",
        "/console/policies/{policy_id}",
        Requires(P::ManageTimeLimits),
        &[],
    ),
    // Accounts (issue 10): the administrator only.
    e(
        "GET",
        "/console/admin/accounts",
        Requires(P::ManageAccounts),
        &[],
    ),
    e(
        "POST",
        "/console/admin/accounts",
        Requires(P::ManageAccounts),
        &[],
    ),
    e(
        "POST",
        "/console/admin/accounts/{principal_id}/deactivation",
        Requires(P::ManageAccounts),
        &[],
    ),
    e(
        "POST",
        "/console/admin/accounts/{principal_id}/password",
        Requires(P::ManageAccounts),
        &[],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_endpoint_is_declared_twice() {
        let all: Vec<&Endpoint> = ENDPOINTS.iter().chain(PAGES).collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {} declared twice",
                    a.method,
                    a.path
                );
            }
        }
    }

    #[test]
    fn methods_are_valid() {
        for e in ENDPOINTS.iter().chain(PAGES) {
            assert!(
                ["GET", "POST", "PUT", "DELETE"].contains(&e.method),
                "{}",
                e.method
            );
        }
    }

    #[test]
    fn path_bindings_name_path_parameters() {
        for e in ENDPOINTS.iter().chain(PAGES) {
            for b in e.bindings {
                if let Binding::PathUnit(name) = b {
                    assert!(e.path.contains(&format!("{{{name}}}")), "{}", e.path);
                }
            }
        }
    }

    #[test]
    fn lookup_finds_by_method_and_route() {
        let sign = lookup(&Method::POST, "/api/v1/orders/{number}/sign");
        assert!(matches!(
            sign.map(|e| e.access),
            Some(Access::Requires(Permission::HandleOwnOrders))
        ));
        assert!(lookup(&Method::GET, "/api/v1/orders/{number}/sign").is_none());
    }

    #[test]
    fn pages_bind_nothing_but_path_units() {
        for e in PAGES {
            assert!(
                e.bindings.iter().all(|b| matches!(b, Binding::PathUnit(_))),
                "{} {}",
                e.method,
                e.path
            );
            assert!(
                e.path.starts_with("/console") || e.access == Access::Public,
                "{}",
                e.path
            );
        }
    }
}
