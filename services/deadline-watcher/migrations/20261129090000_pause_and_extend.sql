-- Suspension (挂起) and extension (A14) of running clocks, and the shortest limit for
-- matters with a risk to life or property. Schema: deadline_watcher (search_path during
-- migration).
--
-- A clock pauses while its order is suspended when its policy says so
-- (`stops_when_suspended`, copied onto the timer when it starts, like the policy label), and
-- restarts with the time it had left; an approved extension moves the due instant. Every
-- move is kept in `timer_changes`, so each deadline's history can be shown and audited (A23).

-- Urgency `critical`: a risk to life or property that stays with 12345.
ALTER TABLE policies DROP CONSTRAINT policies_urgency_check;
ALTER TABLE policies ADD CONSTRAINT policies_urgency_check
    CHECK (urgency IN ('normal', 'urgent', 'critical'));
ALTER TABLE timers DROP CONSTRAINT timers_urgency_check;
ALTER TABLE timers ADD CONSTRAINT timers_urgency_check
    CHECK (urgency IN ('normal', 'urgent', 'critical'));

-- Whether a clock under the policy stops while the order is suspended. Before this
-- migration no order could be suspended, so setting it on the existing handling policies
-- changes nothing any timer was computed with: the rule simply had no occasion to apply.
ALTER TABLE policies ADD COLUMN stops_when_suspended BOOLEAN NOT NULL DEFAULT false;
UPDATE policies SET stops_when_suspended = true WHERE clock = 'handling';

INSERT INTO policies (policy_id, version, clock, kind, urgency, limit_unit, limit_value, basis,
                      stops_when_suspended) VALUES
    ('handling-critical', 1, 'handling', NULL, 'critical', 'hours', 2,
     'A15 (handle within the limit set by law, else by the relevant provincial rules): project default for matters with a risk to life or property that stay with 12345, 2 calendar hours from signing; the clock does not stop for a suspension; see docs/deadlines.md',
     false),
    ('sign-critical', 1, 'sign', NULL, 'critical', 'hours', 1,
     'A15 sets 1 working day as the longest time to sign; for a risk to life or property the project default is 1 calendar hour, so the 2-hour handling clock is not preceded by a day of waiting; see docs/deadlines.md',
     false);

ALTER TABLE timers DROP CONSTRAINT timers_state_check;
ALTER TABLE timers ADD CONSTRAINT timers_state_check
    CHECK (state IN ('running', 'paused', 'met', 'cancelled', 'overdue'));
ALTER TABLE timers
    ADD COLUMN stops_when_suspended BOOLEAN NOT NULL DEFAULT false,
    -- When the clock was paused (state 'paused'); NULL otherwise.
    ADD COLUMN paused_at TIMESTAMPTZ,
    ADD CONSTRAINT timers_paused_at_check CHECK ((state = 'paused') = (paused_at IS NOT NULL));
UPDATE timers AS t SET stops_when_suspended = p.stops_when_suspended
    FROM policies AS p
    WHERE p.policy_id = t.policy_id AND p.version = t.policy_version;

-- The history of each clock's due instant: paused, resumed (due moved by the time the
-- clock stood still) and extended (A14). `source_id` is the approval behind an extension,
-- so a grant published twice moves the deadline once.
CREATE TABLE timer_changes (
    change_id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        UUID        NOT NULL,
    clock           TEXT        NOT NULL,
    change          TEXT        NOT NULL CHECK (change IN ('paused', 'resumed', 'extended', 'extension_refused')),
    previous_due_at TIMESTAMPTZ NOT NULL,
    due_at          TIMESTAMPTZ NOT NULL,
    -- The suspension reason, or the extension's reason code.
    reason          TEXT,
    -- Who decided (the approving center staff member), when the event says.
    decided_by      TEXT,
    source_id       UUID,
    changed_at      TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (order_id, clock) REFERENCES timers (order_id, clock) ON DELETE CASCADE
);
CREATE INDEX timer_changes_by_order ON timer_changes (order_id, change_id);
CREATE UNIQUE INDEX timer_changes_one_per_source ON timer_changes (order_id, clock, source_id)
    WHERE source_id IS NOT NULL;
