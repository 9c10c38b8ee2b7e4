-- Supervision's reviews of the results units submit (A16). Schema: supervision
-- (search_path during migration).
--
-- One row per order: the result under review now. A result that passes the automatic
-- completeness check is accepted at once (decided_by `rule:complete-result`); any other
-- waits for a reviewer (`pending_review`, decided_by/decided_at empty until one decides).
-- A newer result for an order still pending replaces the row; an accepted one is final.

CREATE TABLE reviews (
    order_id     UUID        PRIMARY KEY,
    result_id    UUID        NOT NULL,
    unit_id      TEXT        NOT NULL,
    decision     TEXT        NOT NULL CHECK (decision IN ('accepted', 'pending_review')),
    -- The reviewer, or `rule:<name>` when an automatic check decided (A23: who decided).
    decided_by   TEXT,
    decided_at   TIMESTAMPTZ,
    submitted_at TIMESTAMPTZ NOT NULL,
    CHECK ((decision = 'pending_review') = (decided_by IS NULL AND decided_at IS NULL))
);

-- The reviewers' work queue, oldest first.
CREATE INDEX reviews_pending ON reviews (submitted_at) WHERE decision = 'pending_review';
