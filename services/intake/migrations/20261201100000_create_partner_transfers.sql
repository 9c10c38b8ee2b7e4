-- Issue 8 (A8): orders a partner hotline handed over, one per partner transfer id, written
-- in the registration's transaction so a retried hand-over never makes a second order.
CREATE TABLE partner_transfers (
    partner_code        TEXT        NOT NULL,
    partner_transfer_id TEXT        NOT NULL,
    order_id            UUID        NOT NULL REFERENCES orders (order_id),
    registered_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_code, partner_transfer_id)
);
