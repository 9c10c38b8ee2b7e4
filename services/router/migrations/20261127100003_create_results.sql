-- Results as submitted by units (A16): basis of the handling, findings, reply to the
-- requester, and the promised completion date when the matter is not done yet. The texts
-- may name people, so they stay here; events carry only a checklist of what was given.

CREATE TABLE results (
    result_id    UUID PRIMARY KEY,
    order_id     UUID        NOT NULL REFERENCES assignments (order_id),
    unit_id      TEXT        NOT NULL REFERENCES units (unit_id),
    submitted_by TEXT        NOT NULL,
    basis        TEXT        NOT NULL,
    findings     TEXT        NOT NULL,
    reply        TEXT        NOT NULL,
    promised_by  DATE,
    submitted_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX results_order ON results (order_id, submitted_at);
