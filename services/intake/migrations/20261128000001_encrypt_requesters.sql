-- The personal-data vault (A21): the requester's name, phone, identity number and address
-- are stored only encrypted (AES-256-GCM, format `v1 | key id | nonce | ciphertext+tag`,
-- see src/vault), looked up through keyed blind indexes, and every disclosure is recorded
-- in a hash-chained audit trail. Schema: intake (search_path during migration).

-- SQL cannot encrypt (the keys live in intake's config), and nothing is deployed yet, so the
-- clear columns are replaced rather than migrated. A database that already holds requesters
-- is a development database from before the vault: refuse rather than silently keep or
-- destroy its data.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM requesters) THEN
        RAISE EXCEPTION 'intake.requesters holds personal data in clear, which this migration cannot encrypt: recreate this development database (nothing is deployed yet)';
    END IF;
END
$$;

ALTER TABLE requesters
    DROP COLUMN name,
    DROP COLUMN phone,
    DROP COLUMN address,
    -- The key every encrypted value of the row is under (each value also names it); key
    -- rotation looks for rows whose key_id is not the active key.
    ADD COLUMN key_id         TEXT  NOT NULL,
    ADD COLUMN name_enc       BYTEA,
    ADD COLUMN phone_enc      BYTEA,
    ADD COLUMN id_number_enc  BYTEA,
    ADD COLUMN address_enc    BYTEA,
    -- HMAC-SHA-256 of the normalised identity number (like phone_hash for the phone).
    ADD COLUMN id_number_hash TEXT;
CREATE INDEX requesters_id_number_hash ON requesters (id_number_hash)
    WHERE id_number_hash IS NOT NULL;
CREATE INDEX requesters_key_id ON requesters (key_id);

-- One record per disclosure; hash = SHA-256(prev_hash || canonical record).
CREATE TABLE vault_audit (
    seq       BIGINT      PRIMARY KEY CHECK (seq > 0),
    order_id  UUID        NOT NULL,
    field     TEXT        NOT NULL,
    actor     TEXT        NOT NULL,
    purpose   TEXT        NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    prev_hash BYTEA       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash      BYTEA       NOT NULL CHECK (octet_length(hash) = 32)
);
CREATE INDEX vault_audit_order ON vault_audit (order_id, seq);

-- The end of the chain. Appends lock this row, so concurrent disclosures form one chain,
-- and it makes a removed last record detectable.
CREATE TABLE vault_audit_head (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    seq       BIGINT  NOT NULL CHECK (seq >= 0),
    hash      BYTEA   NOT NULL CHECK (octet_length(hash) = 32)
);
INSERT INTO vault_audit_head (singleton, seq, hash) VALUES (TRUE, 0, decode(repeat('00', 32), 'hex'));

-- The trail is append-only. The hash chain catches whoever disables this trigger.
CREATE FUNCTION vault_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'intake.vault_audit is append-only (A21)';
END
$$;
CREATE TRIGGER vault_audit_append_only
    BEFORE UPDATE OR DELETE ON vault_audit
    FOR EACH ROW EXECUTE FUNCTION vault_audit_append_only();
CREATE TRIGGER vault_audit_no_truncate
    BEFORE TRUNCATE ON vault_audit
    FOR EACH STATEMENT EXECUTE FUNCTION vault_audit_append_only();
