-- Category suggestion (A12) learns only from dispatches that stood: an order the router
-- redispatched after a dispute (A13) had its category or unit put in question, so it is
-- kept out of the training set. intake records the fact from `order.redispatched`
-- (its status consumer, idempotent through the inbox). Schema: intake.
CREATE TABLE redispatched_orders (
    order_id              UUID        PRIMARY KEY REFERENCES orders (order_id),
    first_redispatched_at TIMESTAMPTZ NOT NULL,
    redispatches          INTEGER     NOT NULL CHECK (redispatches >= 1)
);

