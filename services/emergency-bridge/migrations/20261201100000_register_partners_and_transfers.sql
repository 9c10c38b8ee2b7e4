-- Issue 8: the full partner registry, transfers out and in, and the disclosure audit.
-- Schema: emergency_bridge (search_path during migration).

-- The partner registry (A8, A10.1). Subjects are derived from the code (one rule for every
-- partner, docs/partners.md) and stored so an operator can read them next to the limits.
ALTER TABLE partners
    ADD COLUMN retry_count    INTEGER NOT NULL DEFAULT 2 CHECK (retry_count BETWEEN 0 AND 10),
    -- The number the agent on duty dials for a three-way call when the partner does not
    -- answer on the bus. Seeded with each partner's public short number, never a guess.
    ADD COLUMN fallback_phone TEXT    NOT NULL DEFAULT '' ,
    ADD COLUMN subjects_in    TEXT    GENERATED ALWAYS AS ('partner.' || code || '.transfer.>') STORED,
    ADD COLUMN subjects_out   TEXT    GENERATED ALWAYS AS ('hotline.transfer.' || code || '.>') STORED;

UPDATE partners SET fallback_phone = code;
ALTER TABLE partners ADD CONSTRAINT partners_fallback_phone_present CHECK (fallback_phone <> '');
-- A10.1: emergencies wait 30 s for the bus, then twice more, then an agent phones through.
UPDATE partners SET ack_timeout_secs = 30, retry_count = 2 WHERE kind = 'emergency';

-- A10.1 utilities and A8 sub-centers. National short numbers only: 95598 (power grid) is
-- national; water, gas and heat hotlines differ per city and are added by the operator for
-- each city (docs/partners.md), not invented here.
INSERT INTO partners (code, kind, name, ack_timeout_secs, retry_count, fallback_phone) VALUES
    ('95598', 'utility',    '95598 供电服务热线', 300, 3, '95598'),
    ('12315', 'sub_center', '12315 市场监管投诉举报热线', 600, 3, '12315'),
    ('12366', 'sub_center', '12366 纳税缴费服务热线', 600, 3, '12366');

-- Transfers out: one row per order handed to a partner, with its attempts and outcome.
CREATE TABLE outbound_transfers (
    transfer_id       UUID        PRIMARY KEY,
    order_id          UUID        NOT NULL,
    order_number      TEXT        NOT NULL,
    partner_code      TEXT        NOT NULL REFERENCES partners (code),
    emergency         BOOLEAN     NOT NULL,
    status            TEXT        NOT NULL DEFAULT 'awaiting'
                      CHECK (status IN ('awaiting', 'accepted', 'rejected', 'timed_out')),
    attempts          INTEGER     NOT NULL DEFAULT 1,
    answer_by         TIMESTAMPTZ NOT NULL,
    requested_at      TIMESTAMPTZ NOT NULL,
    first_sent_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at        TIMESTAMPTZ,
    partner_reference TEXT,
    reason            TEXT,
    -- The message as first sent (a retry re-sends it with the next attempt number).
    request           JSONB       NOT NULL,
    UNIQUE (order_id, partner_code)
);
-- The retry/timeout scan: only open transfers, emergencies first.
CREATE INDEX outbound_transfers_due ON outbound_transfers (emergency DESC, answer_by)
    WHERE status = 'awaiting';

-- Transfers in: one row per partner transfer id that became our order (dedup key).
CREATE TABLE inbound_transfers (
    partner_code        TEXT        NOT NULL REFERENCES partners (code),
    partner_transfer_id TEXT        NOT NULL,
    order_id            UUID        NOT NULL,
    order_number        TEXT        NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_code, partner_transfer_id)
);

-- A21: every disclosure of a caller's data to a partner (what, to whom, when, why).
-- Append-only: the service never updates or deletes these rows.
CREATE TABLE disclosures (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transfer_id   UUID        NOT NULL REFERENCES outbound_transfers (transfer_id),
    order_id      UUID        NOT NULL,
    partner_code  TEXT        NOT NULL,
    attempt       INTEGER     NOT NULL,
    fields        TEXT[]      NOT NULL,
    purpose       TEXT        NOT NULL,
    disclosed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
