-- The send-backs and supervision cases counted on the fact row (A16, A17, A18), so that a
-- KPI report reads one row per order instead of probing `order_send_backs` and
-- `order_cases` for each (docs/performance.md, issue 9: ~11 µs an order before). The
-- tables stay the truth, keyed by their own ids: the projection recounts an order's rows
-- after each send-back or case event (store::record_send_back, store::record_case), so a
-- repeated, late or reordered event gives the same counts.

ALTER TABLE order_facts
    ADD COLUMN send_backs   INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN cases        INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN cases_closed INTEGER NOT NULL DEFAULT 0;

-- Backfill from what was projected before this migration.
UPDATE order_facts f SET send_backs = s.n
FROM (SELECT order_id, count(*) AS n FROM order_send_backs GROUP BY order_id) s
WHERE s.order_id = f.order_id;

UPDATE order_facts f SET cases = c.n, cases_closed = c.closed
FROM (SELECT order_id, count(*) AS n, count(closed_at) AS closed
      FROM order_cases GROUP BY order_id) c
WHERE c.order_id = f.order_id;
