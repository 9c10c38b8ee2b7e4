//! The center head's list of send-backs awaiting approval (待审批的退回, A16: a reviewer
//! proposes, the head approves). The list is the review queue's results with a pending
//! proposal (`rpc.supervision.review_queue`, every page), each linking to its approval
//! page (`/console/send-backs/{proposal_id}`). No personal data: order numbers, units and
//! request kinds only.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::rpc::verbs;
use hotline_contract::supervision_desk::{
    REVIEW_QUEUE_MAX_LIMIT, ReviewQueue, ReviewQueueItem, ReviewQueueQuery,
};

use super::{beijing, document, esc, html, problem_page};
use crate::auth::guard::PageCsrf;
use crate::auth::principal::Principal;
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, trace_of};

/// The most queue pages read for one list (200 results each).
const MAX_PAGES: usize = 20;

/// The results under review whose send-back proposal waits for the head, oldest first.
pub async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Vec<ReviewQueueItem>, Problem> {
    let mut waiting = Vec::new();
    let mut after = None;
    for _ in 0..MAX_PAGES {
        let query = ReviewQueueQuery {
            status: Default::default(),
            limit: Some(REVIEW_QUEUE_MAX_LIMIT),
            after,
        };
        let page: ReviewQueue = call(
            state,
            verbs::SUPERVISION_REVIEW_QUEUE,
            &query,
            &trace_of(headers),
        )
        .await
        .map_err(call_problem)?;
        waiting.extend(
            page.items
                .into_iter()
                .filter(|i| i.send_back_pending && i.proposal_id.is_some()),
        );
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(waiting)
}

/// The list as a table (pure), or a line saying none waits.
pub fn table(items: &[ReviewQueueItem]) -> String {
    let rows: String = items
        .iter()
        .filter_map(|item| {
            let proposal = item.proposal_id?;
            Some(format!(
                r#"<tr><td>{number}</td><td>{unit}</td><td>{kind}</td><td>{at}</td><td><a href="/console/send-backs/{proposal}">审批</a></td></tr>"#,
                number = esc(item.number.as_deref().unwrap_or("—")),
                unit = esc(&item.unit_id),
                kind = item.kind.map_or("—", |k| k.label_zh()),
                at = beijing(item.submitted_at),
            ))
        })
        .collect();
    if rows.is_empty() {
        return r#"<p id="no-send-backs">暂无待审批的退回提议。</p>"#.to_owned();
    }
    format!(
        r#"<table id="send-backs"><thead><tr><th>工单编号</th><th>承办单位</th><th>类型</th><th>办理结果提交时间</th><th>操作</th></tr></thead><tbody>{rows}</tbody></table>"#
    )
}

/// `GET /console/send-backs`: the send-backs waiting for the head's approval.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    Extension(csrf): Extension<PageCsrf>,
) -> Response {
    let who = Some((&principal, &csrf));
    match pending(&state, &headers).await {
        Ok(items) => {
            let body = format!(
                r#"<p class="muted">审核员提出的退回重办，经中心负责人批准后退回原承办单位；提议人不能批准自己的提议。</p>{}"#,
                table(&items)
            );
            html(StatusCode::OK, document("待审批的退回", who, &body))
        }
        Err(problem) => problem_page(&problem, who),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use hotline_contract::vocabulary::RequestKind;
    use uuid::Uuid;

    fn item(number: &str, proposal: Option<Uuid>) -> ReviewQueueItem {
        ReviewQueueItem {
            order_id: Uuid::nil(),
            number: Some(number.to_owned()),
            unit_id: "520102-env".to_owned(),
            kind: Some(RequestKind::Complaint),
            result_id: Uuid::nil(),
            submitted_at: Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap(),
            checklist: None,
            send_back_pending: proposal.is_some(),
            proposal_id: proposal,
        }
    }

    #[test]
    fn each_pending_send_back_links_to_its_approval_page() {
        let p = Uuid::from_u128(7);
        let html = table(&[item("52010220261130000001", Some(p)), item("<b>", None)]);
        assert!(html.contains(&format!(r#"href="/console/send-backs/{p}""#)));
        assert!(html.contains("52010220261130000001"));
        assert!(
            !html.contains("<b>"),
            "rows without a proposal are not listed"
        );
        assert!(table(&[]).contains("暂无待审批"));
    }
}
