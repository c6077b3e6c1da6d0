-- +goose Up
-- Engagement: what viewers do with videos (events, likes, comments), the
-- counters and histories built from it, and viewers' interest profiles.
-- viewer_id is a user id, or the id of a signed-out viewer from the signed
-- viewer_id cookie; it is not a foreign key, so it needs no users row.

-- Secrets that sign viewer_id cookies. The newest signs; any verifies, so
-- a key can be added without invalidating cookies already handed out.
CREATE TABLE viewer_keys (
    id         TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Every stored event, in arrival order. watched_ms is what was credited
-- after the wall-clock cap; counted says the event passed its
-- once-per-view rule (a view, a completion, a share, a product click);
-- session_at is the start of the view it belongs to. Likes and comments
-- are written here too (types like, unlike, comment, uncomment) so the
-- aggregator learns interests from them and re-indexes their videos.
-- aggregated flips in the transaction that adds the event to the counters.
CREATE TABLE video_events (
    seq         INTEGER PRIMARY KEY,
    viewer_id   TEXT NOT NULL,
    video_id    TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    event_id    TEXT NOT NULL DEFAULT '',
    position_ms BIGINT NOT NULL DEFAULT 0,
    watched_ms  BIGINT NOT NULL DEFAULT 0,
    product_id  TEXT,
    counted     BOOLEAN NOT NULL,
    session_at  TIMESTAMP NOT NULL,
    aggregated  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX video_events_pending ON video_events (seq) WHERE aggregated = FALSE;
CREATE INDEX video_events_viewer ON video_events (viewer_id);
CREATE INDEX video_events_created ON video_events (created_at);

-- Event ids a viewer has sent, kept a day: a repeat is not stored again.
CREATE TABLE viewer_event_ids (
    viewer_id TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    seen_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (viewer_id, event_id)
);
CREATE INDEX viewer_event_ids_seen ON viewer_event_ids (seen_at);

-- The current view of a video by a viewer: when it started (a view counts
-- once per window), what it has counted so far, and when the last batch
-- came (watch time is credited up to the wall-clock time between batches).
CREATE TABLE viewer_sessions (
    viewer_id     TEXT NOT NULL,
    video_id      TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    session_at    TIMESTAMP NOT NULL,
    last_batch_at TIMESTAMP NOT NULL,
    viewed        BOOLEAN NOT NULL DEFAULT FALSE,
    completed     BOOLEAN NOT NULL DEFAULT FALSE,
    shared        BOOLEAN NOT NULL DEFAULT FALSE,
    clicked       TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (viewer_id, video_id)
);

-- Fixed-window event counts per viewer and per client address, shared by
-- every API node.
CREATE TABLE event_rates (
    key          TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    events       INTEGER NOT NULL
);

-- A row the aggregator updates first in its transaction: the row lock makes
-- aggregation, viewer merges and account erasure take turns.
CREATE TABLE engagement_lock (
    name TEXT PRIMARY KEY,
    runs BIGINT NOT NULL DEFAULT 0
);
INSERT INTO engagement_lock (name) VALUES ('aggregate');

-- Counters per video. likes and comments change with the like or comment;
-- the rest are added by the aggregator from video_events and video_sales.
CREATE TABLE video_stats (
    video_id       TEXT PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
    views          BIGINT NOT NULL DEFAULT 0,
    unique_viewers BIGINT NOT NULL DEFAULT 0,
    watch_ms       BIGINT NOT NULL DEFAULT 0,
    completions    BIGINT NOT NULL DEFAULT 0,
    likes          BIGINT NOT NULL DEFAULT 0,
    shares         BIGINT NOT NULL DEFAULT 0,
    comments       BIGINT NOT NULL DEFAULT 0,
    product_clicks BIGINT NOT NULL DEFAULT 0,
    add_to_carts   BIGINT NOT NULL DEFAULT 0,
    purchases      BIGINT NOT NULL DEFAULT 0
);

-- The same counters per UTC day (YYYY-MM-DD), for creator analytics.
CREATE TABLE video_daily (
    video_id       TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    day            TEXT NOT NULL,
    views          BIGINT NOT NULL DEFAULT 0,
    watch_ms       BIGINT NOT NULL DEFAULT 0,
    completions    BIGINT NOT NULL DEFAULT 0,
    likes          BIGINT NOT NULL DEFAULT 0,
    shares         BIGINT NOT NULL DEFAULT 0,
    comments       BIGINT NOT NULL DEFAULT 0,
    product_clicks BIGINT NOT NULL DEFAULT 0,
    add_to_carts   BIGINT NOT NULL DEFAULT 0,
    purchases      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, day)
);

-- Audience retention as drop-off counts: views is how many views got no
-- further than this second. Viewers still watching at second s is the sum
-- over every second >= s.
CREATE TABLE video_retention (
    video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    second   INTEGER NOT NULL,
    views    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, second)
);

-- A viewer's history with a video, and how far their latest view reached
-- (session_at, reach_ms), which retention needs to move that view along.
CREATE TABLE watch_history (
    viewer_id   TEXT NOT NULL,
    video_id    TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    first_at    TIMESTAMP NOT NULL,
    last_at     TIMESTAMP NOT NULL,
    views       BIGINT NOT NULL DEFAULT 0,
    watch_ms    BIGINT NOT NULL DEFAULT 0,
    completions BIGINT NOT NULL DEFAULT 0,
    session_at  TIMESTAMP NOT NULL,
    reach_ms    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (viewer_id, video_id)
);
CREATE INDEX watch_history_recent ON watch_history (viewer_id, last_at);

-- Interest weights over hashtags (kind 'tag') and creators (kind
-- 'creator'). weight was true at updated_at and halves every half-life
-- since (engagement.Config.ProfileHalfLife); the aggregator decays it to
-- the signal's time before adding the signal.
CREATE TABLE interest_weights (
    viewer_id  TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('tag', 'creator')),
    key        TEXT NOT NULL,
    weight     REAL NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (viewer_id, kind, key)
);
CREATE INDEX interest_weights_updated ON interest_weights (updated_at);

CREATE TABLE video_likes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    video_id   TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, video_id)
);
CREATE INDEX video_likes_video ON video_likes (video_id);

-- Comments, one level deep: parent_id is NULL for a comment on the video
-- and names a top-level comment for a reply. Deleting a comment deletes
-- its replies.
CREATE TABLE comments (
    id         TEXT PRIMARY KEY,
    video_id   TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    author_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id  TEXT REFERENCES comments (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX comments_thread ON comments (video_id, parent_id, created_at, id);
CREATE INDEX comments_parent ON comments (parent_id);
CREATE INDEX comments_author ON comments (author_id);

-- +goose Down
DROP TABLE comments;
DROP TABLE video_likes;
DROP TABLE interest_weights;
DROP TABLE watch_history;
DROP TABLE video_retention;
DROP TABLE video_daily;
DROP TABLE video_stats;
DROP TABLE engagement_lock;
DROP TABLE event_rates;
DROP TABLE viewer_sessions;
DROP TABLE viewer_event_ids;
DROP TABLE video_events;
DROP TABLE viewer_keys;
