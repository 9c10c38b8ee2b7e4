-- A11: the public view shows the expected completion date: the handling deadline the
-- deadline-watcher set when the unit signed (A15).
ALTER TABLE order_status ADD COLUMN handling_due_at TIMESTAMPTZ;
