-- The router after the first dispatch (issue 5): disputes (A13), redispatch, co-handling
-- units (A14), interim progress, extension and suspension requests, send-back redos (A16),
-- the pre-dispatch consultation queue (A12) and the dispatch history that dispatch
-- accuracy is measured on (A12). Schema: router (search_path during migration).

-- Rules are versioned: an edit makes a new version; every dispatch records both.
ALTER TABLE dispatch_rules ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE dispatch_rules ADD COLUMN updated_by TEXT;
ALTER TABLE dispatch_rules ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();

ALTER TABLE assignments DROP CONSTRAINT assignments_basis_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_basis_check
    CHECK (basis IN ('rule', 'territorial', 'consultation', 'dispute'));
ALTER TABLE assignments ADD COLUMN rule_version INTEGER;
ALTER TABLE assignments ADD COLUMN category TEXT;
ALTER TABLE assignments ADD COLUMN region_code TEXT;
-- Suspended (挂起) by the center: clocks that stop meanwhile are paused by the watcher.
ALTER TABLE assignments ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT FALSE;
-- A16: each send-back is a redo by the same unit.
ALTER TABLE assignments ADD COLUMN redo_count INTEGER NOT NULL DEFAULT 0;
-- The current dispatch (a row of dispatch_log).
ALTER TABLE assignments ADD COLUMN dispatch_id UUID;

-- Every dispatch of every order, first and later; `changed_by_dispute` is set when a
-- dispute took the order away from this dispatch's unit (A12: accuracy).
CREATE TABLE dispatch_log (
    dispatch_id        UUID PRIMARY KEY,
    order_id           UUID        NOT NULL REFERENCES assignments (order_id),
    unit_id            TEXT        NOT NULL REFERENCES units (unit_id),
    basis              TEXT        NOT NULL,
    rule_id            TEXT,
    rule_version       INTEGER,
    category           TEXT,
    -- Who decided: `rule:<id>`, `territorial`, or the center's staff id.
    dispatcher         TEXT        NOT NULL,
    dispatched_at      TIMESTAMPTZ NOT NULL,
    changed_by_dispute UUID
);
CREATE INDEX dispatch_log_order ON dispatch_log (order_id, dispatched_at);

CREATE TABLE disputes (
    dispute_id       UUID PRIMARY KEY,
    order_id         UUID        NOT NULL REFERENCES assignments (order_id),
    unit_id          TEXT        NOT NULL REFERENCES units (unit_id),
    reason           TEXT        NOT NULL,
    explanation      TEXT        NOT NULL,
    proposed_unit_id TEXT,
    disputed_by      TEXT        NOT NULL,
    disputed_at      TIMESTAMPTZ NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN ('open', 'escalated', 'upheld', 'redispatched')),
    escalated_at     TIMESTAMPTZ,
    decider          TEXT CHECK (decider IN ('center', 'authority')),
    decided_by       TEXT,
    decided_at       TIMESTAMPTZ,
    decided_unit_id  TEXT,
    improper         BOOLEAN     NOT NULL DEFAULT FALSE
);
-- One unsettled dispute per order at a time.
CREATE UNIQUE INDEX disputes_one_unsettled ON disputes (order_id) WHERE status IN ('open', 'escalated');
CREATE INDEX disputes_open_since ON disputes (disputed_at) WHERE status = 'open';

-- A13: every step of a dispute, in order.
CREATE TABLE dispute_steps (
    step_id    BIGSERIAL PRIMARY KEY,
    dispute_id UUID        NOT NULL REFERENCES disputes (dispute_id),
    step       TEXT        NOT NULL,
    actor      TEXT        NOT NULL,
    unit_id    TEXT,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX dispute_steps_dispute ON dispute_steps (dispute_id, step_id);

-- A14: co-handling units of an order and their reports to the lead unit.
CREATE TABLE co_units (
    order_id     UUID        NOT NULL REFERENCES assignments (order_id),
    unit_id      TEXT        NOT NULL REFERENCES units (unit_id),
    assigned_by  TEXT        NOT NULL,
    assigned_at  TIMESTAMPTZ NOT NULL,
    report_id    UUID,
    report       TEXT,
    reported_by  TEXT,
    reported_at  TIMESTAMPTZ,
    PRIMARY KEY (order_id, unit_id)
);
CREATE INDEX co_units_unit ON co_units (unit_id);

-- A14: interim progress of a unit that cannot finish in time.
CREATE TABLE progress_reports (
    report_id   UUID PRIMARY KEY,
    order_id    UUID        NOT NULL REFERENCES assignments (order_id),
    unit_id     TEXT        NOT NULL,
    reason_code TEXT        NOT NULL,
    progress    TEXT        NOT NULL,
    reported_by TEXT        NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL
);

-- A14: extension and suspension requests and the center's decisions.
CREATE TABLE unit_requests (
    request_id        UUID PRIMARY KEY,
    order_id          UUID        NOT NULL REFERENCES assignments (order_id),
    unit_id           TEXT        NOT NULL,
    kind              TEXT        NOT NULL CHECK (kind IN ('extension', 'suspension')),
    limit_unit        TEXT,
    limit_value       INTEGER,
    suspension_reason TEXT,
    reason_code       TEXT        NOT NULL,
    explanation       TEXT        NOT NULL,
    requested_by      TEXT        NOT NULL,
    requested_at      TIMESTAMPTZ NOT NULL,
    status            TEXT        NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by        TEXT,
    decided_at        TIMESTAMPTZ,
    CHECK ((kind = 'extension') = (limit_unit IS NOT NULL AND limit_value > 0))
);
CREATE UNIQUE INDEX unit_requests_one_pending ON unit_requests (order_id, kind) WHERE status = 'pending';

-- A16: results sent back to the unit (each a redo).
CREATE TABLE send_backs (
    order_id     UUID        NOT NULL REFERENCES assignments (order_id),
    result_id    UUID        NOT NULL,
    unit_id      TEXT        NOT NULL,
    reason_code  TEXT        NOT NULL,
    sent_back_by TEXT        NOT NULL,
    sent_back_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, result_id)
);

-- A12: orders with neither a clear unit nor a known region wait here for the center.
CREATE TABLE consultations (
    order_id      UUID PRIMARY KEY,
    number        TEXT        NOT NULL UNIQUE,
    kind          TEXT        NOT NULL,
    urgency       TEXT        NOT NULL,
    category      TEXT,
    region_code   TEXT        NOT NULL,
    traceparent   TEXT,
    opened_at     TIMESTAMPTZ NOT NULL,
    status        TEXT        NOT NULL CHECK (status IN ('open', 'decided')),
    decided_by    TEXT,
    decided_at    TIMESTAMPTZ
);

CREATE TABLE consultation_invitees (
    order_id      UUID        NOT NULL REFERENCES consultations (order_id),
    unit_id       TEXT        NOT NULL REFERENCES units (unit_id),
    invited_by    TEXT        NOT NULL,
    invited_at    TIMESTAMPTZ NOT NULL,
    view          TEXT,
    within_duties BOOLEAN,
    responded_by  TEXT,
    responded_at  TIMESTAMPTZ,
    PRIMARY KEY (order_id, unit_id)
);

-- Only a rule dispatch names a rule; consultation and dispute dispatches are the center's.
ALTER TABLE assignments DROP CONSTRAINT assignments_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_rule_named CHECK (basis <> 'rule' OR rule_id IS NOT NULL);
