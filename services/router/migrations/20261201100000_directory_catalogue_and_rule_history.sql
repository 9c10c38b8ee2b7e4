-- The full unit directory (A5), the dispatch catalogue (派单目录, A9/A12) and the history of
-- every rule version (A12: rules are data, edited at run time, every dispatch names the
-- rule and version that decided it).

-- A unit's level follows its region (province / prefecture / county / township); `line`
-- names the line of work of a department (`market`, `hrss`, ...; NULL for governments);
-- `duties` are the catalogue categories it handles; `contacts` the unit's official
-- contact points (duty phone, office), never a citizen's data.
ALTER TABLE units ADD COLUMN level TEXT
    CHECK (level IN ('province', 'prefecture', 'county', 'township'));
-- GB/T 2260: 520000 the province, 520100 a prefecture, 520102 a county; 9 digits a township.
UPDATE units SET level = CASE
    WHEN length(region_code) > 6 THEN 'township'
    WHEN region_code LIKE '%0000' THEN 'province'
    WHEN region_code LIKE '%00' THEN 'prefecture'
    ELSE 'county' END;
ALTER TABLE units ALTER COLUMN level SET NOT NULL;
ALTER TABLE units ADD COLUMN line TEXT;
ALTER TABLE units ADD COLUMN duties TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE units ADD COLUMN contacts JSONB NOT NULL DEFAULT '[]';
ALTER TABLE units ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE units ADD COLUMN updated_by TEXT;
CREATE INDEX units_line ON units (line, region_code) WHERE active;

-- The catalogue: each category and the unit that is responsible for it, as a line of work
-- and the level of government at which that line handles it.
CREATE TABLE catalogue (
    category TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    line     TEXT NOT NULL,
    level    TEXT NOT NULL CHECK (level IN ('province', 'prefecture', 'county'))
);

-- Rules may name the kind of request they apply to (NULL: every kind); a rule for the
-- order's kind beats a rule for every kind over the same territory.
ALTER TABLE dispatch_rules ADD COLUMN kind TEXT;
DROP INDEX dispatch_rules_category;
CREATE INDEX dispatch_rules_lookup ON dispatch_rules (category, region_code) WHERE active;

-- Every version of every rule, as written (the live row is the latest version).
CREATE TABLE dispatch_rule_versions (
    rule_id     TEXT        NOT NULL,
    version     INTEGER     NOT NULL,
    category    TEXT        NOT NULL,
    region_code TEXT        NOT NULL,
    kind        TEXT,
    unit_id     TEXT        NOT NULL,
    priority    INTEGER     NOT NULL,
    active      BOOLEAN     NOT NULL,
    reason      TEXT,
    edited_by   TEXT        NOT NULL,
    edited_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (rule_id, version)
);
