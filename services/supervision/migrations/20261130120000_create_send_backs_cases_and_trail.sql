-- Send-backs on two people's word (A16), supervision cases and their steps (A17, A18), and
-- the hash-chained trail of everything supervision decides (A23). Schema: supervision.

-- A sent-back review (the order went back to its unit; a newer result replaces the row).
ALTER TABLE reviews DROP CONSTRAINT reviews_decision_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_decision_check
    CHECK (decision IN ('accepted', 'pending_review', 'sent_back'));

-- A16: a reviewer proposes sending a result back; the center's head (another person)
-- approves. `outcome` is set on approval: `sent_back` (order.sent_back) or `case_opened`
-- (the order had been sent back before: a supervision case instead of a third round).
CREATE TABLE send_backs (
    proposal_id  UUID        PRIMARY KEY,
    order_id     UUID        NOT NULL,
    result_id    UUID        NOT NULL,
    unit_id      TEXT        NOT NULL,
    reason_code  TEXT        NOT NULL,
    reasons      TEXT        NOT NULL,
    proposed_by  TEXT        NOT NULL,
    proposed_at  TIMESTAMPTZ NOT NULL,
    approved_by  TEXT,
    approved_at  TIMESTAMPTZ,
    outcome      TEXT        CHECK (outcome IN ('sent_back', 'case_opened')),
    case_id      UUID,
    CHECK ((approved_by IS NULL) = (outcome IS NULL)),
    CHECK (approved_by IS NULL OR approved_by <> proposed_by)
);
-- One open proposal per result.
CREATE UNIQUE INDEX send_backs_one_pending ON send_backs (result_id) WHERE outcome IS NULL;
CREATE INDEX send_backs_by_order ON send_backs (order_id);

-- A17: a case against a unit about an order. `level` is the rung of the ladder it stands
-- on (notice, coordination, interview, authority).
CREATE TABLE cases (
    case_id      UUID        PRIMARY KEY,
    order_id     UUID        NOT NULL,
    unit_id      TEXT        NOT NULL,
    reason_code  TEXT        NOT NULL,
    level        TEXT        NOT NULL CHECK (level IN ('notice', 'coordination', 'interview', 'authority')),
    status       TEXT        NOT NULL CHECK (status IN ('open', 'rectified', 'closed')),
    opened_by    TEXT        NOT NULL,
    opened_at    TIMESTAMPTZ NOT NULL,
    -- A rule-opened case (`rule:<name>`) is opened once per order, unit and reason, however
    -- often its cause is redelivered.
    dedup_key    TEXT        UNIQUE
);
CREATE INDEX cases_open_by_unit ON cases (unit_id) WHERE status <> 'closed';

-- Every step of a case: opened, escalated, rectification reported, closed.
CREATE TABLE case_steps (
    case_id      UUID        NOT NULL REFERENCES cases (case_id),
    step_no      INT         NOT NULL,
    kind         TEXT        NOT NULL CHECK (kind IN ('opened', 'escalated', 'rectification_reported', 'closed')),
    level        TEXT        NOT NULL,
    actor        TEXT        NOT NULL,
    note         TEXT        NOT NULL DEFAULT '',
    at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, step_no)
);

-- A23: the trail. One row per decision; seq from 1 without gaps; hash =
-- SHA-256(prev_hash ‖ "hotline.supervision.trail.v1" ‖ seq ‖ order id ‖ kind ‖ subject ‖
-- actor ‖ what ‖ at) (hotline_service_kit::hash_chain). The head makes a removed last row
-- detectable; appends lock it, so concurrent decisions form one chain.
CREATE TABLE trail (
    seq        BIGINT      PRIMARY KEY,
    order_id   UUID        NOT NULL,
    kind       TEXT        NOT NULL,
    subject_id TEXT        NOT NULL,
    actor      TEXT        NOT NULL,
    what       TEXT        NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    prev_hash  BYTEA       NOT NULL,
    hash       BYTEA       NOT NULL
);
CREATE TABLE trail_head (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    seq       BIGINT  NOT NULL,
    hash      BYTEA   NOT NULL
);
INSERT INTO trail_head (singleton, seq, hash) VALUES (TRUE, 0, decode(repeat('00', 32), 'hex'));

-- Defence in depth: the trail is append-only; the chain catches whoever drops the trigger.
CREATE FUNCTION trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'supervision.trail is append-only';
END;
$$;
CREATE TRIGGER trail_no_update BEFORE UPDATE OR DELETE ON trail
    FOR EACH ROW EXECUTE FUNCTION trail_append_only();
CREATE TRIGGER trail_no_truncate BEFORE TRUNCATE ON trail
    FOR EACH STATEMENT EXECUTE FUNCTION trail_append_only();
