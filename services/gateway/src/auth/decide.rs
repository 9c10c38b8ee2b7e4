//! The access decision, pure: given the endpoint, the caller and the request's path
//! parameters and JSON body, allow (with the body's identity fields filled in) or refuse
//! with the reason. The guard (`super::guard`) does the I/O around it.

use serde_json::{Map, Value};

use super::endpoints::{Access, Binding, Endpoint};
use super::principal::Principal;
use super::roles::{Permission, Role};

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed in, and the endpoint (or a field) needs one of these permissions.
    AuthenticationRequired(Vec<Permission>),
    /// Signed in, but the role lacks every one of these permissions.
    PermissionMissing { role: Role, needed: Vec<Permission> },
    /// A unit's staff named another unit (A15: a unit handles its own orders).
    UnitScope {
        field: &'static str,
        own_unit: String,
    },
    /// The body names someone other than the caller as the actor.
    ActorMismatch { field: &'static str },
    /// The body claims a capacity the caller's role does not have.
    CapacityMismatch {
        field: &'static str,
        expected: &'static str,
    },
}

/// Whether the caller may call the endpoint at all.
pub fn authorize(endpoint: &Endpoint, principal: Option<&Principal>) -> Result<(), Refusal> {
    let needed = match endpoint.access {
        Access::Public => return Ok(()),
        access => access.needed(),
    };
    let Some(principal) = principal else {
        return Err(Refusal::AuthenticationRequired(needed));
    };
    if needed.iter().any(|p| principal.can(*p)) {
        Ok(())
    } else {
        Err(Refusal::PermissionMissing {
            role: principal.role,
            needed,
        })
    }
}

/// Check the path parameters against the caller's unit.
pub fn check_path(
    endpoint: &Endpoint,
    principal: Option<&Principal>,
    params: &[(String, String)],
) -> Result<(), Refusal> {
    let Some(principal) = principal.filter(|p| p.role.is_unit_scoped()) else {
        return Ok(());
    };
    let own = principal.unit_id.clone().unwrap_or_default();
    for binding in endpoint.bindings {
        if let Binding::PathUnit(name) = binding {
            let value = params.iter().find(|(k, _)| k == name).map(|(_, v)| v);
            if value != Some(&own) {
                return Err(Refusal::UnitScope {
                    field: name,
                    own_unit: own,
                });
            }
        }
    }
    Ok(())
}

/// Whether the endpoint binds any field of the body.
pub fn binds_body(endpoint: &Endpoint) -> bool {
    endpoint
        .bindings
        .iter()
        .any(|b| !matches!(b, Binding::PathUnit(_)))
}

/// Fill or check the body's identity fields.
pub fn bind_body(
    endpoint: &Endpoint,
    principal: Option<&Principal>,
    body: &mut Map<String, Value>,
) -> Result<(), Refusal> {
    for binding in endpoint.bindings {
        match *binding {
            Binding::Actor(field) => {
                if let Some(p) = principal {
                    settle(body, field, &p.principal_id, |_| Refusal::ActorMismatch {
                        field,
                    })?;
                }
            }
            Binding::ActorIf(field, permission) => {
                let present = body.get(field).is_some_and(|v| !v.is_null());
                match principal {
                    Some(p) if p.can(permission) => {
                        settle(body, field, &p.principal_id, |_| Refusal::ActorMismatch {
                            field,
                        })?;
                    }
                    Some(p) if present => {
                        return Err(Refusal::PermissionMissing {
                            role: p.role,
                            needed: vec![permission],
                        });
                    }
                    None if present => {
                        return Err(Refusal::AuthenticationRequired(vec![permission]));
                    }
                    _ => {}
                }
            }
            Binding::Unit(field) => {
                if let Some(unit) = principal.and_then(|p| p.unit_id.as_deref()) {
                    settle(body, field, unit, |own| Refusal::UnitScope {
                        field,
                        own_unit: own.to_owned(),
                    })?;
                }
            }
            Binding::CenterRole(field) => {
                let capacity = principal.and_then(|p| match p.role {
                    Role::Reviewer => Some("reviewer"),
                    Role::CenterHead => Some("head"),
                    _ => None,
                });
                if let Some(expected) = capacity {
                    settle(body, field, expected, |_| Refusal::CapacityMismatch {
                        field,
                        expected,
                    })?;
                }
            }
            Binding::DisputeDecider(field) => {
                let capacity = principal.map(|p| {
                    if p.can(Permission::DecideEscalatedDispute) {
                        "authority"
                    } else {
                        "center"
                    }
                });
                if let Some(expected) = capacity {
                    settle(body, field, expected, |_| Refusal::CapacityMismatch {
                        field,
                        expected,
                    })?;
                }
            }
            Binding::PathUnit(_) => {}
        }
    }
    Ok(())
}

/// `body[field]` must be `value`: filled in when missing or null, refused when different.
fn settle(
    body: &mut Map<String, Value>,
    field: &str,
    value: &str,
    refuse: impl FnOnce(&str) -> Refusal,
) -> Result<(), Refusal> {
    match body.get(field) {
        None | Some(Value::Null) => {
            body.insert(field.to_owned(), Value::String(value.to_owned()));
            Ok(())
        }
        Some(Value::String(s)) if s == value => Ok(()),
        Some(_) => Err(refuse(value)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::endpoints::lookup;
    use super::super::principal::Credential;
    use super::*;
    use axum::http::Method;

    fn who(role: Role, unit: Option<&str>) -> Principal {
        Principal {
            principal_id: format!("{}-1", role.code()),
            display_name: "测试".to_owned(),
            role,
            unit_id: unit.map(str::to_owned),
            credential: Credential::Token,
        }
    }

    fn endpoint(method: Method, path: &str) -> &'static Endpoint {
        lookup(&method, path).unwrap_or_else(|| panic!("{method} {path} declared"))
    }

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_unit_handler_signs_for_its_own_unit_and_is_filled_in() {
        let sign = endpoint(Method::POST, "/api/v1/orders/{number}/sign");
        let me = who(Role::UnitHandler, Some("520102-gov"));
        assert_eq!(authorize(sign, Some(&me)), Ok(()));
        let mut body = Map::new();
        assert_eq!(bind_body(sign, Some(&me), &mut body), Ok(()));
        assert_eq!(
            Value::Object(body),
            json!({"unit_id": "520102-gov", "signed_by": "unit_handler-1"})
        );
    }

    #[test]
    fn another_unit_or_another_name_is_refused() {
        let sign = endpoint(Method::POST, "/api/v1/orders/{number}/sign");
        let me = who(Role::UnitHandler, Some("520102-gov"));
        let mut body = object(json!({"unit_id": "520103-gov"}));
        assert!(matches!(
            bind_body(sign, Some(&me), &mut body),
            Err(Refusal::UnitScope {
                field: "unit_id",
                ..
            })
        ));
        let mut body = object(json!({"signed_by": "someone-else"}));
        assert_eq!(
            bind_body(sign, Some(&me), &mut body),
            Err(Refusal::ActorMismatch { field: "signed_by" })
        );
    }

    #[test]
    fn a_reviewer_cannot_approve_and_cannot_claim_to_be_the_head() {
        let approve = endpoint(Method::POST, "/api/v1/send-backs/{proposal_id}/approval");
        let reviewer = who(Role::Reviewer, None);
        assert_eq!(
            authorize(approve, Some(&reviewer)),
            Err(Refusal::PermissionMissing {
                role: Role::Reviewer,
                needed: vec![Permission::ApproveSendBack]
            })
        );
        let accept = endpoint(Method::POST, "/api/v1/reviews/{order_id}/acceptance");
        let mut body = object(json!({"role": "head"}));
        assert!(matches!(
            bind_body(accept, Some(&reviewer), &mut body),
            Err(Refusal::CapacityMismatch {
                field: "role",
                expected: "reviewer"
            })
        ));
    }

    #[test]
    fn anonymous_callers_get_public_endpoints_only() {
        let progress = endpoint(Method::GET, "/api/v1/orders/{number}");
        assert_eq!(authorize(progress, None), Ok(()));
        let queue = endpoint(Method::GET, "/api/v1/review/queue");
        assert_eq!(
            authorize(queue, None),
            Err(Refusal::AuthenticationRequired(vec![Permission::Review]))
        );
    }

    #[test]
    fn only_agents_may_register_in_an_agents_name() {
        let register = endpoint(Method::POST, "/api/v1/orders");
        let mut citizen = object(json!({"channel": "web_message"}));
        assert_eq!(bind_body(register, None, &mut citizen), Ok(()));
        assert!(!citizen.contains_key("agent_id"));
        let mut forged = object(json!({"agent_id": "agent-7"}));
        assert_eq!(
            bind_body(register, None, &mut forged),
            Err(Refusal::AuthenticationRequired(vec![
                Permission::RegisterOrder
            ]))
        );
        let agent = who(Role::Agent, None);
        let mut call = object(json!({"channel": "phone"}));
        assert_eq!(bind_body(register, Some(&agent), &mut call), Ok(()));
        assert_eq!(call["agent_id"], "agent-1");
        let unit = who(Role::UnitHandler, Some("u"));
        let mut forged = object(json!({"agent_id": "agent-1"}));
        assert!(matches!(
            bind_body(register, Some(&unit), &mut forged),
            Err(Refusal::PermissionMissing { .. })
        ));
    }

    #[test]
    fn dispute_decider_follows_the_role() {
        let decide = endpoint(Method::POST, "/api/v1/disputes/{dispute_id}/decision");
        let authority = who(Role::Authority, None);
        let mut body = Map::new();
        assert_eq!(bind_body(decide, Some(&authority), &mut body), Ok(()));
        assert_eq!(body["decider"], "authority");
        let dispatcher = who(Role::Dispatcher, None);
        let mut body = object(json!({"decider": "authority"}));
        assert!(matches!(
            bind_body(decide, Some(&dispatcher), &mut body),
            Err(Refusal::CapacityMismatch {
                expected: "center",
                ..
            })
        ));
    }

    #[test]
    fn a_unit_reads_only_its_own_inbox_the_center_reads_all() {
        let inbox = endpoint(Method::GET, "/api/v1/units/{unit_id}/orders");
        let params = vec![("unit_id".to_owned(), "other".to_owned())];
        let unit = who(Role::UnitHandler, Some("mine"));
        assert!(matches!(
            check_path(inbox, Some(&unit), &params),
            Err(Refusal::UnitScope {
                field: "unit_id",
                ..
            })
        ));
        let own = vec![("unit_id".to_owned(), "mine".to_owned())];
        assert_eq!(check_path(inbox, Some(&unit), &own), Ok(()));
        let dispatcher = who(Role::Dispatcher, None);
        assert_eq!(check_path(inbox, Some(&dispatcher), &params), Ok(()));
    }
}
