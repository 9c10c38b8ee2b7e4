-- Clocks that start again (schema: deadline_watcher, search_path during migration).
--
-- A send-back (A16.2, `order.sent_back`) gives the same unit a new handling clock for its
-- redo: the first handling clock stays on record (met or overdue) and the redo's clock is a
-- second row whose party is the id of the result sent back. An escalation of a supervision
-- case (A17, `supervision.case_escalated`) starts a new rectification clock for the case at
-- its new rung: party `<case id>/<level>`. Each restart is kept in `timer_changes`
-- (`sent_back`, `escalated`) on the new clock, with the previous clock's due instant.

ALTER TABLE timers DROP CONSTRAINT timers_party_check;
ALTER TABLE timers ADD CONSTRAINT timers_party_check CHECK (
    clock IN ('sign', 'handling')
    OR (clock IN ('co_handling', 'rectification') AND party <> '')
);

ALTER TABLE timer_changes DROP CONSTRAINT timer_changes_change_check;
ALTER TABLE timer_changes ADD CONSTRAINT timer_changes_change_check CHECK (
    change IN ('paused', 'resumed', 'extended', 'extension_refused', 'sent_back', 'escalated')
);
