-- +goose Up
-- Blocks: while either user has blocked the other, neither can chat with
-- the other, and the feed and comments hide each from the other.
CREATE TABLE user_blocks (
    blocker_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX user_blocks_blocked ON user_blocks (blocked_id);

-- One thread per pair: pair_key is u:<smaller user id>:<larger> or
-- s:<shop id>:<user id>. No foreign keys to users or shops: the other
-- party's history outlives a deleted account. last_seq is the per-thread
-- message counter; last_card the context of the last card ("product:<id>").
CREATE TABLE chat_threads (
    id               TEXT PRIMARY KEY,
    pair_key         TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('user', 'shop')),
    user_id          TEXT NOT NULL,
    peer_user_id     TEXT,
    shop_id          TEXT,
    last_seq         BIGINT NOT NULL DEFAULT 0,
    last_card        TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL
);

-- Who receives a thread's events: side a is the thread's user_id, side b
-- the peer user or every member of the shop. read_seq is the read mark.
CREATE TABLE chat_members (
    thread_id TEXT NOT NULL REFERENCES chat_threads (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    side      TEXT NOT NULL CHECK (side IN ('a', 'b')),
    read_seq  BIGINT NOT NULL DEFAULT 0,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members (user_id);

-- Messages: text (body) or a card (a JSON snapshot). seq is gapless per thread.
CREATE TABLE chat_messages (
    thread_id     TEXT NOT NULL REFERENCES chat_threads (id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    id            TEXT NOT NULL UNIQUE,
    sender_id     TEXT NOT NULL,
    shop_id       TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('text', 'card')),
    body          TEXT,
    card          TEXT,
    client_msg_id TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (thread_id, seq),
    UNIQUE (thread_id, sender_id, client_msg_id)
);

-- Each user's inbox: a gapless sequence over every event delivered to them.
CREATE TABLE chat_inbox_heads (
    user_id  TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL
);
CREATE TABLE chat_inbox (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('message', 'read', 'thread')),
    thread_id  TEXT NOT NULL,
    ref_seq    BIGINT NOT NULL DEFAULT 0,
    actor_id   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, seq)
);

-- The send rate limit: messages per user in a fixed window, shared by every node.
CREATE TABLE chat_send_windows (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    window_start TIMESTAMP NOT NULL,
    sent         INTEGER NOT NULL
);

-- +goose Down
DROP TABLE chat_send_windows;
DROP TABLE chat_inbox;
DROP TABLE chat_inbox_heads;
DROP TABLE chat_messages;
DROP TABLE chat_members;
DROP TABLE chat_threads;
DROP TABLE user_blocks;
