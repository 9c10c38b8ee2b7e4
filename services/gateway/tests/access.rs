#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Accounts, roles and the access guard through a real gateway (real nats-server, real
//! PostgreSQL; the services behind the gateway are not running, so an allowed request
//! ends in the gateway's own 4xx/503, a refused one in the guard's 401/403).
//!
//! The role matrix: every endpoint × every role against `tests/role-matrix.csv`, and the
//! endpoint lists of the OpenAPI document, the access table and the matrix must agree,
//! so a new endpoint fails this test until its access is declared and reviewed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use hotline_gateway::auth::endpoints::{Access, ENDPOINTS, PAGES};
use hotline_gateway::auth::roles::Role;
use hotline_gateway::{GatewayConfig, start};
use hotline_service_kit::running::Running;
use hotline_service_test::TestEnv;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const ADMIN_PASSWORD: &str = "Matrix-Admin-Passw0rd";
const OWN_UNIT: &str = "520102-env";

struct Gateway {
    addr: SocketAddr,
    http: reqwest::Client,
    admin: String,
    shutdown: CancellationToken,
    running: Option<Running>,
    env: TestEnv,
}

impl Gateway {
    async fn start() -> Gateway {
        Self::start_with(|_| {}).await
    }

    /// A gateway with the test settings, then `adjust`ed.
    async fn start_with(adjust: impl FnOnce(&mut GatewayConfig)) -> Gateway {
        let env = TestEnv::new().await;
        let mut config = GatewayConfig {
            common: env.common_config(),
            ..GatewayConfig::default()
        };
        config.http.listen = "127.0.0.1:0".parse().unwrap();
        config.gateway.intake_url = "http://127.0.0.1:9".to_owned();
        config.gateway.request_timeout_ms = 1000;
        config.gateway.submit_per_minute = 0;
        config.gateway.query_per_minute = 0;
        config.gateway.login_per_minute = 0;
        config.gateway.bootstrap_admin_password =
            Some(SecretString::from(ADMIN_PASSWORD.to_owned()));
        adjust(&mut config);
        let shutdown = CancellationToken::new();
        let running = start(config, shutdown.clone()).await.unwrap();
        let addr = running.http_addr().unwrap();
        let http = reqwest::Client::new();
        let mut gw = Gateway {
            addr,
            http,
            admin: String::new(),
            shutdown,
            running: Some(running),
            env,
        };
        let (cookie, csrf) = gw.login("admin", ADMIN_PASSWORD).await;
        let r = gw
            .http
            .post(gw.url("/api/v1/tokens"))
            .header("cookie", cookie)
            .header("x-csrf-token", csrf)
            .json(&json!({"principal_id": "admin", "name": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        gw.admin = r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        gw
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sign in; the session cookie (`name=value`) and the CSRF token.
    async fn login(&self, id: &str, password: &str) -> (String, String) {
        let r = self
            .http
            .post(self.url("/api/v1/session"))
            .json(&json!({"principal_id": id, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{id} signs in");
        let cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let session = cookies
            .iter()
            .find(|c| c.starts_with("hotline_session="))
            .unwrap();
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
        assert!(session.contains("Secure"));
        let body: Value = r.json().await.unwrap();
        (
            session.split(';').next().unwrap().to_owned(),
            body["csrf_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Create an account (as the administrator) and return an API token for it.
    async fn account(
        &self,
        id: &str,
        role: Role,
        unit: Option<&str>,
        password: Option<&str>,
    ) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/accounts"))
            .bearer_auth(&self.admin)
            .json(
                &json!({"principal_id": id, "display_name": id, "role": role,
                          "unit_id": unit, "password": password}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let r = self
            .http
            .post(self.url("/api/v1/tokens"))
            .bearer_auth(&self.admin)
            .json(&json!({"principal_id": id, "name": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if method == Method::POST || method == Method::PUT {
            request = request.json(&body.unwrap_or_else(|| json!({})));
        }
        let r = request.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(r) = self.running.take() {
            r.wait().await;
        }
    }
}

/// The matrix: (method, path) → the roles allowed (`public` for anonymous callers).
fn matrix() -> BTreeMap<(String, String), BTreeSet<String>> {
    let text = include_str!("role-matrix.csv");
    let mut lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..2], ["method", "path"]);
    let mut roles_in_header: Vec<&str> = header[2..].to_vec();
    roles_in_header.sort_unstable();
    let mut expected: Vec<&str> = Role::ALL
        .iter()
        .map(|r| r.code())
        .chain(["public"])
        .collect();
    expected.sort_unstable();
    assert_eq!(
        roles_in_header, expected,
        "the matrix has a column per role and public"
    );
    let mut out = BTreeMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        let allowed: BTreeSet<String> = header[2..]
            .iter()
            .zip(&cells[2..])
            .filter(|(_, cell)| match cell.trim() {
                "y" => true,
                "n" => false,
                other => panic!("cell {other:?} in {line}: use y or n"),
            })
            .map(|(role, _)| (*role).to_owned())
            .collect();
        let key = (cells[0].to_owned(), cells[1].to_owned());
        assert!(out.insert(key, allowed).is_none(), "{line} listed twice");
    }
    out
}

/// A concrete path for a route template.
fn concrete(path: &str) -> String {
    let uuid = "0193a3f0-0000-7000-8000-000000000001";
    path.replace("{unit_id}", OWN_UNIT)
        .replace("{number}", "52010220261201000001")
        .replace("{dispute_id}", uuid)
        .replace("{order_id}", uuid)
        .replace("{proposal_id}", uuid)
        .replace("{case_id}", uuid)
        .replace("{request_id}", uuid)
        .replace("{hotspot_id}", uuid)
        .replace("{bulletin_id}", uuid)
        .replace("{file}", "52010220261201000001.json")
        .replace("{token_id}", uuid)
        .replace("{principal_id}", "nobody-here")
        .replace("{rule_id}", "520102:market.consumer")
        .replace("{policy_id}", "handling-complaint-normal")
        .replace("{year}", "2026")
        .replace("{id}", "kb-0001")
        .replace("{n}", "1")
}

fn refused(status: StatusCode, body: &Value) -> bool {
    let kind = body["type"].as_str().unwrap_or_default();
    status == StatusCode::UNAUTHORIZED
        || (status == StatusCode::FORBIDDEN
            && matches!(
                kind,
                "/problems/permission_missing" | "/problems/endpoint_not_declared"
            ))
}

#[tokio::test]
async fn every_endpoint_allows_exactly_the_roles_of_the_matrix() {
    let gw = Gateway::start().await;
    let matrix = matrix();

    // No endpoint left unlisted: the OpenAPI document, the access table and the matrix
    // name the same endpoints.
    let (status, doc) = gw.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    documented.insert(("GET".to_owned(), "/api/openapi.json".to_owned()));
    let declared: BTreeSet<(String, String)> = ENDPOINTS
        .iter()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    let listed: BTreeSet<(String, String)> = matrix.keys().cloned().collect();
    // The versioned API must match its document exactly; the Open311 facade documents its
    // paths in the spec's own spelling (`{id}.json`), so only the API is compared, and the
    // facade's routes are covered by the table and the matrix (an undeclared route is
    // refused for everyone, which the Open311 end-to-end tests would show).
    let api = |set: &BTreeSet<(String, String)>| -> BTreeSet<(String, String)> {
        set.iter()
            .filter(|(_, p)| p.starts_with("/api/"))
            .cloned()
            .collect()
    };
    let declared_api = api(&declared);
    assert_eq!(
        api(&documented)
            .symmetric_difference(&declared_api)
            .collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "OpenAPI document vs access table"
    );
    assert_eq!(
        declared.symmetric_difference(&listed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "access table vs tests/role-matrix.csv"
    );

    let mut callers: Vec<(String, Option<String>)> = vec![("public".to_owned(), None)];
    for role in Role::ALL {
        let unit = role.is_unit_scoped().then_some(OWN_UNIT);
        let token = if role == Role::Administrator {
            gw.admin.clone()
        } else {
            gw.account(&format!("m-{}", role.code()), role, unit, None)
                .await
        };
        callers.push((role.code().to_owned(), Some(token)));
    }

    let mut wrong = Vec::new();
    for ((method, path), allowed) in &matrix {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for (caller, token) in &callers {
            // Logging out would end nothing here (tokens), but keep the admin's token.
            let (status, body) = gw
                .send(method.clone(), &concrete(path), token.as_deref(), None)
                .await;
            let expect_allowed = allowed.contains(caller);
            if refused(status, &body) == expect_allowed {
                wrong.push(format!(
                    "{method} {path} as {caller}: expected {}, got {status} {}",
                    if expect_allowed { "allowed" } else { "refused" },
                    body["type"]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mismatches:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_refusal_names_the_missing_permission_and_who_has_it() {
    let gw = Gateway::start().await;
    let reviewer = gw.account("reviewer-a", Role::Reviewer, None, None).await;
    let path = "/api/v1/send-backs/0193a3f0-0000-7000-8000-000000000001/approval";
    let (status, body) = gw.send(Method::POST, path, Some(&reviewer), None).await;
    assert_eq!(status, 403);
    assert_eq!(body["type"], "/problems/permission_missing");
    assert_eq!(body["permission"], "approve_send_back");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("审核员") && detail.contains("中心负责人"),
        "{detail}"
    );

    let (status, body) = gw
        .send(Method::GET, "/api/v1/review/queue", None, None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["type"], "/problems/authentication_required");
    assert_eq!(body["permission"], "review");

    // A reviewer claiming the head's capacity or another reviewer's name is refused.
    let accept = "/api/v1/reviews/0193a3f0-0000-7000-8000-000000000001/acceptance";
    let (status, body) = gw
        .send(
            Method::POST,
            accept,
            Some(&reviewer),
            Some(json!({"role": "head"})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["type"].as_str()),
        (403, Some("/problems/role_mismatch"))
    );
    let (status, body) = gw
        .send(
            Method::POST,
            accept,
            Some(&reviewer),
            Some(json!({"accepted_by": "reviewer-b"})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["type"].as_str()),
        (403, Some("/problems/actor_mismatch"))
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_unit_handler_acts_for_its_own_unit_only() {
    let gw = Gateway::start().await;
    let unit = gw
        .account("env-staff", Role::UnitHandler, Some(OWN_UNIT), None)
        .await;
    let (status, body) = gw
        .send(
            Method::GET,
            "/api/v1/units/520102-housing/orders",
            Some(&unit),
            None,
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["type"].as_str()),
        (403, Some("/problems/unit_scope"))
    );
    let sign = "/api/v1/orders/52010220261201000001/sign";
    let (status, body) = gw
        .send(
            Method::POST,
            sign,
            Some(&unit),
            Some(json!({"unit_id": "520102-housing"})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["type"].as_str()),
        (403, Some("/problems/unit_scope"))
    );
    // Its own unit passes the guard (and reaches the router, which is not running here).
    let (status, _) = gw
        .send(Method::POST, sign, Some(&unit), Some(json!({})))
        .await;
    assert_eq!(status, 503);
    gw.stop().await;
}

#[tokio::test]
async fn sessions_need_the_csrf_token_and_end_at_logout_or_deactivation() {
    let gw = Gateway::start().await;
    gw.account(
        "zhang.reviewer",
        Role::Reviewer,
        None,
        Some("Review-Passw0rd"),
    )
    .await;

    // Wrong password, unknown account: the same 401.
    for (id, password) in [
        ("zhang.reviewer", "Wrong-Passw0rd"),
        ("nobody", "Review-Passw0rd"),
    ] {
        let r = gw
            .http
            .post(gw.url("/api/v1/session"))
            .json(&json!({"principal_id": id, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["type"], "/problems/invalid_credentials");
    }

    let (cookie, csrf) = gw.login("zhang.reviewer", "Review-Passw0rd").await;
    let me = gw
        .http
        .get(gw.url("/api/v1/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["principal"]["role"], "reviewer");

    let accept = gw.url("/api/v1/reviews/0193a3f0-0000-7000-8000-000000000001/acceptance");
    let r = gw
        .http
        .post(&accept)
        .header("cookie", &cookie)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["type"],
        "/problems/csrf_token_invalid"
    );
    let r = gw
        .http
        .post(&accept)
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        503,
        "past the guard, to supervision (not running)"
    );

    let r = gw
        .http
        .delete(gw.url("/api/v1/session"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = gw
        .http
        .get(gw.url("/api/v1/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the session ended");

    // A deactivated account's token stops working at once; a made-up token never did.
    let token = gw.account("sys-12315", Role::Agent, None, None).await;
    let (status, _) = gw
        .send(Method::GET, "/api/v1/session", Some(&token), None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = gw
        .send(
            Method::POST,
            "/api/v1/accounts/sys-12315/deactivation",
            Some(&gw.admin),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = gw
        .send(Method::GET, "/api/v1/session", Some(&token), None)
        .await;
    assert_eq!(
        (status.as_u16(), body["type"].as_str()),
        (401, Some("/problems/invalid_token"))
    );
    let (status, _) = gw
        .send(Method::GET, "/api/v1/session", Some("h12345_made-up"), None)
        .await;
    assert_eq!(status, 401);

    // Weak passwords and unit handlers without a unit are refused with the field named.
    let (status, body) = gw
        .send(
            Method::POST,
            "/api/v1/accounts",
            Some(&gw.admin),
            Some(json!({"principal_id": "li.unit", "display_name": "李四", "role": "unit_handler", "password": "short"})),
        )
        .await;
    assert_eq!(status, 422);
    let fields: BTreeSet<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, BTreeSet::from(["password", "unit_id"]));
    gw.stop().await;
}

/// The HTML pages (`PAGES`) are not API endpoints: none is in the OpenAPI document, every
/// one is served, public pages answer anonymous visitors with HTML under the pages' CSP,
/// staff pages send them to the login page, a unit's staff get a refusal page for another
/// unit's paths, and staff forms need the session's CSRF token.
#[tokio::test]
async fn pages_are_declared_and_guarded_like_the_api() {
    let gw = Gateway::start().await;
    let (_, doc) = gw.send(Method::GET, "/api/openapi.json", None, None).await;
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for page in PAGES {
        assert!(
            doc["paths"].get(page.path).is_none(),
            "{} is a page, not an API endpoint",
            page.path
        );
        let method = Method::from_bytes(page.method.as_bytes()).unwrap();
        let r = no_redirect
            .request(method, gw.url(&concrete(page.path)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let csp = r
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = r.text().await.unwrap();
        assert!(
            !text.contains("endpoint_not_declared") && status != StatusCode::NOT_FOUND,
            "{} {} is routed and declared: {status}",
            page.method,
            page.path
        );
        if page.access == Access::Public {
            assert_ne!(status, StatusCode::SEE_OTHER, "{} is public", page.path);
            if page.method == "GET" && !page.path.starts_with("/static") {
                assert_eq!(status, 200, "{}", page.path);
                assert!(text.contains("<!doctype html>"), "{}", page.path);
                assert!(
                    csp.as_deref()
                        .unwrap_or_default()
                        .contains("form-action 'self'"),
                    "{}: {csp:?}",
                    page.path
                );
            }
        } else {
            assert_eq!(
                status,
                StatusCode::SEE_OTHER,
                "{} {}",
                page.method,
                page.path
            );
            assert_eq!(location.as_deref(), Some("/console/login"), "{}", page.path);
        }
    }

    // A unit's staff member signs in through the login form.
    gw.account(
        "page-unit",
        Role::UnitHandler,
        Some(OWN_UNIT),
        Some("Unit-Handler-Passw0rd"),
    )
    .await;
    let r = no_redirect
        .post(gw.url("/console/login"))
        .form(&[
            ("principal_id", "page-unit"),
            ("password", "wrong-Passw0rd!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("账号或密码错误"));
    let (cookie, csrf) = console_login(&gw, "page-unit", "Unit-Handler-Passw0rd")
        .await
        .expect("the unit's staff member signs in");
    let get = |path: &str| {
        no_redirect
            .get(gw.url(path))
            .header("cookie", cookie.clone())
            .send()
    };
    let r = get("/console").await.unwrap();
    assert_eq!(r.status(), 200);
    let landing = r.text().await.unwrap();
    assert!(landing.contains(&format!("/console/units/{OWN_UNIT}/orders")));
    assert!(
        !landing.contains("/console/review"),
        "no review desk for a unit"
    );
    // Another unit's inbox and order: a refusal page, not the data.
    for path in [
        "/console/units/520103-env/orders",
        "/console/units/520103-env/orders/52010320261201000001",
    ] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
        assert!(r.text().await.unwrap().contains("无权查看其他单位的工单"));
    }
    // A desk the role does not have: a refusal naming the permission.
    let r = get("/console/review").await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("没有权限"));
    // A staff form without the CSRF token is refused; with it, it reaches the handler
    // (the router is not running here: 503).
    let sign = format!("/console/units/{OWN_UNIT}/orders/52010220261201000001/sign");
    let post = |body: String| {
        no_redirect
            .post(gw.url(&sign))
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = post(String::new()).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("防伪令牌"));
    let r = post("csrf_token=wrong".to_owned()).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = post(format!("csrf_token={csrf}")).await.unwrap();
    assert_eq!(r.status(), 503);
    // Signing out ends the session: staff pages redirect again.
    let r = no_redirect
        .post(gw.url("/console/logout"))
        .header("cookie", cookie.clone())
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = get("/console").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    gw.stop().await;
}

/// Sign in through the console's login form: the cookies (`a=b; c=d`) and the CSRF
/// token, or `None` when the login is refused.
async fn console_login(gw: &Gateway, id: &str, password: &str) -> Option<(String, String)> {
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .post(gw.url("/console/login"))
        .form(&[("principal_id", id), ("password", password)])
        .send()
        .await
        .unwrap();
    if r.status() != StatusCode::SEE_OTHER {
        return None;
    }
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let csrf = cookies
        .iter()
        .find_map(|c| c.strip_prefix("hotline_csrf="))
        .unwrap()
        .to_owned();
    Some((cookies.join("; "), csrf))
}

/// The administrator manages accounts in the console: creates a unit's staff member (the
/// unit is required), resets the password (the old one stops working, the session ends),
/// and switches the account off; the API resets a password with the same checks. Other
/// roles are refused the page.
#[tokio::test]
async fn the_administrator_manages_accounts_in_the_console() {
    let gw = Gateway::start().await;
    let (cookie, csrf) = console_login(&gw, "admin", ADMIN_PASSWORD).await.unwrap();
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |path: &str, fields: Vec<(&str, &str)>| {
        let mut form: Vec<(String, String)> = vec![("csrf_token".into(), csrf.clone())];
        form.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        no_redirect
            .post(gw.url(path))
            .header("cookie", cookie.clone())
            .form(&form)
            .send()
    };
    let r = no_redirect
        .get(gw.url("/console/admin/accounts"))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(r#"id="account-admin""#));

    let new = |unit: &'static str| {
        vec![
            ("principal_id", "li.si"),
            ("display_name", "李四"),
            ("role", "unit_handler"),
            ("unit_id", unit),
            ("password", "First-Passw0rd"),
        ]
    };
    let r = post("/console/admin/accounts", new("")).await.unwrap();
    assert_eq!(r.status(), 422, "a unit's staff member needs the unit");
    let page = r.text().await.unwrap();
    assert!(page.contains("须指定所属单位"));
    assert!(
        !page.contains("First-Passw0rd"),
        "the password is not echoed"
    );
    let r = post("/console/admin/accounts", new(OWN_UNIT))
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(r.text().await.unwrap().contains(OWN_UNIT));
    let r = post("/console/admin/accounts", new(OWN_UNIT))
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let (staff_cookie, _) = console_login(&gw, "li.si", "First-Passw0rd").await.unwrap();
    // A unit's staff member may not manage accounts.
    let r = no_redirect
        .get(gw.url("/console/admin/accounts"))
        .header("cookie", staff_cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let reset = "/console/admin/accounts/li.si/password";
    let r = post(reset, vec![("password", "weak")]).await.unwrap();
    assert_eq!(r.status(), 422);
    let r = post(reset, vec![("password", "Second-Passw0rd")])
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        console_login(&gw, "li.si", "First-Passw0rd")
            .await
            .is_none()
    );
    let r = no_redirect
        .get(gw.url("/console"))
        .header("cookie", staff_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the old session ended");
    assert!(
        console_login(&gw, "li.si", "Second-Passw0rd")
            .await
            .is_some()
    );

    // The API: the same password rules.
    let (status, _) = gw
        .send(
            Method::POST,
            "/api/v1/accounts/li.si/password",
            Some(&gw.admin),
            Some(json!({"password": "weak"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = gw
        .send(
            Method::POST,
            "/api/v1/accounts/li.si/password",
            Some(&gw.admin),
            Some(json!({"password": "Third-Passw0rd!"})),
        )
        .await;
    assert_eq!(status, 204);
    assert!(
        console_login(&gw, "li.si", "Third-Passw0rd!")
            .await
            .is_some()
    );

    let r = post("/console/admin/accounts/li.si/deactivation", vec![])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        console_login(&gw, "li.si", "Third-Passw0rd!")
            .await
            .is_none()
    );
    let r = post("/console/admin/accounts/nobody-here/deactivation", vec![])
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    gw.stop().await;
}

/// Live tokens are remembered for `token_cache_secs` (`auth::token_cache`). A token revoked
/// through this gateway is refused at once; one revoked behind its back (in the database,
/// as another replica would) is refused within the cache's time, and not before it was
/// looked up again.
#[tokio::test]
async fn a_revoked_token_is_refused_at_once_here_and_within_the_cache_time_when_revoked_elsewhere()
{
    let gw = Gateway::start_with(|config| config.gateway.token_cache_secs = 3).await;
    let issue = || async {
        let (status, body) = gw
            .send(
                Method::POST,
                "/api/v1/tokens",
                Some(&gw.admin),
                Some(json!({"principal_id": "admin", "name": "cache"})),
            )
            .await;
        assert_eq!(status, 201);
        (
            body["token_id"].as_str().unwrap().to_owned(),
            body["token"].as_str().unwrap().to_owned(),
        )
    };
    let whoami = |token: String| {
        let gw = &gw;
        async move {
            gw.send(Method::GET, "/api/v1/session", Some(&token), None)
                .await
                .0
        }
    };

    // Revoked through this gateway, while cached: refused on the next request.
    let (id, token) = issue().await;
    assert_eq!(whoami(token.clone()).await, 200);
    let (status, _) = gw
        .send(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&gw.admin),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        whoami(token).await,
        401,
        "refused at once after its revocation"
    );

    // Revoked in the database while cached: still trusted for at most the cache time.
    let (id, token) = issue().await;
    assert_eq!(whoami(token.clone()).await, 200);
    let pool = gw.env.pool().await;
    let revoked_at = std::time::Instant::now();
    let revoked =
        sqlx::query("UPDATE gateway.api_tokens SET revoked_at = now() WHERE token_id = $1")
            .bind(uuid::Uuid::parse_str(&id).unwrap())
            .execute(&pool)
            .await
            .unwrap();
    assert_eq!(revoked.rows_affected(), 1);
    assert_eq!(
        whoami(token.clone()).await,
        200,
        "the cached token is trusted until its entry ends"
    );
    while whoami(token.clone()).await == 200 {
        assert!(
            // The entry was made before the revocation and lives 3 s; a second for requests.
            revoked_at.elapsed() < std::time::Duration::from_secs(4),
            "a revocation made elsewhere must take effect within the cache time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(whoami(token).await, 401);
    pool.close().await;
    gw.stop().await;
}
