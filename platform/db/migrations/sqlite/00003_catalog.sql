-- +goose Up
-- Shops belong to a user; the name is unique ignoring case (name_norm is its lower case).
CREATE TABLE shops (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_norm   TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX shops_owner_id ON shops (owner_id);

CREATE TABLE products (
    id             TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    commission_bps INTEGER NOT NULL CHECK (commission_bps BETWEEN 0 AND 8000),
    status         TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    archived_at    TIMESTAMP
);
CREATE INDEX products_shop_id ON products (shop_id, status, id);

-- A SKU is one variant of a product. attributes is a JSON object of strings.
-- SKUs are never deleted while their product exists: orders point at them.
CREATE TABLE skus (
    id          TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    attributes  TEXT NOT NULL DEFAULT '{}',
    price_minor BIGINT NOT NULL CHECK (price_minor > 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    position    INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (product_id, code)
);

-- A reservation holds qty of a SKU until expires_at (checkout fills these);
-- stock available = stock - the qty of unexpired reservations.
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

-- Every change of a SKU's stock: who, when, from what to what. changed_by
-- is not a foreign key so the record outlives the account.
CREATE TABLE stock_changes (
    id         TEXT PRIMARY KEY,
    sku_id     TEXT NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    old_stock  INTEGER NOT NULL,
    new_stock  INTEGER NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX stock_changes_sku_id ON stock_changes (sku_id, changed_at);

-- Images of a product, in position order. The blobs live under
-- products/<product id>/images/<image id>/.
CREATE TABLE product_images (
    id             TEXT PRIMARY KEY,
    product_id     TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    original_key   TEXT NOT NULL,
    original_type  TEXT NOT NULL,
    original_bytes BIGINT NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    display_key    TEXT NOT NULL,
    display_type   TEXT NOT NULL,
    display_width  INTEGER NOT NULL,
    display_height INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX product_images_product_id ON product_images (product_id, position);

-- +goose Down
DROP TABLE product_images;
DROP TABLE stock_changes;
DROP TABLE reservations;
DROP TABLE skus;
DROP TABLE products;
DROP TABLE shops;
