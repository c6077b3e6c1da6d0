-- +goose Up
-- SKUs that an order left with nothing available, until their products'
-- search documents have heard of it. The placement writes the row in its
-- own statement, so it is committed with the order; the search update
-- right after the commit removes it; a sweep (catalog.SweepStockFlips)
-- picks up any a process left behind by dying in between.
CREATE TABLE search_stock_flips (
    sku_id     TEXT PRIMARY KEY,
    flipped_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE search_stock_flips;
