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

/// Urgency recorded at registration; urgent matters get limits in hours.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    #[default]
    Normal,
    Urgent,
}

/// Where an order stands, as the public progress query reports it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Registered,
    Dispatched,
    Signed,
    ResultSubmitted,
    Closed,
}

impl OrderStatus {
    /// Position in the happy path; a projection never moves an order backwards because
    /// of a late or redelivered event.
    pub fn rank(self) -> u8 {
        match self {
            Self::Registered => 0,
            Self::Dispatched => 1,
            Self::Signed => 2,
            Self::ResultSubmitted => 3,
            Self::Closed => 4,
        }
    }
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
    Dispatched => "dispatched", "已派单",
    Signed => "signed", "已签收",
    ResultSubmitted => "result_submitted", "已反馈办理结果",
    Closed => "closed", "已办结",
});
labels!(Urgency {
    Normal => "normal", "一般",
    Urgent => "urgent", "紧急",
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
