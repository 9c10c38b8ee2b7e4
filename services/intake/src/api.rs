//! Intake's request/reply endpoints.

use hotline_contract::rpc::{ProgressQuery, ProgressView, RpcError};
use sqlx::PgPool;

use crate::store::{self, Lookup};

/// `rpc.intake.progress`: the public progress query (A11).
pub async fn progress(
    pool: &PgPool,
    hasher: &crate::domain::phone::PhoneHasher,
    query: ProgressQuery,
) -> Result<ProgressView, RpcError> {
    let number = query.number.trim();
    let code = query.check_code.trim();
    if number.is_empty() || number.len() > 32 || code.is_empty() || code.len() > 16 {
        return Err(RpcError::not_found("未找到该工单，请核对工单编号和查询码"));
    }
    match store::progress(pool, hasher, number, code).await {
        Ok(Lookup::Found(view)) => Ok(*view),
        Ok(Lookup::NotFound) => Err(RpcError::not_found("未找到该工单，请核对工单编号和查询码")),
        Err(error) => {
            tracing::error!(%error, "progress query failed");
            Err(RpcError::new(
                hotline_contract::rpc::RpcErrorCode::Unavailable,
                "暂时无法查询，请稍后重试",
            ))
        }
    }
}

/// `rpc.intake.public_status`: the status of orders by number alone, for the Open311
/// facade (issue 10). A21: the answer holds no personal data and not the matter; the
/// progress query with the check code remains the way to the reply. Unknown numbers are
/// left out of the answer.
pub async fn public_status(
    pool: &PgPool,
    query: hotline_contract::rpc::PublicStatusQuery,
) -> Result<hotline_contract::rpc::PublicStatuses, RpcError> {
    use hotline_contract::rpc::{FieldError, PublicStatusQuery, PublicStatuses};
    let numbers: Vec<String> = query
        .numbers
        .iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty() && n.len() <= 32)
        .collect();
    if numbers.is_empty() || query.numbers.len() > PublicStatusQuery::MAX_NUMBERS {
        return Err(RpcError::invalid(vec![FieldError {
            field: "numbers".to_owned(),
            code: "invalid".to_owned(),
            message: format!("须给出 1 至 {} 个工单编号", PublicStatusQuery::MAX_NUMBERS),
        }]));
    }
    match store::public_status(pool, &numbers).await {
        Ok(orders) => Ok(PublicStatuses { orders }),
        Err(error) => {
            tracing::error!(%error, "public status query failed");
            Err(RpcError::new(
                hotline_contract::rpc::RpcErrorCode::Unavailable,
                "暂时无法查询，请稍后重试",
            ))
        }
    }
}

/// `rpc.intake.repeat_candidates`: earlier orders the request may repeat, best first, for
/// the agent to decide (A10.3). Answers with numbers and scores only, no personal data.
pub async fn repeat_candidates(
    pool: &PgPool,
    hasher: &crate::domain::phone::PhoneHasher,
    regions: &hotline_reference::Regions,
    window: chrono::Duration,
    query: hotline_contract::rpc::RepeatCandidatesQuery,
) -> Result<Vec<hotline_contract::rpc::RepeatCandidateView>, RpcError> {
    use hotline_contract::rpc::{FieldError, RepeatCandidateView};
    let mut errors = Vec::new();
    let phone = crate::domain::phone::Phone::parse(&query.phone)
        .map_err(|e| {
            errors.push(FieldError {
                field: "phone".to_owned(),
                code: "invalid_format".to_owned(),
                message: e.to_string(),
            })
        })
        .ok();
    if !regions.is_known_region(query.region_code.trim()) {
        errors.push(FieldError {
            field: "region_code".to_owned(),
            code: "unknown".to_owned(),
            message: "区划代码不在贵州省行政区划目录中".to_owned(),
        });
    }
    let matter = query.matter.trim();
    if matter.is_empty() || matter.chars().count() > crate::domain::registration::MAX_MATTER {
        errors.push(FieldError {
            field: "matter".to_owned(),
            code: "invalid".to_owned(),
            message: "诉求内容不能为空且不超过4000字".to_owned(),
        });
    }
    let Some(phone) = phone.filter(|_| errors.is_empty()) else {
        return Err(RpcError::invalid(errors));
    };
    let phone_hash = hasher.hash(&phone);
    let request = crate::repeats::RepeatQuery {
        phone_hash: &phone_hash,
        region_code: query.region_code.trim(),
        matter,
        now: chrono::Utc::now(),
        window,
    };
    let found = crate::repeats::candidates(pool, &request, 10)
        .await
        .map_err(|error| {
            tracing::error!(%error, "repeat candidates failed");
            RpcError::new(
                hotline_contract::rpc::RpcErrorCode::Unavailable,
                "暂时无法查询，请稍后重试",
            )
        })?;
    Ok(found
        .into_iter()
        .map(|c| RepeatCandidateView {
            number: c.number,
            registered_at: c.registered_at,
            status: c.status,
            similarity: c.score.similarity,
            same_requester: c.score.same_requester,
            score: c.score.score,
        })
        .collect())
}

/// `rpc.intake.register_transfer`: register a matter a partner hotline handed over (A8),
/// at most once per (partner, transfer id). Called by the emergency bridge, which has
/// already checked the partner; the order is registered as a phone order whose "agent" is
/// `partner:<code>`, and dispatched like any other (A9.3).
pub async fn register_transfer(
    registrar: &crate::registration::Registrar,
    input: hotline_contract::transfer::RegisterTransfer,
    trace: &hotline_telemetry::TraceContext,
) -> Result<hotline_contract::transfer::TransferRegistered, RpcError> {
    use hotline_contract::transfer::TransferRegistered;
    let (code, id) = (input.partner_code.trim(), input.partner_transfer_id.trim());
    if code.is_empty() || code.len() > 32 || id.is_empty() || id.chars().count() > 64 {
        return Err(RpcError::invalid(vec![hotline_contract::rpc::FieldError {
            field: "partner_transfer_id".to_owned(),
            code: "invalid".to_owned(),
            message: "合作热线代码和转办编号不能为空且不超过64个字符".to_owned(),
        }]));
    }
    let unavailable = |error: sqlx::Error| {
        tracing::error!(%error, "partner transfer lookup failed");
        RpcError::new(
            hotline_contract::rpc::RpcErrorCode::Unavailable,
            "暂时无法受理，请稍后重试",
        )
    };
    if let Some((order_id, number)) = store::find_partner_transfer(&registrar.pool, code, id)
        .await
        .map_err(unavailable)?
    {
        return Ok(TransferRegistered {
            order_id,
            number,
            already_registered: true,
        });
    }
    // A concurrent hand-over of the same id loses on the primary key and gets
    // `unavailable`; its retry finds the order above.
    let receipt = registrar
        .register_from(input.order, trace, Some((code, id)))
        .await?;
    Ok(TransferRegistered {
        order_id: receipt.order_id,
        number: receipt.number,
        already_registered: false,
    })
}
