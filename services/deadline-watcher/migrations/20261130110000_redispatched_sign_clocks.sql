-- A redispatch after a dispute (A13, issue 5) starts a new sign clock for the new unit and
-- cancels the old one; both stay on record. The first sign clock of an order keeps party
-- ''; a redispatch's sign clock has the dispatch id (`order.redispatched`) as its party.
-- Schema: deadline_watcher (search_path during migration).

ALTER TABLE timers DROP CONSTRAINT timers_party_check;
ALTER TABLE timers ADD CONSTRAINT timers_party_check CHECK (
    (clock = 'handling' AND party = '')
    OR clock = 'sign'
    OR (clock IN ('co_handling', 'rectification') AND party <> '')
);
