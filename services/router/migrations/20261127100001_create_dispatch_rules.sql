-- Dispatch rules (A9, A12): which unit has the duty for a category of matter in a region.
-- Rules are data, edited by the center; the router reads the active ones for every
-- decision. `region_code` is the territory the rule covers: a county, a prefecture, or
-- 520000 for the whole province; the most specific covering rule wins, then `priority`.

CREATE TABLE dispatch_rules (
    rule_id     TEXT PRIMARY KEY,
    category    TEXT    NOT NULL,
    region_code TEXT    NOT NULL,
    unit_id     TEXT    NOT NULL REFERENCES units (unit_id),
    priority    INTEGER NOT NULL DEFAULT 0,
    active      BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX dispatch_rules_category ON dispatch_rules (category) WHERE active;
