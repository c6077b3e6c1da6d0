-- +goose Up
-- Stock held by unpaid orders becomes a counter on the SKU instead of rows
-- in reservations, so placing an order is one conditional UPDATE of the SKU
-- (WHERE stock - reserved >= qty) and checking availability reads no other
-- table. The holds themselves are the lines of the orders still awaiting
-- payment: reserved is always their sum, and checkout keeps it so when it
-- places, pays, cancels or expires an order.

-- First cancel the unpaid orders whose reservation already lapsed, as the
-- expiry sweep would have: from now on an order holds its stock until it is
-- cancelled, so these must not come back to life.
INSERT INTO order_events (id, order_id, from_state, to_state, actor_id, at)
SELECT gen_random_uuid()::text, id, 'pending_payment', 'cancelled', 'system', now()
FROM orders WHERE state = 'pending_payment' AND expires_at <= now();
UPDATE orders SET state = 'cancelled', updated_at = now() WHERE state = 'pending_payment' AND expires_at <= now();

ALTER TABLE skus ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0;
UPDATE skus SET reserved = (SELECT COALESCE(SUM(l.qty), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
    WHERE o.state = 'pending_payment' AND l.sku_id = skus.id);
ALTER TABLE skus ADD CONSTRAINT skus_reserved_within_stock CHECK (reserved >= 0 AND reserved <= stock);
DROP TABLE reservations;

-- An order's creation is its created_at and buyer_id; only later moves are
-- events, so placing an order writes one row fewer.
DELETE FROM order_events WHERE from_state = '';

-- Partial indexes: the sweep only looks for unpaid orders, and earnings and
-- video signals only for lines that name a creator or a video, so most
-- orders and lines add no entry to them.
DROP INDEX orders_state_expires;
CREATE INDEX orders_unpaid_expiry ON orders (expires_at) WHERE state = 'pending_payment';
DROP INDEX order_lines_creator;
CREATE INDEX order_lines_creator ON order_lines (creator_id, source_video_id) WHERE creator_id IS NOT NULL;
DROP INDEX order_lines_video;
CREATE INDEX order_lines_video ON order_lines (source_video_id) WHERE source_video_id IS NOT NULL;

-- reelmart_abort(reason) fails the statement that reaches it (see
-- platform/db/abort.go).
-- +goose StatementBegin
CREATE FUNCTION reelmart_abort(reason TEXT) RETURNS INTEGER LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'reelmart_abort: %', reason USING ERRCODE = 'RMABT';
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION reelmart_abort(TEXT);
DROP INDEX order_lines_video;
CREATE INDEX order_lines_video ON order_lines (source_video_id);
DROP INDEX order_lines_creator;
CREATE INDEX order_lines_creator ON order_lines (creator_id, source_video_id);
DROP INDEX orders_unpaid_expiry;
CREATE INDEX orders_state_expires ON orders (state, expires_at);
INSERT INTO order_events (id, order_id, from_state, to_state, actor_id, at)
SELECT gen_random_uuid()::text, id, '', 'pending_payment', buyer_id, created_at FROM orders;
CREATE TABLE reservations (
    id         TEXT PRIMARY KEY,
    sku_id     TEXT NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    expires_at TIMESTAMPTZ NOT NULL,
    order_id   TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reservations_sku_id ON reservations (sku_id, expires_at);
CREATE INDEX reservations_order_id ON reservations (order_id);
INSERT INTO reservations (id, sku_id, qty, expires_at, order_id, created_at)
SELECT gen_random_uuid()::text, l.sku_id, l.qty, o.expires_at, o.id, o.created_at
FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.state = 'pending_payment';
ALTER TABLE skus DROP CONSTRAINT skus_reserved_within_stock;
ALTER TABLE skus DROP COLUMN reserved;
