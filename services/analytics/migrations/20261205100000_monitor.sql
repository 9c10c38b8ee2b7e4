-- Dynamic monitoring (A20). The monitor reads the open orders and today's closes; the KPI
-- snapshot keeps one key per slice and interval so that two replicas publish it once.

CREATE INDEX order_facts_open ON order_facts (registered_at) WHERE closed_at IS NULL;
CREATE INDEX order_facts_closed_at ON order_facts (closed_at);

CREATE TABLE kpi_snapshots (
    slice    TEXT        NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL,  -- the start of the interval
    PRIMARY KEY (slice, taken_at)
);
