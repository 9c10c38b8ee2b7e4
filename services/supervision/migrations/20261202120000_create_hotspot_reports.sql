-- Hot-spot reports (A17.4, docs/hotspots.md). Schema: supervision.

-- How each order's responsibility was settled, from the router's events (consumer
-- supervision-orders): the unit handling it now, the basis of its latest dispatch, and
-- whether it was disputed, redispatched or sent to the pre-dispatch consultation.
CREATE TABLE order_responsibility (
    order_id     UUID        PRIMARY KEY,
    unit_id      TEXT,
    basis        TEXT,
    disputed     BOOLEAN     NOT NULL DEFAULT FALSE,
    consulted    BOOLEAN     NOT NULL DEFAULT FALSE,
    redispatched BOOLEAN     NOT NULL DEFAULT FALSE,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- One row per hot spot: the latest `hotspot.detected` (JSON), and the latest report
-- published on it (JSON of `supervision.hotspot_reported`), with the columns the list is
-- filtered and ranked by.
CREATE TABLE hotspots (
    hotspot_id       UUID             PRIMARY KEY,
    detected_version INTEGER          NOT NULL CHECK (detected_version >= 1),
    detected         JSONB            NOT NULL,
    county_code      TEXT             NOT NULL,
    report_version   INTEGER          NOT NULL DEFAULT 0,
    report           JSONB,
    order_count      INTEGER          NOT NULL DEFAULT 0,
    unclear_share    DOUBLE PRECISION NOT NULL DEFAULT 0,
    reported_at      TIMESTAMPTZ
);
CREATE INDEX hotspots_ranking ON hotspots (unclear_share DESC, order_count DESC, reported_at DESC)
    WHERE report IS NOT NULL;

-- The orders of each hot spot, to find the hot spots an order's news concerns.
CREATE TABLE hotspot_orders (
    hotspot_id UUID NOT NULL REFERENCES hotspots (hotspot_id),
    order_id   UUID NOT NULL,
    PRIMARY KEY (hotspot_id, order_id)
);
CREATE INDEX hotspot_orders_order ON hotspot_orders (order_id);
