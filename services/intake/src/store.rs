//! Intake's SQL, all in the `intake` schema.

use chrono::{DateTime, NaiveDate, Utc};
use hotline_contract::rpc::{ProgressStep, ProgressView};
use hotline_contract::vocabulary::{Channel, OrderStatus, RequestKind};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::phone::PhoneHasher;
use crate::domain::registration::ValidRegistration;
use crate::vault::{Field, SealedRequester};

/// The order row as registered.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub order_id: Uuid,
    pub number: &'a str,
    pub check_code: &'a str,
    /// See [`crate::domain::phone::PhoneHasher::last4_check`].
    pub phone_check: &'a str,
    pub registered_at: DateTime<Utc>,
    pub registration: &'a ValidRegistration,
    pub phone_hash: &'a str,
    /// The requester's personal data, encrypted by the vault (A21: never stored in clear).
    pub requester: &'a SealedRequester,
    /// The order's one disposition (A9, A10), and the notice the requester was given.
    pub triage: &'a crate::domain::triage::Triage,
    pub notice: Option<&'a str>,
}

/// The upsert that takes the next number of a day for a region (`$1`, `$2`); its row lock
/// serialises concurrent registrations of the same region and day until their commit.
macro_rules! next_sequence_sql {
    () => {
        "INSERT INTO intake.daily_sequence (region_code, day, last_value) VALUES ($1, $2, 1) \
         ON CONFLICT (region_code, day) DO UPDATE SET last_value = intake.daily_sequence.last_value + 1 \
         RETURNING last_value"
    };
}

/// Next number of the day for a region; the upsert's row lock serialises concurrent
/// registrations of the same region and day.
pub async fn next_sequence(
    tx: &mut PgConnection,
    region_code: &str,
    day: NaiveDate,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(next_sequence_sql!())
        .bind(region_code)
        .bind(day)
        .fetch_one(tx)
        .await
}

/// Give a just-inserted order the next number of its region's day, in one statement: the
/// sequence's upsert ([`next_sequence`]) and the order's update. Returns the number,
/// [`format_number`](crate::domain::number::format_number)`(region_code, day, n)`.
///
/// Registration takes the number last (see `registration.rs`): the sequence row stays
/// locked until the commit, and this way the lock costs one round trip less.
pub async fn number_order(
    tx: &mut PgConnection,
    order_id: Uuid,
    region_code: &str,
    day: NaiveDate,
) -> Result<String, sqlx::Error> {
    // The SQL side of `format_number`: the prefix, then the sequence in at least 4 digits.
    sqlx::query_scalar(concat!(
        "WITH n AS (",
        next_sequence_sql!(),
        ") UPDATE intake.orders o \
           SET number = $4 || lpad(n.last_value::text, greatest(4, length(n.last_value::text)), '0') \
           FROM n WHERE o.order_id = $3 RETURNING o.number"
    ))
    .bind(region_code)
    .bind(day)
    .bind(order_id)
    .bind(crate::domain::number::number_prefix(region_code, day))
    .fetch_one(tx)
    .await
}

/// The order, its sealed requester, its public status, the first step of its history and
/// its disposition (A9, A10), in one statement (one round trip on the path of an HTTP
/// accept).
pub async fn insert_order(tx: &mut PgConnection, o: &NewOrder<'_>) -> Result<(), sqlx::Error> {
    let r = o.registration;
    let sealed = o.requester;
    let t = TriageColumns::of(o.triage);
    sqlx::query(
        "WITH o AS (INSERT INTO intake.orders (order_id, number, check_code, channel, kind, \
           category, region_code, urgency, confidential, matter, requested_at, registered_at, \
           registered_by, phone_check) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
           RETURNING order_id), \
         r AS (INSERT INTO intake.requesters (order_id, requester_type, phone_hash, \
           id_number_hash, key_id, name_enc, phone_enc, id_number_enc, address_enc) \
           SELECT order_id, $15, $16, $17, $18, $19, $20, $21, $22 FROM o), \
         s AS (INSERT INTO intake.order_status (order_id, status, status_rank, updated_at) \
           SELECT order_id, $23, $24, $12 FROM o), \
         h AS (INSERT INTO intake.order_history (order_id, status, at) \
           SELECT order_id, $23, $12 FROM o) \
         INSERT INTO intake.triage (order_id, disposition, reason_code, decided_by, article_id, \
           article_version, partner_code, earlier_order_id, notice, decided_at) \
           SELECT order_id, $25, $26, $27, $28, $29, $30, $31, $32, $12 FROM o",
    )
    .bind(o.order_id)
    .bind(o.number)
    .bind(o.check_code)
    .bind(r.channel.code())
    .bind(r.kind.code())
    .bind(&r.category)
    .bind(&r.region_code)
    .bind(r.urgency.code())
    .bind(r.confidential)
    .bind(&r.matter)
    .bind(r.requested_at)
    .bind(o.registered_at)
    .bind(&r.agent_id)
    .bind(o.phone_check)
    .bind(r.requester_type.code())
    .bind(o.phone_hash)
    .bind(&sealed.id_number_hash)
    .bind(&sealed.key_id)
    .bind(&sealed.name)
    .bind(&sealed.phone)
    .bind(&sealed.id_number)
    .bind(&sealed.address)
    .bind(OrderStatus::Registered.code())
    .bind(i16::from(OrderStatus::Registered.rank()))
    .bind(o.triage.decision.code())
    .bind(t.reason)
    .bind(&o.triage.decided_by)
    .bind(t.article_id)
    .bind(t.article_version)
    .bind(t.partner)
    .bind(t.earlier)
    .bind(o.notice)
    .execute(tx)
    .await
    .map(|_| ())
}

/// The columns of `intake.triage` that depend on the decision.
#[derive(Debug, Default)]
struct TriageColumns<'a> {
    reason: Option<&'a str>,
    article_id: Option<&'a str>,
    article_version: Option<i32>,
    partner: Option<&'a str>,
    earlier: Option<Uuid>,
}

impl<'a> TriageColumns<'a> {
    fn of(triage: &'a crate::domain::triage::Triage) -> Self {
        use crate::domain::triage::Decision;
        match &triage.decision {
            Decision::Dispatch { follow_up_of } => Self {
                earlier: follow_up_of.as_ref().map(|e| e.order_id),
                reason: follow_up_of.as_ref().map(|_| "follow_up"),
                ..Self::default()
            },
            Decision::Answer {
                article_id,
                article_version,
            } => Self {
                article_id: Some(article_id.as_str()),
                article_version: i32::try_from(*article_version).ok(),
                ..Self::default()
            },
            Decision::Transfer { partner_code, .. } => Self {
                partner: Some(partner_code.as_str()),
                ..Self::default()
            },
            Decision::Redirect { reason } => Self {
                reason: Some(reason.code()),
                ..Self::default()
            },
            Decision::RepeatLink { earlier } => Self {
                earlier: Some(earlier.order_id),
                ..Self::default()
            },
        }
    }
}

/// One encrypted field of an order's requester, with what decides who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedField {
    /// The stored value (vault format), `None` if the requester did not give it.
    pub value: Option<Vec<u8>>,
    /// The requester asked for confidentiality (A21).
    pub confidential: bool,
}

/// The stored, still encrypted, value of `field` for the order's requester; `None` if
/// intake holds no requester for the order. Only the vault decrypts it.
pub async fn sealed_field(
    tx: &mut PgConnection,
    order_id: Uuid,
    field: Field,
) -> Result<Option<SealedField>, sqlx::Error> {
    let column = match field {
        Field::Name => "name_enc",
        Field::Phone => "phone_enc",
        Field::IdNumber => "id_number_enc",
        Field::Address => "address_enc",
    };
    let row: Option<(Option<Vec<u8>>, bool)> = sqlx::query_as(&format!(
        "SELECT r.{column}, o.confidential FROM intake.requesters r \
         JOIN intake.orders o USING (order_id) WHERE r.order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|(value, confidential)| SealedField {
        value,
        confidential,
    }))
}

/// A requester row's encrypted values, as key rotation reads and rewrites them.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SealedRequesterRow {
    pub order_id: Uuid,
    /// The key the row's values are under.
    pub key_id: String,
    pub name_enc: Option<Vec<u8>>,
    pub phone_enc: Option<Vec<u8>>,
    pub id_number_enc: Option<Vec<u8>>,
    pub address_enc: Option<Vec<u8>>,
}

impl std::fmt::Debug for SealedRequesterRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedRequesterRow")
            .field("order_id", &self.order_id)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl SealedRequesterRow {
    /// The stored value of `field`, to re-encrypt in place.
    pub fn value_mut(&mut self, field: Field) -> Option<&mut Vec<u8>> {
        match field {
            Field::Name => self.name_enc.as_mut(),
            Field::Phone => self.phone_enc.as_mut(),
            Field::IdNumber => self.id_number_enc.as_mut(),
            Field::Address => self.address_enc.as_mut(),
        }
    }
}

/// Claim up to `limit` requester rows whose values are not under `active_key`; rows that
/// another transaction holds are skipped (`FOR UPDATE SKIP LOCKED`), so rotators never
/// block each other or live traffic.
pub async fn requesters_to_rotate(
    tx: &mut PgConnection,
    active_key: &str,
    limit: i64,
) -> Result<Vec<SealedRequesterRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, key_id, name_enc, phone_enc, id_number_enc, address_enc \
         FROM intake.requesters WHERE key_id <> $1 ORDER BY order_id LIMIT $2 \
         FOR UPDATE SKIP LOCKED",
    )
    .bind(active_key)
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// Write back a re-encrypted requester row.
pub async fn reseal_requester(
    tx: &mut PgConnection,
    row: &SealedRequesterRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE intake.requesters SET key_id = $2, name_enc = $3, phone_enc = $4, \
         id_number_enc = $5, address_enc = $6 WHERE order_id = $1",
    )
    .bind(row.order_id)
    .bind(&row.key_id)
    .bind(&row.name_enc)
    .bind(&row.phone_enc)
    .bind(&row.id_number_enc)
    .bind(&row.address_enc)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Orders of the requester with this phone hash ([`crate::domain::phone::PhoneHasher`]),
/// oldest first; found by the blind index, nothing decrypted.
pub async fn order_ids_by_phone_hash(
    tx: &mut PgConnection,
    phone_hash: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT order_id FROM intake.requesters WHERE phone_hash = $1 ORDER BY order_id",
    )
    .bind(phone_hash)
    .fetch_all(tx)
    .await
}

/// Orders of the requester with this identity-number hash
/// ([`crate::vault::Vault::id_number_hash`]), oldest first; nothing decrypted.
pub async fn order_ids_by_id_number_hash(
    tx: &mut PgConnection,
    id_number_hash: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT order_id FROM intake.requesters WHERE id_number_hash = $1 ORDER BY order_id",
    )
    .bind(id_number_hash)
    .fetch_all(tx)
    .await
}

/// Whether intake knows the order (events about unknown orders are not ours to project).
pub async fn order_exists(tx: &mut PgConnection, order_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM intake.orders WHERE order_id = $1)")
        .bind(order_id)
        .fetch_one(tx)
        .await
}

/// Move the public status forward (never backwards: a late or repeated event leaves a
/// later status in place) and add the step to the history, in one statement (one round
/// trip per order event). False, and nothing written, when intake does not know the order.
pub async fn advance_status(
    tx: &mut PgConnection,
    order_id: Uuid,
    status: OrderStatus,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "WITH known AS (SELECT order_id FROM intake.order_status WHERE order_id = $1), \
         moved AS (UPDATE intake.order_status SET status = $2, status_rank = $3, updated_at = $4 \
                   WHERE order_id = $1 AND status_rank < $3), \
         noted AS (INSERT INTO intake.order_history (order_id, status, at) \
                   SELECT order_id, $2, $4 FROM known ON CONFLICT DO NOTHING) \
         SELECT EXISTS (SELECT 1 FROM known)",
    )
    .bind(order_id)
    .bind(status.code())
    .bind(i16::from(status.rank()))
    .bind(at)
    .fetch_one(tx)
    .await
}

/// One status move of [`advance_statuses`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusMove {
    pub order_id: Uuid,
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
}

/// [`advance_status`] for several moves (a consumer batch, in stream order) in one
/// statement, with the same result as applying them one by one: each order gets its
/// highest-ranked move if that is ahead of its status (the first of equal ranks), and
/// every move's step is added to the history (the first of each status). Returns the
/// orders intake knows; moves of the others wrote nothing.
pub async fn advance_statuses(
    tx: &mut PgConnection,
    moves: &[StatusMove],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let order_ids: Vec<Uuid> = moves.iter().map(|m| m.order_id).collect();
    let statuses: Vec<&str> = moves.iter().map(|m| m.status.code()).collect();
    let ranks: Vec<i16> = moves.iter().map(|m| i16::from(m.status.rank())).collect();
    let ats: Vec<DateTime<Utc>> = moves.iter().map(|m| m.at).collect();
    sqlx::query_scalar(
        "WITH input AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::int2[], $4::timestamptz[]) \
                        WITH ORDINALITY AS i (order_id, status, status_rank, at, n)), \
         known AS (SELECT i.* FROM input i JOIN intake.order_status s USING (order_id) \
                   WHERE s.order_id = ANY($1)), \
         top AS (SELECT DISTINCT ON (order_id) * FROM known ORDER BY order_id, status_rank DESC, n), \
         moved AS (UPDATE intake.order_status s \
                   SET status = t.status, status_rank = t.status_rank, updated_at = t.at \
                   FROM top t \
                   WHERE s.order_id = ANY($1) AND s.order_id = t.order_id \
                     AND s.status_rank < t.status_rank), \
         noted AS (INSERT INTO intake.order_history (order_id, status, at) \
                   SELECT order_id, status, at FROM \
                     (SELECT DISTINCT ON (order_id, status) * FROM known ORDER BY order_id, status, n) f \
                   ON CONFLICT DO NOTHING) \
         SELECT order_id FROM top",
    )
    // Planned for each call (an unnamed statement), with the batch's ids. A cached generic
    // plan is made once per connection from the statistics of that moment: made while the
    // table was small (a new database, and no ANALYZE since, as where autovacuum is off)
    // it scans the whole table for ever, which cost 1.4-1.9 ms a call after a minute of
    // load (a one-event update: 0.08 ms). Planning costs about 0.2 ms, once per batch.
    .persistent(false)
    .bind(&order_ids)
    .bind(&statuses)
    .bind(&ranks)
    .bind(&ats)
    .fetch_all(tx)
    .await
}

/// The due instants of one order that [`set_due_instants`] records (`None`: unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueInstants {
    pub order_id: Uuid,
    pub sign_due_at: Option<DateTime<Utc>>,
    pub handling_due_at: Option<DateTime<Utc>>,
}

/// [`set_sign_due`] and [`set_handling_due`] for several orders in one statement (each
/// order once; an order intake does not know changes nothing).
pub async fn set_due_instants(
    tx: &mut PgConnection,
    dues: &[DueInstants],
) -> Result<(), sqlx::Error> {
    let order_ids: Vec<Uuid> = dues.iter().map(|d| d.order_id).collect();
    let sign: Vec<Option<DateTime<Utc>>> = dues.iter().map(|d| d.sign_due_at).collect();
    let handling: Vec<Option<DateTime<Utc>>> = dues.iter().map(|d| d.handling_due_at).collect();
    sqlx::query(
        "UPDATE intake.order_status s \
         SET sign_due_at = COALESCE(i.sign_due_at, s.sign_due_at), \
             handling_due_at = COALESCE(i.handling_due_at, s.handling_due_at) \
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) \
              AS i (order_id, sign_due_at, handling_due_at) \
         WHERE s.order_id = ANY($1) AND s.order_id = i.order_id",
    )
    // Planned for each call: see `advance_statuses`.
    .persistent(false)
    .bind(&order_ids)
    .bind(&sign)
    .bind(&handling)
    .execute(tx)
    .await
    .map(|_| ())
}

/// The unit's reply, shown to the requester once the order is closed (A11, A16).
pub async fn set_reply(
    tx: &mut PgConnection,
    order_id: Uuid,
    reply: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE intake.order_status SET reply = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(reply)
        .execute(tx)
        .await
        .map(|_| ())
}

/// [`set_reply`] for several orders in one statement (a batch's closes).
pub async fn set_replies(
    tx: &mut PgConnection,
    replies: &[(Uuid, String)],
) -> Result<(), sqlx::Error> {
    if replies.is_empty() {
        return Ok(());
    }
    let (ids, texts): (Vec<Uuid>, Vec<String>) = replies.iter().cloned().unzip();
    sqlx::query(
        "UPDATE intake.order_status s SET reply = r.reply \
         FROM unnest($1::uuid[], $2::text[]) AS r (order_id, reply) \
         WHERE s.order_id = ANY($1) AND s.order_id = r.order_id",
    )
    // Planned for each call with the batch's ids (a generic plan cached while the table
    // was small would scan it whole; see `advance_statuses`).
    .persistent(false)
    .bind(ids)
    .bind(texts)
    .execute(tx)
    .await
    .map(|_| ())
}

pub async fn set_handling_due(
    tx: &mut PgConnection,
    order_id: Uuid,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE intake.order_status SET handling_due_at = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(due_at)
        .execute(tx)
        .await
        .map(|_| ())
}

pub async fn set_sign_due(
    tx: &mut PgConnection,
    order_id: Uuid,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE intake.order_status SET sign_due_at = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(due_at)
        .execute(tx)
        .await
        .map(|_| ())
}

#[derive(sqlx::FromRow)]
struct ProgressRow {
    order_id: Uuid,
    number: String,
    check_code: String,
    phone_check: Option<String>,
    channel: String,
    kind: String,
    registered_at: DateTime<Utc>,
    status: String,
    updated_at: DateTime<Utc>,
    sign_due_at: Option<DateTime<Utc>>,
    handling_due_at: Option<DateTime<Utc>>,
    reply: Option<String>,
    transferred_to: Option<String>,
    transfer_outcome: Option<String>,
    transfer_reason: Option<String>,
}

/// Outcome of a progress lookup.
#[derive(Debug)]
pub enum Lookup {
    Found(Box<ProgressView>),
    /// No such number, or the check code does not match: the caller cannot tell which,
    /// so numbers cannot be probed.
    NotFound,
}

/// A11: look an order up by number plus either the check code from the receipt (6 digits)
/// or the last 4 digits of the requester's phone.
pub async fn progress(
    pool: &PgPool,
    hasher: &PhoneHasher,
    number: &str,
    check_code: &str,
) -> Result<Lookup, sqlx::Error> {
    let row: Option<ProgressRow> = sqlx::query_as(
        "SELECT o.order_id, o.number, o.check_code, o.phone_check, o.channel, o.kind, o.registered_at, \
         s.status, s.updated_at, s.sign_due_at, s.handling_due_at, s.reply, \
         t.partner_code AS transferred_to, x.outcome AS transfer_outcome, x.reason AS transfer_reason \
         FROM intake.orders o JOIN intake.order_status s USING (order_id) \
         LEFT JOIN intake.triage t ON t.order_id = o.order_id AND t.disposition = 'transfer' \
         LEFT JOIN intake.transfer_outcomes x ON x.order_id = o.order_id \
         WHERE o.number = $1",
    )
    .bind(number)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(Lookup::NotFound);
    };
    let proven = if check_code.len() == 4 && check_code.bytes().all(|b| b.is_ascii_digit()) {
        let expected = hasher.last4_check(row.order_id, check_code);
        row.phone_check
            .as_deref()
            .is_some_and(|stored| constant_time_eq(stored.as_bytes(), expected.as_bytes()))
    } else {
        constant_time_eq(row.check_code.as_bytes(), check_code.as_bytes())
    };
    if !proven {
        return Ok(Lookup::NotFound);
    }
    let history: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT status, at FROM intake.order_history WHERE order_id = $1 ORDER BY at, status",
    )
    .bind(row.order_id)
    .fetch_all(pool)
    .await?;
    let status = OrderStatus::from_code(&row.status).unwrap_or(OrderStatus::Registered);
    let view = ProgressView {
        number: row.number,
        status,
        status_label: status.label_zh().to_owned(),
        kind: RequestKind::from_code(&row.kind).unwrap_or(RequestKind::Consultation),
        channel: Channel::from_code(&row.channel).unwrap_or(Channel::WebMessage),
        registered_at: row.registered_at,
        updated_at: row.updated_at,
        sign_due_at: row.sign_due_at,
        expected_completion_at: row.handling_due_at,
        reply: row.reply.filter(|_| status == OrderStatus::Closed),
        transfer_note: crate::transfer_outcomes::note_for_row(
            row.transferred_to.as_deref(),
            row.transfer_outcome.as_deref(),
            row.transfer_reason.as_deref(),
        ),
        history: history
            .into_iter()
            .filter_map(|(s, at)| {
                OrderStatus::from_code(&s).map(|status| ProgressStep { status, at })
            })
            .collect(),
    };
    Ok(Lookup::Found(Box::new(view)))
}

/// The non-personal status of the orders with these numbers, in the order given; numbers
/// not found are left out (issue 10, the Open311 facade).
pub async fn public_status(
    pool: &PgPool,
    numbers: &[String],
) -> Result<Vec<hotline_contract::rpc::PublicStatus>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        number: String,
        category: Option<String>,
        requested_at: DateTime<Utc>,
        status: String,
        updated_at: DateTime<Utc>,
        handling_due_at: Option<DateTime<Utc>>,
        transferred_to: Option<String>,
        outcome: Option<String>,
        reason: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT o.number, o.category, o.requested_at, s.status, s.updated_at, s.handling_due_at, \
         t.partner_code AS transferred_to, x.outcome, x.reason \
         FROM unnest($1::text[]) WITH ORDINALITY AS q(number, pos) \
         JOIN intake.orders o ON o.number = q.number \
         JOIN intake.order_status s USING (order_id) \
         LEFT JOIN intake.triage t ON t.order_id = o.order_id AND t.disposition = 'transfer' \
         LEFT JOIN intake.transfer_outcomes x ON x.order_id = o.order_id \
         ORDER BY q.pos",
    )
    .bind(numbers)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| hotline_contract::rpc::PublicStatus {
            transfer_note: crate::transfer_outcomes::note_for_row(
                r.transferred_to.as_deref(),
                r.outcome.as_deref(),
                r.reason.as_deref(),
            ),
            number: r.number,
            status: OrderStatus::from_code(&r.status).unwrap_or(OrderStatus::Registered),
            category: r.category,
            requested_at: r.requested_at,
            updated_at: r.updated_at,
            expected_completion_at: r.handling_due_at,
        })
        .collect())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The order with this number, if any (A10.3: a repeat names its earlier order).
pub async fn find_order_by_number(
    pool: &PgPool,
    number: &str,
) -> Result<Option<crate::domain::triage::EarlierOrder>, sqlx::Error> {
    let row: Option<(Uuid, String)> =
        sqlx::query_as("SELECT order_id, number FROM intake.orders WHERE number = $1")
            .bind(number.trim())
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(order_id, number)| crate::domain::triage::EarlierOrder { order_id, number }))
}

/// A8: the order a partner's transfer became.
pub async fn insert_partner_transfer(
    tx: &mut PgConnection,
    partner_code: &str,
    partner_transfer_id: &str,
    order_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO intake.partner_transfers (partner_code, partner_transfer_id, order_id) \
         VALUES ($1, $2, $3)",
    )
    .bind(partner_code)
    .bind(partner_transfer_id)
    .bind(order_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// A8: the order (id, number) a partner's transfer already became, if any.
pub async fn find_partner_transfer(
    pool: &PgPool,
    partner_code: &str,
    partner_transfer_id: &str,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.order_id, o.number FROM intake.partner_transfers p \
         JOIN intake.orders o ON o.order_id = p.order_id \
         WHERE p.partner_code = $1 AND p.partner_transfer_id = $2",
    )
    .bind(partner_code)
    .bind(partner_transfer_id)
    .fetch_optional(pool)
    .await
}
