-- The timers' trigger computes the next reminder instant itself (schema: deadline_watcher).
--
-- It used to call the SQL function `next_reminder_instant`, a query over the configured
-- points and `reminders_sent` that PostgreSQL evaluated for 0.2-0.3 ms on every timer
-- insert, a tenth of the database's time under load (docs/performance.md). Now:
-- * a timer that is not running, or allows no time, has no reminder and reads no table;
-- * the points are read from the one-row `reminder_schedule` and the earliest instant is
--   found in a loop;
-- * a point already sent is skipped, but only an UPDATE needs to look: a new timer has no
--   `reminders_sent` rows, whose foreign key to `timers` cascades on delete (and the one
--   INSERT path, `ON CONFLICT DO NOTHING`, discards the row when the timer exists).
-- The arithmetic stays `next_reminder_instant`'s, which the scans still use to recompute many
-- timers in one statement; a test checks that the two agree.
CREATE OR REPLACE FUNCTION timers_set_next_reminder() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    configured INTEGER[];
    permille   INTEGER;
    candidate  TIMESTAMPTZ;
BEGIN
    NEW.next_reminder_at := NULL;
    IF NEW.state IS DISTINCT FROM 'running' OR NOT (NEW.due_at > NEW.started_at) THEN
        RETURN NEW;
    END IF;
    SELECT s.points INTO configured FROM deadline_watcher.reminder_schedule AS s;
    FOREACH permille IN ARRAY coalesce(configured, '{}') LOOP
        IF TG_OP = 'UPDATE' AND EXISTS (
            SELECT 1 FROM deadline_watcher.reminders_sent AS r
             WHERE r.order_id = NEW.order_id AND r.clock = NEW.clock
               AND r.party = NEW.party AND r.fraction_permille = permille) THEN
            CONTINUE;
        END IF;
        candidate := NEW.started_at + (NEW.due_at - NEW.started_at) * permille / 1000;
        IF NEW.next_reminder_at IS NULL OR candidate < NEW.next_reminder_at THEN
            NEW.next_reminder_at := candidate;
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
