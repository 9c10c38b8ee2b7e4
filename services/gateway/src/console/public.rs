//! The public site (A3, A11, A22): write a message, track an order with its number and
//! check code, search the knowledge base. Anonymous; mobile-friendly.

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hotline_contract::knowledge::{SearchQuery, SearchResults};
use hotline_contract::rpc::{self, ProgressQuery, ProgressView, RegisterOrder, RequesterInput};
use hotline_contract::vocabulary::{Channel, RequestKind, RequesterType};
use serde::Deserialize;

use super::{bad_form, beijing, document, esc, html, problem_box};
use crate::problem::Problem;
use crate::routes::{AppState, call, call_problem, intake_register, trace_of};

/// `/`: where to go.
pub async fn home() -> Response {
    let body = r#"<p>贵州省 12345 政务服务便民热线：有诉求，找 12345。</p>
<ul class="links">
<li><a href="/message">我要留言：网上反映诉求</a></li>
<li><a href="/track">进度查询：凭工单编号和查询码</a></li>
<li><a href="/knowledge">知识库：常见问题与政策解答</a></li>
<li><a href="/console/login">工作人员登录</a></li>
</ul>"#;
    html(
        StatusCode::OK,
        document("12345 政务服务便民热线", None, body),
    )
}

/// The request kinds a form offers, with their labels.
pub(crate) fn kind_options(selected: &str) -> String {
    [
        RequestKind::Complaint,
        RequestKind::Help,
        RequestKind::Consultation,
        RequestKind::Report,
        RequestKind::Suggestion,
    ]
    .iter()
    .map(|k| {
        let sel = if k.code() == selected {
            " selected"
        } else {
            ""
        };
        format!(
            r#"<option value="{}"{sel}>{}</option>"#,
            k.code(),
            k.label_zh()
        )
    })
    .collect()
}

/// What the message form and the agent's intake form ask.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub matter: String,
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub address: String,
    /// The catalogue code, when the requester or agent knows it (A12); optional.
    #[serde(default)]
    pub category: String,
}

impl RequestForm {
    /// The registration the form asks for; intake checks every field (A11).
    pub(crate) fn register(&self, channel: Channel) -> Result<RegisterOrder, Problem> {
        let kind = RequestKind::from_code(&self.kind).ok_or_else(|| {
            Problem::invalid(vec![rpc::FieldError {
                field: "kind".to_owned(),
                code: "invalid".to_owned(),
                message: "请选择诉求类型".to_owned(),
            }])
        })?;
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(RegisterOrder {
            channel,
            kind,
            requester: RequesterInput {
                requester_type: RequesterType::Person,
                name: some(&self.name),
                phone: some(&self.phone),
                id_number: None,
            },
            matter: self.matter.trim().to_owned(),
            category: some(&self.category),
            region_code: self.region_code.trim().to_owned(),
            address: some(&self.address),
            confidential: false,
            urgency: Default::default(),
            requested_at: None,
            agent_id: None,
            triage: None,
        })
    }

    /// The form's fields, filled with what was typed.
    pub(crate) fn fields(&self) -> String {
        let region = if self.region_code.is_empty() {
            "520102"
        } else {
            &self.region_code
        };
        format!(
            r#"<label>姓名<input name="name" autocomplete="name" value="{name}" required></label>
<label>联系电话<input name="phone" type="tel" autocomplete="tel" value="{phone}" required></label>
<label>诉求类型<select name="kind">{kinds}</select></label>
<label>诉求内容<textarea name="matter" required>{matter}</textarea></label>
<label>所在区县（行政区划代码）<input name="region_code" inputmode="numeric" pattern="[0-9]{{6}}" value="{region}" required></label>
<label>详细地址<input name="address" value="{address}"></label>
<label>诉求分类代码（可选，如 environment.noise）<input name="category" value="{category}"></label>"#,
            name = esc(&self.name),
            phone = esc(&self.phone),
            kinds = kind_options(if self.kind.is_empty() {
                "complaint"
            } else {
                &self.kind
            }),
            matter = esc(&self.matter),
            region = esc(region),
            address = esc(&self.address),
            category = esc(&self.category),
        )
    }
}

fn message_page(form: &RequestForm, problem: Option<&Problem>) -> String {
    let problem = problem.map(problem_box).unwrap_or_default();
    let body = format!(
        r#"{problem}<p class="muted">您的姓名和电话只用于办理和回访，不会公开。</p>
<form class="stack" method="post" action="/message">
{fields}
<button type="submit">提交留言</button>
</form>"#,
        fields = form.fields()
    );
    document("我要留言", None, &body)
}

/// `GET /message`: the web message form.
pub async fn message_form() -> Response {
    html(StatusCode::OK, message_page(&RequestForm::default(), None))
}

/// `POST /message`: register a web message (A3); the receipt shows the number and the
/// check code to track it with.
pub async fn submit_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<RequestForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form(None);
    };
    let trace = trace_of(&headers);
    let registered = match form.register(Channel::WebMessage) {
        Ok(input) => intake_register(&state, &input, &trace).await,
        Err(problem) => Err(problem),
    };
    match registered {
        Ok(receipt) => {
            let notice = receipt
                .notice
                .as_deref()
                .map(|n| format!(r#"<div class="problem" role="alert">{}</div>"#, esc(n)))
                .unwrap_or_default();
            let body = format!(
                r#"{notice}<div class="ok" role="status"><p>您的留言已受理。请记下工单编号和查询码，用于查询办理进度。</p></div>
<dl><dt>工单编号</dt><dd id="order-number">{number}</dd><dt>查询码</dt><dd id="check-code">{code}</dd><dt>受理时间</dt><dd>{at}</dd></dl>
<p><a href="/track?number={number}&amp;check_code={code}">查询办理进度</a></p>"#,
                number = esc(&receipt.number),
                code = esc(&receipt.check_code),
                at = beijing(receipt.registered_at),
            );
            html(StatusCode::CREATED, document("留言已受理", None, &body))
        }
        Err(problem) => {
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            html(status, message_page(&form, Some(&problem)))
        }
    }
}

/// The tracking form's query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TrackParams {
    pub number: Option<String>,
    pub check_code: Option<String>,
}

/// `GET /track`: the form, and with number and check code the order's progress (A11).
pub async fn track(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<TrackParams>, QueryRejection>,
) -> Response {
    let Query(params) = params.unwrap_or_default();
    let number = params.number.unwrap_or_default().trim().to_owned();
    let check_code = params.check_code.unwrap_or_default().trim().to_owned();
    let form = format!(
        r#"<form class="stack" method="get" action="/track">
<label>工单编号<input name="number" value="{}" required></label>
<label>查询码（或来电号码后四位）<input name="check_code" value="{}" required></label>
<button type="submit">查询</button>
</form>"#,
        esc(&number),
        esc(&check_code)
    );
    if number.is_empty() || check_code.is_empty() {
        return html(StatusCode::OK, document("进度查询", None, &form));
    }
    let query = ProgressQuery { number, check_code };
    let reply: Result<ProgressView, Problem> = call(
        &state,
        rpc::verbs::INTAKE_PROGRESS,
        &query,
        &trace_of(&headers),
    )
    .await
    .map_err(call_problem);
    match reply {
        Ok(view) => html(
            StatusCode::OK,
            document("进度查询", None, &format!("{}{form}", progress(&view))),
        ),
        Err(problem) => {
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::NOT_FOUND);
            let shown = if status == StatusCode::NOT_FOUND {
                Problem::new(
                    status,
                    "not_found",
                    "未找到",
                    "没有找到该工单：请核对工单编号和查询码",
                )
            } else {
                problem
            };
            html(
                status,
                document("进度查询", None, &format!("{}{form}", problem_box(&shown))),
            )
        }
    }
}

fn progress(view: &ProgressView) -> String {
    let steps: String = view
        .history
        .iter()
        .map(|s| format!("<li>{} · {}</li>", esc(s.status.label_zh()), beijing(s.at)))
        .collect();
    let mut rows = format!(
        r#"<dt>工单编号</dt><dd>{number}</dd><dt>当前状态</dt><dd><span class="status" id="order-status">{status}</span></dd><dt>诉求类型</dt><dd>{kind}</dd><dt>受理时间</dt><dd>{at}</dd>"#,
        number = esc(&view.number),
        status = esc(&view.status_label),
        kind = esc(view.kind.label_zh()),
        at = beijing(view.registered_at),
    );
    if let Some(due) = view.expected_completion_at {
        rows.push_str(&format!("<dt>预计办结</dt><dd>{}</dd>", beijing(due)));
    }
    // Issue 8 (A10.1): a transferred order's partner outcome.
    if let Some(note) = &view.transfer_note {
        rows.push_str(&format!(
            r#"<dt>转交情况</dt><dd id="order-transfer">{}</dd>"#,
            esc(note)
        ));
    }
    if let Some(reply) = &view.reply {
        rows.push_str(&format!(
            r#"<dt>办理答复</dt><dd id="order-reply">{}</dd>"#,
            esc(reply)
        ));
    }
    format!("<dl>{rows}</dl><h2>办理过程</h2><ol>{steps}</ol>")
}

/// The knowledge search's query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KnowledgeParams {
    pub q: Option<String>,
}

/// `GET /knowledge`: search the published knowledge base (A22).
pub async fn knowledge(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<KnowledgeParams>, QueryRejection>,
) -> Response {
    let Query(params) = params.unwrap_or_default();
    let q = params.q.unwrap_or_default().trim().to_owned();
    let form = format!(
        r#"<form class="stack" method="get" action="/knowledge"><label>关键词<input name="q" type="search" value="{}" required></label><button type="submit">搜索</button></form>"#,
        esc(&q)
    );
    if q.is_empty() {
        return html(StatusCode::OK, document("知识库", None, &form));
    }
    let request = SearchQuery {
        q,
        region_code: None,
        category: None,
        limit: Some(20),
    };
    let reply: Result<SearchResults, Problem> = call(
        &state,
        rpc::verbs::KNOWLEDGE_SEARCH,
        &request,
        &trace_of(&headers),
    )
    .await
    .map_err(call_problem);
    let results = match reply {
        Ok(results) if results.hits.is_empty() => "<p>没有找到相关内容。</p>".to_owned(),
        Ok(results) => {
            let items: String = results
                .hits
                .iter()
                .map(|h| {
                    format!(
                        r#"<li><strong>{}</strong> <span class="muted">{} · {}</span></li>"#,
                        esc(&h.title),
                        esc(&h.category),
                        esc(&h.region_code)
                    )
                })
                .collect();
            format!(r#"<ul id="knowledge-hits">{items}</ul>"#)
        }
        Err(problem) => problem_box(&problem),
    };
    html(
        StatusCode::OK,
        document("知识库", None, &format!("{form}{results}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_contract::vocabulary::OrderStatus;

    #[test]
    fn a_transferred_orders_partner_outcome_is_shown_escaped() {
        let at = chrono::Utc::now();
        let mut view = ProgressView {
            number: "5201022612010001".to_owned(),
            status: OrderStatus::TransferRequested,
            status_label: OrderStatus::TransferRequested.label_zh().to_owned(),
            kind: RequestKind::Help,
            channel: Channel::WebMessage,
            registered_at: at,
            updated_at: at,
            sign_due_at: None,
            expected_completion_at: None,
            reply: None,
            transfer_note: Some("110 未受理：<非警情>".to_owned()),
            history: Vec::new(),
        };
        let page = progress(&view);
        assert!(
            page.contains(r#"<dd id="order-transfer">110 未受理：&lt;非警情&gt;</dd>"#),
            "{page}"
        );
        view.transfer_note = None;
        assert!(!progress(&view).contains("order-transfer"));
    }
}
