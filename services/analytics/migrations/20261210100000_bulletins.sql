-- Bulletins (A18): weekly to yearly reports on the units, stored as generated and never
-- changed. Every rendering is kept as it was published (JSON, HTML, CSV), so a later change
-- of the renderer or a late event does not rewrite a published bulletin; a new edition
-- does. The schedule makes at most one bulletin per period (the partial unique index is
-- what makes it once across replicas); on-demand ones are further editions.

CREATE TABLE bulletins (
    bulletin_id  UUID PRIMARY KEY,
    kind         TEXT        NOT NULL,
    period_start DATE        NOT NULL,
    period_end   DATE        NOT NULL,
    edition      INTEGER     NOT NULL,
    trigger      TEXT        NOT NULL,
    generated_at TIMESTAMPTZ NOT NULL,
    complete     BOOLEAN     NOT NULL,
    registered   BIGINT      NOT NULL,
    json         TEXT        NOT NULL,
    html         TEXT        NOT NULL,
    csv          TEXT        NOT NULL,
    UNIQUE (kind, period_start, edition)
);
CREATE UNIQUE INDEX bulletins_scheduled ON bulletins (kind, period_start) WHERE trigger = 'schedule';
CREATE INDEX bulletins_recent ON bulletins (period_start DESC, edition DESC);

-- Immutable once published.
CREATE FUNCTION bulletins_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published bulletin cannot be changed or deleted';
END
$$;
CREATE TRIGGER bulletins_immutable BEFORE UPDATE OR DELETE ON bulletins
    FOR EACH ROW EXECUTE FUNCTION bulletins_immutable();

-- Hot spots (A17.4), the latest report of each, from supervision.hotspot_reported: what a
-- bulletin lists as the hot spots of its period. No personal data (shared keywords only).
CREATE TABLE hotspots (
    hotspot_id    UUID PRIMARY KEY,
    version       INTEGER          NOT NULL,
    region_code   TEXT             NOT NULL,
    addressed_to  TEXT             NOT NULL,
    keywords      TEXT[]           NOT NULL,
    order_count   INTEGER          NOT NULL,
    unclear_share DOUBLE PRECISION NOT NULL,
    -- The registration instants of its orders, to count those of a period.
    registered    TIMESTAMPTZ[]    NOT NULL,
    reported_at   TIMESTAMPTZ      NOT NULL
);
