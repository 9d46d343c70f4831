-- Integrations: outbound webhooks (Webhook 订阅) with their delivery log, the phone channel (呼叫中心:
-- lines, call records, call-back tasks 回拨任务) and the app/API channel's idempotence keys.
-- `owner_key` is the merchant id, or 0 for the platform's own service.
CREATE TABLE webhook_subscriptions (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_merchant ON webhook_subscriptions (merchant_id);

-- One row per (subscription, ticket event): the body sent, its outcome so far.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    delivery_key    TEXT NOT NULL UNIQUE,
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    merchant_id     INTEGER,
    event_id        INTEGER NOT NULL,
    event_type      TEXT NOT NULL,
    ticket_id       INTEGER,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);

-- Every attempt to deliver, successful or not.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

CREATE TABLE phone_settings (
    owner_key         INTEGER PRIMARY KEY,
    merchant_id       INTEGER REFERENCES merchants(id),
    ring_secs         INTEGER NOT NULL,
    rings_target      INTEGER NOT NULL,
    callback_due_mins INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- A called line (热线号码) belongs to exactly one merchant (or the platform).
CREATE TABLE phone_lines (
    number      TEXT PRIMARY KEY,
    owner_key   INTEGER NOT NULL,
    merchant_id INTEGER REFERENCES merchants(id),
    label       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX phone_lines_owner ON phone_lines (owner_key);

-- Call records reported by the telephony system. The caller's number is not kept here (personal data
-- lives encrypted on the customer); `customer_id` points to it.
CREATE TABLE phone_calls (
    id            INTEGER PRIMARY KEY,
    owner_key     INTEGER NOT NULL,
    merchant_id   INTEGER,
    call_id       TEXT NOT NULL,
    direction     TEXT NOT NULL,
    line          TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    customer_id   INTEGER,
    ticket_id     INTEGER,
    agent_id      INTEGER,
    ring_at       INTEGER NOT NULL,
    answered_at   INTEGER,
    ended_at      INTEGER NOT NULL,
    ivr_choice    TEXT,
    recording_ref TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (owner_key, call_id)
);
CREATE INDEX phone_calls_ring ON phone_calls (owner_key, ring_at);

CREATE TABLE phone_callbacks (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER,
    call_pk     INTEGER NOT NULL REFERENCES phone_calls(id),
    customer_id INTEGER,
    ticket_id   INTEGER,
    state       TEXT NOT NULL CHECK (state IN ('open', 'done')),
    due_at      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    done_at     INTEGER,
    done_by     INTEGER,
    note        TEXT
);
CREATE INDEX phone_callbacks_merchant ON phone_callbacks (merchant_id, state, due_at);

CREATE TABLE app_messages (
    owner_key         INTEGER NOT NULL,
    client_message_id TEXT NOT NULL,
    merchant_id       INTEGER,
    customer_id       INTEGER,
    ticket_id         INTEGER,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (owner_key, client_message_id)
);
