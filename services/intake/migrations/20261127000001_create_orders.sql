-- Intake owns the orders as registered, the requester vault, and the status projection
-- behind the public progress query. Schema: intake (search_path during migration).

CREATE TABLE orders (
    order_id      UUID PRIMARY KEY,
    number        TEXT        NOT NULL UNIQUE,
    check_code    TEXT        NOT NULL,
    channel       TEXT        NOT NULL,
    kind          TEXT        NOT NULL,
    category      TEXT,
    region_code   TEXT        NOT NULL,
    urgency       TEXT        NOT NULL,
    confidential  BOOLEAN     NOT NULL,
    matter        TEXT        NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    registered_by TEXT
);

-- Personal data of the requester, kept apart from the order so that it can be protected
-- (and, with issue 3, encrypted) on its own. Never copied into events or logs (A21).
CREATE TABLE requesters (
    order_id       UUID PRIMARY KEY REFERENCES orders (order_id),
    requester_type TEXT NOT NULL,
    name           TEXT,
    phone          TEXT,
    phone_hash     TEXT,
    address        TEXT
);
CREATE INDEX requesters_phone_hash ON requesters (phone_hash);

-- Daily sequence per region for human-readable order numbers; the row lock taken by the
-- upsert makes numbers unique under concurrency.
CREATE TABLE daily_sequence (
    region_code TEXT    NOT NULL,
    day         DATE    NOT NULL,
    last_value  INTEGER NOT NULL,
    PRIMARY KEY (region_code, day)
);

-- The public view of each order, kept current from the order events.
CREATE TABLE order_status (
    order_id     UUID PRIMARY KEY REFERENCES orders (order_id),
    status       TEXT        NOT NULL,
    status_rank  SMALLINT    NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    sign_due_at  TIMESTAMPTZ
);

CREATE TABLE order_history (
    order_id   UUID        NOT NULL REFERENCES orders (order_id),
    status     TEXT        NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, status)
);
