-- The knowledge base (A22), as built in issue 4. The shell's `articles` table (UUID ids,
-- one row per version) was never written by any code; it is replaced by an article row
-- (identity, owner, which version is public) and one immutable row per version.
--
-- Every change is a new version; a version's content is never edited afterwards, only its
-- workflow status moves: draft → submitted → approved | rejected; approved → published;
-- published → retired (a later version was published) | unpublished (taken down).

DROP TABLE articles;

CREATE TABLE articles (
    -- Stable text id: seeded articles have readable ids, new ones `kb-<uuid>`.
    article_id        TEXT        PRIMARY KEY CHECK (article_id ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    -- The unit answerable for the content (A22); the center may hold it too.
    owner_unit_id     TEXT        NOT NULL,
    latest_version    INTEGER     NOT NULL CHECK (latest_version >= 1),
    -- The public version, if any.
    published_version INTEGER     CHECK (published_version >= 1),
    created_by        TEXT        NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE article_versions (
    article_id       TEXT        NOT NULL REFERENCES articles (article_id),
    version          INTEGER     NOT NULL CHECK (version >= 1),
    kind             TEXT        NOT NULL CHECK (kind IN ('original', 'revision', 'correction')),
    -- The version it was drafted from (NULL for an original).
    base_version     INTEGER,
    title            TEXT        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    questions        TEXT[]      NOT NULL DEFAULT '{}',
    answer           TEXT        NOT NULL CHECK (length(answer) >= 1),
    category         TEXT        NOT NULL,
    -- GB/T 2260: 520000 province-wide, a prefecture, or a county.
    region_code      TEXT        NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    owner_unit_id    TEXT        NOT NULL,
    legal_basis      TEXT,
    valid_from       DATE        NOT NULL,
    valid_until      DATE        CHECK (valid_until >= valid_from),
    tags             TEXT[]      NOT NULL DEFAULT '{}',
    status           TEXT        NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'published', 'retired', 'unpublished')),
    authored_by      TEXT        NOT NULL,
    author_unit_id   TEXT        NOT NULL,
    note             TEXT,
    submitted_at     TIMESTAMPTZ,
    reviewed_by      TEXT,
    reviewer_unit_id TEXT,
    reviewed_at      TIMESTAMPTZ,
    review_reason    TEXT,
    published_by     TEXT,
    published_at     TIMESTAMPTZ,
    ended_at         TIMESTAMPTZ,
    ended_by         TEXT,
    end_reason       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, version),
    -- A23: what the public was told, and when, stays on record.
    CHECK ((status IN ('published', 'retired', 'unpublished')) = (published_at IS NOT NULL)),
    -- Reviewer is not the author.
    CHECK (reviewed_by IS NULL OR reviewed_by <> authored_by)
);

CREATE UNIQUE INDEX article_versions_one_published ON article_versions (article_id) WHERE status = 'published';
CREATE INDEX article_versions_expiring ON article_versions (valid_until) WHERE status = 'published';
CREATE INDEX article_versions_awaiting_review ON article_versions (status) WHERE status = 'submitted';

-- One reminder per article version (its validity ends soon; the owning unit reviews it).
CREATE TABLE expiry_reminders (
    article_id  TEXT        NOT NULL,
    version     INTEGER     NOT NULL,
    valid_until DATE        NOT NULL,
    reminded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, version),
    FOREIGN KEY (article_id, version) REFERENCES article_versions (article_id, version)
);

-- Feedback per article version (A9: was the direct answer enough?), for analytics.
CREATE TABLE feedback (
    feedback_id UUID        PRIMARY KEY,
    article_id  TEXT        NOT NULL,
    version     INTEGER     NOT NULL,
    verdict     TEXT        NOT NULL CHECK (verdict IN ('helpful', 'not_helpful', 'dispatched_anyway')),
    order_id    UUID,
    channel     TEXT,
    agent_id    TEXT,
    recorded_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (article_id, version) REFERENCES article_versions (article_id, version)
);

CREATE INDEX feedback_by_article ON feedback (article_id, version);

-- The synonym / colloquial-variant table editors maintain (社保 ↔ 社会保险 ...).
CREATE TABLE synonym_groups (
    position   INTEGER     PRIMARY KEY,
    words      TEXT[]      NOT NULL CHECK (cardinality(words) >= 2),
    updated_by TEXT        NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Whether the seed set was loaded (once, on the first start with an empty base).
CREATE TABLE seed_state (
    id        BOOLEAN     PRIMARY KEY DEFAULT true CHECK (id),
    seeded_at TIMESTAMPTZ NOT NULL
);
