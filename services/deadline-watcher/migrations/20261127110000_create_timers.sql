-- The deadline-watcher's clocks: one row per order and clock (A15 sign-for, A15 handling).
-- Schema: deadline_watcher (search_path during migration).
--
-- A timer starts `running` and ends exactly once: `met` (the unit did it in time),
-- `cancelled` (the order closed first) or `overdue` (the due instant passed; supervision is
-- told, A17). The overdue scan claims running rows past their due instant with
-- `FOR UPDATE SKIP LOCKED`, so replicas never announce the same timer twice.

CREATE TABLE timers (
    order_id   UUID        NOT NULL,
    clock      TEXT        NOT NULL CHECK (clock IN ('sign', 'handling')),
    unit_id    TEXT        NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    due_at     TIMESTAMPTZ NOT NULL,
    -- The time-limit policy that set due_at (e.g. `sign-1wd`), for the record (A23).
    policy     TEXT        NOT NULL,
    state      TEXT        NOT NULL CHECK (state IN ('running', 'met', 'cancelled', 'overdue')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- W3C traceparent of the event that started the clock, so the events the scan emits
    -- later continue the order's trace.
    traceparent TEXT,
    PRIMARY KEY (order_id, clock)
);

-- What the overdue scan reads: running timers by due instant.
CREATE INDEX timers_running_by_due ON timers (due_at) WHERE state = 'running';
