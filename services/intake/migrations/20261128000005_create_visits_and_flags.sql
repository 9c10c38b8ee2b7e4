-- The satisfaction visit after closing (回访): one per order.
CREATE TABLE satisfaction_visits (
    order_id    UUID PRIMARY KEY REFERENCES orders (order_id),
    verdict     TEXT        NOT NULL CHECK (verdict IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    resolved    BOOLEAN     NOT NULL,
    comment     TEXT,
    via         TEXT        NOT NULL CHECK (via IN ('agent_callback', 'online')),
    recorded_by TEXT        NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);

-- A24: agents flag abusive contact; the record is kept for handing to public security.
-- Requesters are identified by the keyed phone hash, never by the number itself.
CREATE TABLE harassment_flags (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   UUID        NOT NULL REFERENCES orders (order_id),
    phone_hash TEXT        NOT NULL,
    agent_id   TEXT        NOT NULL,
    note       TEXT        NOT NULL,
    flagged_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX harassment_flags_requester ON harassment_flags (phone_hash, flagged_at);

-- Requesters marked after repeated flags (A24).
CREATE TABLE marked_requesters (
    phone_hash       TEXT PRIMARY KEY,
    marked_at        TIMESTAMPTZ NOT NULL,
    flags_at_marking INTEGER     NOT NULL
);
