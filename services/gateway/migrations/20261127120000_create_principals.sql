-- The gateway owns who may call the API: principals (people and systems) and their roles.
-- Accounts, sessions and API tokens arrive with the console (issue 10); the table is here so
-- the schema and its migration history start with the service.
CREATE TABLE principals (
    principal_id  TEXT PRIMARY KEY,
    kind          TEXT        NOT NULL CHECK (kind IN ('person', 'system')),
    display_name  TEXT        NOT NULL,
    role          TEXT        NOT NULL,
    unit_id       TEXT,
    active        BOOLEAN     NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
