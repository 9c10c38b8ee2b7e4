//! The rules for editing a time-limit policy (A15) from the console: what a new limit may
//! be, and the version it becomes. Pure; the deadline-watcher's `policy_desk` loads the
//! active version, asks here, and writes the result.
//!
//! An edit is a new version, never a change of a row (A23): version N+1 with the new limit
//! and the old version's scope (clock, kind, urgency), so every clock keeps naming the rule
//! it was started under, and the new limit applies to clocks started afterwards only.
//!
//! Sane limits: at least 1; at most 60 working days (the longest limits for handling are a
//! matter of weeks) and 72 hours (hour limits are for urgent matters; anything longer is
//! stated in working days). A15 fixes signing at 1 working day at most, so a `sign` policy
//! may not exceed 1 working day (or 24 hours).

use hotline_contract::events::DeadlineClock;
use hotline_contract::rpc::FieldError;

use super::deadline::Limit;
use super::policy::Policy;

/// The longest limit in working days an edit may set.
pub const MAX_WORKING_DAYS: u32 = 60;
/// The longest limit in hours an edit may set.
pub const MAX_HOURS: u32 = 72;
/// The longest reason kept with a version.
pub const MAX_REASON_CHARS: usize = 500;
/// The longest basis.
pub const MAX_BASIS_CHARS: usize = 1000;

/// What an editor asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEdit<'a> {
    pub limit: Limit,
    /// `None`: keep the current basis.
    pub basis: Option<&'a str>,
    /// `None`: keep the current rule.
    pub stops_when_suspended: Option<bool>,
    pub reason: &'a str,
    pub edited_by: &'a str,
}

/// Every problem with `edit` of the policy `current`, by field (empty: acceptable).
pub fn problems(current: &Policy, edit: &PolicyEdit<'_>) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut field = |field: &str, code: &str, message: String| {
        out.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message,
        });
    };
    let (value, max, unit) = match edit.limit {
        Limit::WorkingDays(n) => (n, MAX_WORKING_DAYS, "个工作日"),
        Limit::Hours(h) => (h, MAX_HOURS, "小时"),
    };
    if value == 0 {
        field("limit.value", "out_of_range", "时限须大于 0".to_owned());
    } else if value > max {
        field(
            "limit.value",
            "out_of_range",
            format!("按{}计的时限最长 {max} {unit}", unit_name(edit.limit)),
        );
    } else if current.clock == DeadlineClock::Sign && longer_than_a_working_day(edit.limit) {
        // A15: the handling unit signs within 1 working day.
        field(
            "limit",
            "exceeds_a15",
            "签收时限不得超过 1 个工作日（第十五条）".to_owned(),
        );
    }
    let reason = edit.reason.trim();
    if reason.is_empty() {
        field("reason", "required", "请填写修改理由".to_owned());
    } else if reason.chars().count() > MAX_REASON_CHARS {
        field(
            "reason",
            "too_long",
            format!("修改理由最多 {MAX_REASON_CHARS} 字"),
        );
    }
    if let Some(basis) = edit.basis.map(str::trim) {
        if basis.is_empty() {
            field("basis", "required", "依据不能为空".to_owned());
        } else if basis.chars().count() > MAX_BASIS_CHARS {
            field(
                "basis",
                "too_long",
                format!("依据最多 {MAX_BASIS_CHARS} 字"),
            );
        }
    }
    if edit.edited_by.trim().is_empty() {
        field("edited_by", "required", "缺少修改人".to_owned());
    }
    out
}

/// More than A15 allows for signing: over 1 working day, or over 24 hours.
fn longer_than_a_working_day(limit: Limit) -> bool {
    match limit {
        Limit::WorkingDays(n) => n > 1,
        Limit::Hours(h) => h > 24,
    }
}

fn unit_name(limit: Limit) -> &'static str {
    match limit {
        Limit::WorkingDays(_) => "工作日",
        Limit::Hours(_) => "小时",
    }
}

/// The version `edit` writes after `current`: the same policy id and scope, the next
/// version number, active.
pub fn next_version(current: &Policy, edit: &PolicyEdit<'_>) -> Policy {
    Policy {
        id: current.id.clone(),
        version: current.version.saturating_add(1),
        clock: current.clock,
        kind: current.kind,
        urgency: current.urgency,
        limit: edit.limit,
        basis: edit
            .basis
            .map_or_else(|| current.basis.clone(), |b| b.trim().to_owned()),
        active: true,
        stops_when_suspended: edit
            .stops_when_suspended
            .unwrap_or(current.stops_when_suspended),
    }
}

#[cfg(test)]
mod tests {
    use hotline_contract::vocabulary::{RequestKind, Urgency};

    use super::*;

    fn complaints() -> Policy {
        Policy {
            id: "handling-complaint-normal".to_owned(),
            version: 1,
            clock: DeadlineClock::Handling,
            kind: Some(RequestKind::Complaint),
            urgency: Some(Urgency::Normal),
            limit: Limit::WorkingDays(10),
            basis: "A15: project default".to_owned(),
            active: true,
            stops_when_suspended: true,
        }
    }

    fn edit(limit: Limit) -> PolicyEdit<'static> {
        PolicyEdit {
            limit,
            basis: None,
            stops_when_suspended: None,
            reason: "省级规定调整",
            edited_by: "admin-01",
        }
    }

    fn codes(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn a_sane_limit_with_a_reason_is_accepted_as_the_next_version() {
        let current = complaints();
        let e = edit(Limit::WorkingDays(7));
        assert!(problems(&current, &e).is_empty());
        let next = next_version(&current, &e);
        assert_eq!(next.version, 2);
        assert_eq!(next.limit, Limit::WorkingDays(7));
        assert_eq!(
            (next.clock, next.kind, next.urgency),
            (current.clock, current.kind, current.urgency),
            "the scope stays"
        );
        assert_eq!(next.basis, current.basis);
        assert!(next.active && next.stops_when_suspended);
        let e = PolicyEdit {
            basis: Some("  新依据 "),
            stops_when_suspended: Some(false),
            ..edit(Limit::Hours(48))
        };
        let next = next_version(&current, &e);
        assert_eq!(
            (next.basis.as_str(), next.stops_when_suspended),
            ("新依据", false)
        );
    }

    #[test]
    fn a_limit_must_be_positive_and_within_sane_bounds() {
        let current = complaints();
        for limit in [
            Limit::WorkingDays(0),
            Limit::Hours(0),
            Limit::WorkingDays(MAX_WORKING_DAYS + 1),
            Limit::Hours(MAX_HOURS + 1),
        ] {
            assert_eq!(
                codes(&problems(&current, &edit(limit))),
                [("limit.value", "out_of_range")],
                "{limit:?}"
            );
        }
        assert!(problems(&current, &edit(Limit::WorkingDays(MAX_WORKING_DAYS))).is_empty());
        assert!(problems(&current, &edit(Limit::Hours(MAX_HOURS))).is_empty());
    }

    #[test]
    fn signing_may_not_take_longer_than_one_working_day() {
        // A15: sign within 1 working day.
        let sign = Policy {
            id: "sign".to_owned(),
            clock: DeadlineClock::Sign,
            kind: None,
            urgency: None,
            limit: Limit::WorkingDays(1),
            stops_when_suspended: false,
            ..complaints()
        };
        for limit in [Limit::WorkingDays(2), Limit::Hours(25)] {
            assert_eq!(
                codes(&problems(&sign, &edit(limit))),
                [("limit", "exceeds_a15")]
            );
        }
        assert!(problems(&sign, &edit(Limit::Hours(8))).is_empty());
        assert!(problems(&sign, &edit(Limit::WorkingDays(1))).is_empty());
    }

    #[test]
    fn the_reason_and_the_editor_are_required() {
        let e = PolicyEdit {
            reason: "  ",
            edited_by: "",
            basis: Some(""),
            ..edit(Limit::WorkingDays(5))
        };
        assert_eq!(
            codes(&problems(&complaints(), &e)),
            [
                ("reason", "required"),
                ("basis", "required"),
                ("edited_by", "required")
            ]
        );
        let long = "理".repeat(MAX_REASON_CHARS + 1);
        let e = PolicyEdit {
            reason: &long,
            ..edit(Limit::WorkingDays(5))
        };
        assert_eq!(
            codes(&problems(&complaints(), &e)),
            [("reason", "too_long")]
        );
    }
}
