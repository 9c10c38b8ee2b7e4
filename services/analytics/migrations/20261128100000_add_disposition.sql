-- Triage at intake (A9, A10): how each order was disposed of. Orders closed at intake
-- (answered directly, redirected, repeat linked) never reach a unit, and a transfer goes
-- to a partner hotline; the direct-answer rate and friends are counted from this column.
ALTER TABLE order_facts
    ADD COLUMN disposition           TEXT,
    ADD COLUMN disposition_reason    TEXT,
    ADD COLUMN follow_up_of          UUID,
    ADD COLUMN transfer_requested_at TIMESTAMPTZ;
