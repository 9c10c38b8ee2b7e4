-- The satisfaction visit (A18: satisfaction rate, resolution as the requester sees it).
ALTER TABLE order_facts
    ADD COLUMN satisfaction       TEXT,
    ADD COLUMN resolved           BOOLEAN,
    ADD COLUMN satisfaction_at    TIMESTAMPTZ;
