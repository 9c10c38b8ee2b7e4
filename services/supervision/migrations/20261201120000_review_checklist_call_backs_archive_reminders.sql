-- The review desk beyond completeness (A16): the reviewers' checklist, the call-back to the
-- requester, the immutable archive of accepted results; reminders to units (A17).
-- Schema: supervision.

-- What supervision knows of an order from `order.dispatched`: its number and kind (the
-- review queue and the archive show them; the archive is looked up by number).
CREATE TABLE orders (
    order_id UUID PRIMARY KEY,
    number   TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL
);

-- The result's completeness checklist as submitted (`ResultChecklist` JSON; NULL for rows
-- recorded before it was kept), and the reviewer's judgement that the handling was poor
-- (A17; reset by a newer result).
ALTER TABLE reviews ADD COLUMN result_checklist JSONB;
ALTER TABLE reviews ADD COLUMN poor_handling BOOLEAN NOT NULL DEFAULT FALSE;

-- A16: the reviewer's checklist per result, one row per item; recording an item again
-- replaces it (every recording is on the trail).
CREATE TABLE review_checks (
    result_id   UUID        NOT NULL,
    order_id    UUID        NOT NULL,
    item        TEXT        NOT NULL CHECK (item IN ('basis_cited', 'time_given',
                    'findings_present', 'reply_plausible', 'reply_answers_matter', 'right_unit')),
    passed      BOOLEAN     NOT NULL,
    note        TEXT,
    recorded_by TEXT        NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (result_id, item)
);

-- A16: call-backs to the requester about a result. No personal data: no phone number is
-- stored, and the desk refuses a `verified` text that contains one.
CREATE TABLE call_backs (
    call_back_id UUID        PRIMARY KEY,
    order_id     UUID        NOT NULL,
    result_id    UUID        NOT NULL,
    reached      BOOLEAN     NOT NULL,
    verified     TEXT        NOT NULL,
    verdict      TEXT        CHECK (verdict IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    called_by    TEXT        NOT NULL,
    called_at    TIMESTAMPTZ NOT NULL,
    CHECK (reached = (verdict IS NOT NULL))
);
CREATE INDEX call_backs_by_result ON call_backs (result_id, called_at);

-- A16: closed and archived. One record per order, written with the acceptance (the record
-- is the `ArchiveRecord` JSON, with the trail row of the acceptance and its hash); it can
-- never be updated or deleted.
CREATE TABLE archive (
    order_id    UUID        PRIMARY KEY,
    result_id   UUID        NOT NULL,
    record      JSONB       NOT NULL,
    trail_seq   BIGINT      NOT NULL,
    trail_hash  BYTEA       NOT NULL,
    archived_at TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION archive_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'supervision.archive is immutable: % refused', TG_OP;
END;
$$;
CREATE TRIGGER archive_no_update BEFORE UPDATE OR DELETE ON archive
    FOR EACH ROW EXECUTE FUNCTION archive_immutable();
CREATE TRIGGER archive_no_truncate BEFORE TRUNCATE ON archive
    FOR EACH STATEMENT EXECUTE FUNCTION archive_immutable();

-- A17: reminders sent to units before a time limit, once per clock and due instant.
CREATE TABLE unit_reminders (
    reminder_id UUID        PRIMARY KEY,
    dedup_key   TEXT        NOT NULL UNIQUE,
    order_id    UUID        NOT NULL,
    unit_id     TEXT        NOT NULL,
    clock       TEXT        NOT NULL,
    case_id     UUID,
    due_at      TIMESTAMPTZ NOT NULL,
    reminded_at TIMESTAMPTZ NOT NULL
);
