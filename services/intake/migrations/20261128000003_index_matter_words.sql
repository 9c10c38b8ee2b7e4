-- Repeat detection (A10.3): candidates for "the same matter again" are the earlier orders of
-- the same requester or of the same county within a window (30 days by default). The
-- requester side is served by requesters_phone_hash; this migration serves the county side.
-- Schema: intake (search_path during migration).

-- The content words of each order's matter, as segmented by intake (jieba, stop words
-- dropped; see src/domain/similarity.rs). SQL cannot segment Chinese, so registration writes
-- the row in the order's transaction (repeats::record_matter_words). region_code and
-- registered_at are copied from the order so that one index answers "this county, this
-- window" and the word overlap is checked on the same row, without a join per order.
CREATE TABLE matter_words (
    order_id      UUID        PRIMARY KEY REFERENCES orders (order_id),
    region_code   TEXT        NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    words         TEXT[]      NOT NULL
);
CREATE INDEX matter_words_region_time ON matter_words (region_code, registered_at);

-- Time-window reads of orders (repeat candidates by requester, backfilling matter_words).
CREATE INDEX orders_registered_at ON orders (registered_at);
