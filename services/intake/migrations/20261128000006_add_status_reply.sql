-- A11: once an order is closed after review, the requester sees the unit's reply (A16),
-- fetched from the router when intake learns of the closure.
ALTER TABLE order_status ADD COLUMN reply TEXT;
