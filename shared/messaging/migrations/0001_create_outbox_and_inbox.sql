-- Reliable messaging tables, created in each service's own schema (search_path is set to
-- the service schema while migrating). Versions 1..999 belong to hotline-messaging; service
-- migrations use timestamps, so both migrators share one _sqlx_migrations table.

-- Outbox: events written in the same transaction as the state change that caused them.
-- The relay publishes unsent rows in `seq` order with Nats-Msg-Id = id, then sets sent_at.
CREATE TABLE outbox (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           UUID        NOT NULL UNIQUE,
    subject      TEXT        NOT NULL,
    payload      BYTEA       NOT NULL,
    traceparent  TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at      TIMESTAMPTZ,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;

-- Inbox: one row per consumed message, written in the handler's transaction, so a
-- redelivered message finds its row and has no second effect.
CREATE TABLE inbox (
    consumer     TEXT        NOT NULL,
    message_id   TEXT        NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome      TEXT        NOT NULL,
    PRIMARY KEY (consumer, message_id)
);

-- Dead letters: messages a consumer could not apply (permanent errors), kept with the
-- reason; a copy also goes out on hotline.deadletter.<service> through the outbox.
CREATE TABLE dead_letter (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer       TEXT        NOT NULL,
    message_id     TEXT        NOT NULL,
    subject        TEXT        NOT NULL,
    stream_seq     BIGINT,
    reason         TEXT        NOT NULL,
    payload        BYTEA       NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
