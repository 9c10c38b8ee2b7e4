-- Triage (A9, A10): exactly one disposition per order, with its reason and who decided
-- (an agent's id, or `rule:<name>`).
CREATE TABLE triage (
    order_id          UUID PRIMARY KEY REFERENCES orders (order_id),
    disposition       TEXT        NOT NULL
        CHECK (disposition IN ('dispatch', 'answer', 'transfer', 'redirect', 'repeat')),
    reason_code       TEXT,
    decided_by        TEXT        NOT NULL,
    article_id        TEXT,
    article_version   INTEGER,
    partner_code      TEXT,
    earlier_order_id  UUID REFERENCES orders (order_id),
    notice            TEXT,
    decided_at        TIMESTAMPTZ NOT NULL,
    CHECK (disposition <> 'answer' OR (article_id IS NOT NULL AND article_version >= 1)),
    CHECK (disposition <> 'transfer' OR partner_code IS NOT NULL),
    CHECK (disposition <> 'redirect' OR reason_code IS NOT NULL),
    CHECK (disposition <> 'repeat' OR earlier_order_id IS NOT NULL)
);
CREATE INDEX triage_earlier_order ON triage (earlier_order_id) WHERE earlier_order_id IS NOT NULL;
