-- Time-limit policies as data (A15), the policy each timer was computed by, the order's
-- kind and urgency on the sign timer (the handling clock needs them at sign time), and the
-- reminders already sent (A17). Schema: deadline_watcher (search_path during migration).
--
-- A policy is one (policy_id, version) row; a change of limit is a new version, never an
-- edit of an old row, so every timer's `policy_id`/`policy_version` keeps naming the rule
-- that set its due instant (A23). At most one version of a policy is active.
--
-- The limits seeded here are the project's documented defaults (docs/deadlines.md): A15
-- fixes the sign-for limit; for handling it says "within the limit set by law, otherwise by
-- the relevant provincial rules", and where those rules are not encoded yet the defaults
-- below apply until an operator adds a new version.

CREATE TABLE policies (
    policy_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    clock       TEXT    NOT NULL CHECK (clock IN ('sign', 'handling')),
    -- NULL: any kind / any urgency.
    kind        TEXT    CHECK (kind IN ('consultation', 'help', 'complaint', 'report', 'suggestion')),
    urgency     TEXT    CHECK (urgency IN ('normal', 'urgent')),
    limit_unit  TEXT    NOT NULL CHECK (limit_unit IN ('working_days', 'hours')),
    limit_value INTEGER NOT NULL CHECK (limit_value >= 1),
    -- Where the limit comes from (the article, or "project default" and why).
    basis       TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT true,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_id, version)
);

-- One active version per policy.
CREATE UNIQUE INDEX policies_one_active_version ON policies (policy_id) WHERE active;

INSERT INTO policies (policy_id, version, clock, kind, urgency, limit_unit, limit_value, basis) VALUES
    ('sign', 1, 'sign', NULL, NULL, 'working_days', 1,
     'A15: the handling unit signs for a dispatched order within 1 working day'),
    ('handling-consultation-normal', 1, 'handling', 'consultation', 'normal', 'working_days', 3,
     'A15 (handle within the limit set by law, else by the relevant provincial rules): project default for consultations, 3 working days from signing; see docs/deadlines.md'),
    ('handling-help-normal', 1, 'handling', 'help', 'normal', 'working_days', 5,
     'A15 (handle within the limit set by law, else by the relevant provincial rules): project default for requests for help, 5 working days from signing; see docs/deadlines.md'),
    ('handling-suggestion-normal', 1, 'handling', 'suggestion', 'normal', 'working_days', 5,
     'A15 (handle within the limit set by law, else by the relevant provincial rules): project default for suggestions, 5 working days from signing; see docs/deadlines.md'),
    ('handling-complaint-normal', 1, 'handling', 'complaint', 'normal', 'working_days', 10,
     'A15 (handle within the limit set by law, else by the relevant provincial rules): project default for complaints, 10 working days from signing; see docs/deadlines.md'),
    ('handling-report-normal', 1, 'handling', 'report', 'normal', 'working_days', 10,
     'A15 (handle within the limit set by law, else by the relevant provincial rules): project default for reports, 10 working days from signing; see docs/deadlines.md'),
    ('handling-urgent', 1, 'handling', NULL, 'urgent', 'hours', 24,
     'A15 (handle within the limit set by law, else by the relevant provincial rules): project default for urgent matters of any kind, 24 calendar hours from signing (holidays not skipped); see docs/deadlines.md');

-- The policy behind each timer. Timers started before this migration were all sign clocks
-- computed as 1 working day, which is `sign` version 1.
ALTER TABLE timers
    ADD COLUMN policy_id      TEXT,
    ADD COLUMN policy_version INTEGER,
    -- The order's kind and urgency as dispatched (kept on the sign timer: order.signed does
    -- not carry them, and the handling limit depends on them). NULL on older timers.
    ADD COLUMN kind    TEXT CHECK (kind IN ('consultation', 'help', 'complaint', 'report', 'suggestion')),
    ADD COLUMN urgency TEXT CHECK (urgency IN ('normal', 'urgent'));
UPDATE timers SET policy_id = 'sign', policy_version = 1 WHERE policy_id IS NULL;
ALTER TABLE timers
    ALTER COLUMN policy_id SET NOT NULL,
    ALTER COLUMN policy_version SET NOT NULL,
    ADD FOREIGN KEY (policy_id, policy_version) REFERENCES policies (policy_id, version);

-- A17: reminders sent before a due instant, one row per timer and reminder point (the
-- fraction of the time allowed, in thousandths: 500 = half the time used). The primary key
-- is what makes each reminder fire exactly once, even with scans running concurrently.
CREATE TABLE reminders_sent (
    order_id          UUID        NOT NULL,
    clock             TEXT        NOT NULL,
    fraction_permille INTEGER     NOT NULL CHECK (fraction_permille > 0 AND fraction_permille < 1000),
    sent_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, clock, fraction_permille),
    FOREIGN KEY (order_id, clock) REFERENCES timers (order_id, clock) ON DELETE CASCADE
);
