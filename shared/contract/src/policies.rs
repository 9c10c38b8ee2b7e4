//! Request and reply bodies of the time-limit policies (A15) as the console administers
//! them: `rpc.deadline-watcher.policies` lists the active version of every policy, and
//! `rpc.deadline-watcher.save_policy` writes a policy's next version.
//!
//! A policy is versioned data in the deadline-watcher (`deadline_watcher.policies`): an
//! edit never changes a row, it adds version N+1 and deactivates version N, recording who
//! made it and why (A23). Every clock keeps the version it was started under, so a new
//! limit applies to clocks started afterwards only; a running clock is not moved.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{DeadlineClock, TimeLimit};
use crate::vocabulary::{RequestKind, Urgency};

/// `rpc.deadline-watcher.policies`: every active policy.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoliciesQuery {}

/// One version of a time-limit policy.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub policy_id: String,
    pub version: i32,
    pub clock: DeadlineClock,
    /// The kind of matter it applies to; absent: any kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RequestKind>,
    /// The urgency it applies to; absent: any urgency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<Urgency>,
    pub limit: TimeLimit,
    /// Where the limit comes from (the article, or the project default and why).
    pub basis: String,
    /// Whether a clock under it stops while the order is suspended (挂起).
    pub stops_when_suspended: bool,
    /// When this version was written.
    pub created_at: DateTime<Utc>,
    /// Who wrote this version (staff id); absent for the seeded defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Why this version was written; absent for the seeded defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Reply to [`PoliciesQuery`]: the active policies by clock, then policy id.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policies {
    pub policies: Vec<PolicyView>,
}

/// `rpc.deadline-watcher.save_policy`: write the next version of a policy with a new
/// limit. Refused (`conflict`) when `expected_version` is no longer the active one.
/// Replies with the new [`PolicyView`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavePolicyCommand {
    pub policy_id: String,
    /// The active version the editor saw.
    pub expected_version: i32,
    pub limit: TimeLimit,
    /// A new basis; absent: the current one stays.
    #[serde(default)]
    pub basis: Option<String>,
    /// A new suspension rule; absent: the current one stays.
    #[serde(default)]
    pub stops_when_suspended: Option<bool>,
    /// Why the limit changes (required, kept with the version).
    pub reason: String,
    /// Who changes it (staff id).
    pub edited_by: String,
}
