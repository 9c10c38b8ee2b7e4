//! Who may move a version through the workflow, and where it goes (A22).
//!
//! ```text
//! draft ──submit──► submitted ──review: approve──► approved ──publish──► published
//!                       └──────review: reject (reason)──► rejected        │
//!                                          published ──newer published──► retired
//!                                          published ──unpublish (reason)► unpublished
//! ```
//!
//! - A unit or the center drafts. A draft of an existing article is a **revision** when
//!   its owner or the center writes it, a **correction** when another unit proposes it.
//! - The center reviews revisions and new articles; a correction is reviewed by the
//!   owning unit or the center. The reviewer is never the author.
//! - The center publishes approved versions and may unpublish; the owner may unpublish its
//!   own article.
//!
//! Roles come with issue 10: the gateway will check that the acting user holds the role
//! their unit claims. These rules take the actor as given.

use hotline_contract::knowledge::{Actor, ReviewDecision, VersionKind, VersionStatus};
use hotline_contract::rpc::{FieldError, RpcError, RpcErrorCode};

/// The facts about a version the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFacts {
    pub kind: VersionKind,
    pub status: VersionStatus,
    pub authored_by: String,
    pub author_unit_id: String,
    /// The article's owning unit.
    pub owner_unit_id: String,
}

/// The workflow's rules, with the id of the hotline center's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub center_unit_id: String,
}

fn forbidden(message: &str) -> RpcError {
    RpcError::new(RpcErrorCode::Forbidden, message)
}

impl Workflow {
    pub fn is_center(&self, actor: &Actor) -> bool {
        actor.unit_id == self.center_unit_id
    }

    /// The owner of a new article: the drafting unit, or the unit the center names.
    pub fn owner_of_new_article(
        &self,
        actor: &Actor,
        requested: Option<&str>,
    ) -> Result<String, RpcError> {
        match requested.map(str::trim).filter(|o| !o.is_empty()) {
            None => Ok(actor.unit_id.clone()),
            Some(owner) if owner == actor.unit_id || self.is_center(actor) => Ok(owner.to_owned()),
            Some(_) => Err(forbidden(
                "单位只能为本单位起草知识，指定其他责任单位须由热线中心起草",
            )),
        }
    }

    /// What a new draft of an existing article owned by `owner` is, and its owner
    /// afterwards (only the center may hand an article to another unit).
    pub fn draft_of_existing(
        &self,
        actor: &Actor,
        owner: &str,
        requested_owner: Option<&str>,
    ) -> Result<(VersionKind, String), RpcError> {
        let kind = if actor.unit_id == owner || self.is_center(actor) {
            VersionKind::Revision
        } else {
            VersionKind::Correction
        };
        let new_owner = match requested_owner.map(str::trim).filter(|o| !o.is_empty()) {
            None => owner.to_owned(),
            Some(o) if o == owner => owner.to_owned(),
            Some(o) if self.is_center(actor) => o.to_owned(),
            Some(_) => return Err(forbidden("只有热线中心可以变更知识的责任单位")),
        };
        Ok((kind, new_owner))
    }

    /// Submit a draft for review: its author's unit does.
    pub fn submit(&self, actor: &Actor, version: &VersionFacts) -> Result<VersionStatus, RpcError> {
        if actor.unit_id != version.author_unit_id && actor.user_id != version.authored_by {
            return Err(forbidden("只有起草单位可以提交审核"));
        }
        match version.status {
            VersionStatus::Draft => Ok(VersionStatus::Submitted),
            other => Err(RpcError::conflict(format!(
                "该版本当前为{}，只有草稿可以提交审核",
                status_label(other)
            ))),
        }
    }

    /// Review a submitted version.
    pub fn review(
        &self,
        actor: &Actor,
        version: &VersionFacts,
        decision: ReviewDecision,
        reason: Option<&str>,
    ) -> Result<VersionStatus, RpcError> {
        let may_review = match version.kind {
            VersionKind::Correction => {
                self.is_center(actor) || actor.unit_id == version.owner_unit_id
            }
            VersionKind::Original | VersionKind::Revision => self.is_center(actor),
        };
        if !may_review {
            return Err(forbidden(match version.kind {
                VersionKind::Correction => "纠错建议由责任单位或热线中心审核",
                _ => "知识由热线中心审核",
            }));
        }
        if actor.user_id == version.authored_by {
            return Err(forbidden("审核人不能是该版本的起草人"));
        }
        if version.status != VersionStatus::Submitted {
            return Err(RpcError::conflict(format!(
                "该版本当前为{}，只有待审核的版本可以审核",
                status_label(version.status)
            )));
        }
        match decision {
            ReviewDecision::Approve => Ok(VersionStatus::Approved),
            ReviewDecision::Reject if reason.is_some_and(|r| !r.trim().is_empty()) => {
                Ok(VersionStatus::Rejected)
            }
            ReviewDecision::Reject => Err(RpcError::invalid(vec![FieldError {
                field: "reason".to_owned(),
                code: "required".to_owned(),
                message: "退回须说明理由".to_owned(),
            }])),
        }
    }

    /// Publish an approved version: the center does.
    pub fn publish(&self, actor: &Actor, version: &VersionFacts) -> Result<(), RpcError> {
        if !self.is_center(actor) {
            return Err(forbidden("知识由热线中心发布"));
        }
        match version.status {
            VersionStatus::Approved => Ok(()),
            other => Err(RpcError::conflict(format!(
                "该版本当前为{}，只有审核通过的版本可以发布",
                status_label(other)
            ))),
        }
    }

    /// Take an article down: the center or its owner.
    pub fn unpublish(&self, actor: &Actor, owner: &str) -> Result<(), RpcError> {
        if self.is_center(actor) || actor.unit_id == owner {
            Ok(())
        } else {
            Err(forbidden("只有热线中心或责任单位可以下线知识"))
        }
    }
}

/// The Chinese name of a status, for messages.
pub fn status_label(status: VersionStatus) -> &'static str {
    match status {
        VersionStatus::Draft => "草稿",
        VersionStatus::Submitted => "待审核",
        VersionStatus::Approved => "审核通过",
        VersionStatus::Rejected => "已退回",
        VersionStatus::Published => "已发布",
        VersionStatus::Retired => "已被新版本替代",
        VersionStatus::Unpublished => "已下线",
    }
}

/// Status names as stored.
pub fn status_code(status: VersionStatus) -> &'static str {
    match status {
        VersionStatus::Draft => "draft",
        VersionStatus::Submitted => "submitted",
        VersionStatus::Approved => "approved",
        VersionStatus::Rejected => "rejected",
        VersionStatus::Published => "published",
        VersionStatus::Retired => "retired",
        VersionStatus::Unpublished => "unpublished",
    }
}

pub fn parse_status(code: &str) -> Option<VersionStatus> {
    Some(match code {
        "draft" => VersionStatus::Draft,
        "submitted" => VersionStatus::Submitted,
        "approved" => VersionStatus::Approved,
        "rejected" => VersionStatus::Rejected,
        "published" => VersionStatus::Published,
        "retired" => VersionStatus::Retired,
        "unpublished" => VersionStatus::Unpublished,
        _ => return None,
    })
}

pub fn kind_code(kind: VersionKind) -> &'static str {
    match kind {
        VersionKind::Original => "original",
        VersionKind::Revision => "revision",
        VersionKind::Correction => "correction",
    }
}

pub fn parse_kind(code: &str) -> Option<VersionKind> {
    Some(match code {
        "original" => VersionKind::Original,
        "revision" => VersionKind::Revision,
        "correction" => VersionKind::Correction,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CENTER: &str = "hotline-center";

    fn workflow() -> Workflow {
        Workflow {
            center_unit_id: CENTER.to_owned(),
        }
    }

    fn actor(user: &str, unit: &str) -> Actor {
        Actor {
            user_id: user.to_owned(),
            unit_id: unit.to_owned(),
        }
    }

    fn facts(kind: VersionKind, status: VersionStatus) -> VersionFacts {
        VersionFacts {
            kind,
            status,
            authored_by: "zhang".to_owned(),
            author_unit_id: "520100-hpf".to_owned(),
            owner_unit_id: "520100-hpf".to_owned(),
        }
    }

    #[test]
    fn a_draft_by_another_unit_is_a_correction_and_keeps_the_owner() {
        let w = workflow();
        let (kind, owner) = w
            .draft_of_existing(&actor("li", "520100-hrss"), "520100-hpf", None)
            .unwrap();
        assert_eq!(
            (kind, owner.as_str()),
            (VersionKind::Correction, "520100-hpf")
        );
        let (kind, _) = w
            .draft_of_existing(&actor("wang", CENTER), "520100-hpf", None)
            .unwrap();
        assert_eq!(kind, VersionKind::Revision);
        assert!(
            w.draft_of_existing(
                &actor("li", "520100-hrss"),
                "520100-hpf",
                Some("520100-hrss")
            )
            .is_err()
        );
        assert_eq!(
            w.draft_of_existing(&actor("wang", CENTER), "520100-hpf", Some("520000-hpf"))
                .unwrap()
                .1,
            "520000-hpf"
        );
    }

    #[test]
    fn a_unit_drafts_new_articles_for_itself_and_the_center_for_anyone() {
        let w = workflow();
        assert_eq!(
            w.owner_of_new_article(&actor("li", "520100-hpf"), None)
                .unwrap(),
            "520100-hpf"
        );
        assert!(
            w.owner_of_new_article(&actor("li", "520100-hpf"), Some("520100-hrss"))
                .is_err()
        );
        assert_eq!(
            w.owner_of_new_article(&actor("wang", CENTER), Some("520100-hrss"))
                .unwrap(),
            "520100-hrss"
        );
    }

    #[test]
    fn the_reviewer_is_never_the_author() {
        let w = workflow();
        let submitted = facts(VersionKind::Revision, VersionStatus::Submitted);
        let error = w
            .review(
                &actor("zhang", CENTER),
                &submitted,
                ReviewDecision::Approve,
                None,
            )
            .unwrap_err();
        assert_eq!(error.code, RpcErrorCode::Forbidden);
        assert_eq!(
            w.review(
                &actor("wang", CENTER),
                &submitted,
                ReviewDecision::Approve,
                None
            )
            .unwrap(),
            VersionStatus::Approved
        );
    }

    #[test]
    fn revisions_are_reviewed_by_the_center_and_corrections_also_by_the_owner() {
        let w = workflow();
        let owner = actor("chen", "520100-hpf");
        let revision = facts(VersionKind::Revision, VersionStatus::Submitted);
        assert_eq!(
            w.review(&owner, &revision, ReviewDecision::Approve, None)
                .unwrap_err()
                .code,
            RpcErrorCode::Forbidden
        );
        let mut correction = facts(VersionKind::Correction, VersionStatus::Submitted);
        correction.author_unit_id = "520100-hrss".to_owned();
        assert_eq!(
            w.review(&owner, &correction, ReviewDecision::Approve, None)
                .unwrap(),
            VersionStatus::Approved
        );
        assert_eq!(
            w.review(
                &actor("x", "520100-env"),
                &correction,
                ReviewDecision::Approve,
                None
            )
            .unwrap_err()
            .code,
            RpcErrorCode::Forbidden
        );
    }

    #[test]
    fn a_rejection_needs_a_reason() {
        let w = workflow();
        let submitted = facts(VersionKind::Original, VersionStatus::Submitted);
        let center = actor("wang", CENTER);
        let error = w
            .review(&center, &submitted, ReviewDecision::Reject, Some("  "))
            .unwrap_err();
        assert_eq!(error.code, RpcErrorCode::InvalidRequest);
        assert_eq!(
            w.review(
                &center,
                &submitted,
                ReviewDecision::Reject,
                Some("依据不明")
            )
            .unwrap(),
            VersionStatus::Rejected
        );
    }

    #[test]
    fn only_approved_versions_are_published_and_only_by_the_center() {
        let w = workflow();
        let center = actor("wang", CENTER);
        assert!(
            w.publish(
                &center,
                &facts(VersionKind::Original, VersionStatus::Approved)
            )
            .is_ok()
        );
        for status in [
            VersionStatus::Draft,
            VersionStatus::Submitted,
            VersionStatus::Rejected,
            VersionStatus::Published,
        ] {
            let error = w
                .publish(&center, &facts(VersionKind::Original, status))
                .unwrap_err();
            assert_eq!(error.code, RpcErrorCode::Conflict, "{status:?}");
        }
        assert_eq!(
            w.publish(
                &actor("chen", "520100-hpf"),
                &facts(VersionKind::Original, VersionStatus::Approved)
            )
            .unwrap_err()
            .code,
            RpcErrorCode::Forbidden
        );
    }

    #[test]
    fn only_drafts_are_submitted_by_their_unit() {
        let w = workflow();
        let draft = facts(VersionKind::Original, VersionStatus::Draft);
        assert_eq!(
            w.submit(&actor("chen", "520100-hpf"), &draft).unwrap(),
            VersionStatus::Submitted
        );
        assert_eq!(
            w.submit(&actor("x", "520100-env"), &draft)
                .unwrap_err()
                .code,
            RpcErrorCode::Forbidden
        );
        let submitted = facts(VersionKind::Original, VersionStatus::Submitted);
        assert_eq!(
            w.submit(&actor("zhang", "520100-hpf"), &submitted)
                .unwrap_err()
                .code,
            RpcErrorCode::Conflict
        );
    }

    #[test]
    fn status_and_kind_codes_round_trip() {
        for status in [
            VersionStatus::Draft,
            VersionStatus::Submitted,
            VersionStatus::Approved,
            VersionStatus::Rejected,
            VersionStatus::Published,
            VersionStatus::Retired,
            VersionStatus::Unpublished,
        ] {
            assert_eq!(parse_status(status_code(status)), Some(status));
        }
        for kind in [
            VersionKind::Original,
            VersionKind::Revision,
            VersionKind::Correction,
        ] {
            assert_eq!(parse_kind(kind_code(kind)), Some(kind));
        }
    }
}
