-- +goose Up
-- A video is created from a finished upload. hashtags and renditions are
-- JSON arrays kept as text: they are read and written whole, never queried.
CREATE TABLE videos (
    id            TEXT PRIMARY KEY,
    creator_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    progress      REAL NOT NULL DEFAULT 0,
    error_code    TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    caption       TEXT NOT NULL DEFAULT '',
    hashtags      TEXT NOT NULL DEFAULT '[]',
    source_key    TEXT NOT NULL DEFAULT '',
    duration_ms   INTEGER NOT NULL DEFAULT 0,
    width         INTEGER NOT NULL DEFAULT 0,
    height        INTEGER NOT NULL DEFAULT 0,
    renditions    TEXT NOT NULL DEFAULT '[]',
    hls_key       TEXT NOT NULL DEFAULT '',
    poster_key    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
-- A creator's own listing (every status) and everyone else's (ready only),
-- both newest first with the id as tie-breaker for the keyset cursor.
CREATE INDEX videos_creator_created ON videos (creator_id, created_at DESC, id DESC);
CREATE INDEX videos_creator_status_created ON videos (creator_id, status, created_at DESC, id DESC);

-- A tus upload staged on this node's disk. The row records who may touch it
-- and counts against their quota until a video consumes it or the sweep
-- removes it.
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    size        INTEGER NOT NULL,
    filename    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NULL,
    consumed_at TIMESTAMP NULL
);
CREATE INDEX uploads_user_id ON uploads (user_id);
CREATE INDEX uploads_created_at ON uploads (created_at);

-- +goose Down
DROP TABLE uploads;
DROP TABLE videos;
