-- Who wrote a policy version and why (A23; issue 10: time-limit policies edited from the
-- console). An edit adds version N+1 and deactivates version N in one transaction; the
-- seeded defaults have neither (their basis says where they come from).
-- Schema: deadline_watcher (search_path during migration).

ALTER TABLE policies
    ADD COLUMN created_by TEXT,
    ADD COLUMN reason     TEXT;
