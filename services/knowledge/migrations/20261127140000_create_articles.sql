-- The knowledge base (A22): answers built by the center and the handling units together,
-- authoritative, versioned, open to the public. Schema: knowledge (search_path during
-- migration).
--
-- Every edit is a new version row; a version goes draft → in_review → published, and a
-- published version is retired when a newer one is published. At most one version of an
-- article is published at a time, and a published version is never edited (A23: what the
-- public was told, and when, stays on record).

CREATE TABLE articles (
    article_id    UUID        NOT NULL,
    version       INTEGER     NOT NULL CHECK (version >= 1),
    title         TEXT        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    answer        TEXT        NOT NULL CHECK (length(answer) >= 1),
    -- Category from the dispatch catalogue, so agents find answers by the request's topic.
    category      TEXT,
    -- GB/T 2260 division the answer applies to; empty means province-wide.
    region_code   TEXT        CHECK (region_code ~ '^[0-9]{6}$'),
    -- The unit answerable for the content (A22: units maintain their own answers).
    owner_unit_id TEXT,
    status        TEXT        NOT NULL CHECK (status IN ('draft', 'in_review', 'published', 'retired')),
    authored_by   TEXT        NOT NULL,
    reviewed_by   TEXT,
    published_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, version),
    CHECK ((status IN ('published', 'retired')) = (published_at IS NOT NULL))
);

CREATE UNIQUE INDEX articles_one_published_version ON articles (article_id) WHERE status = 'published';
CREATE INDEX articles_published_by_category ON articles (category) WHERE status = 'published';
