-- Issue 8 (A10.1): the partner's answer to an order intake transferred, from the
-- emergency bridge's order.transfer_accepted / _rejected / _timed_out events, for the
-- public status ("已转 110 并被受理"). One row per order: the latest outcome wins.
CREATE TABLE transfer_outcomes (
    order_id      UUID        PRIMARY KEY REFERENCES orders (order_id),
    partner_code  TEXT        NOT NULL,
    outcome       TEXT        NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'timed_out')),
    reason        TEXT,
    at            TIMESTAMPTZ NOT NULL
);
