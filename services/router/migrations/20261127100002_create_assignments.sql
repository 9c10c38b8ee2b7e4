-- One row per dispatched order: which unit has it, why (rule or territory, A12), and
-- where it stands in the unit's hands (signed for, A15; result submitted, A16).

CREATE TABLE assignments (
    order_id            UUID PRIMARY KEY,
    number              TEXT        NOT NULL UNIQUE,
    unit_id             TEXT        NOT NULL REFERENCES units (unit_id),
    basis               TEXT        NOT NULL CHECK (basis IN ('rule', 'territorial')),
    rule_id             TEXT,
    kind                TEXT        NOT NULL,
    urgency             TEXT        NOT NULL,
    status              TEXT        NOT NULL CHECK (status IN ('dispatched', 'signed', 'result_submitted')),
    dispatched_at       TIMESTAMPTZ NOT NULL,
    signed_at           TIMESTAMPTZ,
    signed_by           TEXT,
    result_submitted_at TIMESTAMPTZ,
    -- The order's trace (W3C traceparent of its registration): later steps on the order
    -- continue it, so one order is one trace across services.
    traceparent         TEXT,
    CHECK (basis = 'territorial' OR rule_id IS NOT NULL)
);
CREATE INDEX assignments_unit_status ON assignments (unit_id, status);
