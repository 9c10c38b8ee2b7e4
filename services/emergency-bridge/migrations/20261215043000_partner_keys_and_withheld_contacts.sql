-- Issue 8 (A10.1, A21): an emergency partner's X25519 public key (base64, 32 bytes), to
-- which the caller's contact is sealed; NULL: no key, the contact is withheld (`no_key`).
ALTER TABLE partners ADD COLUMN public_key TEXT
    CHECK (public_key IS NULL OR length(public_key) = 44);

-- Why an attempt's disclosure left out the sealed contact (`no_key`, `intake_timeout`,
-- `intake_unavailable`, `intake_refused`); NULL when the contact was sealed and sent.
ALTER TABLE disclosures ADD COLUMN withheld TEXT;
