-- A11: the requester may follow an order with its number plus the last 4 digits of their
-- phone. The digits are kept only as a keyed hash bound to the order (HMAC of
-- "last4|<order id>|<digits>"), so the table reveals nothing and cannot be searched by them.
ALTER TABLE orders ADD COLUMN phone_check TEXT;
