-- What the KPIs of docs/kpis.md need beyond the lifecycle steps (A18, A20). Every column is
-- written so that repeated, late or reordered events give the same row: flags only turn
-- on (OR), counted things are rows keyed by their own id.

ALTER TABLE order_facts
    ADD COLUMN sign_overdue      BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN handling_overdue  BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN disputed          BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN redispatched      BOOLEAN NOT NULL DEFAULT FALSE,
    -- Working days from the dispatch day to the first result (docs/kpis.md), computed when
    -- both are known; NULL while one is missing or the calendar lacks the year.
    ADD COLUMN handling_working_days INTEGER;

-- Send-backs (redo, A16), one row per result sent back.
CREATE TABLE order_send_backs (
    result_id   UUID PRIMARY KEY,
    order_id    UUID        NOT NULL,
    sent_back_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_send_backs_order ON order_send_backs (order_id);

-- Supervision cases (A17, A18 rectification), one row per case.
CREATE TABLE order_cases (
    case_id   UUID PRIMARY KEY,
    order_id  UUID        NOT NULL,
    opened_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ
);
CREATE INDEX order_cases_order ON order_cases (order_id);
