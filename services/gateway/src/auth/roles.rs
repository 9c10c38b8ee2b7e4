//! Roles and permissions: who may do what (issue 10). Pure data, no I/O.
//!
//! A [`Role`] is what an account is (one role per account, as the center staffs its desks:
//! an agent who also reviews gets two accounts, so the trail says in which capacity they
//! acted). A [`Permission`] is one thing the API lets a caller do; every endpoint names
//! the permission it needs (`super::endpoints`), and [`Role::permissions`] is the one
//! place that grants them. A refusal names the missing permission and the roles that have
//! it, so the caller knows whom to ask.
//!
//! The grants follow the regulation's division of labour: agents register and answer
//! (A9, A10), the center dispatches and coordinates (A12–A14), reviewers review and the
//! center's head approves a send-back (A16), units sign, handle and report only their own
//! orders (A15, A16), the supervising authority decides escalated disputes (A13) and
//! watches the whole (A17, A18), analysts read figures without personal data (A20).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 话务员: registers calls and chats, answers from the knowledge base (A9, A10).
    Agent,
    /// 派单员: dispatches, settles disputes, runs consultations, approves requests (A12–A14).
    Dispatcher,
    /// 审核员: reviews results, proposes send-backs, opens supervision cases (A16, A17).
    Reviewer,
    /// 中心负责人: the center's head; approves send-backs, closes cases (A16, A17).
    CenterHead,
    /// 承办单位工作人员: works one unit's orders only (A15, A16).
    UnitHandler,
    /// 主管部门: the supervising authority; decides escalated disputes (A13, A17).
    Authority,
    /// 数据分析员: reads figures and reports, never personal data (A20).
    Analyst,
    /// 系统管理员: accounts, tokens, the directory, rules and the knowledge base's upkeep.
    Administrator,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Agent,
        Role::Dispatcher,
        Role::Reviewer,
        Role::CenterHead,
        Role::UnitHandler,
        Role::Authority,
        Role::Analyst,
        Role::Administrator,
    ];

    /// The code stored in the database and shown in the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Dispatcher => "dispatcher",
            Role::Reviewer => "reviewer",
            Role::CenterHead => "center_head",
            Role::UnitHandler => "unit_handler",
            Role::Authority => "authority",
            Role::Analyst => "analyst",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The role's name in the console.
    pub fn label(self) -> &'static str {
        match self {
            Role::Agent => "话务员",
            Role::Dispatcher => "派单员",
            Role::Reviewer => "审核员",
            Role::CenterHead => "中心负责人",
            Role::UnitHandler => "承办单位工作人员",
            Role::Authority => "主管部门",
            Role::Analyst => "数据分析员",
            Role::Administrator => "系统管理员",
        }
    }

    /// Whether an account of this role belongs to one unit and acts for it alone.
    pub fn is_unit_scoped(self) -> bool {
        self == Role::UnitHandler
    }

    /// Everything the role may do.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Agent => &[
                RegisterOrder,
                JointHandling,
                FlagHarassment,
                FindRepeats,
                SuggestCategory,
                RecordSatisfaction,
                SuggestKnowledge,
                GiveKnowledgeFeedback,
                DraftKnowledge,
                ReadOwnAccount,
            ],
            Role::Dispatcher => &[
                RegisterOrder,
                JointHandling,
                FindRepeats,
                SuggestCategory,
                SuggestKnowledge,
                DecideDispute,
                EscalateDispute,
                AssignCoHandling,
                DecideUnitRequest,
                ResumeOrder,
                RunConsultation,
                ReadDirectory,
                ReadDispatchRules,
                ReadDispatchAccuracy,
                ReadMonitor,
                ReadAnyUnitOrders,
                ReadOwnAccount,
            ],
            Role::Reviewer => &[
                Review,
                ReadArchive,
                OpenCase,
                SuggestKnowledge,
                GiveKnowledgeFeedback,
                DraftKnowledge,
                ReviewKnowledge,
                ReadAnyUnitOrders,
                ReadMonitor,
                ReadOwnAccount,
            ],
            Role::CenterHead => &[
                Review,
                JointHandling,
                ApproveSendBack,
                ReadArchive,
                OpenCase,
                CloseCase,
                ReviewKnowledge,
                PublishKnowledge,
                DecideDispute,
                EscalateDispute,
                DecideUnitRequest,
                ReadDirectory,
                ReadDispatchRules,
                ReadDispatchAccuracy,
                ReadKpis,
                // A19: the assessment of agents and reviewers.
                ReadStaffAssessment,
                ReadMonitor,
                ReadAnyUnitOrders,
                ReadTimeLimits,
                ReadOwnAccount,
            ],
            Role::UnitHandler => &[
                HandleOwnOrders,
                ReportRectification,
                DraftKnowledge,
                // The owner unit reviews corrections other units propose to its articles
                // (the knowledge service checks the ownership).
                ReviewKnowledge,
                ReadOwnAccount,
            ],
            Role::Authority => &[
                DecideEscalatedDispute,
                ReadArchive,
                ReadDirectory,
                ReadDispatchAccuracy,
                ReadKpis,
                ReadStaffAssessment,
                ReadMonitor,
                ReadAnyUnitOrders,
                ReadTimeLimits,
                ReadOwnAccount,
            ],
            Role::Analyst => &[ReadKpis, ReadMonitor, ReadDispatchAccuracy, ReadOwnAccount],
            Role::Administrator => &[
                ManageAccounts,
                ReadDirectory,
                ManageDirectory,
                ReadDispatchRules,
                ManageDispatchRules,
                PublishKnowledge,
                ManageKnowledge,
                ReadTimeLimits,
                ManageTimeLimits,
                ReadOwnAccount,
            ],
        }
    }

    pub fn grants(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

/// One thing the API lets a caller do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Register a call or chat for a requester, as the agent (A9).
    RegisterOrder,
    FlagHarassment,
    FindRepeats,
    SuggestCategory,
    /// Record the satisfaction call-back as the agent (the requester may also do it
    /// with the check code, without an account).
    RecordSatisfaction,
    SuggestKnowledge,
    GiveKnowledgeFeedback,
    DraftKnowledge,
    ReviewKnowledge,
    PublishKnowledge,
    ManageKnowledge,
    /// Sign for, dispute, report on and answer the orders of one's own unit (A13–A16).
    HandleOwnOrders,
    /// Read any unit's orders (the center and the authority).
    ReadAnyUnitOrders,
    DecideDispute,
    EscalateDispute,
    DecideEscalatedDispute,
    AssignCoHandling,
    DecideUnitRequest,
    ResumeOrder,
    RunConsultation,
    ReadDispatchAccuracy,
    Review,
    ApproveSendBack,
    ReadArchive,
    OpenCase,
    CloseCase,
    ReportRectification,
    ReadDirectory,
    ManageDirectory,
    ReadDispatchRules,
    ManageDispatchRules,
    ReadKpis,
    /// The per-agent and per-reviewer assessment (A19): named staff's performance, so
    /// only the center's head and the authority.
    ReadStaffAssessment,
    ReadMonitor,
    /// Read the time-limit policies (A15): the center's head, the authority, the
    /// administrator.
    ReadTimeLimits,
    /// Write a new version of a time-limit policy (A15): the administrator only.
    ManageTimeLimits,
    ManageAccounts,
    ReadOwnAccount,
    /// Mark an order for joint handling with a partner hotline and follow its log (A8).
    JointHandling,
}

impl Permission {
    /// The code a refusal names.
    pub fn code(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// What the permission allows, in the console's words.
    pub fn label(self) -> &'static str {
        use Permission::*;
        match self {
            RegisterOrder => "代群众登记诉求",
            FlagHarassment => "标记骚扰来电",
            FindRepeats => "查询重复诉求",
            SuggestCategory => "获取分类建议",
            RecordSatisfaction => "登记回访结果",
            SuggestKnowledge => "获取知识库推荐",
            GiveKnowledgeFeedback => "反馈知识条目",
            DraftKnowledge => "起草知识条目",
            ReviewKnowledge => "审核知识条目",
            PublishKnowledge => "发布知识条目",
            ManageKnowledge => "维护知识库",
            HandleOwnOrders => "办理本单位工单",
            ReadAnyUnitOrders => "查看各单位工单",
            DecideDispute => "处理异议",
            EscalateDispute => "异议提请主管部门",
            DecideEscalatedDispute => "裁定提请的异议",
            AssignCoHandling => "指派协办单位",
            DecideUnitRequest => "审批延期与挂起",
            ResumeOrder => "恢复挂起工单",
            RunConsultation => "组织派单会商",
            ReadDispatchAccuracy => "查看派单准确率",
            Review => "审核办理结果",
            ApproveSendBack => "批准退回重办",
            ReadArchive => "查看归档",
            OpenCase => "立督办案件",
            CloseCase => "结束督办案件",
            ReportRectification => "报告整改情况",
            ReadDirectory => "查看单位名录",
            ManageDirectory => "维护单位名录",
            ReadDispatchRules => "查看派单规则",
            ManageDispatchRules => "修改派单规则",
            ReadKpis => "查看考核指标",
            ReadStaffAssessment => "查看人员考核",
            ReadMonitor => "查看动态监测",
            ReadTimeLimits => "查看办理时限规则",
            ManageTimeLimits => "修改办理时限规则",
            ManageAccounts => "管理账号与令牌",
            JointHandling => "联动处置",
            ReadOwnAccount => "查看本人账号",
        }
    }

    /// The roles that hold this permission (named in a refusal).
    pub fn holders(self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| r.grants(self)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
            let json = serde_json::to_value(role).unwrap_or_default();
            assert_eq!(json.as_str(), Some(role.code()));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_the_head_approves_send_backs() {
        // A16: two people; the reviewer proposes, the head approves.
        assert_eq!(
            Permission::ApproveSendBack.holders(),
            vec![Role::CenterHead]
        );
    }

    #[test]
    fn only_the_authority_decides_escalated_disputes() {
        // A13: the authority's decision is final.
        assert_eq!(
            Permission::DecideEscalatedDispute.holders(),
            vec![Role::Authority]
        );
    }

    #[test]
    fn only_the_head_and_the_authority_read_the_staff_assessment() {
        // A19: a person's assessment is not for their peers or for analysts.
        assert_eq!(
            Permission::ReadStaffAssessment.holders(),
            vec![Role::CenterHead, Role::Authority]
        );
    }

    #[test]
    fn only_the_administrator_changes_time_limits() {
        // A15: the limits are the center's rules; the authority and the head read them.
        assert_eq!(
            Permission::ManageTimeLimits.holders(),
            vec![Role::Administrator]
        );
        assert_eq!(
            Permission::ReadTimeLimits.holders(),
            vec![Role::CenterHead, Role::Authority, Role::Administrator]
        );
    }

    #[test]
    fn analysts_get_no_desk_permission() {
        for p in Role::Analyst.permissions() {
            assert!(
                matches!(
                    p,
                    Permission::ReadKpis
                        | Permission::ReadMonitor
                        | Permission::ReadDispatchAccuracy
                        | Permission::ReadOwnAccount
                ),
                "{p:?}"
            );
        }
    }

    #[test]
    fn every_permission_has_a_holder_and_a_code() {
        let all: Vec<Permission> = Role::ALL
            .iter()
            .flat_map(|r| r.permissions().iter().copied())
            .collect();
        for p in &all {
            assert!(!p.code().is_empty());
            assert!(!p.holders().is_empty());
        }
    }
}
