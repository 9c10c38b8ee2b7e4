//! The signed-in caller: who they are, their role and, for unit staff, their unit.

use serde::Serialize;
use utoipa::ToSchema;

use super::roles::{Permission, Role};

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// The console's session cookie (unsafe methods need the CSRF token too).
    Session,
    /// An API token (`Authorization: Bearer …`).
    Token,
}

/// A signed-in person or system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Principal {
    /// The login name of a person, the name of a system.
    pub principal_id: String,
    pub display_name: String,
    pub role: Role,
    /// The unit the principal belongs to (required for unit handlers).
    pub unit_id: Option<String>,
    pub credential: Credential,
}

impl Principal {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.grants(permission)
    }
}
