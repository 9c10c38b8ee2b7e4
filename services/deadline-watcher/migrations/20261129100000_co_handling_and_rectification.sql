-- Two more clocks: a co-handling unit's report to the lead unit (A14), one per co-unit,
-- and a supervised unit's rectification report (A17), one per supervision case. Schema:
-- deadline_watcher (search_path during migration).
--
-- A timer is now keyed by (order, clock, party): `party` is '' for the sign and handling
-- clocks (one each per order), the co-handling unit's id for `co_handling`, and the case id
-- for `rectification`. Reminders sent and timer changes follow the same key.

ALTER TABLE timers DROP CONSTRAINT timers_clock_check;
ALTER TABLE timers ADD CONSTRAINT timers_clock_check
    CHECK (clock IN ('sign', 'handling', 'co_handling', 'rectification'));
ALTER TABLE policies DROP CONSTRAINT policies_clock_check;
ALTER TABLE policies ADD CONSTRAINT policies_clock_check
    CHECK (clock IN ('sign', 'handling', 'co_handling', 'rectification'));

ALTER TABLE reminders_sent DROP CONSTRAINT reminders_sent_order_id_clock_fkey;
ALTER TABLE timer_changes DROP CONSTRAINT timer_changes_order_id_clock_fkey;

ALTER TABLE timers ADD COLUMN party TEXT NOT NULL DEFAULT '';
ALTER TABLE timers DROP CONSTRAINT timers_pkey;
ALTER TABLE timers ADD PRIMARY KEY (order_id, clock, party);
ALTER TABLE timers ADD CONSTRAINT timers_party_check
    CHECK ((clock IN ('sign', 'handling')) = (party = ''));

ALTER TABLE reminders_sent ADD COLUMN party TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders_sent DROP CONSTRAINT reminders_sent_pkey;
ALTER TABLE reminders_sent ADD PRIMARY KEY (order_id, clock, party, fraction_permille);
ALTER TABLE reminders_sent ADD FOREIGN KEY (order_id, clock, party)
    REFERENCES timers (order_id, clock, party) ON DELETE CASCADE;

ALTER TABLE timer_changes ADD COLUMN party TEXT NOT NULL DEFAULT '';
ALTER TABLE timer_changes ADD FOREIGN KEY (order_id, clock, party)
    REFERENCES timers (order_id, clock, party) ON DELETE CASCADE;
DROP INDEX timer_changes_one_per_source;
CREATE UNIQUE INDEX timer_changes_one_per_source ON timer_changes (order_id, clock, party, source_id)
    WHERE source_id IS NOT NULL;

-- The limits are the project's documented defaults (docs/deadlines.md): A14 says co-handling
-- units report to the lead unit "within the time limit" and A17 that supervised units
-- rectify, without saying how long; an operator adds a new version where Guizhou's rules
-- or the supervision notice set another limit.
INSERT INTO policies (policy_id, version, clock, kind, urgency, limit_unit, limit_value, basis,
                      stops_when_suspended) VALUES
    ('co-handling', 1, 'co_handling', NULL, NULL, 'working_days', 3,
     'A14 (co-handling units report their part to the lead unit within the time limit): project default, 3 working days from the assignment, so the lead unit can still answer within its own limit; see docs/deadlines.md',
     true),
    ('co-handling-urgent', 1, 'co_handling', NULL, 'urgent', 'hours', 12,
     'A14: project default for urgent matters, half of the 24-hour handling limit; see docs/deadlines.md',
     false),
    ('co-handling-critical', 1, 'co_handling', NULL, 'critical', 'hours', 1,
     'A14: project default for a risk to life or property, half of the 2-hour handling limit; see docs/deadlines.md',
     false),
    ('rectification', 1, 'rectification', NULL, NULL, 'working_days', 5,
     'A17/A18 (supervised units rectify; rectification is reported and bulletined): project default, 5 working days from the opening of the supervision case; see docs/deadlines.md',
     false);
