-- +goose Up
-- Stock held by unpaid orders becomes a counter on the SKU instead of rows
-- in reservations; see the PostgreSQL migration of the same number. Times
-- are integer microseconds.

INSERT INTO order_events (id, order_id, from_state, to_state, actor_id, at)
SELECT lower(hex(randomblob(16))), id, 'pending_payment', 'cancelled', 'system', CAST(strftime('%s', 'now') AS INTEGER) * 1000000
FROM orders WHERE state = 'pending_payment' AND expires_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000000;
UPDATE orders SET state = 'cancelled', updated_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000000
WHERE state = 'pending_payment' AND expires_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000000;

ALTER TABLE skus ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= stock);
UPDATE skus SET reserved = (SELECT COALESCE(SUM(l.qty), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
    WHERE o.state = 'pending_payment' AND l.sku_id = skus.id);
DROP TABLE reservations;

DELETE FROM order_events WHERE from_state = '';

DROP INDEX orders_state_expires;
CREATE INDEX orders_unpaid_expiry ON orders (expires_at) WHERE state = 'pending_payment';
DROP INDEX order_lines_creator;
CREATE INDEX order_lines_creator ON order_lines (creator_id, source_video_id) WHERE creator_id IS NOT NULL;
DROP INDEX order_lines_video;
CREATE INDEX order_lines_video ON order_lines (source_video_id) WHERE source_video_id IS NOT NULL;

-- reelmart_abort(reason) is registered with the driver (platform/db/abort.go).

-- +goose Down
DROP INDEX order_lines_video;
CREATE INDEX order_lines_video ON order_lines (source_video_id);
DROP INDEX order_lines_creator;
CREATE INDEX order_lines_creator ON order_lines (creator_id, source_video_id);
DROP INDEX orders_unpaid_expiry;
CREATE INDEX orders_state_expires ON orders (state, expires_at);
INSERT INTO order_events (id, order_id, from_state, to_state, actor_id, at)
SELECT lower(hex(randomblob(16))), id, '', 'pending_payment', buyer_id, created_at FROM orders;
CREATE TABLE reservations (
    id         TEXT PRIMARY KEY,
    sku_id     TEXT NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    expires_at TIMESTAMP NOT NULL,
    order_id   TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reservations_sku_id ON reservations (sku_id, expires_at);
CREATE INDEX reservations_order_id ON reservations (order_id);
INSERT INTO reservations (id, sku_id, qty, expires_at, order_id, created_at)
SELECT lower(hex(randomblob(16))), l.sku_id, l.qty, o.expires_at, o.id, o.created_at
FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.state = 'pending_payment';
ALTER TABLE skus DROP COLUMN reserved;
