-- Staff assessment (A19): who registered, answered, reviewed and approved, by user id only
-- (no names: events carry none). The registering agent and the request time go on the
-- fact row (written by `registered`, like its other descriptive columns); the order a
-- repeat was linked to too, so that a direct answer followed by a repeat is found. Every
-- other act is a row keyed by what it acts on, so a repeated event adds nothing.

ALTER TABLE order_facts
    ADD COLUMN registered_by TEXT,
    ADD COLUMN requested_at  TIMESTAMPTZ,
    ADD COLUMN repeat_of     UUID;

-- Direct-answer accuracy looks up the orders that followed an answered one.
CREATE INDEX order_facts_follow_up_of ON order_facts (follow_up_of) WHERE follow_up_of IS NOT NULL;
CREATE INDEX order_facts_repeat_of ON order_facts (repeat_of) WHERE repeat_of IS NOT NULL;

-- One row per act: `answered_directly` (the order), `accepted` (the order, on review),
-- `sent_back` (the result), `extension_approved` (the extension), `suspension_approved`
-- (the order, at its time), `result_submitted` (the result; the start of a review's time).
CREATE TABLE staff_acts (
    act        TEXT        NOT NULL,
    subject_id UUID        NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    staff_id   TEXT        NOT NULL,
    order_id   UUID        NOT NULL,
    PRIMARY KEY (act, subject_id, at)
);
CREATE INDEX staff_acts_at ON staff_acts (at);
CREATE INDEX staff_acts_order ON staff_acts (order_id);
