//! Triage (A9, A10): every request gets exactly one disposition, with the reason and the
//! deciding agent or rule recorded.
//!
//! - Agents (phone, online chat) decide: answer a consultation from the knowledge base
//!   (A9.2), transfer an emergency or utility matter (A10.1), tell the route / explain /
//!   persuade (A10.2, A10.4, A10.5), link a repeat (A10.3), or dispatch (A9.3, the default).
//! - Web messages are triaged by rules, never by the public: a message that reads like an
//!   emergency (fire, crime in progress, a medical emergency, a traffic accident) is
//!   transferred at once *and* the requester is told to call the emergency number now,
//!   because a web message may not be read for minutes. The keyword table below is the
//!   documented default; it errs towards transferring, since a missed emergency costs more
//!   than an unneeded transfer (the partner hotline can decline it).
//!
//! Pure: the caller looks up the earlier order of a repeat and passes it in.

use hotline_contract::rpc::{FieldError, TriageInput};
use hotline_contract::vocabulary::{Channel, RedirectReason, RequestKind};
use uuid::Uuid;

/// An earlier order a repeat refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierOrder {
    pub order_id: Uuid,
    pub number: String,
}

/// The one disposition of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Dispatch to a handling unit (A9.3); a follow-up carries the earlier order (A10.3).
    Dispatch { follow_up_of: Option<EarlierOrder> },
    /// Answered from the knowledge base and closed (A9.2).
    Answer {
        article_id: String,
        article_version: u32,
    },
    /// Transfer to a partner hotline (A10.1).
    Transfer {
        partner_code: String,
        emergency: bool,
        /// Told to the requester at once (web messages about emergencies).
        notice: Option<String>,
    },
    /// Route told, explanation or persuasion given, closed (A10.2, A10.4, A10.5).
    Redirect { reason: RedirectReason },
    /// A repeat with no new facts: linked to the earlier order and closed (A10.3).
    RepeatLink { earlier: EarlierOrder },
}

impl Decision {
    /// The machine code recorded as the disposition.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Dispatch { .. } => "dispatch",
            Self::Answer { .. } => "answer",
            Self::Transfer { .. } => "transfer",
            Self::Redirect { .. } => "redirect",
            Self::RepeatLink { .. } => "repeat",
        }
    }
}

/// Who decided: the agent, or the rule that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub decision: Decision,
    pub decided_by: String,
}

/// The emergency hotlines (A10.1): transfers to these use the bridge's emergency lane.
pub const EMERGENCY_PARTNERS: [&str; 4] = ["110", "119", "120", "122"];

/// The default keyword table for web messages: (partner, keywords, what to tell the
/// requester). Checked in order; the first partner with a matching keyword wins.
pub const EMERGENCY_KEYWORDS: &[(&str, &[&str], &str)] = &[
    (
        "119",
        &[
            "着火",
            "起火",
            "失火",
            "火灾",
            "大火",
            "燃气泄漏",
            "煤气泄漏",
        ],
        "您反映的情况可能涉及火情或燃气泄漏。如情况紧急，请立即拨打119火警电话。我们已同步转交119。",
    ),
    (
        "120",
        &[
            "昏迷",
            "晕倒",
            "心脏病发作",
            "呼吸困难",
            "大出血",
            "中毒",
            "急救",
            "没有呼吸",
        ],
        "您反映的情况可能需要医疗急救。请立即拨打120急救电话。我们已同步转交120。",
    ),
    (
        "110",
        &[
            "抢劫",
            "持刀",
            "杀人",
            "绑架",
            "入室盗窃",
            "正在打架",
            "斗殴",
            "家暴",
            "劫持",
        ],
        "您反映的情况可能涉及正在发生的违法犯罪。请立即拨打110报警电话。我们已同步转交110。",
    ),
    (
        "122",
        &["车祸", "交通事故", "撞车", "肇事逃逸"],
        "您反映的情况可能涉及交通事故。请立即拨打122交通事故报警电话。我们已同步转交122。",
    ),
];

/// The rule name recorded when the keyword table decides.
pub const EMERGENCY_RULE: &str = "rule:emergency-keywords";

/// Decide the disposition. `earlier` is the order named by a `Repeat` decision, looked
/// up by the caller (`None` when the number is unknown).
pub fn decide(
    channel: Channel,
    kind: RequestKind,
    matter: &str,
    agent_id: Option<&str>,
    input: Option<TriageInput>,
    earlier: Option<EarlierOrder>,
) -> Result<Triage, Vec<FieldError>> {
    if channel == Channel::WebMessage {
        if input.is_some() {
            return Err(vec![err(
                "triage",
                "not_allowed",
                "网上留言由系统按规则分拣，不能自行指定处理方式",
            )]);
        }
        return Ok(web_message_rules(matter));
    }
    // Agent channels: validation already required an agent id.
    let decided_by = agent_id.unwrap_or("agent:unknown").to_owned();
    let decision = match input.unwrap_or(TriageInput::Dispatch) {
        TriageInput::Dispatch => Decision::Dispatch { follow_up_of: None },
        TriageInput::Answer {
            article_id,
            article_version,
        } => {
            let mut errors = Vec::new();
            if kind != RequestKind::Consultation {
                errors.push(err(
                    "triage.disposition",
                    "answer_requires_consultation",
                    "只有咨询类诉求可以直接答复，其他诉求须派单办理",
                ));
            }
            let article_id = article_id.trim().to_owned();
            if article_id.is_empty() || article_id.chars().count() > 64 {
                errors.push(err(
                    "triage.article_id",
                    "invalid",
                    "须选择知识库文章（编号不超过64个字符）",
                ));
            }
            if article_version == 0 {
                errors.push(err(
                    "triage.article_version",
                    "invalid",
                    "知识库文章版本号从1开始",
                ));
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            Decision::Answer {
                article_id,
                article_version,
            }
        }
        TriageInput::Transfer { partner_code } => {
            let code = partner_code.trim().to_owned();
            let well_formed =
                (3..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit());
            if !well_formed {
                return Err(vec![err(
                    "triage.partner_code",
                    "invalid_format",
                    "转交热线号码应为3至6位数字（如110、119、120、122）",
                )]);
            }
            Decision::Transfer {
                emergency: EMERGENCY_PARTNERS.contains(&code.as_str()),
                partner_code: code,
                notice: None,
            }
        }
        TriageInput::Redirect { reason } => Decision::Redirect { reason },
        TriageInput::Repeat { new_facts, .. } => {
            let Some(earlier) = earlier else {
                return Err(vec![err(
                    "triage.earlier_number",
                    "unknown",
                    "未找到所关联的原工单，请核对工单编号",
                )]);
            };
            if new_facts {
                Decision::Dispatch {
                    follow_up_of: Some(earlier),
                }
            } else {
                Decision::RepeatLink { earlier }
            }
        }
    };
    Ok(Triage {
        decision,
        decided_by,
    })
}

/// The rules for web messages: the emergency keyword table, else dispatch.
fn web_message_rules(matter: &str) -> Triage {
    for (partner, keywords, notice) in EMERGENCY_KEYWORDS {
        if keywords.iter().any(|k| matter.contains(k)) {
            return Triage {
                decision: Decision::Transfer {
                    partner_code: (*partner).to_owned(),
                    emergency: true,
                    notice: Some((*notice).to_owned()),
                },
                decided_by: EMERGENCY_RULE.to_owned(),
            };
        }
    }
    Triage {
        decision: Decision::Dispatch { follow_up_of: None },
        decided_by: "rule:default-dispatch".to_owned(),
    }
}

fn err(field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(input: TriageInput, kind: RequestKind) -> Result<Triage, Vec<FieldError>> {
        decide(
            Channel::Phone,
            kind,
            "……",
            Some("agent-7"),
            Some(input),
            None,
        )
    }

    fn earlier() -> EarlierOrder {
        EarlierOrder {
            order_id: Uuid::from_u128(1),
            number: "5201022611200001".to_owned(),
        }
    }

    #[test]
    fn agent_orders_are_dispatched_unless_the_agent_decides_otherwise() {
        let t = decide(
            Channel::Phone,
            RequestKind::Help,
            "停水",
            Some("agent-7"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(t.decision, Decision::Dispatch { follow_up_of: None });
        assert_eq!(t.decided_by, "agent-7");
    }

    #[test]
    fn only_consultations_are_answered_directly() {
        let answer = TriageInput::Answer {
            article_id: "kb-1".to_owned(),
            article_version: 2,
        };
        assert!(matches!(
            agent(answer.clone(), RequestKind::Consultation)
                .unwrap()
                .decision,
            Decision::Answer {
                article_version: 2,
                ..
            }
        ));
        let errors = agent(answer, RequestKind::Complaint).unwrap_err();
        assert_eq!(errors[0].code, "answer_requires_consultation");
    }

    #[test]
    fn transfers_to_110_119_120_122_are_emergencies_and_utilities_are_not() {
        let t = agent(
            TriageInput::Transfer {
                partner_code: "119".into(),
            },
            RequestKind::Help,
        )
        .unwrap();
        assert!(matches!(
            t.decision,
            Decision::Transfer {
                emergency: true,
                ..
            }
        ));
        let t = agent(
            TriageInput::Transfer {
                partner_code: "95598".into(),
            },
            RequestKind::Help,
        )
        .unwrap();
        assert!(matches!(
            t.decision,
            Decision::Transfer {
                emergency: false,
                ..
            }
        ));
        let e = agent(
            TriageInput::Transfer {
                partner_code: "fire".into(),
            },
            RequestKind::Help,
        )
        .unwrap_err();
        assert_eq!(e[0].field, "triage.partner_code");
    }

    #[test]
    fn a_repeat_without_new_facts_is_linked_and_with_new_facts_is_a_follow_up() {
        let repeat = |new_facts| TriageInput::Repeat {
            earlier_number: "5201022611200001".into(),
            new_facts,
        };
        let t = decide(
            Channel::Phone,
            RequestKind::Complaint,
            "",
            Some("a"),
            Some(repeat(false)),
            Some(earlier()),
        )
        .unwrap();
        assert_eq!(t.decision, Decision::RepeatLink { earlier: earlier() });
        let t = decide(
            Channel::Phone,
            RequestKind::Complaint,
            "",
            Some("a"),
            Some(repeat(true)),
            Some(earlier()),
        )
        .unwrap();
        assert_eq!(
            t.decision,
            Decision::Dispatch {
                follow_up_of: Some(earlier())
            }
        );
        let e = decide(
            Channel::Phone,
            RequestKind::Complaint,
            "",
            Some("a"),
            Some(repeat(false)),
            None,
        )
        .unwrap_err();
        assert_eq!(e[0].field, "triage.earlier_number");
    }

    #[test]
    fn web_messages_about_emergencies_are_transferred_and_the_requester_told_to_call() {
        for (matter, partner) in [
            ("楼下餐馆着火了，浓烟很大", "119"),
            ("邻居老人晕倒在楼道里", "120"),
            ("有人持刀在小区门口", "110"),
            ("路口发生车祸", "122"),
        ] {
            let t = decide(
                Channel::WebMessage,
                RequestKind::Help,
                matter,
                None,
                None,
                None,
            )
            .unwrap();
            match t.decision {
                Decision::Transfer {
                    partner_code,
                    emergency: true,
                    notice: Some(notice),
                } => {
                    assert_eq!(partner_code, partner);
                    assert!(notice.contains(partner), "{notice}");
                }
                other => panic!("{matter}: {other:?}"),
            }
            assert_eq!(t.decided_by, EMERGENCY_RULE);
        }
    }

    #[test]
    fn ordinary_web_messages_are_dispatched_and_cannot_choose_their_own_triage() {
        let t = decide(
            Channel::WebMessage,
            RequestKind::Complaint,
            "噪声扰民",
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(t.decision, Decision::Dispatch { follow_up_of: None });
        let e = decide(
            Channel::WebMessage,
            RequestKind::Consultation,
            "x",
            None,
            Some(TriageInput::Redirect {
                reason: RedirectReason::Litigation,
            }),
            None,
        )
        .unwrap_err();
        assert_eq!(e[0].code, "not_allowed");
    }
}
