#!/usr/bin/env bash
# Runs once, when the postgres container creates its data directory (docker-compose.yml
# mounts it into /docker-entrypoint-initdb.d): creates the per-service roles and schemas
# (deploy/postgres/roles.sql) in the hotline database, then gives each role its password
# from the environment (.env). Passwords go through psql variables on standard input,
# never on a command line.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname hotline -f /hotline/roles.sql

for service in intake router emergency_bridge deadline_watcher supervision analytics knowledge gateway; do
    var="PG_${service^^}_PASSWORD"
    password="${!var:?$var is not set}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname hotline \
        -v role="hotline_${service}" -v password="$password" <<'SQL'
ALTER ROLE :"role" PASSWORD :'password';
SQL
done
