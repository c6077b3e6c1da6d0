-- +goose Up
-- A profile's bio and avatar. avatar_id names the current avatar (NULL: none);
-- its two stored files are the keys beside it. A new avatar gets a new id, so
-- its URL can be cached for good.
ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN avatar_id TEXT;
ALTER TABLE users ADD COLUMN avatar_original_key TEXT;
ALTER TABLE users ADD COLUMN avatar_display_key TEXT;

-- The demo seeder's lease (one row): the process holding an unexpired lease
-- is the only one seeding, on any node. finished_at is set when a run
-- completes, so a first run cut short is resumed at the next start.
CREATE TABLE demo_seed (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);

-- +goose Down
DROP TABLE demo_seed;
ALTER TABLE users DROP COLUMN avatar_display_key;
ALTER TABLE users DROP COLUMN avatar_original_key;
ALTER TABLE users DROP COLUMN avatar_id;
ALTER TABLE users DROP COLUMN bio;
