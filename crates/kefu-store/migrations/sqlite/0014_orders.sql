-- Orders (订单) as the shop systems push them: the latest state of each, ordered by the shop's own
-- update time; items as JSON (with their purchase-time flags).
CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    merchant_id      INTEGER NOT NULL REFERENCES merchants(id),
    order_no         TEXT NOT NULL,
    customer_id      INTEGER REFERENCES customers(id),
    status           TEXT NOT NULL,
    items            TEXT NOT NULL,
    total_fen        INTEGER NOT NULL,
    paid_fen         INTEGER NOT NULL,
    payment_method   TEXT,
    shipping_company TEXT,
    waybill          TEXT,
    ordered_at       INTEGER NOT NULL,
    paid_at          INTEGER,
    shipped_at       INTEGER,
    signed_at        INTEGER,
    shop_updated_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (merchant_id, order_no)
);
CREATE INDEX orders_customer ON orders (customer_id, ordered_at);

-- Push events already applied: the same event twice changes nothing.
CREATE TABLE order_pushes (
    merchant_id INTEGER NOT NULL REFERENCES merchants(id),
    event_id    TEXT NOT NULL,
    orders      INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, event_id)
);
