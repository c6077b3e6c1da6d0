-- +goose Up
-- A product's search document carries search_version, a counter bumped in
-- every transaction that changes what the document holds. The index keeps
-- the highest version it was given, so a write that arrives late (a retry,
-- a slow node) can never bring back an older document or an archived
-- product.
ALTER TABLE products ADD COLUMN search_version BIGINT NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE products DROP COLUMN search_version;
