-- Issue 8 (A8): where orders stand, for partners asking about the orders they handed us or
-- we sent them, and joint handling of an order with a partner. Schema: emergency_bridge.

-- The bridge's projection of the order lifecycle (docs/partners.md, "Status requests"):
-- one row per order, moved forward by intake's and the router's events (never backwards:
-- `status_rank`, as intake's public status). No personal data: kind, region and urgency
-- only, as in every order event.
CREATE TABLE order_stages (
    order_id            UUID        PRIMARY KEY,
    order_number        TEXT        NOT NULL UNIQUE,
    kind                TEXT        NOT NULL,
    region_code         TEXT        NOT NULL,
    urgency             TEXT        NOT NULL,
    status              TEXT        NOT NULL,
    status_rank         SMALLINT    NOT NULL,
    status_at           TIMESTAMPTZ NOT NULL,
    -- The handling unit, once dispatched (its name is the router's, asked for the result).
    unit_id             TEXT,
    result_submitted_at TIMESTAMPTZ,
    closed_at           TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A8: an order handled jointly with a partner hotline (at most once per partner).
CREATE TABLE joint_handlings (
    joint_id     UUID        PRIMARY KEY,
    order_id     UUID        NOT NULL REFERENCES order_stages (order_id),
    order_number TEXT        NOT NULL,
    partner_code TEXT        NOT NULL REFERENCES partners (code),
    started_by   TEXT        NOT NULL,
    reason       TEXT        NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (order_id, partner_code)
);
CREATE INDEX joint_handlings_partner ON joint_handlings (partner_code, order_number);

-- Both sides' steps. `source_key` makes a step count once: the partner's `step_id`, or the
-- id of the lifecycle event that made our step.
CREATE TABLE joint_steps (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    joint_id    UUID        NOT NULL REFERENCES joint_handlings (joint_id),
    side        TEXT        NOT NULL CHECK (side IN ('ours', 'partner')),
    source_key  TEXT        NOT NULL,
    step        TEXT        NOT NULL,
    text        TEXT        NOT NULL,
    actor       TEXT        NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (joint_id, side, source_key)
);
CREATE INDEX joint_steps_log ON joint_steps (joint_id, at, id);

-- Partners' subjects now include status requests and joint-handling steps.
ALTER TABLE partners DROP COLUMN subjects_in;
ALTER TABLE partners
    ADD COLUMN subjects_in TEXT GENERATED ALWAYS AS ('partner.' || code || '.>') STORED;
