//! `rpc.intake.reveal_for_transfer` (issue 8; A10.1, A21): the caller's phone and address
//! for the emergency partner an order was transferred to, so the emergency bridge can seal
//! them to that partner's key.
//!
//! The rule ([`check`]) is pure: the order's triage must be a transfer, to an emergency
//! partner ([`EMERGENCY_PARTNERS`]), and to the partner asking. The reveal itself goes
//! through [`Vault::reveal`] with [`Actor::Partner`], so every disclosure is in the
//! vault's hash-chained audit trail, committed before the answer leaves intake. A
//! confidential requester is still revealed: confidentiality hides the caller from
//! handling units (A21), not from the police or the ambulance called to help them.

use hotline_contract::rpc::{FieldError, RpcError, RpcErrorCode};
use hotline_contract::transfer::{
    REVEAL_NOT_EMERGENCY, REVEAL_WRONG_PARTNER, RevealForTransfer, RevealedContact,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::triage::EMERGENCY_PARTNERS;
use crate::vault::{Actor, Field, Vault, VaultError};

/// Why a reveal is refused, before anything is decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No triage (so no order) with this id.
    UnknownOrder,
    /// The order was not transferred to an emergency partner.
    NotEmergency,
    /// It was, but to another partner.
    WrongPartner,
}

/// A10.1: may `partner` see the contact of an order triaged as `disposition` to
/// `transferred_to`?
pub fn check(triage: Option<(&str, Option<&str>)>, partner: &str) -> Result<(), Refusal> {
    let (disposition, transferred_to) = triage.ok_or(Refusal::UnknownOrder)?;
    let to = match (disposition, transferred_to) {
        ("transfer", Some(to)) if EMERGENCY_PARTNERS.contains(&to) => to,
        _ => return Err(Refusal::NotEmergency),
    };
    if to != partner {
        return Err(Refusal::WrongPartner);
    }
    Ok(())
}

impl Refusal {
    /// The typed RPC error.
    pub fn to_rpc(&self, order_id: Uuid) -> RpcError {
        let forbidden = |field: &str, code: &str, message: String| RpcError {
            fields: vec![FieldError {
                field: field.to_owned(),
                code: code.to_owned(),
                message: message.clone(),
            }],
            ..RpcError::new(RpcErrorCode::Forbidden, message)
        };
        match self {
            Refusal::UnknownOrder => RpcError::not_found(format!("未找到工单 {order_id}")),
            Refusal::NotEmergency => forbidden(
                "order_id",
                REVEAL_NOT_EMERGENCY,
                "该工单未作为紧急事项转交合作热线".to_owned(),
            ),
            Refusal::WrongPartner => forbidden(
                "partner_code",
                REVEAL_WRONG_PARTNER,
                "该工单未转交此合作热线".to_owned(),
            ),
        }
    }
}

/// Serve one reveal.
pub async fn reveal_for_transfer(
    pool: &PgPool,
    vault: &Vault,
    input: RevealForTransfer,
) -> Result<RevealedContact, RpcError> {
    let order_id = input.order_id;
    let partner = input.partner_code.trim();
    let unavailable = |error: &dyn std::fmt::Display| {
        tracing::error!(%order_id, %error, "reveal for transfer failed");
        RpcError::new(RpcErrorCode::Unavailable, "暂时无法提供联系方式")
    };
    let mut tx = pool.begin().await.map_err(|e| unavailable(&e))?;
    let triage: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT disposition, partner_code FROM intake.triage WHERE order_id = $1")
            .bind(order_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| unavailable(&e))?;
    if let Err(refusal) = check(
        triage.as_ref().map(|(d, p)| (d.as_str(), p.as_deref())),
        partner,
    ) {
        tracing::warn!(%order_id, partner, ?refusal, "reveal for transfer refused");
        return Err(refusal.to_rpc(order_id));
    }
    let actor = Actor::Partner(partner.to_owned());
    let purpose = format!("A10.1 紧急转交 {partner}，转交 {}", input.transfer_id);
    let phone = vault
        .reveal(&mut tx, order_id, Field::Phone, &actor, &purpose)
        .await;
    let address = vault
        .reveal(&mut tx, order_id, Field::Address, &actor, &purpose)
        .await;
    let (phone, address) = match (phone, address) {
        (Ok(Some(phone)), Ok(address)) => (phone, address),
        (Ok(None), _) | (Err(VaultError::UnknownOrder { .. }), _) => {
            return Err(Refusal::UnknownOrder.to_rpc(order_id));
        }
        (Err(e), _) | (_, Err(e)) => return Err(unavailable(&e)),
    };
    // The audit records commit before anything leaves intake (Vault::reveal's contract).
    tx.commit().await.map_err(|e| unavailable(&e))?;
    tracing::info!(%order_id, partner, "caller's contact revealed for an emergency transfer");
    Ok(RevealedContact {
        phone: phone.expose().to_owned(),
        address: address.map(|a| a.expose().to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_emergency_partner_of_a_transfer_may_see_the_contact() {
        assert_eq!(check(Some(("transfer", Some("110"))), "110"), Ok(()));
        assert_eq!(check(None, "110"), Err(Refusal::UnknownOrder));
        assert_eq!(
            check(Some(("dispatch", None)), "110"),
            Err(Refusal::NotEmergency)
        );
        // A utility transfer is not an emergency: no contact for 95598.
        assert_eq!(
            check(Some(("transfer", Some("95598"))), "95598"),
            Err(Refusal::NotEmergency)
        );
        assert_eq!(
            check(Some(("transfer", Some("110"))), "120"),
            Err(Refusal::WrongPartner)
        );
    }

    #[test]
    fn refusals_are_typed() {
        let id = Uuid::nil();
        assert_eq!(
            Refusal::UnknownOrder.to_rpc(id).code,
            RpcErrorCode::NotFound
        );
        let e = Refusal::WrongPartner.to_rpc(id);
        assert_eq!(
            (e.code, e.fields[0].code.as_str()),
            (RpcErrorCode::Forbidden, REVEAL_WRONG_PARTNER)
        );
        let e = Refusal::NotEmergency.to_rpc(id);
        assert_eq!(e.fields[0].code, REVEAL_NOT_EMERGENCY);
    }
}
