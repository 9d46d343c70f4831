-- The merchant's shop system (店铺系统): where kefu sends actions, and the secret both directions sign with
-- (order pushes to kefu's signed intake, actions and results between kefu and the shop).
CREATE TABLE shop_integrations (
    merchant_id INTEGER PRIMARY KEY REFERENCES merchants(id),
    -- Where actions are POSTed; empty when the shop takes none (orders still come in).
    actions_url TEXT NOT NULL,
    secret      TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Actions sent to the shop system (店铺操作) from a ticket: modify address, cancel, refund, resend. The
-- idempotency key goes with every attempt, so the shop does a retried action once.
CREATE TABLE shop_actions (
    id              INTEGER PRIMARY KEY,
    merchant_id     INTEGER NOT NULL REFERENCES merchants(id),
    ticket_id       INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    order_id        INTEGER NOT NULL REFERENCES orders(id),
    order_no        TEXT NOT NULL,
    case_id         INTEGER REFERENCES aftersales_cases(id),
    action          TEXT NOT NULL,
    -- The action as asked (JSON), sent as it is with every attempt.
    request         TEXT NOT NULL,
    amount_fen      INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL,
    message         TEXT NOT NULL DEFAULT '',
    reference       TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    requested_by    INTEGER REFERENCES users(id),
    requested_by_name TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    completed_at    INTEGER
);
CREATE INDEX shop_actions_ticket ON shop_actions (ticket_id, id);
CREATE INDEX shop_actions_order ON shop_actions (order_id, id);
CREATE INDEX shop_actions_merchant ON shop_actions (merchant_id, id);
-- A case is refunded once: a second refund for it can exist only after the first failed.
CREATE UNIQUE INDEX shop_actions_case_refund ON shop_actions (case_id)
    WHERE action = 'refund' AND status <> 'failed';
