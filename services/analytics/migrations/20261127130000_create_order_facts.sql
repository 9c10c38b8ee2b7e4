-- Analytics' fact table: one row per work order, one column per lifecycle step, filled
-- from the order events (no personal data: events carry none). Schema: analytics
-- (search_path during migration).
--
-- Events may arrive late, repeated or out of order (a replay, a redelivery, several
-- producers), so every event writes only its own columns and the row is created by
-- whichever event comes first. Step timestamps keep the first occurrence. Every column but
-- the key may therefore be empty for a while.

CREATE TABLE order_facts (
    order_id            UUID PRIMARY KEY,
    number              TEXT,
    kind                TEXT,
    channel             TEXT,
    region_code         TEXT,
    category            TEXT,
    unit_id             TEXT,
    registered_at       TIMESTAMPTZ,
    dispatched_at       TIMESTAMPTZ,
    signed_at           TIMESTAMPTZ,
    result_submitted_at TIMESTAMPTZ,
    closed_at           TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX order_facts_registered_at ON order_facts (registered_at);
CREATE INDEX order_facts_region_code ON order_facts (region_code);
