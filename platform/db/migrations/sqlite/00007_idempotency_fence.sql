-- +goose Up
-- An Idempotency-Key row records its request's effect in the same
-- transaction (or statement) as the effect itself, so a retry can always
-- tell whether the work was done (see docs/CHECKOUT.md, "Retries"):
--   claim          the attempt that may act on the key now; an effect
--                  commits only while its attempt still holds the claim,
--                  so a retry that took over fences out a late first attempt
--   claimed_until  the claim's lease: until then a retry is told
--                  idempotency_key_in_progress; after it, the retry takes over
--   effect         what the request did, written with it: the ids of the
--                  orders placed, the order paid or refunded, the ledger
--                  transaction of a top-up; '' while nothing is done
ALTER TABLE idempotency_keys ADD COLUMN claim TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN claimed_until TIMESTAMP;
ALTER TABLE idempotency_keys ADD COLUMN effect TEXT NOT NULL DEFAULT '';
-- Keys still in progress from before have no live attempt: their lease has lapsed.
UPDATE idempotency_keys SET claimed_until = created_at;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN effect;
ALTER TABLE idempotency_keys DROP COLUMN claimed_until;
ALTER TABLE idempotency_keys DROP COLUMN claim;
