-- +goose Up
-- The version of a video's search document: bumped in every transaction that
-- changes what the document holds (feed.Service.VideosChanged), never a
-- clock, so that the index keeps the newest write whatever order the index
-- jobs run in. It starts at 1 because version 0 means an unversioned write
-- to the search engines.
ALTER TABLE videos ADD COLUMN index_version BIGINT NOT NULL DEFAULT 1;
-- The feed's database sources (degraded mode, rebuilds): ready videos, newest first.
CREATE INDEX videos_status_created ON videos (status, created_at DESC, id DESC);

-- The key that signs feed cursors, shared by every node: the first node to
-- need it inserts row 1, everyone reads it. The id travels in the cursor so
-- a key can be rotated by adding a row.
CREATE TABLE feed_keys (
    id         INTEGER PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- A feed session: the ranked lists (batches) one run of cursors pages
-- through. viewer_key is '' for a viewer with no identity.
CREATE TABLE feed_sessions (
    id         TEXT PRIMARY KEY,
    viewer_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feed_sessions_created ON feed_sessions (created_at);

-- items is a JSON array of the batch's ranked videos with their score parts,
-- read and written whole.
CREATE TABLE feed_session_batches (
    session_id TEXT NOT NULL REFERENCES feed_sessions (id) ON DELETE CASCADE,
    batch      INTEGER NOT NULL,
    items      TEXT NOT NULL,
    degraded   BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, batch)
);

-- What each viewer was served, newest time per video: the next sessions
-- leave these out for a while, and offer them again, least recently served
-- first, when nothing new is left. Not a foreign key: viewers without an
-- account have history too.
CREATE TABLE feed_served (
    viewer_key TEXT NOT NULL,
    video_id   TEXT NOT NULL,
    served_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (viewer_key, video_id)
);
CREATE INDEX feed_served_viewer_at ON feed_served (viewer_key, served_at);
CREATE INDEX feed_served_at ON feed_served (served_at);

-- The progress of the latest rebuild of each index, for reelmart reindex to
-- follow a rebuild that runs inside the serving process.
CREATE TABLE feed_rebuilds (
    name        TEXT PRIMARY KEY,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    total       BIGINT NOT NULL DEFAULT 0,
    done        BIGINT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NULL
);

-- +goose Down
DROP TABLE feed_rebuilds;
DROP TABLE feed_served;
DROP TABLE feed_session_batches;
DROP TABLE feed_sessions;
DROP TABLE feed_keys;
DROP INDEX videos_status_created;
ALTER TABLE videos DROP COLUMN index_version;
