-- The order numbers the deadline-watcher has seen dispatched, so the supervision board's
-- near-due list (rpc.deadline-watcher.near_due, A17) names orders as people know them.
-- Written by the order.dispatched handler; orders dispatched before this migration have
-- no row (the list shows their clocks without a number). No personal data.
-- Schema: deadline_watcher (search_path during migration).

CREATE TABLE order_numbers (
    order_id UUID PRIMARY KEY,
    number   TEXT NOT NULL
);

-- The near-due list reads running clocks by due instant (timers_running_by_due).
