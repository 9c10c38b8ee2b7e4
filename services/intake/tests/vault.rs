//! The personal-data vault against a real PostgreSQL (A21): requesters are stored only
//! encrypted, every disclosure goes through `Vault::reveal` and lands in a hash chain that
//! exposes tampering, values do not survive being moved or edited, a confidential requester
//! is hidden from handling units, and keys rotate.

// Test set-up fails loudly when the environment misbehaves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use hotline_contract::Namespace;
use hotline_contract::rpc::RegisterOrder;
use hotline_intake::config::VaultConfig;
use hotline_intake::domain::phone::{Phone, PhoneHasher};
use hotline_intake::registration::Registrar;
use hotline_intake::store;
use hotline_intake::vault::{
    Actor, AuditBreak, AuditError, AuditRecord, BreakKind, Field, SealError, Vault, VaultError,
    rotate, verify_audit_chain,
};
use hotline_messaging::Outbox;
use hotline_reference::Regions;
use hotline_telemetry::TraceContext;
use hotline_test_support::TestDatabase;
use secrecy::SecretString;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

const PHONE_HASH_KEY: &str = "vault-test-phone-hash-key-0123456789";
const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const K2: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// A migrated intake schema and a registrar whose vault uses `k1`.
struct Fixture {
    db: TestDatabase,
    pool: PgPool,
    registrar: Registrar,
}

fn vault(keys: &str, active: &str) -> Vault {
    Vault::from_config(
        &VaultConfig {
            keys: SecretString::from(keys.to_owned()),
            active_key: SecretString::from(active.to_owned()),
        },
        PHONE_HASH_KEY.as_bytes(),
    )
    .unwrap()
}

fn k1_vault() -> Vault {
    vault(&format!("k1:{K1}"), "k1")
}

impl Fixture {
    async fn start() -> Self {
        let db = TestDatabase::create().await;
        let pool = hotline_service_test::migrated_pool(
            &db,
            hotline_intake::SCHEMA,
            &hotline_intake::MIGRATOR,
            12,
        )
        .await;
        let registrar = Registrar {
            pool: pool.clone(),
            outbox: Outbox::new(
                hotline_intake::SERVICE,
                hotline_intake::SCHEMA,
                Namespace::root(),
            ),
            regions: Arc::new(Regions::bundled().unwrap()),
            hasher: PhoneHasher::new(PHONE_HASH_KEY.as_bytes()).unwrap(),
            vault: k1_vault(),
            repeat_window: chrono::Duration::days(30),
            knowledge: None,
        };
        Self {
            db,
            pool,
            registrar,
        }
    }

    /// Register a web message through the real registration path.
    async fn register(&self, requester: serde_json::Value, address: Option<&str>) -> Uuid {
        self.register_with(&self.registrar, requester, address, false)
            .await
    }

    async fn register_with(
        &self,
        registrar: &Registrar,
        requester: serde_json::Value,
        address: Option<&str>,
        confidential: bool,
    ) -> Uuid {
        let input: RegisterOrder = serde_json::from_value(json!({
            "channel": "web_message",
            "kind": "complaint",
            "requester": requester,
            "matter": format!("小区旁工地夜间施工，噪声扰民 {}", Uuid::new_v4()),
            "category": "environment.noise",
            "region_code": "520102",
            "address": address,
            "confidential": confidential,
        }))
        .unwrap();
        registrar
            .register(input, &TraceContext::new_root())
            .await
            .unwrap()
            .order_id
    }

    async fn reveal(&self, order_id: Uuid, field: Field) -> Result<Option<String>, VaultError> {
        reveal_with(
            &self.pool,
            &self.registrar.vault,
            order_id,
            field,
            &Actor::Agent("agent-7".into()),
        )
        .await
    }

    async fn audit_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM intake.vault_audit")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    async fn finish(self) {
        self.pool.close().await;
        self.db.drop_database().await;
    }
}

/// Reveal in a transaction of its own and commit (the audit record with it).
async fn reveal_with(
    pool: &PgPool,
    vault: &Vault,
    order_id: Uuid,
    field: Field,
    actor: &Actor,
) -> Result<Option<String>, VaultError> {
    let mut tx = pool.begin().await.unwrap();
    let revealed = vault
        .reveal(&mut tx, order_id, field, actor, "回访诉求人核实办理情况")
        .await?;
    tx.commit().await.unwrap();
    Ok(revealed.map(|value| value.expose().to_owned()))
}

fn person(name: &str, phone: &str) -> serde_json::Value {
    json!({"type": "person", "name": name, "phone": phone})
}

#[tokio::test]
async fn a_registered_requester_is_stored_only_encrypted() {
    let f = Fixture::start().await;
    let order_id = f
        .register(
            json!({
                "type": "person",
                "name": "张三丰",
                "phone": "138 1234 5678",
                "id_number": " 11010519491231002x ",
            }),
            Some("南明区花果园某小区"),
        )
        .await;

    // The clear columns are gone; the row holds ciphertext, blind indexes and the key id.
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = 'intake' AND table_name = 'requesters' ORDER BY column_name",
    )
    .fetch_all(&f.pool)
    .await
    .unwrap();
    for clear in ["name", "phone", "address", "id_number"] {
        assert!(!columns.iter().any(|c| c == clear), "{columns:?}");
    }

    // Neither the row's text form nor its raw bytes contain any of the values.
    let (text, raw): (String, Vec<u8>) = sqlx::query_as(
        "SELECT row_to_json(r)::text, \
         coalesce(name_enc, '') || coalesce(phone_enc, '') || coalesce(id_number_enc, '') \
         || coalesce(address_enc, '') \
         FROM intake.requesters r WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let seeded = [
        "张三丰",
        "13812345678",
        "138 1234 5678",
        "11010519491231002X",
        "11010519491231002x",
        "南明区花果园某小区",
        "花果园",
        "5678",
    ];
    for value in seeded {
        assert!(!text.contains(value), "{value} in {text}");
        assert!(
            !text.contains(&hex::encode(value)),
            "{value} (hex) in {text}"
        );
        assert!(
            !raw.windows(value.len()).any(|w| w == value.as_bytes()),
            "{value} in the ciphertext"
        );
    }
    let key_id: String =
        sqlx::query_scalar("SELECT key_id FROM intake.requesters WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!(key_id, "k1");

    // Lookups go through the blind indexes, without decrypting.
    let mut conn = f.pool.acquire().await.unwrap();
    let phone_hash = f
        .registrar
        .hasher
        .hash(&Phone::parse("13812345678").unwrap());
    assert_eq!(
        store::order_ids_by_phone_hash(&mut conn, &phone_hash)
            .await
            .unwrap(),
        [order_id]
    );
    let id_hash = f.registrar.vault.id_number_hash("11010519491231002X");
    assert_eq!(
        store::order_ids_by_id_number_hash(&mut conn, &id_hash)
            .await
            .unwrap(),
        [order_id]
    );
    drop(conn);
    assert_eq!(
        f.audit_count().await,
        0,
        "storing and looking up reveal nothing"
    );
    f.finish().await;
}

#[tokio::test]
async fn every_reveal_returns_the_value_and_is_audited() {
    let f = Fixture::start().await;
    let order_id = f
        .register(
            json!({
                "type": "person",
                "name": "张三",
                "phone": "+86 139-1234-5678",
                "id_number": "11010519491231002x",
            }),
            Some("南明区花果园某小区"),
        )
        .await;
    let anonymous = f
        .register(json!({"type": "person", "phone": "13712345678"}), None)
        .await;

    assert_eq!(
        f.reveal(order_id, Field::Name).await.unwrap().as_deref(),
        Some("张三")
    );
    assert_eq!(
        f.reveal(order_id, Field::Phone).await.unwrap().as_deref(),
        Some("13912345678")
    );
    assert_eq!(
        f.reveal(order_id, Field::IdNumber)
            .await
            .unwrap()
            .as_deref(),
        Some("11010519491231002X")
    );
    assert_eq!(
        f.reveal(order_id, Field::Address).await.unwrap().as_deref(),
        Some("南明区花果园某小区")
    );
    // A field the requester did not give: nothing to show, but the look is recorded.
    assert_eq!(f.reveal(anonymous, Field::Name).await.unwrap(), None);

    let records: Vec<AuditRecord> = sqlx::query_as(
        "SELECT seq, order_id, field, actor, purpose, at, prev_hash, hash \
         FROM intake.vault_audit ORDER BY seq",
    )
    .fetch_all(&f.pool)
    .await
    .unwrap();
    let summary: Vec<(i64, Uuid, &str, &str)> = records
        .iter()
        .map(|r| (r.seq, r.order_id, r.field.as_str(), r.actor.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, order_id, "name", "agent:agent-7"),
            (2, order_id, "phone", "agent:agent-7"),
            (3, order_id, "id_number", "agent:agent-7"),
            (4, order_id, "address", "agent:agent-7"),
            (5, anonymous, "name", "agent:agent-7"),
        ]
    );
    assert!(
        records
            .iter()
            .all(|r| r.purpose == "回访诉求人核实办理情况")
    );
    let head = verify_audit_chain(&f.pool).await.unwrap();
    assert_eq!(head.seq, 5);

    // Requests the vault refuses leave no record.
    let mut tx = f.pool.begin().await.unwrap();
    let blank = f
        .registrar
        .vault
        .reveal(
            &mut tx,
            order_id,
            Field::Phone,
            &Actor::Agent("a".into()),
            " ",
        )
        .await;
    assert!(matches!(blank, Err(VaultError::InvalidRequest("purpose"))));
    let unknown = f
        .registrar
        .vault
        .reveal(
            &mut tx,
            Uuid::now_v7(),
            Field::Phone,
            &Actor::Agent("a".into()),
            "回访",
        )
        .await;
    assert!(matches!(unknown, Err(VaultError::UnknownOrder { .. })));
    tx.commit().await.unwrap();
    assert_eq!(f.audit_count().await, 5);
    f.finish().await;
}

#[tokio::test]
async fn a_confidential_requester_is_hidden_from_handling_units() {
    let f = Fixture::start().await;
    let order_id = f
        .register_with(
            &f.registrar,
            person("王五", "13612345678"),
            Some("云岩区某街道"),
            true,
        )
        .await;
    let unit = Actor::Unit("unit-520102-env".into());
    for field in Field::ALL {
        let refused = reveal_with(&f.pool, &f.registrar.vault, order_id, field, &unit).await;
        assert!(
            matches!(refused, Err(VaultError::Confidential { order_id: o }) if o == order_id),
            "{field}: {refused:?}"
        );
    }
    assert_eq!(f.audit_count().await, 0);
    // Hotline staff still reach the requester.
    assert_eq!(
        f.reveal(order_id, Field::Phone).await.unwrap().as_deref(),
        Some("13612345678")
    );

    // A requester who did not ask for confidentiality may be called back by the unit.
    let open = f
        .register(person("赵六", "13512345678"), Some("观山湖区"))
        .await;
    assert_eq!(
        reveal_with(&f.pool, &f.registrar.vault, open, Field::Phone, &unit)
            .await
            .unwrap()
            .as_deref(),
        Some("13512345678")
    );
    let actors: Vec<String> =
        sqlx::query_scalar("SELECT actor FROM intake.vault_audit ORDER BY seq")
            .fetch_all(&f.pool)
            .await
            .unwrap();
    assert_eq!(actors, ["agent:agent-7", "unit:unit-520102-env"]);
    f.finish().await;
}

#[tokio::test]
async fn moved_tampered_or_orphaned_values_fail_with_typed_errors() {
    let f = Fixture::start().await;
    let a = f
        .register(person("张三", "13812345678"), Some("南明区花果园"))
        .await;
    let b = f
        .register(person("李四", "13912345678"), Some("云岩区"))
        .await;

    // B's phone copied into A's row: bound to B, it does not open as A's.
    sqlx::query(
        "UPDATE intake.requesters SET phone_enc = (SELECT phone_enc FROM intake.requesters \
         WHERE order_id = $2) WHERE order_id = $1",
    )
    .bind(a)
    .bind(b)
    .execute(&f.pool)
    .await
    .unwrap();
    assert!(matches!(
        f.reveal(a, Field::Phone).await,
        Err(VaultError::Sealed(SealError::Undecryptable {
            field: Field::Phone
        }))
    ));

    // B's phone copied into B's own name column: bound to the phone field.
    sqlx::query("UPDATE intake.requesters SET name_enc = phone_enc WHERE order_id = $1")
        .bind(b)
        .execute(&f.pool)
        .await
        .unwrap();
    assert!(matches!(
        f.reveal(b, Field::Name).await,
        Err(VaultError::Sealed(SealError::Undecryptable {
            field: Field::Name
        }))
    ));

    // One bit of B's address flipped.
    sqlx::query(
        "UPDATE intake.requesters SET address_enc = \
         set_byte(address_enc, 20, get_byte(address_enc, 20) # 1) WHERE order_id = $1",
    )
    .bind(b)
    .execute(&f.pool)
    .await
    .unwrap();
    assert!(matches!(
        f.reveal(b, Field::Address).await,
        Err(VaultError::Sealed(SealError::Undecryptable {
            field: Field::Address
        }))
    ));

    // A ring that lost k1 cannot open B's phone, and says which key is missing.
    let without_k1 = vault(&format!("k2:{K2}"), "k2");
    let missing = reveal_with(
        &f.pool,
        &without_k1,
        b,
        Field::Phone,
        &Actor::Agent("agent-7".into()),
    )
    .await;
    match missing {
        Err(VaultError::Sealed(SealError::UnknownKey { field, key_id })) => {
            assert_eq!((field, key_id.as_str()), (Field::Phone, "k1"));
        }
        other => panic!("expected UnknownKey, got {other:?}"),
    }

    // B's untouched phone still opens; failed reveals were not recorded.
    assert_eq!(
        f.reveal(b, Field::Phone).await.unwrap().as_deref(),
        Some("13912345678")
    );
    assert_eq!(f.audit_count().await, 1);
    f.finish().await;
}

#[tokio::test]
async fn rotation_re_encrypts_every_row_under_the_active_key_in_batches() {
    let f = Fixture::start().await;
    let mut seeded = Vec::new();
    for i in 0..5 {
        let phone = format!("1381234{i:04}");
        let name = format!("诉求人{i}");
        let address = format!("南明区第{i}街");
        let id = f
            .register(person(&name, &phone), Some(address.as_str()))
            .await;
        seeded.push((id, name, phone, address));
    }

    // The new key becomes active: new values use it, old ones still open with k1.
    let both = vault(&format!("k1:{K1},k2:{K2}"), "k2");
    let registrar = Registrar {
        vault: both.clone(),
        ..f.registrar.clone()
    };
    let newer = f
        .register_with(
            &registrar,
            person("新来的", "13912340000"),
            Some("花溪区"),
            false,
        )
        .await;
    seeded.push((
        newer,
        "新来的".into(),
        "13912340000".into(),
        "花溪区".into(),
    ));
    let agent = Actor::Agent("agent-7".into());
    assert_eq!(
        reveal_with(&f.pool, &both, seeded[0].0, Field::Name, &agent)
            .await
            .unwrap()
            .as_deref(),
        Some("诉求人0")
    );
    let only_k2 = vault(&format!("k2:{K2}"), "k2");
    assert!(matches!(
        reveal_with(&f.pool, &only_k2, seeded[0].0, Field::Name, &agent).await,
        Err(VaultError::Sealed(SealError::UnknownKey { .. }))
    ));

    // The operator's command (`hotline-intake rotate-keys 2`), with the new ring.
    let mut config = hotline_intake::IntakeConfig::default();
    config.common.database.url = SecretString::from(f.db.url());
    config.intake.phone_hash_key = SecretString::from(PHONE_HASH_KEY.to_owned());
    config.intake.vault = VaultConfig {
        keys: SecretString::from(format!("k1:{K1},k2:{K2}")),
        active_key: SecretString::from("k2".to_owned()),
    };
    let report = hotline_intake::rotate_keys(&config, 2).await.unwrap();
    assert_eq!((report.rows, report.batches), (5, 3));
    let key_ids: Vec<String> = sqlx::query_scalar("SELECT DISTINCT key_id FROM intake.requesters")
        .fetch_all(&f.pool)
        .await
        .unwrap();
    assert_eq!(key_ids, ["k2"]);
    // Every value names k2 in its own header too (v1, id length 2, "k2").
    let headers: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT substring(v FROM 1 FOR 4) FROM intake.requesters, \
         unnest(ARRAY[name_enc, phone_enc, address_enc]) AS v",
    )
    .fetch_all(&f.pool)
    .await
    .unwrap();
    assert_eq!(headers.len(), 18);
    assert!(headers.iter().all(|h| h.as_slice() == [1, 2, b'k', b'2']));

    // With k1 retired, everything still opens.
    for (order_id, name, phone, address) in &seeded {
        for (field, expected) in [
            (Field::Name, name),
            (Field::Phone, phone),
            (Field::Address, address),
        ] {
            assert_eq!(
                reveal_with(&f.pool, &only_k2, *order_id, field, &agent)
                    .await
                    .unwrap()
                    .as_ref(),
                Some(expected)
            );
        }
    }
    // Nothing left to do.
    assert_eq!(rotate(&f.pool, &both, 2).await.unwrap().rows, 0);
    verify_audit_chain(&f.pool).await.unwrap();
    f.finish().await;
}

#[tokio::test]
async fn rotation_stops_at_a_row_it_cannot_decrypt() {
    let f = Fixture::start().await;
    let order_id = f.register(person("张三", "13812345678"), None).await;
    // k1 left the ring before the row was rotated.
    let k3 = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
    let too_early = vault(&format!("k2:{K2},k3:{k3}"), "k3");
    let stopped = rotate(&f.pool, &too_early, 10).await;
    assert!(
        matches!(stopped, Err(VaultError::Sealed(SealError::UnknownKey { ref key_id, .. })) if key_id == "k1"),
        "{stopped:?}"
    );
    // The row is untouched and still opens with k1.
    assert_eq!(
        f.reveal(order_id, Field::Phone).await.unwrap().as_deref(),
        Some("13812345678")
    );
    f.finish().await;
}

/// Ten reveals, then a chain verified at 10 records.
async fn chain_of_ten(f: &Fixture) -> Uuid {
    let order_id = f
        .register(person("张三", "13812345678"), Some("南明区"))
        .await;
    for i in 0..10 {
        let field = Field::ALL[i % 4];
        f.reveal(order_id, field).await.unwrap();
    }
    assert_eq!(verify_audit_chain(&f.pool).await.unwrap().seq, 10);
    order_id
}

async fn record(pool: &PgPool, seq: i64) -> AuditRecord {
    sqlx::query_as(
        "SELECT seq, order_id, field, actor, purpose, at, prev_hash, hash \
         FROM intake.vault_audit WHERE seq = $1",
    )
    .bind(seq)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn put_back(pool: &PgPool, r: &AuditRecord) {
    sqlx::query(
        "INSERT INTO intake.vault_audit (seq, order_id, field, actor, purpose, at, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (seq) DO UPDATE SET order_id = $2, field = $3, actor = $4, purpose = $5, \
         at = $6, prev_hash = $7, hash = $8",
    )
    .bind(r.seq)
    .bind(r.order_id)
    .bind(&r.field)
    .bind(&r.actor)
    .bind(&r.purpose)
    .bind(r.at)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .execute(pool)
    .await
    .unwrap();
}

async fn broken_at(pool: &PgPool) -> AuditBreak {
    match verify_audit_chain(pool).await {
        Err(AuditError::Broken(at)) => at,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[tokio::test]
async fn the_audit_trail_refuses_edits_and_exposes_tampering() {
    let f = Fixture::start().await;
    chain_of_ten(&f).await;
    let pool = &f.pool;

    // Plain edits are refused outright.
    for statement in [
        "UPDATE intake.vault_audit SET actor = 'agent:nobody' WHERE seq = 5",
        "DELETE FROM intake.vault_audit WHERE seq = 5",
        "TRUNCATE intake.vault_audit",
    ] {
        let refused = sqlx::query(statement).execute(pool).await.unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
    }

    // Whoever disables the guard is caught by the chain.
    sqlx::query("ALTER TABLE intake.vault_audit DISABLE TRIGGER USER")
        .execute(pool)
        .await
        .unwrap();
    let fifth = record(pool, 5).await;
    let tenth = record(pool, 10).await;

    // An edited actor.
    sqlx::query("UPDATE intake.vault_audit SET actor = 'agent:nobody' WHERE seq = 5")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        broken_at(pool).await,
        AuditBreak {
            seq: 5,
            kind: BreakKind::Hash
        }
    );
    put_back(pool, &fifth).await;
    assert_eq!(verify_audit_chain(pool).await.unwrap().seq, 10);

    // An edited purpose whose hash was recomputed: the next record's link gives it away.
    let mut forged = fifth.clone();
    forged.purpose = "无".into();
    forged.hash = forged.expected_hash().to_vec();
    put_back(pool, &forged).await;
    assert_eq!(
        broken_at(pool).await,
        AuditBreak {
            seq: 6,
            kind: BreakKind::Link
        }
    );
    put_back(pool, &fifth).await;

    // A record removed from the middle, then from the end.
    sqlx::query("DELETE FROM intake.vault_audit WHERE seq = 5")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        broken_at(pool).await,
        AuditBreak {
            seq: 5,
            kind: BreakKind::Missing
        }
    );
    put_back(pool, &fifth).await;
    sqlx::query("DELETE FROM intake.vault_audit WHERE seq = 10")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        broken_at(pool).await,
        AuditBreak {
            seq: 10,
            kind: BreakKind::Missing
        }
    );
    put_back(pool, &tenth).await;
    assert_eq!(verify_audit_chain(pool).await.unwrap().seq, 10);

    // A head that does not match the last record.
    sqlx::query("UPDATE intake.vault_audit_head SET hash = decode(repeat('11', 32), 'hex')")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        broken_at(pool).await,
        AuditBreak {
            seq: 10,
            kind: BreakKind::Head
        }
    );
    f.finish().await;
}

#[tokio::test]
async fn without_a_chain_head_nothing_is_revealed() {
    let f = Fixture::start().await;
    let order_id = f.register(person("张三", "13812345678"), None).await;
    sqlx::query("DELETE FROM intake.vault_audit_head")
        .execute(&f.pool)
        .await
        .unwrap();
    assert!(matches!(
        f.reveal(order_id, Field::Phone).await,
        Err(VaultError::Audit(AuditError::HeadMissing))
    ));
    assert_eq!(
        broken_at(&f.pool).await,
        AuditBreak {
            seq: 1,
            kind: BreakKind::Head
        }
    );
    f.finish().await;
}

#[tokio::test]
async fn concurrent_reveals_form_one_unbroken_chain() {
    const TASKS: usize = 8;
    const REVEALS: usize = 25;
    let f = Fixture::start().await;
    let mut orders = Vec::new();
    for i in 0..TASKS {
        orders.push(
            f.register(person("张三", &format!("1391234{i:04}")), Some("南明区"))
                .await,
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (task, order_id) in orders.into_iter().enumerate() {
        let pool = f.pool.clone();
        let vault = f.registrar.vault.clone();
        tasks.spawn(async move {
            let actor = Actor::Agent(format!("agent-{task}"));
            for i in 0..REVEALS {
                let phone = reveal_with(&pool, &vault, order_id, Field::ALL[i % 4], &actor)
                    .await
                    .unwrap();
                if i % 4 == 1 {
                    assert_eq!(phone, Some(format!("1391234{task:04}")));
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let head = verify_audit_chain(&f.pool).await.unwrap();
    assert_eq!(head.seq, i64::try_from(TASKS * REVEALS).unwrap());
    let per_actor: Vec<i64> =
        sqlx::query_scalar("SELECT count(*) FROM intake.vault_audit GROUP BY actor ORDER BY actor")
            .fetch_all(&f.pool)
            .await
            .unwrap();
    assert_eq!(per_actor, vec![i64::try_from(REVEALS).unwrap(); TASKS]);
    f.finish().await;
}
