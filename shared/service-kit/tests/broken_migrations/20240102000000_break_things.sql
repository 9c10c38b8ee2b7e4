-- Fails on purpose: the table does not exist.
ALTER TABLE no_such_table ADD COLUMN x INTEGER;
