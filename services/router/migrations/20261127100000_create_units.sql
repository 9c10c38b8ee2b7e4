-- The directory of handling units (A5): line departments, township governments, street
-- offices, authorised organisations, public-service enterprises, sub-center hotlines, and
-- the people's government of every division (the territorial fallback of A12).
-- Schema: router (search_path during migration).

CREATE TABLE units (
    unit_id        TEXT PRIMARY KEY,
    name           TEXT        NOT NULL,
    unit_type      TEXT        NOT NULL CHECK (unit_type IN (
                       'department', 'township_government', 'street_office', 'authorised_org',
                       'public_enterprise', 'sub_center', 'government')),
    -- GB/T 2260 code of the division whose territory the unit serves.
    region_code    TEXT        NOT NULL,
    parent_unit_id TEXT        REFERENCES units (unit_id),
    active         BOOLEAN     NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX units_region ON units (region_code) WHERE active;
