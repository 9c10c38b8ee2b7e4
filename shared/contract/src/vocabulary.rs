//! The hotline's shared vocabulary on the wire: channels, request kinds, requester types,
//! urgency. Serialized in snake_case; the Chinese labels are for UI and documents.

use serde::{Deserialize, Serialize};

/// How the request reached the hotline (A3).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 电话: an agent registers the call.
    Phone,
    /// 在线客服: an agent (or a bot) registers the chat.
    OnlineChat,
    /// 网上留言: the requester submits it themself.
    WebMessage,
}

/// The five request kinds (A3). The kind drives deadlines and routing.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 咨询
    Consultation,
    /// 求助
    Help,
    /// 投诉
    Complaint,
    /// 举报
    Report,
    /// 意见建议
    Suggestion,
}

/// Who is asking (A3): a natural person, a legal person or an unincorporated organisation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequesterType {
    Person,
    LegalPerson,
    Organisation,
}

/// Urgency recorded at registration; urgent and critical matters get limits in hours
/// (docs/deadlines.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    #[default]
    Normal,
    Urgent,
    /// A risk to life or property that stays with 12345 (not an emergency for
    /// 110/119/120): the shortest handling limit.
    Critical,
}

/// Where an order stands, as the public progress query reports it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Registered,
    /// Handed to 110/119/120/122, a utility or a sub-center hotline (A10.1).
    TransferRequested,
    Dispatched,
    Signed,
    ResultSubmitted,
    Closed,
    /// Closed at intake: answered from the knowledge base (A9).
    AnsweredDirectly,
    /// Closed at intake: the proper route told, or an explanation or persuasion given
    /// (A10.2, A10.4, A10.5).
    Redirected,
    /// Closed at intake: a repeat of an earlier order, linked to it (A10.3).
    RepeatLinked,
}

impl OrderStatus {
    /// Position in the happy path; a projection never moves an order backwards because
    /// of a late or redelivered event.
    pub fn rank(self) -> u8 {
        match self {
            Self::Registered => 0,
            Self::TransferRequested | Self::Dispatched => 1,
            Self::Signed => 2,
            Self::ResultSubmitted => 3,
            Self::Closed | Self::AnsweredDirectly | Self::Redirected | Self::RepeatLinked => 4,
        }
    }
}

/// Why intake closes an order without dispatching it (A10.2, A10.4, A10.5): the route
/// the requester was told, or the explanation or persuasion given.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectReason {
    /// A10.2: belongs to litigation (诉讼).
    Litigation,
    /// A10.2: belongs to arbitration (仲裁).
    Arbitration,
    /// A10.2: belongs to discipline inspection and supervision (纪检监察).
    DisciplineInspection,
    /// A10.2: belongs to administrative reconsideration (行政复议).
    AdministrativeReconsideration,
    /// A10.2: a government information disclosure request (政府信息公开).
    InformationDisclosure,
    /// A10.2: already in the petition channel (信访).
    Petition,
    /// A10.4: touches state secrets (国家秘密).
    StateSecret,
    /// A10.4: touches trade secrets (商业秘密).
    TradeSecret,
    /// A10.4: touches personal privacy (个人隐私).
    PersonalPrivacy,
    /// A10.5: breaks the law or public order; persuasion and education given.
    Unlawful,
}

impl RedirectReason {
    /// What the center did: told the route (A10.2), explained (A10.4), persuaded (A10.5).
    pub fn action(self) -> &'static str {
        match self {
            Self::Litigation
            | Self::Arbitration
            | Self::DisciplineInspection
            | Self::AdministrativeReconsideration
            | Self::InformationDisclosure
            | Self::Petition => "route_told",
            Self::StateSecret | Self::TradeSecret | Self::PersonalPrivacy => "explained",
            Self::Unlawful => "persuaded",
        }
    }
}

/// The requester's verdict at the satisfaction visit (回访, A18).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SatisfactionVerdict {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

macro_rules! labels {
    ($ty:ty { $($variant:ident => $code:literal, $zh:literal),+ $(,)? }) => {
        impl $ty {
            /// The wire code (same as the serde form).
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }
            /// The Chinese label shown to users.
            pub fn label_zh(self) -> &'static str {
                match self { $(Self::$variant => $zh),+ }
            }
            /// Parse a wire code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

labels!(Channel {
    Phone => "phone", "电话",
    OnlineChat => "online_chat", "在线客服",
    WebMessage => "web_message", "网上留言",
});
labels!(RequestKind {
    Consultation => "consultation", "咨询",
    Help => "help", "求助",
    Complaint => "complaint", "投诉",
    Report => "report", "举报",
    Suggestion => "suggestion", "意见建议",
});
labels!(RequesterType {
    Person => "person", "自然人",
    LegalPerson => "legal_person", "法人",
    Organisation => "organisation", "非法人组织",
});
labels!(OrderStatus {
    Registered => "registered", "已登记",
    TransferRequested => "transfer_requested", "已转交相关热线",
    AnsweredDirectly => "answered_directly", "已直接答复",
    Redirected => "redirected", "已告知办理途径",
    RepeatLinked => "repeat_linked", "已关联原工单",
    Dispatched => "dispatched", "已派单",
    Signed => "signed", "已签收",
    ResultSubmitted => "result_submitted", "已反馈办理结果",
    Closed => "closed", "已办结",
});
labels!(RedirectReason {
    Litigation => "litigation", "属于诉讼事项，已告知通过诉讼途径解决",
    Arbitration => "arbitration", "属于仲裁事项，已告知申请仲裁",
    DisciplineInspection => "discipline_inspection", "属于纪检监察事项，已告知向纪检监察机关反映",
    AdministrativeReconsideration => "administrative_reconsideration", "属于行政复议事项，已告知申请行政复议",
    InformationDisclosure => "information_disclosure", "属于政府信息公开申请，已告知依申请公开途径",
    Petition => "petition", "已进入信访渠道，已告知按信访程序办理",
    StateSecret => "state_secret", "涉及国家秘密，已作解释说明",
    TradeSecret => "trade_secret", "涉及商业秘密，已作解释说明",
    PersonalPrivacy => "personal_privacy", "涉及个人隐私，已作解释说明",
    Unlawful => "unlawful", "诉求违反法律法规或公序良俗，已劝导教育",
});
labels!(SatisfactionVerdict {
    Satisfied => "satisfied", "满意",
    BasicallySatisfied => "basically_satisfied", "基本满意",
    Unsatisfied => "unsatisfied", "不满意",
});
labels!(Urgency {
    Normal => "normal", "一般",
    Urgent => "urgent", "紧急",
    Critical => "critical", "特急（危及生命财产安全）",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_serde_form() {
        for kind in [
            RequestKind::Consultation,
            RequestKind::Help,
            RequestKind::Complaint,
            RequestKind::Report,
            RequestKind::Suggestion,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.code()));
            assert_eq!(RequestKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(Channel::from_code("fax"), None);
    }
}
