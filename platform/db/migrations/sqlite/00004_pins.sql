-- +goose Up
-- A pin ties an active product to a video, optionally to a span of it
-- (start_ms and end_ms both set, or both NULL for the whole video). id is a
-- UUIDv7, so pins sort by creation: the showcase lists products by their
-- newest pin. A relink keeps the row (id, created_at) of a product that
-- stays pinned. Archived products keep their pins; reads leave them out.
CREATE TABLE pins (
    id         TEXT PRIMARY KEY,
    video_id   TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    start_ms   BIGINT,
    end_ms     BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (video_id, product_id),
    CHECK ((start_ms IS NULL AND end_ms IS NULL) OR (start_ms >= 0 AND end_ms > start_ms))
);
CREATE INDEX pins_product_id ON pins (product_id);

-- +goose Down
DROP TABLE pins;
