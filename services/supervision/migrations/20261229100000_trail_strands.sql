-- A23: the trail becomes eight strands, each its own hash chain with its own head, so that
-- decisions about different orders no longer queue for one lock. Under load the single
-- head was the most waited-for lock of the platform: an append holds it until its
-- transaction commits, and a consumer's batch holds it from its first append to its commit
-- (docs/performance.md). An order's entries all go to one strand (FNV-1a of its id modulo
-- 8, the same function and count as the consumers' lanes, so a lane's batch locks one
-- head), so each order's history is still one chain in order.
-- Existing rows are strand 0: their seq, links and hashes are unchanged and still verify.
-- Schema: supervision.

ALTER TABLE trail ADD COLUMN strand SMALLINT NOT NULL DEFAULT 0 CHECK (strand BETWEEN 0 AND 7);
ALTER TABLE trail DROP CONSTRAINT trail_pkey;
ALTER TABLE trail ADD PRIMARY KEY (strand, seq);
ALTER TABLE trail ALTER COLUMN strand DROP DEFAULT;

CREATE TABLE trail_heads (
    strand SMALLINT PRIMARY KEY CHECK (strand BETWEEN 0 AND 7),
    seq    BIGINT   NOT NULL,
    hash   BYTEA    NOT NULL
);
INSERT INTO trail_heads (strand, seq, hash) SELECT 0, seq, hash FROM trail_head;
INSERT INTO trail_heads (strand, seq, hash)
SELECT s, 0, decode(repeat('00', 32), 'hex') FROM generate_series(1, 7) AS s;
DROP TABLE trail_head;

-- The archive names the strand of the acceptance's trail row with its seq.
ALTER TABLE archive ADD COLUMN trail_strand SMALLINT NOT NULL DEFAULT 0;
