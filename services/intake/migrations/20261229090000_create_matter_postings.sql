-- Repeat detection (A10.3), county side: one posting per (county, content word, order), so
-- that a new matter's candidates are read word by word, newest first, with a bound per word.
-- The array table matter_words ranked every order of the county in the window that shared
-- any word, and common words (编号, 小区) are shared by most of a busy county's orders: at
-- load its query cost 16 ms a registration. A posting list costs one index range scan per
-- word of the new matter, however busy the county (docs/repeat-detection.md).
-- Schema: intake (search_path during migration).

CREATE TABLE matter_postings (
    region_code   TEXT        NOT NULL,
    word          TEXT        NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    -- No foreign key: postings are written by the same statement as their matter_words row
    -- (repeats::record_matter_words), and a key check per word would double the insert.
    order_id      UUID        NOT NULL,
    PRIMARY KEY (region_code, word, registered_at, order_id)
);

INSERT INTO matter_postings (region_code, word, registered_at, order_id)
SELECT DISTINCT w.region_code, word, w.registered_at, w.order_id
  FROM matter_words w, unnest(w.words) AS word;

-- matter_words stays as the record of an order's words (and the marker that it is indexed);
-- nothing reads it by county and time any more.
DROP INDEX matter_words_region_time;
