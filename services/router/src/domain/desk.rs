//! Checks of the desk commands (issue 5), in the manner of [`super::handling`]: every
//! field is checked and every problem reported at once, with the field's name, a code and
//! a Chinese message; ids are single-line and short, texts are trimmed and limited.
//!
//! Also what a unit may do with an order in its state ([`may_dispute`],
//! [`may_ask_for_time`]) and which part of an order a unit has ([`UnitRole`]): A5/A14
//! scope, a unit acts only on orders it leads or co-handles.

use hotline_contract::events::LimitUnit;
use hotline_contract::rpc::FieldError;

use super::handling::{AssignmentStatus, field_error, identifier, text};

/// The longest extension a unit may ask for at once: a month of working days, or a week
/// in hours. More is a matter for a new order or supervision, not an extension.
pub const MAX_EXTENSION_WORKING_DAYS: u32 = 22;
pub const MAX_EXTENSION_HOURS: u32 = 168;
/// The most units named in one command (co-handling units, invitees).
pub const MAX_UNITS: usize = 20;

/// Collects field errors while reading a command.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// A required identifier (order number, unit id, staff id, code).
    pub fn id(&mut self, field: &str, raw: &str, label: &str) -> String {
        identifier(&mut self.0, field, raw, label)
    }

    /// An optional identifier: absent or blank is `None`.
    pub fn optional_id(&mut self, field: &str, raw: Option<&str>, label: &str) -> Option<String> {
        raw.filter(|v| !v.trim().is_empty())
            .map(|v| identifier(&mut self.0, field, v, label))
    }

    /// A required text (explanation, report, view).
    pub fn text(&mut self, field: &str, raw: &str, label: &str) -> String {
        text(&mut self.0, field, raw, label)
    }

    /// A list of 1..=[`MAX_UNITS`] distinct unit ids (order kept). `allow_empty` for lists
    /// that may be empty.
    pub fn units(&mut self, field: &str, raw: &[String], allow_empty: bool) -> Vec<String> {
        if raw.is_empty() && !allow_empty {
            self.0.push(field_error(
                field,
                "required",
                "至少需要指定一个单位".to_owned(),
            ));
            return Vec::new();
        }
        if raw.len() > MAX_UNITS {
            self.0.push(field_error(
                field,
                "too_many",
                format!("一次最多指定{MAX_UNITS}个单位"),
            ));
            return Vec::new();
        }
        let mut units: Vec<String> = Vec::new();
        for (i, unit) in raw.iter().enumerate() {
            let unit = identifier(&mut self.0, &format!("{field}[{i}]"), unit, "单位");
            if units.contains(&unit) {
                self.0.push(field_error(
                    &format!("{field}[{i}]"),
                    "duplicate",
                    "单位重复".to_owned(),
                ));
            } else {
                units.push(unit);
            }
        }
        units
    }

    /// An extension of at least 1 and at most the maximum for its unit.
    pub fn extension(&mut self, field: &str, unit: LimitUnit, value: u32) {
        let max = match unit {
            LimitUnit::WorkingDays => MAX_EXTENSION_WORKING_DAYS,
            LimitUnit::Hours => MAX_EXTENSION_HOURS,
        };
        if value == 0 {
            self.0.push(field_error(
                field,
                "required",
                "延期时长必须大于0".to_owned(),
            ));
        } else if value > max {
            self.0.push(field_error(
                field,
                "too_long",
                format!("一次延期不能超过{max}"),
            ));
        }
    }

    /// Record a problem found by the caller.
    pub fn push(&mut self, field: &str, code: &str, message: &str) {
        self.0.push(field_error(field, code, message.to_owned()));
    }

    /// `value` when no problem was found, else every problem.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

/// A unit's part in an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitRole {
    /// The order's unit: it signs, answers and coordinates (A14: first receiver leads).
    Lead,
    /// A co-handling unit: it handles its part and reports to the lead unit.
    CoHandling,
}

impl UnitRole {
    pub fn code(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::CoHandling => "co_handling",
        }
    }

    /// The part `unit` has in an order led by `lead` with `co_units`; `None`: the order is
    /// not the unit's to see or act on.
    pub fn of(unit: &str, lead: &str, co_units: &[String]) -> Option<Self> {
        if unit == lead {
            Some(Self::Lead)
        } else if co_units.iter().any(|c| c == unit) {
            Some(Self::CoHandling)
        } else {
            None
        }
    }
}

/// Why a unit step is refused in the order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeskRefused {
    #[error("工单已签收，不能再提出异议")]
    DisputeAfterSigning,
    #[error("该工单已有异议正在处理")]
    DisputePending,
    #[error("该工单异议处理中，暂不能签收")]
    SignDuringDispute,
    #[error("工单尚未签收，请先签收")]
    NotSigned,
    #[error("该工单已提交办理结果")]
    ResultSubmitted,
    #[error("该工单已挂起")]
    Suspended,
    #[error("该工单未挂起")]
    NotSuspended,
    #[error("同类申请正在审批中")]
    RequestPending,
    #[error("该申请已审批")]
    RequestDecided,
    #[error("本单位已报送协办情况")]
    AlreadyReported,
    #[error("主办单位不能同时为协办单位")]
    LeadAsCoUnit,
    #[error("该单位已是协办单位")]
    AlreadyCoUnit,
    #[error("该工单不在会商中")]
    NotInConsultation,
    #[error("该单位未被邀请参加会商")]
    NotInvited,
}

/// A13: a unit disputes instead of signing.
pub fn may_dispute(status: AssignmentStatus, dispute_pending: bool) -> Result<(), DeskRefused> {
    if dispute_pending {
        return Err(DeskRefused::DisputePending);
    }
    match status {
        AssignmentStatus::Dispatched => Ok(()),
        AssignmentStatus::Signed | AssignmentStatus::ResultSubmitted => {
            Err(DeskRefused::DisputeAfterSigning)
        }
    }
}

/// A14: progress reports, extension and suspension requests come while the unit handles
/// the order: signed, no result yet.
pub fn may_ask_for_time(status: AssignmentStatus) -> Result<(), DeskRefused> {
    match status {
        AssignmentStatus::Dispatched => Err(DeskRefused::NotSigned),
        AssignmentStatus::Signed => Ok(()),
        AssignmentStatus::ResultSubmitted => Err(DeskRefused::ResultSubmitted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(r: Result<(), Vec<FieldError>>) -> Vec<(String, String)> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn unit_lists_are_required_distinct_and_bounded() {
        let mut c = Checks::default();
        c.units("unit_ids", &[], false);
        assert_eq!(
            codes(c.finish(())),
            [("unit_ids".into(), "required".into())]
        );
        let mut c = Checks::default();
        assert!(c.units("unit_ids", &[], true).is_empty());
        assert!(c.finish(()).is_ok());
        let mut c = Checks::default();
        let got = c.units("unit_ids", &["a".into(), " b ".into(), "a".into()], false);
        assert_eq!(got, ["a", "b"]);
        assert_eq!(
            codes(c.finish(())),
            [("unit_ids[2]".into(), "duplicate".into())]
        );
        let mut c = Checks::default();
        let many: Vec<String> = (0..=MAX_UNITS).map(|i| format!("u{i}")).collect();
        c.units("unit_ids", &many, false);
        assert_eq!(
            codes(c.finish(())),
            [("unit_ids".into(), "too_many".into())]
        );
    }

    #[test]
    fn an_extension_is_positive_and_bounded_by_its_unit() {
        for (unit, value, ok) in [
            (LimitUnit::WorkingDays, 0, false),
            (LimitUnit::WorkingDays, 5, true),
            (LimitUnit::WorkingDays, MAX_EXTENSION_WORKING_DAYS, true),
            (
                LimitUnit::WorkingDays,
                MAX_EXTENSION_WORKING_DAYS + 1,
                false,
            ),
            (LimitUnit::Hours, MAX_EXTENSION_HOURS, true),
            (LimitUnit::Hours, MAX_EXTENSION_HOURS + 1, false),
        ] {
            let mut c = Checks::default();
            c.extension("extension.value", unit, value);
            assert_eq!(c.finish(()).is_ok(), ok, "{unit:?} {value}");
        }
    }

    #[test]
    fn a_unit_sees_only_orders_it_leads_or_co_handles() {
        let co = ["co-1".to_owned(), "co-2".to_owned()];
        assert_eq!(UnitRole::of("lead", "lead", &co), Some(UnitRole::Lead));
        assert_eq!(
            UnitRole::of("co-2", "lead", &co),
            Some(UnitRole::CoHandling)
        );
        assert_eq!(UnitRole::of("other", "lead", &co), None);
    }

    #[test]
    fn a_dispute_comes_before_signing_and_one_at_a_time() {
        assert_eq!(may_dispute(AssignmentStatus::Dispatched, false), Ok(()));
        assert_eq!(
            may_dispute(AssignmentStatus::Dispatched, true),
            Err(DeskRefused::DisputePending)
        );
        assert_eq!(
            may_dispute(AssignmentStatus::Signed, false),
            Err(DeskRefused::DisputeAfterSigning)
        );
    }

    #[test]
    fn time_is_asked_for_while_handling() {
        assert_eq!(may_ask_for_time(AssignmentStatus::Signed), Ok(()));
        assert_eq!(
            may_ask_for_time(AssignmentStatus::Dispatched),
            Err(DeskRefused::NotSigned)
        );
        assert_eq!(
            may_ask_for_time(AssignmentStatus::ResultSubmitted),
            Err(DeskRefused::ResultSubmitted)
        );
    }
}
