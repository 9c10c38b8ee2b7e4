-- Issue 10: local accounts (argon2 password hashes), console sessions and API tokens.
-- A person's principal_id is their login name; the roles are the gateway's `Role` codes.
ALTER TABLE principals
    ADD COLUMN password_hash TEXT,
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD CONSTRAINT principals_role_known CHECK (role IN (
        'agent', 'dispatcher', 'reviewer', 'center_head', 'unit_handler',
        'authority', 'analyst', 'administrator')),
    -- A unit handler acts for exactly one unit (A15).
    ADD CONSTRAINT principals_unit_handler_has_unit CHECK (role <> 'unit_handler' OR unit_id IS NOT NULL),
    -- Systems sign in with tokens only.
    ADD CONSTRAINT principals_system_has_no_password CHECK (kind = 'person' OR password_hash IS NULL);

-- Console sessions: only the SHA-256 of the cookie value is stored, so a leaked table
-- row cannot be replayed. The CSRF token is compared with the X-CSRF-Token header of
-- every unsafe request made with the cookie.
CREATE TABLE sessions (
    session_hash  BYTEA PRIMARY KEY,
    principal_id  TEXT        NOT NULL REFERENCES principals (principal_id),
    csrf_token    TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_principal ON sessions (principal_id);

-- API tokens for systems (and people's scripts): stored as SHA-256, shown once.
CREATE TABLE api_tokens (
    token_id      UUID PRIMARY KEY,
    token_hash    BYTEA       NOT NULL UNIQUE,
    principal_id  TEXT        NOT NULL REFERENCES principals (principal_id),
    name          TEXT        NOT NULL,
    created_by    TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_tokens_by_principal ON api_tokens (principal_id);
