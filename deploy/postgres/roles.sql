-- PostgreSQL roles for the hotline (issue 11, docs/operations.md "PostgreSQL roles").
--
-- One login role per service, owning its schema(s) and nothing else: a service can create
-- and migrate its own tables (each service migrates at start, under an advisory lock) and
-- cannot read or write another service's. Run once per database by the DBA, as a superuser
-- or the database owner, connected to the hotline database:
--
--   psql -v ON_ERROR_STOP=1 -d hotline -f deploy/postgres/roles.sql
--
-- then set each role's password from the deployment's secrets, e.g.
--   ALTER ROLE hotline_intake PASSWORD '...';
-- and give each service the URL postgres://hotline_<service>@host/hotline.
-- Running it again is harmless. Passwords never live in this file.
DO $roles$
DECLARE
    -- The role-name prefix (the e2e test replaces this one line to keep its roles apart).
    prefix CONSTANT text := 'hotline_';
    -- (role suffix, schema) pairs: the emergency bridge also owns its emergency lane's outbox.
    owned CONSTANT text[][] := ARRAY[
        ['intake', 'intake'],
        ['router', 'router'],
        ['deadline_watcher', 'deadline_watcher'],
        ['supervision', 'supervision'],
        ['analytics', 'analytics'],
        ['knowledge', 'knowledge'],
        ['emergency_bridge', 'emergency_bridge'],
        ['emergency_bridge', 'emergency_bridge_lane'],
        ['gateway', 'gateway']
    ];
    pair text[];
    role_name text;
    object record;
BEGIN
    -- Nobody but the owners may connect or create anything by default.
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    FOREACH pair SLICE 1 IN ARRAY owned LOOP
        role_name := prefix || pair[1];
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', role_name);
        END IF;
        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), role_name);
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', pair[2], role_name);
        -- A schema made earlier by another role (an upgrade from a shared superuser) changes
        -- hands with everything in it, so later migrations can alter what is there.
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', pair[2], role_name);
        FOR object IN
            SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                  WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
                   format('%I.%I', n.nspname, c.relname) AS name
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = pair[2] AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              -- a serial's sequence follows its table
              AND NOT EXISTS (SELECT FROM pg_depend d
                              WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                                AND d.deptype IN ('a', 'i'))
            UNION ALL
            SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
                   p.oid::regprocedure::text
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = pair[2]
            UNION ALL
            SELECT 'TYPE', format('%I.%I', n.nspname, t.typname)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = pair[2] AND t.typtype IN ('e', 'd', 'c')
              AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
        LOOP
            EXECUTE format('ALTER %s %s OWNER TO %I', object.kind, object.name, role_name);
        END LOOP;
    END LOOP;
END
$roles$;
