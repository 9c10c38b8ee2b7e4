-- Hot spots (A17.4): clusters of similar orders of one region within a window, found by
-- intake's periodic scan (src/hotspots.rs, docs/hotspots.md). Schema: intake.

-- One row per hot spot; `version` counts its publications (1 on detection, +1 each time
-- orders join). Region and keywords are those of the latest publication.
CREATE TABLE hotspots (
    hotspot_id        UUID        PRIMARY KEY,
    region_code       TEXT        NOT NULL,
    region_level      TEXT        NOT NULL CHECK (region_level IN ('county', 'township')),
    version           INTEGER     NOT NULL CHECK (version >= 1),
    keywords          TEXT[]      NOT NULL,
    first_detected_at TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

-- Which hot spot an order joined: one at most, the first, so that a growing cluster is
-- recognised as the same hot spot and a scan that finds nothing new publishes nothing.
CREATE TABLE hotspot_orders (
    order_id   UUID PRIMARY KEY REFERENCES orders (order_id),
    hotspot_id UUID NOT NULL REFERENCES hotspots (hotspot_id)
);
CREATE INDEX hotspot_orders_hotspot ON hotspot_orders (hotspot_id);
