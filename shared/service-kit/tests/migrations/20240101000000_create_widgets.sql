-- A service-style migration (timestamp version), unqualified like real ones.
CREATE TABLE widgets (
    id   BIGINT PRIMARY KEY,
    name TEXT NOT NULL
);
