-- +goose Up
-- A shopper's cart: one line per SKU. price_minor is the price when the line
-- was last put, so a later price change is flagged instead of applied.
CREATE TABLE cart_items (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sku_id          TEXT NOT NULL REFERENCES skus (id) ON DELETE CASCADE,
    qty             INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 99),
    source_video_id TEXT,
    price_minor     BIGINT NOT NULL,
    added_at        TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, sku_id)
);

-- One order per shop. buyer_id and shop_id are not foreign keys: orders are
-- the buyer's, the merchant's and the ledger's record, and outlive either
-- account (deleting a user must not be blocked by, or delete, orders).
CREATE TABLE orders (
    id             TEXT PRIMARY KEY,
    buyer_id       TEXT NOT NULL,
    shop_id        TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending_payment', 'paid', 'shipped', 'completed', 'cancelled', 'refunded')),
    currency       TEXT NOT NULL,
    total_minor    BIGINT NOT NULL CHECK (total_minor > 0),
    fee_minor      BIGINT NOT NULL DEFAULT 0,
    shipping       TEXT NOT NULL,
    carrier        TEXT NOT NULL DEFAULT '',
    tracking       TEXT NOT NULL DEFAULT '',
    payment_method TEXT NOT NULL DEFAULT '',
    expires_at     TIMESTAMPTZ NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_buyer ON orders (buyer_id, id);
CREATE INDEX orders_shop ON orders (shop_id, id);
CREATE INDEX orders_state_expires ON orders (state, expires_at);

-- The lines of an order with the unit price and commission frozen at creation.
-- creator_id is who earns the commission (NULL: none).
CREATE TABLE order_lines (
    order_id         TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    sku_id           TEXT NOT NULL,
    product_id       TEXT NOT NULL,
    title            TEXT NOT NULL,
    sku_code         TEXT NOT NULL,
    qty              INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 99),
    unit_price_minor BIGINT NOT NULL,
    commission_bps   INTEGER NOT NULL,
    commission_minor BIGINT NOT NULL,
    source_video_id  TEXT,
    creator_id       TEXT,
    PRIMARY KEY (order_id, position)
);
CREATE INDEX order_lines_creator ON order_lines (creator_id, source_video_id);
CREATE INDEX order_lines_video ON order_lines (source_video_id);

-- Every state change of an order: who, when, from what to what.
CREATE TABLE order_events (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, at);

-- Double-entry ledger. balance_minor is the sum of the account's entries,
-- kept in step by the same statement that writes each entry; a wallet may
-- never go below zero.
CREATE TABLE ledger_accounts (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    owner_id      TEXT,
    currency      TEXT NOT NULL,
    balance_minor BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    CHECK (kind <> 'wallet' OR balance_minor >= 0)
);
CREATE TABLE ledger_transactions (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    order_id   TEXT,
    actor_id   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_transactions_order ON ledger_transactions (order_id);
CREATE TABLE ledger_entries (
    id             TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES ledger_transactions (id),
    account_id     TEXT NOT NULL REFERENCES ledger_accounts (id),
    amount_minor   BIGINT NOT NULL CHECK (amount_minor <> 0),
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);

-- The first answer to a request sent with an Idempotency-Key. status 0
-- means the first request is still running.
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Commerce signals per source video and product (the pin), for the feed
-- and creator analytics.
CREATE TABLE video_sales (
    video_id      TEXT NOT NULL,
    product_id    TEXT NOT NULL,
    add_to_carts  BIGINT NOT NULL DEFAULT 0,
    purchases     BIGINT NOT NULL DEFAULT 0,
    units         BIGINT NOT NULL DEFAULT 0,
    revenue_minor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, product_id)
);

-- +goose Down
DROP TABLE video_sales;
DROP TABLE idempotency_keys;
DROP TABLE ledger_entries;
DROP TABLE ledger_transactions;
DROP TABLE ledger_accounts;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE cart_items;
